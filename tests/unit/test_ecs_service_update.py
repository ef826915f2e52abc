"""An ECS service's update acts on the planner's changes: every changed field in one UpdateService (one
deployment, one rollout wait), and nothing the plan did not name."""

from __future__ import annotations

from typing import Any

from platformctl.engine.model import Ref
from platformctl.resources.ecs_service import EcsService
from tests.unit.kind_harness import KindDriver, moto_context, planned_changes, update_as_planned
from tests.unit.test_kinds_ecs_service import build_world, seed, service_resource


def test_changed_fields_go_in_one_update_service_and_unchanged_ones_stay_out() -> None:
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        resource = service_resource(world)
        resource.props["service_connect"] = None  # moto never reports it, so it would be resent every time
        driver.create(kind, resource)
        ecs = ctx.client("ecs")
        real_update = ecs.update_service
        sent: list[dict[str, Any]] = []
        ecs.update_service = lambda **kw: sent.append(kw) or real_update(**kw)

        live = driver.read(kind)[resource.id]
        resource.props.update(
            task_definition=Ref("taskdef.orders.v2", "Arn"), desired_count=3, subnets=[world.subnets[2]]
        )
        assert {c.path.split("[")[0] for c in planned_changes(kind, live, driver.resolved(resource))} == {
            "task_definition",
            "desired_count",
            "subnets",
        }
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert len(sent) == 1
        assert set(sent[0]) == {"cluster", "service", "taskDefinition", "desiredCount", "networkConfiguration"}
        live = driver.read(kind)[resource.id]
        assert (live.props["task_definition"], live.props["desired_count"]) == (world.task_definitions[1], 3)
        assert live.props["subnets"] == [world.subnets[2]]

        resource.props["circuit_breaker"] = {"enable": True, "rollback": False}
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert len(sent) == 2
        assert set(sent[1]) == {"cluster", "service", "deploymentConfiguration"}
        assert driver.read(kind)[resource.id].props["circuit_breaker"] == {"enable": True, "rollback": False}
