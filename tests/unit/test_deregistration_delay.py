"""A service's deregistration delay: a spec field (default 30 s, AWS's 0..3600) set on its target group.

Behind an ALB every rollout lasts at least the target group's deregistration delay, 300 s on a new group;
platformctl sets the spec's value right after create and puts it back in place when it drifts.
"""

from __future__ import annotations

from pathlib import Path

from platformctl.resources.elbv2_target_group import TargetGroup
from tests.unit.kind_harness import KindDriver, moto_context, network, planned_changes, update_as_planned
from tests.unit.spec_helpers import SEED, assert_issue, edit, line_of, only_issue, seed_copy
from tests.unit.test_kinds_routing_dashboard import target_group_resource
from tests.unit.test_services_layer import graph


def aws_delay(ctx, arn: str) -> int:
    """What AWS says the group's deregistration delay is, as a user would check it."""
    attributes = ctx.client("elbv2").describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    return int(next(a["Value"] for a in attributes if a["Key"] == "deregistration_delay.timeout_seconds"))


def test_a_service_target_group_gets_30_seconds_unless_the_spec_says_otherwise(tmp_path: Path) -> None:
    assert graph(SEED, "dev")["tg.order"].props["deregistration_delay"] == 30
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "health: /\n", "health: /\nderegistrationDelay: 5\n")
    assert graph(specs, "dev")["tg.order"].props["deregistration_delay"] == 5


def test_a_deregistration_delay_out_of_aws_bounds_is_an_error_at_its_line(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "health: /\n", "health: /\nderegistrationDelay: 3601\n")
    issue = only_issue(specs)
    assert_issue(issue, "services/order.yaml", line_of(specs, "services/order.yaml", "deregistrationDelay"),
                 "deregistrationDelay", "3600")


def test_create_sets_the_delay_and_drift_is_put_back_in_place() -> None:
    with moto_context() as ctx:
        driver, kind = KindDriver(ctx), TargetGroup()
        driver.outputs["vpc"] = {"VpcId": network(ctx)["vpc"]}
        resource = target_group_resource("orders", deregistration_delay=30)
        arn = driver.create(kind, resource)["TargetGroupArn"]
        assert aws_delay(ctx, arn) == 30  # not AWS's 300
        live = driver.read(kind)[resource.id]
        assert live.props == driver.resolved(resource)  # a fresh apply diffs clean

        # Set back to AWS's default by hand: drift on that one field, changed in place (no replacement).
        ctx.client("elbv2").modify_target_group_attributes(
            TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "300"}]
        )
        live = driver.read(kind)[resource.id]
        changes = planned_changes(kind, live, driver.resolved(resource))
        assert [(c.path, c.old, c.new) for c in changes] == [("deregistration_delay", 300, 30)]
        assert "deregistration_delay" in kind.updatable
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert aws_delay(ctx, arn) == 30
        assert driver.read(kind)[resource.id].props == driver.resolved(resource)
