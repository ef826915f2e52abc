"""Why AWS cannot be used at all — no credentials, rejected credentials, an endpoint that does not answer —
said once, in one line, with the fix.

The run's first call (STS GetCallerIdentity, `Aws.account_id`) goes through `explain`: without it, every
resource kind would fail on its own (forty lines of NoCredentialsError), or retry an unreachable endpoint
for a minute before saying anything.
"""

from __future__ import annotations

import socket
from typing import Any

from platformctl.aws import DENIED_CODES
from platformctl.errors import PlatformctlError

NO_CREDENTIALS = (
    "no AWS credentials found. Use --local for the emulator, set AWS_PROFILE or pass --profile, "
    "or --endpoint-url for another endpoint."
)

# Error codes with which AWS refuses the caller: on the first call (STS GetCallerIdentity, which needs no
# permission) they can only mean the credentials themselves. One set with the rest of the run (aws.DENIED_CODES).
_REJECTED_CODES = DENIED_CODES


def explain(exc: BaseException, endpoint_url: str | None) -> PlatformctlError | None:
    """The one-line error for a failed first call, or None when `exc` is not about access at all."""
    from botocore import exceptions as boto

    if isinstance(exc, boto.NoCredentialsError | boto.PartialCredentialsError):
        return PlatformctlError(NO_CREDENTIALS)
    if isinstance(exc, boto.ProfileNotFound):
        return PlatformctlError(f"{exc}: pass an existing --profile, or set AWS_PROFILE to one")
    if isinstance(exc, boto.SSOError | boto.TokenRetrievalError):
        return PlatformctlError(f"AWS SSO credentials could not be loaded ({exc}). Run `aws sso login` and try again.")
    if isinstance(exc, boto.CredentialRetrievalError):
        return PlatformctlError(f"AWS credentials could not be loaded: {exc}")
    if isinstance(exc, boto.EndpointConnectionError | boto.ConnectTimeoutError | boto.ConnectionClosedError):
        where = endpoint_url or getattr(exc, "kwargs", {}).get("endpoint_url") or "AWS"
        return PlatformctlError(
            f"cannot reach {where} ({_why_unreachable(exc)}). Check --endpoint-url, or start the emulator with "
            "`platformctl local start` and use --local."
        )
    if isinstance(exc, boto.ReadTimeoutError):
        where = endpoint_url or getattr(exc, "kwargs", {}).get("endpoint_url") or "AWS"
        return PlatformctlError(f"{where} did not answer in time (STS GetCallerIdentity): is it an AWS endpoint?")
    code = _error_code(exc)
    if code in _REJECTED_CODES:
        return PlatformctlError(
            f"AWS rejected the credentials ({code}: {_error_message(exc)}). Refresh them, or pick others with "
            "AWS_PROFILE / --profile."
        )
    return None


def retry_delay(exc: BaseException, failures: int) -> float | None:
    """How long to wait before trying the first call again after its `failures`-th failure; None: give up.

    A 5xx or a throttle passes on: up to three more tries within two seconds. A connection that fails may be a
    blip: one more try. Missing or rejected credentials, or anything else, will not change by retrying.
    """
    from botocore import exceptions as boto

    from platformctl.aws import THROTTLE_CODES

    response = getattr(exc, "response", None)
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) if isinstance(response, dict) else 0
    if (status >= 500 or _error_code(exc) in THROTTLE_CODES) and failures <= 3:
        return 0.25 * 2 ** (failures - 1)
    if isinstance(exc, boto.ConnectionError | boto.ConnectTimeoutError) and failures <= 1:
        return 0.25
    return None


def _why_unreachable(exc: BaseException) -> str:
    """`connection refused`, `host not found`, `timed out`: the reason a person can act on."""
    from botocore import exceptions as boto

    if isinstance(exc, boto.ConnectTimeoutError):
        return "no answer: timed out"
    if isinstance(exc, boto.ConnectionClosedError):
        return "the connection was closed"
    cause: Any = getattr(exc, "kwargs", {}).get("error")
    seen = 0
    while cause is not None and seen < 5:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "host not found"
        if isinstance(cause, TimeoutError):
            return "timed out"
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return "connection failed"


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def _error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Message", "")) if isinstance(response, dict) else str(exc)
