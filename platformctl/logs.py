"""`platformctl logs`: a service's container logs from CloudWatch Logs, oldest first, newest last.

ECS's awslogs driver writes a task's container output to the service's log group
(`naming.service_log_group`) in a stream named `<prefix>/<container>/<task id>` (prefix and container are
both the service name, see layers/services.py), so the task id is the stream name's last part.

Events are read with FilterLogEvents over the whole group, from `--since` on. `--filter TEXT` is sent as one
quoted filter-pattern term, so the text is matched as it is (a case-sensitive substring), never parsed as
pattern syntax; the same match is checked on what comes back (and is the only one for a text the syntax
cannot quote). `--follow` polls every POLL_SECONDS, each time from LATE_SECONDS before the newest event
seen: CloudWatch Logs accepts events late with their own earlier timestamps, and the ids already shown
are skipped so nothing is printed twice.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from platformctl.aws import error_code
from platformctl.errors import PlatformctlError

POLL_SECONDS = 2.0
LATE_SECONDS = 30
_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class LogEvent:
    at: datetime
    task_id: str
    stream: str
    message: str
    event_id: str

    def to_json(self) -> dict[str, Any]:
        """One line of `logs -o json`."""
        return {
            "timestamp": _iso(self.at),
            "task_id": self.task_id,
            "stream": self.stream,
            "message": self.message,
            "event_id": self.event_id,
        }

    def line(self) -> str:
        """`2026-05-01T10:00:00.123Z  <task id>  <message>`."""
        return f"{_iso(self.at)}  {self.task_id}  {self.message}"


def parse_since(text: str, now: datetime) -> datetime:
    """`30s`, `10m`, `2h`, `1d` before `now`, or an ISO 8601 time (UTC unless it carries an offset)."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        return now - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a duration like 30s, 10m, 2h, 1d or an ISO time like 2026-05-01T10:00:00Z"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def filter_pattern(text: str) -> str | None:
    """TEXT as one quoted term of the filter-pattern syntax, so AWS matches it literally; None when TEXT has a
    quote or backslash, which that syntax cannot be relied on to escape: then only the client filters."""
    if '"' in text or "\\" in text:
        return None
    return f'"{text}"'


def task_id(stream: str) -> str:
    """`order/order/0123abcd…` → `0123abcd…`; a stream not named by awslogs is shown as it is."""
    return stream.rsplit("/", 1)[-1]


def read_events(logs: Any, group: str, start: datetime, text: str | None = None) -> list[LogEvent]:
    """Every event of `group` from `start` on (containing `text`, when given), oldest first."""
    request: dict[str, Any] = {"logGroupName": group, "startTime": _ms(start)}
    pattern = filter_pattern(text) if text else None
    if pattern:
        request["filterPattern"] = pattern
    found: list[LogEvent] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(**request):
            found.extend(_event(e) for e in page.get("events", []))
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise PlatformctlError(
                f"log group {group} does not exist: the service has not been applied to this environment yet"
            ) from None
        raise
    if text:
        found = [e for e in found if text in e.message]  # the same literal match, also where AWS could not
    return sorted(found, key=lambda e: (e.at, e.stream, e.event_id))


def follow(
    logs: Any,
    group: str,
    start: datetime,
    text: str | None,
    emit: Callable[[LogEvent], None],
    *,
    stop_after: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Emit events as they arrive, until interrupted (Ctrl-C) or, with `stop_after`, after that many seconds."""
    deadline = None if stop_after is None else time.monotonic() + stop_after
    shown: dict[str, datetime] = {}  # event id → its time, for the events still inside the late window
    since = start
    while True:
        events = read_events(logs, group, since, text)
        fresh = [e for e in events if e.event_id not in shown]
        for event in fresh:
            emit(event)
        shown.update((e.event_id, e.at) for e in fresh)
        if shown:
            since = max(start, max(shown.values()) - timedelta(seconds=LATE_SECONDS))
            shown = {event_id: at for event_id, at in shown.items() if at >= since}
        if deadline is not None and time.monotonic() >= deadline:
            return
        wait = POLL_SECONDS if deadline is None else max(0.0, min(POLL_SECONDS, deadline - time.monotonic()))
        sleep(wait)


def _event(raw: dict[str, Any]) -> LogEvent:
    stream = str(raw.get("logStreamName") or "")
    return LogEvent(
        at=datetime.fromtimestamp(int(raw.get("timestamp") or 0) / 1000, tz=UTC),
        task_id=task_id(stream),
        stream=stream,
        message=str(raw.get("message") or "").rstrip("\n"),
        event_id=str(raw.get("eventId") or f"{stream}@{raw.get('timestamp')}"),
    )


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
