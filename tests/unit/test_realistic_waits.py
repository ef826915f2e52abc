"""The kinds against in-process moto with the realistic profile on: each waits or retries what AWS makes it,
says so in the progress display, and fails clearly when AWS's answer will not change.

Every behaviour is shortened to SHORT seconds (emulator_realistic.configure); the kinds poll with
kind_harness's instant interval, so each test takes about SHORT per wait.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from platformctl import emulator_realistic
from platformctl.engine.model import Resource
from platformctl.resources.base import Context
from platformctl.resources.ecs_cluster import EcsCluster
from platformctl.resources.ecs_service import EcsService
from platformctl.resources.sqs_queue import SqsQueue
from platformctl.resources.waiting import WaitFailed
from tests.unit.kind_harness import KindDriver, realistic_context
from tests.unit.test_kinds_ecs_service import SERVICE_NAME, build_world, seed, service_resource

SHORT = 0.5


@pytest.fixture
def ctx() -> Iterator[Context]:
    """In-process moto, realistic, every behaviour SHORT; the tag index and the account's first cluster at once
    (not what these tests are about: the fixtures make a cluster and a namespace with boto3)."""
    with realistic_context(SHORT, ("namespace_create", "ecs_service_linked_role", "ecs_cluster_create")) as context:
        yield context


def waits_seen(ctx: Context) -> list[str]:
    """Collects what the operations on this thread say they wait for (as the executor's listener does)."""
    seen: list[str] = []
    ctx._wait_listeners.listener = lambda what: seen.append(what) if what else None
    return seen


def fresh_role(ctx: Context, name: str) -> str:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}  # fmt: skip  # noqa: E501
    return ctx.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def task_definition(ctx: Context, role_arn: str, image: str = "nginx:1.27") -> str:
    return ctx.client("ecs").register_task_definition(
        family="orders-fresh",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        taskRoleArn=role_arn,
        executionRoleArn=role_arn,
        containerDefinitions=[{"name": "app", "image": image, "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]


def test_a_service_whose_fresh_task_role_ecs_cannot_assume_yet_is_created_once_it_propagated(ctx: Context) -> None:
    driver, kind = KindDriver(ctx), EcsService()
    world = build_world(ctx)
    seed(driver, world)
    driver.outputs["taskdef.orders"] = {"Arn": task_definition(ctx, fresh_role(ctx, "orders-task"))}
    seen = waits_seen(ctx)
    driver.create(kind, service_resource(world))
    assert "waiting for a fresh IAM role to propagate to ECS" in seen
    assert "waiting for service.orders to roll out: 0/2 tasks running" in seen
    [live] = driver.read(kind).values()
    assert live.facts["rollout"] == "COMPLETED"  # create returned only once the deployment completed


def test_a_failed_rollout_fails_the_create_with_the_stopped_tasks_reason(ctx: Context) -> None:
    driver, kind = KindDriver(ctx), EcsService()
    world = build_world(ctx)
    seed(driver, world)
    emulator_realistic.configure(durations={"iam_role_propagation": 0})
    image = "registry.example/orders:broken"
    driver.outputs["taskdef.orders"] = {"Arn": task_definition(ctx, fresh_role(ctx, "orders-task"), image)}
    with pytest.raises(WaitFailed) as failed:
        driver.create(kind, service_resource(world))
    code, message = failed.value.response["Error"]["Code"], failed.value.response["Error"]["Message"]
    assert code == "DeploymentFailed"
    assert f"of {SERVICE_NAME} failed: ECS deployment circuit breaker" in message
    assert f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {image}" in message  # noqa: E501


def test_no_wait_leaves_the_rollout_running(ctx: Context) -> None:
    driver, kind = KindDriver(ctx), EcsService()
    world = build_world(ctx)
    seed(driver, world)
    ctx.wait_for_deployments = False  # type: ignore[attr-defined]  # what `apply --no-wait` sets
    driver.create(kind, service_resource(world))
    [live] = driver.read(kind).values()
    assert live.facts["rollout"] == "IN_PROGRESS"


def test_a_service_deleted_by_a_stopped_run_is_gone_and_its_name_is_taken_again_once_it_drained(
    ctx: Context,
) -> None:
    driver, kind = KindDriver(ctx), EcsService()
    world = build_world(ctx)
    seed(driver, world)
    resource = service_resource(world)
    driver.create(kind, resource)
    ecs = ctx.client("ecs")
    ecs.delete_service(cluster=world.cluster_arn, service=SERVICE_NAME, force=True)  # the run stopped here
    assert driver.read(kind) == {}  # DRAINING: going away, not ours to update
    seen = waits_seen(ctx)
    driver.create(kind, resource)
    draining = f"waiting for the deleted ECS service {SERVICE_NAME} to finish draining"
    assert any(what.startswith(draining) for what in seen)
    assert list(driver.read(kind)) == [resource.id]


def test_the_first_cluster_of_an_account_is_created_once_the_service_linked_role_exists(ctx: Context) -> None:
    emulator_realistic.configure(durations={"ecs_service_linked_role": SHORT, "ecs_cluster_create": SHORT})
    seen = waits_seen(ctx)
    resource = Resource(
        "ecs.cluster", "ecs.cluster", "platform", "shop-dev",
        {"name": "shop-dev", "container_insights": "enabled", "capacity_providers": [], "strategy": []},
    )  # fmt: skip
    KindDriver(ctx).create(EcsCluster(), resource)
    assert "waiting for the ECS service-linked role to propagate" in seen
    assert "waiting for ecs.cluster to become ACTIVE: PROVISIONING" in seen
    [cluster] = ctx.client("ecs").describe_clusters(clusters=["shop-dev"])["clusters"]
    assert cluster["status"] == "ACTIVE"


def test_a_queue_replaced_under_its_own_name_is_created_once_sqs_frees_the_name(ctx: Context) -> None:
    props: dict[str, Any] = {
        "name": "shop-dev-orders", "visibility_timeout": 30, "retention_seconds": 345600, "kms_key": None,
        "redrive": None,
    }  # fmt: skip
    resource = Resource("sqs.queue", "queue.orders", "messaging", "shop-dev-orders", props)
    driver, kind = KindDriver(ctx), SqsQueue()
    driver.create(kind, resource)
    kind.delete(ctx, driver.read(kind)[resource.id])
    seen = waits_seen(ctx)
    driver.create(kind, resource)  # the replacement's create, right after its delete
    assert "waiting for SQS to free the name shop-dev-orders (a queue of that name was just deleted)" in seen
    assert list(driver.read(kind)) == [resource.id]
