"""`status` and `logs` on in-process moto: what the ECS service read keeps for `status` (newest events, rollout)
without another call, how the summary lays it out at 80 columns, and how `logs` reads times and filters.

moto never records ECS service events (it runs no containers); AWS does, newest first, on the same
describe_services answer. They are put on moto's service object here, as AWS would report them.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from platformctl import logs
from platformctl.resources.ecs_service import EcsService
from platformctl.status import gather, print_report
from tests.unit.kind_harness import PLATFORM, KindDriver, moto_context, read_calls_by_op
from tests.unit.test_kinds_ecs_service import SERVICE_NAME, build_world, seed, service_resource

LONG_EVENT = (
    f"(service {SERVICE_NAME}) was unable to place a task because no container instance met all of its "
    "requirements. Reason: No Container Instances were found in your cluster."
)


def _aws_event(minutes_ago: int, message: str, now: datetime) -> dict:
    return {"id": f"e{minutes_ago}", "createdAt": now - timedelta(minutes=minutes_ago), "message": message}


def test_status_shows_each_services_rollout_and_newest_events_from_the_read_it_already_makes() -> None:
    from moto.ecs.models import ecs_backends

    now = datetime.now(UTC).replace(microsecond=0)
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        driver.create(kind, service_resource(world))
        [service] = ecs_backends["123456789012"]["us-east-1"].services.values()
        # Five events, written in no particular order; status shows the three newest, newest first.
        for minutes, message in ((9, "oldest"), (1, "has reached a steady state."), (30, "older")):
            service.events.append(_aws_event(minutes, message, now))
        service.events.append(_aws_event(4, LONG_EVENT, now))
        service.events.append(_aws_event(120, "has started 2 tasks", now))

        found, calls = read_calls_by_op(ctx, kind)
        assert calls["DescribeServices"] == 1  # the same one call per ten services as before: nothing extra

        [live] = found
        assert [e["message"] for e in live.facts["events"]] == ["has reached a steady state.", LONG_EVENT, "oldest"]
        assert live.facts["rollout"] in {"IN_PROGRESS", "COMPLETED"}

        report = gather(PLATFORM, "dev", found, now=now)
        [status] = report.services
        assert (status.name, status.desired, status.rollout) == (SERVICE_NAME, 2, live.facts["rollout"])

        screen = io.StringIO()
        print_report(Console(file=screen, width=80, color_system=None), report)
        text = screen.getvalue()
        lines = text.splitlines()
        assert max(len(line) for line in lines) <= 80
        assert f"{SERVICE_NAME}  2/2 running, 0 pending  rollout COMPLETED" in text  # instant in the emulator
        assert any(line.strip().startswith("1m ago  has reached a steady state.") for line in lines)
        assert any(line.strip().startswith("9m ago  oldest") for line in lines)
        assert "older" not in text.replace("oldest", "")  # only the three newest
        # The long event wraps within 80 columns, all of its words kept.
        assert " ".join(text.split()).count(" ".join(LONG_EVENT.split())) == 1


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("30s", timedelta(seconds=30)),
        ("10m", timedelta(minutes=10)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
    ],
)
def test_since_takes_a_duration_before_now(text: str, ago: timedelta) -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert logs.parse_since(text, now) == now - ago


def test_since_takes_an_iso_time_utc_unless_it_says_otherwise_and_refuses_anything_else() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert logs.parse_since("2026-05-01T10:00:00Z", now) == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert logs.parse_since("2026-05-01T10:00:00", now) == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert logs.parse_since("2026-05-01T12:00:00+02:00", now) == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    for bad in ("10", "5x", "m10", "yesterday", "-1h", ""):
        with pytest.raises(ValueError, match="30s, 10m, 2h, 1d"):
            logs.parse_since(bad, now)


def test_filter_text_is_matched_literally_even_with_quotes_and_pattern_syntax() -> None:
    group, stream = "/aws/ecs/shop/dev/orders", "orders/orders/0123456789abcdef"
    now = datetime.now(UTC)
    messages = ['GET /orders 404 "no such order"', "GET /orders 200", "?ERROR -debug", "ERROR -debug here"]
    with moto_context() as ctx:
        client = ctx.client("logs")
        client.create_log_group(logGroupName=group)
        client.create_log_stream(logGroupName=group, logStreamName=stream)
        client.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[
                {"timestamp": int(now.timestamp() * 1000) - 1000 + i, "message": m} for i, m in enumerate(messages)
            ],
        )
        start = now - timedelta(minutes=5)

        def shown(text: str | None) -> list[str]:
            return [e.message for e in logs.read_events(client, group, start, text)]

        assert shown(None) == messages  # oldest first
        assert shown('"no such order"') == [messages[0]]
        assert shown("ERROR -debug") == messages[2:]  # not "ERROR and not debug"
        [event] = logs.read_events(client, group, start, "200")
        assert (event.task_id, event.stream) == ("0123456789abcdef", stream)
