"""Kinds AWS builds and deletes asynchronously (`settles`): create waits until AWS says ready and fails with
AWS's own reason when AWS gives up; delete waits until the resource is gone.

moto answers every such resource ready at once and deletes it at once: the states AWS goes through (an
endpoint `pending`, `failed` with its LastError, a cluster `FAILED`) are put into moto's answers here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from platformctl.resources.apigw_integration import Integration
from platformctl.resources.base import Context
from platformctl.resources.ec2_vpc_endpoint import VpcEndpoint
from platformctl.resources.ecs_cluster import EcsCluster
from platformctl.resources.elbv2_load_balancer import LoadBalancer
from platformctl.resources.waiting import WaitFailed
from tests.unit.kind_harness import KindDriver, moto_context
from tests.unit.test_kinds_apigw_core import integration_resource, stack
from tests.unit.test_kinds_core import cluster_resource
from tests.unit.test_realistic_network_waits import ALB, network, waits_seen
from tests.unit.test_vpc_endpoints import _endpoint_in_a_vpc


def answering(client: Any, operation: str, first: list[dict[str, Any]]) -> list[int]:
    """The next answers of `operation` asked about one id are the real one with `first`'s fields laid over it,
    one per call (a dotted key sets a nested field); then the real answers. Returns the calls seen."""
    real: Callable[..., Any] = getattr(client, operation)
    calls: list[int] = []

    def overlaid(**kwargs: Any) -> Any:
        answer = real(**kwargs)
        calls.append(1)
        if len(calls) <= len(first):
            for item in next(v for v in answer.values() if isinstance(v, list)):
                for key, value in first[len(calls) - 1].items():
                    *path, last = key.split(".")
                    target = item
                    for step in path:
                        target = target.setdefault(step, {})
                    target[last] = value
        return answer

    setattr(client, operation, overlaid)
    return calls


def test_a_vpc_endpoint_is_created_once_available_and_deleted_once_gone() -> None:
    with moto_context() as ctx:
        driver, kind = KindDriver(ctx), VpcEndpoint()
        resource, _ = _endpoint_in_a_vpc(driver)
        ec2 = ctx.client("ec2")
        seen = waits_seen(ctx)
        calls = answering(ec2, "describe_vpc_endpoints", [{"State": "pending"}, {"State": "pending"}])
        driver.create(kind, resource)
        assert len(calls) == 3  # pending, pending, available
        assert "waiting for endpoint.sqs to become available: pending" in seen

        live = driver.read(kind)["endpoint.sqs"]
        seen.clear()
        # AWS keeps describing a deleted endpoint `deleting` for a while, then `deleted`.
        calls = answering(ec2, "describe_vpc_endpoints", [{"State": "deleting"}, {"State": "deleting"}])
        kind.delete(ctx, live)
        assert len(calls) == 3  # deleting, deleting, deleted
        assert "waiting for endpoint.sqs to be deleted: deleting" in seen


def test_a_vpc_endpoint_aws_could_not_build_fails_the_create_with_awss_reason() -> None:
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        resource, _ = _endpoint_in_a_vpc(driver)
        ctx.wait_timeout = 5
        failed = {"State": "failed", "LastError.Message": "The subnet has no free IP addresses."}
        answering(ctx.client("ec2"), "describe_vpc_endpoints", [failed])
        with pytest.raises(WaitFailed) as raised:
            driver.create(VpcEndpoint(), resource)
        assert raised.value.response["Error"]["Code"] == "VpcEndpointFailed"
        assert "is failed: The subnet has no free IP addresses." in str(raised.value)
        assert str(raised.value).startswith("ec2.vpc_endpoint vpce-")  # which endpoint, to find it in the console


def test_a_vpc_endpoint_delete_that_aws_refuses_in_its_answer_fails() -> None:
    """DeleteVpcEndpoints reports a refusal in `Unsuccessful`, not as an error: it must not pass for done."""
    with moto_context() as ctx:
        driver, kind = KindDriver(ctx), VpcEndpoint()
        resource, _ = _endpoint_in_a_vpc(driver)
        driver.create(kind, resource)
        live = driver.read(kind)["endpoint.sqs"]
        refusal = {"Error": {"Code": "OperationNotPermitted", "Message": "endpoint is in use"}}
        ec2 = ctx.client("ec2")
        ec2.delete_vpc_endpoints = lambda **kw: {"Unsuccessful": [{**refusal, "ResourceId": live.physical_id}]}
        ctx.wait_timeout = 5
        with pytest.raises(ClientError) as raised:
            kind.delete(ctx, live)
        assert raised.value.response["Error"]["Code"] == "OperationNotPermitted"
        assert list(driver.read(kind)) == ["endpoint.sqs"]


def test_a_load_balancer_aws_could_not_provision_fails_the_create_with_awss_reason(ctx: Context) -> None:
    driver = KindDriver(ctx)
    network(driver)
    failed = {"State": {"Code": "failed", "Reason": "Not enough IP space available in subnet"}}
    answering(ctx.client("elbv2"), "describe_load_balancers", [failed])
    with pytest.raises(WaitFailed) as raised:
        driver.create(LoadBalancer(), ALB)
    assert raised.value.response["Error"]["Code"] == "LoadBalancerFailed"
    assert "is failed: Not enough IP space available in subnet" in str(raised.value)


def test_an_ecs_cluster_that_ends_failed_fails_the_create(ctx: Context) -> None:
    answering(ctx.client("ecs"), "describe_clusters", [{"status": "PROVISIONING"}, {"status": "FAILED"}])
    with pytest.raises(WaitFailed) as raised:
        KindDriver(ctx).create(EcsCluster(), cluster_resource())
    assert raised.value.response["Error"]["Code"] == "EcsClusterFailed"


def test_an_integration_whose_vpc_link_no_longer_exists_fails_at_once() -> None:
    """Waiting for another kind's resource, not found means gone (not `not visible yet`, as after a create)."""
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        stack(driver)
        driver.outputs["vpc_link"] = {"VpcLinkId": "gone123"}
        ctx.wait_timeout = 3
        started = time.monotonic()
        with pytest.raises(WaitFailed) as raised:
            driver.create(Integration(), integration_resource("order"))
        assert raised.value.response["Error"]["Code"] == "VpcLinkNotFound"
        assert time.monotonic() - started < 2


@pytest.fixture
def ctx() -> Any:
    with moto_context() as context:
        context.wait_timeout = 5  # what is wrong fails within seconds, not in 15 minutes
        yield context
