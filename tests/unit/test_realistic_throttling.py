"""Throttling under polling: the realistic emulator refuses API Gateway and ECS DescribeServices calls beyond
their bucket's rate, as AWS does, and a wait that polls through the refusals still ends as it should.

botocore (adaptive retries, `aws.Aws`) retries both refusals, backing off and slowing its own sending rate;
these tests make the buckets tiny so that every wait meets them, and count the refusals to prove it did.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from platformctl import emulator_realistic
from platformctl.resources.apigw_vpc_link import VpcLink
from platformctl.resources.base import Context
from platformctl.resources.ecs_service import EcsService
from tests.unit.kind_harness import KindDriver, realistic_context
from tests.unit.test_kinds_apigw_core import network, vpc_link_resource
from tests.unit.test_kinds_ecs_service import build_world, seed, service_resource

SHORT = 0.5
TINY = {"burst": 2, "per_second": 4}  # two calls at once, then four a second


@pytest.fixture
def ctx() -> Iterator[Context]:
    """Realistic, every behaviour SHORT but the tag index and the account's first cluster (not what these
    tests are about); buckets at AWS's figures until a test makes one TINY."""
    with realistic_context(SHORT, ("namespace_create", "ecs_service_linked_role", "ecs_cluster_create")) as context:
        yield context


def throttled(bucket: str) -> int:
    return emulator_realistic.PROFILE.as_dict()["throttled"].get(bucket, 0)


def test_a_burst_beyond_the_rate_is_refused_with_each_services_throttling_error(ctx: Context) -> None:
    emulator_realistic.configure(throttling={"ecs_describe_services": TINY, "apigateway": TINY})
    no_retries = Config(retries={"mode": "standard", "total_max_attempts": 1})
    session = ctx.aws._session
    ecs = session.client("ecs", config=no_retries)
    apigw = session.client("apigatewayv2", config=no_retries)

    def refusal(call: object) -> tuple[str, int]:
        with pytest.raises(ClientError) as raised:
            for _ in range(5):
                call()  # type: ignore[operator]
        answer = raised.value.response
        return answer["Error"]["Code"], answer["ResponseMetadata"]["HTTPStatusCode"]

    ecs.create_cluster(clusterName="busy")
    assert refusal(lambda: ecs.describe_services(cluster="busy", services=["orders"])) == ("ThrottlingException", 400)
    assert refusal(apigw.get_apis) == ("TooManyRequestsException", 429)
    ecs.list_services(cluster="busy")  # other ECS calls draw from other buckets


def test_a_rollout_wait_polled_through_describe_services_throttling_still_completes(ctx: Context) -> None:
    driver, kind = KindDriver(ctx), EcsService()
    world = build_world(ctx)
    seed(driver, world)
    emulator_realistic.configure(throttling={"ecs_describe_services": TINY})
    driver.create(kind, service_resource(world))
    assert throttled("ecs_describe_services") > 0, "the wait never met throttling: the test proves nothing"
    [live] = driver.read(kind).values()
    assert live.facts["rollout"] == "COMPLETED"


def test_a_vpc_link_wait_polled_through_api_gateway_throttling_still_sees_it_available(ctx: Context) -> None:
    driver = KindDriver(ctx)
    network(driver)
    emulator_realistic.configure(throttling={"apigateway": TINY})
    link_id = driver.create(VpcLink(), vpc_link_resource())["VpcLinkId"]  # PENDING for SHORT seconds
    assert throttled("apigateway") > 0, "the wait never met throttling: the test proves nothing"
    assert ctx.client("apigatewayv2").get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"] == "AVAILABLE"
