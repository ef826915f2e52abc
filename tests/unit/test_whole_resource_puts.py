"""Kinds whose one call rewrites the whole resource (PutMetricAlarm, PutRule, PutDashboard, PutTargets): an
update sends the planner's changes as that one call, however many fields changed, and none when none did.
"""

from __future__ import annotations

from platformctl.resources.cloudwatch_alarm import MetricAlarm
from platformctl.resources.events_bus import EventBus
from platformctl.resources.events_rule import EventRule
from tests.unit.kind_harness import KindDriver, moto_context, update_as_planned
from tests.unit.test_kinds_messaging_sns_events import bus_resource, rule_resource
from tests.unit.test_kinds_messaging_sqs_alarms import alarm_resource


def test_an_alarm_change_to_several_fields_is_one_write_and_no_change_is_none() -> None:
    with moto_context() as ctx:
        kind, driver = MetricAlarm(), KindDriver(ctx)
        resource = alarm_resource()
        driver.create(kind, resource)
        live = driver.read(kind)[resource.id]

        resource.props.update(threshold=5.0, period=300, description="five waiting for five minutes")
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert ctx.aws.counter.writes - writes == 1

        live = driver.read(kind)[resource.id]  # still ours: the rewrite kept its tags
        assert (live.props["threshold"], live.props["period"]) == (5.0, 300)
        assert live.props == kind.canonical(driver.resolved(resource))
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert ctx.aws.counter.writes == writes


def test_an_event_rule_state_change_is_one_put_rule_that_keeps_its_pattern() -> None:
    with moto_context() as ctx:
        kind, driver = EventRule(), KindDriver(ctx)
        driver.create(EventBus(), bus_resource())
        resource = rule_resource()
        driver.create(kind, resource)
        live = driver.read(kind)[resource.id]

        resource.props.update(state="DISABLED", description="paused")
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, live, kind.canonical(driver.resolved(resource)))
        assert ctx.aws.counter.writes - writes == 1

        after = driver.read(kind)[resource.id]  # still ours: PutRule without tags keeps them
        assert (after.props["state"], after.props["description"]) == ("DISABLED", "paused")
        assert after.props["pattern"] == live.props["pattern"]
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, after, kind.canonical(driver.resolved(resource)))
        assert ctx.aws.counter.writes == writes
