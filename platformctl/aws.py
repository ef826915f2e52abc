"""One AWS connection per run: a boto3 session, one cached client per service, and a call counter.

boto3 is imported here and only when a command actually talks to AWS, so `--help` and `validate` start fast.
Clients are shared across the executor's threads (botocore clients are thread-safe; sessions are not, so
clients are created under a lock). Retries use botocore's adaptive mode, which also slows down when AWS
throttles us.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from platformctl.partitions import partition_of_arn

# Calls that only read. Everything else counts as a write, which is what tests assert is zero for bad input.
_READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Search", "Lookup", "Filter")


@dataclass(frozen=True)
class AwsTarget:
    """Where AWS calls go: a region, an optional profile, an optional endpoint (the local emulator)."""

    region: str
    profile: str | None = None
    endpoint_url: str | None = None


# Error codes with which AWS says "slow down"; the executor narrows its concurrency when it sees them.
THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "PriorRequestNotComplete",
    }
)


# Error codes with which AWS refuses the caller rather than the request: a missing IAM permission, or credentials
# that are wrong or expired. Retrying changes none of them, so every retry and wait path (botocore's own retries,
# `Context.retry_on`, the kinds' retry-by-message helpers) fails at once on them, and the failed step names
# the action that was refused (`denied_action`). botocore's standard and adaptive modes retry only throttles,
# 5xx and transient codes, none of these. `aws_access` explains the same codes on the run's first call.
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
    }
)


def denied(exc: BaseException) -> bool:
    """Whether AWS refused the caller (see DENIED_CODES): retrying will not help."""
    return error_code(exc) in DENIED_CODES


def denied_action(exc: BaseException) -> str | None:
    """The IAM action of the call that failed with `exc` (`ecs:CreateService`), when an Aws client made it."""
    return getattr(exc, "platformctl_action", None)


class CallCounter:
    """Counts AWS calls by (service, operation), by the step that made them, and throttled answers.

    Thread-safe. Read by tests, `--output json` and bench. A thread running one plan step says so with
    `attributing(key)`, so the executor knows how many sequential calls each step made: that is what the
    critical path of an apply is measured in.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.by_step: Counter[Any] = Counter()
        self.throttled = 0

    def record(self, service: str, operation: str) -> None:
        step = getattr(self._local, "step", None)
        with self._lock:
            self.calls[(service, operation)] += 1
            if step is not None:
                self.by_step[step] += 1

    def record_throttle(self) -> None:
        with self._lock:
            self.throttled += 1

    @contextmanager
    def attributing(self, step: Any) -> Iterator[None]:
        """Calls made on this thread inside the block count toward `step`."""
        previous = getattr(self._local, "step", None)
        self._local.step = step
        try:
            yield
        finally:
            self._local.step = previous

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def writes(self) -> int:
        return sum(n for (_, op), n in self.calls.items() if not op.startswith(_READ_PREFIXES))


class Aws:
    """The run's AWS access: `client(name)` returns a shared, retrying, counted client.

    At most `max_in_flight` calls are in flight at once, whichever threads make them (the executor's steps,
    the readers of each kind and their per-resource reads): that is the bound `--parallelism` promises.
    """

    def __init__(
        self,
        target: AwsTarget,
        counter: CallCounter | None = None,
        max_in_flight: int = 16,
    ):
        import boto3
        from botocore.config import Config

        self.target = target
        self.counter = counter or CallCounter()
        session_kwargs: dict[str, Any] = {"region_name": target.region}
        if target.profile:
            session_kwargs["profile_name"] = target.profile
        if target.endpoint_url and not target.profile and not _has_credentials():
            # The local emulator accepts any credentials; real AWS never takes this branch.
            session_kwargs.update(aws_access_key_id="testing", aws_secret_access_key="testing")
        try:
            self._session = boto3.Session(botocore_session=_botocore_session(), **session_kwargs)
        except Exception as exc:  # a --profile that does not exist
            _raise_access_error(exc, target.endpoint_url)
            raise
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": 10},
            max_pool_connections=max(10, max_in_flight),
            connect_timeout=10,
            read_timeout=60,
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, max_in_flight))
        self._account_id: str | None = None
        self._partition: str | None = None
        self._account_lock = threading.Lock()

    def account_id(self) -> str:
        """The account the credentials act in (STS GetCallerIdentity), asked once per run and then remembered.

        Asked first, before any lock or read, with a short timeout and few retries (`_first_call_config`): missing
        credentials or an endpoint that does not answer then fail in seconds with one message that says what
        to do (`aws_access.explain`), instead of every resource kind failing alike after a minute of retries.
        """
        with self._account_lock:
            if self._account_id is None:
                sts = self._counted(
                    self._session.client("sts", config=_first_call_config(), endpoint_url=self.target.endpoint_url)
                )
                identity = self._first_call(sts)
                # The same answer's ARN names the partition (aws, aws-cn, aws-us-gov...): no second call.
                self._account_id, self._partition = identity["Account"], partition_of_arn(identity["Arn"])
            return self._account_id

    def partition(self) -> str:
        """The partition of the credentials' account (`aws`, `aws-cn`, `aws-us-gov`...), from the same STS call."""
        self.account_id()
        assert self._partition is not None
        return self._partition

    def _first_call(self, sts: Any) -> dict[str, Any]:
        """GetCallerIdentity, retried here (not by botocore) so that only what may pass on is retried: a 5xx or a
        throttle three times, quickly; a refused connection once; missing or rejected credentials never."""
        from platformctl.aws_access import retry_delay

        failures = 0
        while True:
            try:
                return sts.get_caller_identity()
            except Exception as exc:
                failures += 1
                delay = retry_delay(exc, failures)
                if delay is None:
                    _raise_access_error(exc, self.target.endpoint_url)
                    raise
                time.sleep(delay)

    def client(self, service: str) -> Any:
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                client = self._session.client(service, config=self._config, endpoint_url=self.target.endpoint_url)
                self._clients[service] = self._counted(client)
            return self._clients[service]

    def _counted(self, client: Any) -> Any:
        """`client` counted, throttles noted, and its calls inside the in-flight bound."""
        client.meta.events.register("before-call", self._count)
        client.meta.events.register("needs-retry", self._note_throttle)
        client._make_api_call = self._bounded(client._make_api_call, client.meta.service_model)
        return client

    def _bounded(self, make_api_call: Any, service_model: Any) -> Any:
        """Every operation of a client (paginators included) goes through `_make_api_call`: hold a slot there.

        A failure is marked with the IAM action of the call (`denied_action`), so a refused permission can be
        named where the error is reported, far from the client that made the call.
        """

        def bounded(operation_name: str, params: dict[str, Any]) -> Any:
            try:
                with self._slots:
                    return make_api_call(operation_name, params)
            except Exception as exc:
                if not hasattr(exc, "platformctl_action"):
                    exc.platformctl_action = _iam_action(service_model, operation_name)  # type: ignore[attr-defined]
                raise

        return bounded

    def _count(self, model: Any, **_: Any) -> None:
        self.counter.record(model.service_model.service_name, model.name)

    def _note_throttle(self, response: Any = None, **_: Any) -> None:
        """Seen before botocore decides to retry an attempt; returns None so that decision stays botocore's."""
        parsed = response[1] if response else None
        if isinstance(parsed, dict) and parsed.get("Error", {}).get("Code") in THROTTLE_CODES:
            self.counter.record_throttle()


_loader_lock = threading.Lock()
_shared_loader: Any = None


def _botocore_session() -> Any:
    """A new botocore session on the process's one model loader.

    Reading the service models (large JSON files) is most of what making a session and its clients costs:
    about 0.1 s a service. Each `Aws` gets its own session (credentials, region and profile are per run),
    but the models are the same for all of them, so a process that runs several commands (the tests, the
    benchmark, a program using platformctl as a library) reads each model once.
    """
    import botocore.session

    global _shared_loader
    session = botocore.session.Session()
    with _loader_lock:
        if _shared_loader is None:
            _shared_loader = session.get_component("data_loader")
        else:
            session.register_component("data_loader", _shared_loader)
            # boto3.Session appends its own data path to the loader each time: keep one of each.
            paths = _shared_loader.search_paths
            paths[:] = list(dict.fromkeys(paths))
    return session


# The run's first call: a few seconds to say that credentials or the endpoint are wrong, not a minute. Its
# retries are Aws._first_call's own.
def _first_call_config() -> Any:
    from botocore.config import Config

    return Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=15)


def _raise_access_error(exc: BaseException, endpoint_url: str | None) -> None:
    """Raise the one-line, actionable error if `exc` means AWS cannot be used at all; else return."""
    from platformctl.aws_access import explain

    explained = explain(exc, endpoint_url)
    if explained is not None:
        raise explained from None


def _iam_action(service_model: Any, operation_name: str) -> str:
    from platformctl.iam_actions import iam_action

    try:
        method = service_model.operation_model(operation_name).http.get("method")
    except Exception:  # an operation the model does not know: name it as it was called
        method = None
    return iam_action(service_model.service_name, operation_name, method)


def _has_credentials() -> bool:
    return bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None
