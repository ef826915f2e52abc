"""NAT gateways, the load balancer, the Cloud Map namespace and the subnets and groups after them, against
in-process moto with the realistic profile on: each waits for what AWS does asynchronously, says so in the
progress display, and fails clearly when AWS says it failed.

Every behaviour lasts SHORT seconds (emulator_realistic.configure); kind_harness polls almost at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto.servicediscovery.models import Operation

from platformctl.engine.model import Ref
from platformctl.errors import AwsCallError
from platformctl.resources.base import Context
from platformctl.resources.ec2_eip import ElasticIp
from platformctl.resources.ec2_nat_gateway import NatGateway
from platformctl.resources.ec2_security_group import SecurityGroup
from platformctl.resources.ec2_subnet import Subnet
from platformctl.resources.ec2_vpc import Vpc
from platformctl.resources.elbv2_load_balancer import LoadBalancer
from platformctl.resources.servicediscovery_namespace import CloudMapNamespace
from tests.unit.kind_harness import KindDriver, realistic_context
from tests.unit.test_kinds_core import namespace_resource
from tests.unit.test_kinds_ec2 import EIP, NAT, SG, SUBNET_A, VPC, res

SHORT = 0.5
SUBNET_B = res(
    "ec2.subnet",
    "public-b",
    {"vpc": Ref("vpc", "VpcId"), "cidr": "10.0.2.0/24", "az": "us-east-1b", "public_ip_on_launch": False},
)
ALB = res(
    "elbv2.load_balancer",
    "alb",
    {
        "name": "shop-dev",
        "scheme": "internal",
        "subnets": [Ref("public-a", "SubnetId"), Ref("public-b", "SubnetId")],
        "security_groups": [Ref("alb-sg", "GroupId")],
    },
)


@pytest.fixture
def ctx() -> Iterator[Context]:
    """Realistic, every behaviour SHORT but the tag index (not what these tests are about)."""
    with realistic_context(SHORT) as context:
        yield context


@pytest.fixture
def driver(ctx: Context) -> KindDriver:
    return KindDriver(ctx)


def waits_seen(ctx: Context) -> list[str]:
    """What the operations on this thread say they wait for (as the executor's listener shows it)."""
    seen: list[str] = []
    ctx._wait_listeners.listener = lambda what: seen.append(what) if what else None
    return seen


def nat_state(ctx: Context, nat_id: str) -> str:
    return ctx.client("ec2").describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]


def network(driver: KindDriver) -> None:
    for kind, resource in ((Vpc(), VPC), (Subnet(), SUBNET_A), (Subnet(), SUBNET_B), (SecurityGroup(), SG)):
        driver.create(kind, resource)


def test_a_nat_gateway_is_created_once_available_and_deleted_once_deleted(ctx: Context, driver: KindDriver) -> None:
    network(driver)
    driver.create(ElasticIp(), EIP)
    seen = waits_seen(ctx)
    nat_id = driver.create(NatGateway(), NAT)["NatGatewayId"]
    assert nat_state(ctx, nat_id) == "available"  # what the routes through it need
    assert "waiting for nat-a to become available: pending" in seen

    seen.clear()
    NatGateway().delete(ctx, driver.read(NatGateway())["nat-a"])
    assert nat_state(ctx, nat_id) == "deleted"  # its address and subnet are free for the next deletes
    assert "waiting for nat-a to be deleted: deleting" in seen
    ElasticIp().delete(ctx, driver.read(ElasticIp())["nat-a-eip"])


def test_the_load_balancer_is_created_once_active(ctx: Context, driver: KindDriver) -> None:
    network(driver)
    seen = waits_seen(ctx)
    arn = driver.create(LoadBalancer(), ALB)["LoadBalancerArn"]
    [balancer] = ctx.client("elbv2").describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    assert balancer["State"]["Code"] == "active"
    assert "waiting for alb to become active: provisioning" in seen


def test_subnets_and_groups_are_deleted_once_the_load_balancers_network_interfaces_are_released(
    ctx: Context, driver: KindDriver
) -> None:
    network(driver)
    driver.create(LoadBalancer(), ALB)
    LoadBalancer().delete(ctx, driver.read(LoadBalancer())["alb"])
    seen = waits_seen(ctx)
    for kind, logical_id in ((Subnet(), "public-a"), (Subnet(), "public-b"), (SecurityGroup(), "alb-sg")):
        kind.delete(ctx, driver.read(kind)[logical_id])
    assert driver.read(Subnet()) == {} and driver.read(SecurityGroup()) == {}
    assert any(text.startswith("waiting for AWS to free subnet subnet-") for text in seen), seen


def test_the_namespace_is_created_once_its_operation_succeeded(ctx: Context, driver: KindDriver) -> None:
    driver.create(Vpc(), VPC)
    seen = waits_seen(ctx)
    namespace_id = driver.create(CloudMapNamespace(), namespace_resource())["NamespaceId"]
    assert ctx.client("servicediscovery").get_namespace(Id=namespace_id)["Namespace"]["Name"] == "dev.shop.local"
    assert any(text.startswith("waiting for namespace to be created: operation ") for text in seen), seen
    assert any(text.endswith(" PENDING") for text in seen), seen


def test_a_failed_namespace_operation_fails_the_step_with_its_error(
    ctx: Context, driver: KindDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cloud Map ends the operation FAIL with an error code and message (moto has no failures: made here)."""
    driver.create(Vpc(), VPC)
    created = Operation.__init__

    def failing(self: Any, operation_type: str, targets: dict[str, str]) -> None:
        created(self, operation_type, targets)
        self.status = "FAIL"  # once the operation's SUBMITTED / PENDING phases are over

    def with_error(self: Any, short: bool = False) -> dict[str, Any]:
        answer = {"Id": self.id, "Status": self.status, "Type": self.operation_type, "Targets": self.targets}
        if self.status == "FAIL":
            answer.update(ErrorCode="CANNOT_CREATE_HOSTED_ZONE", ErrorMessage="The VPC has DNS support disabled.")
        return answer

    monkeypatch.setattr(Operation, "__init__", failing)
    monkeypatch.setattr(Operation, "to_json", with_error)
    with pytest.raises(AwsCallError) as raised:
        driver.create(CloudMapNamespace(), namespace_resource())
    assert raised.value.logical_id == "namespace"
    assert "CANNOT_CREATE_HOSTED_ZONE" in str(raised.value)
    assert "The VPC has DNS support disabled." in str(raised.value)


def _cloud_map_service(ctx: Context, namespace_id: str, name: str, tags: dict[str, str]) -> str:
    sd = ctx.client("servicediscovery")
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
    return sd.create_service(Name=name, NamespaceId=namespace_id, Type="HTTP", Tags=tag_list)["Service"]["Id"]


def test_destroy_deletes_service_connects_leftover_services_then_the_namespace(
    ctx: Context, driver: KindDriver
) -> None:
    driver.create(Vpc(), VPC)
    namespace_id = driver.create(CloudMapNamespace(), namespace_resource())["NamespaceId"]
    # What ECS Service Connect leaves in the namespace for each service that published through it.
    for name in ("orders", "users"):
        _cloud_map_service(ctx, namespace_id, name, {"AmazonECSManaged": "true"})
    ctx.wait_timeout = 5  # without the clean-up the namespace stays in use: fail fast, not in 15 minutes
    CloudMapNamespace().delete(ctx, driver.read(CloudMapNamespace())["namespace"])
    assert driver.read(CloudMapNamespace()) == {}
    assert ctx.client("servicediscovery").list_services()["Services"] == []


def test_destroy_never_deletes_a_cloud_map_service_it_did_not_make_and_says_which(
    ctx: Context, driver: KindDriver
) -> None:
    driver.create(Vpc(), VPC)
    namespace_id = driver.create(CloudMapNamespace(), namespace_resource())["NamespaceId"]
    _cloud_map_service(ctx, namespace_id, "orders", {"AmazonECSManaged": "true"})
    by_hand = _cloud_map_service(ctx, namespace_id, "legacy-billing", {"team": "billing"})
    with pytest.raises(AwsCallError) as raised:
        CloudMapNamespace().delete(ctx, driver.read(CloudMapNamespace())["namespace"])
    assert "legacy-billing" in str(raised.value)
    assert ctx.client("servicediscovery").get_service(Id=by_hand)["Service"]["Name"] == "legacy-billing"
    assert list(driver.read(CloudMapNamespace())) == ["namespace"]
