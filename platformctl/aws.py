"""One AWS connection per run: a boto3 session, one cached client per service, and a call counter.

boto3 is imported here and only when a command actually talks to AWS, so `--help` and `validate` start fast.
Clients are shared across the executor's threads (botocore clients are thread-safe; sessions are not, so
clients are created under a lock). Retries use botocore's adaptive mode, which also slows down when AWS
throttles us.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# Calls that only read. Everything else counts as a write, which is what tests assert is zero for bad input.
_READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Search", "Lookup")


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
        if target.endpoint_url and not _has_credentials():
            # The local emulator accepts any credentials; real AWS never takes this branch.
            session_kwargs.update(aws_access_key_id="testing", aws_secret_access_key="testing")
        self._session = boto3.Session(**session_kwargs)
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": 10},
            max_pool_connections=max(10, max_in_flight),
            connect_timeout=10,
            read_timeout=60,
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, max_in_flight))

    def client(self, service: str) -> Any:
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                client = self._session.client(service, config=self._config, endpoint_url=self.target.endpoint_url)
                client.meta.events.register("before-call", self._count)
                client.meta.events.register("needs-retry", self._note_throttle)
                client._make_api_call = self._bounded(client._make_api_call)
                self._clients[service] = client
            return client

    def _bounded(self, make_api_call: Any) -> Any:
        """Every operation of a client (paginators included) goes through `_make_api_call`: hold a slot there."""

        def bounded(operation_name: str, params: dict[str, Any]) -> Any:
            with self._slots:
                return make_api_call(operation_name, params)

        return bounded

    def _count(self, model: Any, **_: Any) -> None:
        self.counter.record(model.service_model.service_name, model.name)

    def _note_throttle(self, response: Any = None, **_: Any) -> None:
        """Seen before botocore decides to retry an attempt; returns None so that decision stays botocore's."""
        parsed = response[1] if response else None
        if isinstance(parsed, dict) and parsed.get("Error", {}).get("Code") in THROTTLE_CODES:
            self.counter.record_throttle()


def _has_credentials() -> bool:
    return bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None
