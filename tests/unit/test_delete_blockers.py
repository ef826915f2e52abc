"""What a VPC, subnet or security group delete waits for, what it refuses at once, and who hears about it.

moto deletes a subnet or a group whatever is still in it; AWS answers DependencyViolation. Each test puts
that AWS rule in front of moto's delete (`refused_while`), and lets moto hold the real blockers (ENIs,
instances, other groups' rules) that the kinds must find and judge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from platformctl.engine.executor import execute
from platformctl.engine.model import Resource
from platformctl.resources.base import Context
from platformctl.resources.ec2_blockers import StillInUse
from platformctl.resources.ec2_security_group import SecurityGroup
from platformctl.resources.ec2_subnet import Subnet
from platformctl.resources.ec2_vpc import Vpc
from tests.unit.kind_harness import KindDriver, moto_context
from tests.unit.test_engine import ENV, FakeCloud, Network, plan_for
from tests.unit.test_kinds_ec2 import SG, SUBNET_A, VPC, client_error, ec2


@pytest.fixture
def ctx() -> Iterator[Context]:
    with moto_context() as context:
        context.wait_timeout = 10  # a delete that waits in vain fails in seconds, not fifteen minutes
        yield context


@pytest.fixture
def driver(ctx: Context) -> KindDriver:
    driver = KindDriver(ctx)
    driver.create(Vpc(), VPC)
    driver.create(Subnet(), SUBNET_A)
    driver.create(SecurityGroup(), SG)
    return driver


def refused_while(
    ctx: Context, monkeypatch: pytest.MonkeyPatch, method: str, in_use: Callable[[], bool]
) -> dict[str, int]:
    """AWS's rule on `method`: DependencyViolation while `in_use()`; the count of refusals, to check waits."""
    client = ec2(ctx)
    real = getattr(client, method)
    refusals = {"n": 0}

    def call(**kwargs: Any) -> Any:
        if in_use():
            refusals["n"] += 1
            raise client_error("DependencyViolation", method)
        return real(**kwargs)

    monkeypatch.setattr(client, method, call)
    return refusals


def interfaces_in(ctx: Context, name: str, value: str) -> list[dict[str, Any]]:
    return ec2(ctx).describe_network_interfaces(Filters=[{"Name": name, "Values": [value]}])["NetworkInterfaces"]


def ecs_task_interface(ctx: Context, subnet_id: str, group_id: str) -> str:
    """An ENI as ECS makes one for a Fargate task: requester-managed, described by its attachment ARN."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    eni_id = ec2(ctx).create_network_interface(
        SubnetId=subnet_id,
        Groups=[group_id],
        Description="arn:aws:ecs:us-east-1:123456789012:attachment/0f5a8c4e-7d1b-4c2a-9e3f-1a2b3c4d5e6f",
    )["NetworkInterface"]["NetworkInterfaceId"]
    ec2_backends[DEFAULT_ACCOUNT_ID][ctx.region].enis[eni_id].requester_managed = True
    return eni_id


def test_a_task_interface_in_a_subnet_is_waited_for_and_the_wait_is_reported(
    ctx: Context, driver: KindDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = driver.read(Subnet())[SUBNET_A.id]
    subnet_id = live.physical_id
    eni_id = ecs_task_interface(ctx, subnet_id, driver.outputs[SG.id]["GroupId"])

    # ECS deletes a stopped task's ENI a while later: here after the subnet delete was refused twice.
    def in_use() -> bool:
        if refusals["n"] == 2:
            ec2(ctx).delete_network_interface(NetworkInterfaceId=eni_id)
        return bool(interfaces_in(ctx, "subnet-id", subnet_id))

    refusals = refused_while(ctx, monkeypatch, "delete_subnet", in_use)
    heard: list[str | None] = []
    with ctx.waits_reported_to(heard.append):
        Subnet().delete(ctx, live)

    assert refusals["n"] == 2  # waited, did not fail at the first refusal
    assert driver.read(Subnet()) == {}
    assert heard[0] == f"waiting for subnet {subnet_id}: 1 network interface of ECS tasks to go"
    assert heard[-1] is None  # and it said when it stopped waiting


def test_an_instance_in_a_subnet_is_named_at_once_and_left_alone(
    ctx: Context, driver: KindDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = driver.read(Subnet())[SUBNET_A.id]
    subnet_id = live.physical_id
    instance = ec2(ctx).run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet_id)
    instance_id = instance["Instances"][0]["InstanceId"]
    [eni] = interfaces_in(ctx, "subnet-id", subnet_id)

    def in_use() -> bool:
        return bool(interfaces_in(ctx, "subnet-id", subnet_id))

    refusals = refused_while(ctx, monkeypatch, "delete_subnet", in_use)

    with pytest.raises(StillInUse) as refused:
        Subnet().delete(ctx, live)

    assert refusals["n"] == 1  # no waiting: only its owner can remove an instance
    message = str(refused.value)
    assert message.startswith(f"subnet {subnet_id} cannot be deleted: network interface {eni['NetworkInterfaceId']}")
    assert f"attached to instance {instance_id}, not created by platformctl) is still in it" in message
    assert message.endswith("delete it or move it out, then run apply or destroy again")
    assert interfaces_in(ctx, "subnet-id", subnet_id)  # untouched
    assert subnet_id in [s["SubnetId"] for s in ec2(ctx).describe_subnets()["Subnets"]]


def test_a_group_referenced_by_someone_elses_group_is_named_at_once(
    ctx: Context, driver: KindDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = driver.read(SecurityGroup())[SG.id]
    ours = live.physical_id
    client = ec2(ctx)
    theirs = client.create_security_group(
        GroupName="bastion", Description="made by hand", VpcId=driver.outputs[VPC.id]["VpcId"]
    )["GroupId"]
    client.authorize_security_group_ingress(
        GroupId=theirs,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": ours}]}],
    )

    def referenced() -> bool:
        rules = client.describe_security_groups(GroupIds=[theirs])["SecurityGroups"][0]["IpPermissions"]
        return any(pair["GroupId"] == ours for rule in rules for pair in rule.get("UserIdGroupPairs", []))

    refusals = refused_while(ctx, monkeypatch, "delete_security_group", referenced)
    with pytest.raises(StillInUse) as refused:
        SecurityGroup().delete(ctx, live)

    assert refusals["n"] == 1
    assert str(refused.value) == (
        f"security group {ours} cannot be deleted: security group {theirs} (bastion, not created by platformctl) "
        "has a rule that references it; remove that rule, then run apply or destroy again"
    )
    assert referenced()  # their rule is theirs: untouched


def test_what_an_operation_waits_for_reaches_the_executors_listener() -> None:
    """Any kind's wait (here a create polling until ready) is reported as a "wait" event, then cleared."""
    cloud = FakeCloud()

    class SlowNetwork(Network):
        def create(self, ctx: Context, resource: Resource, props: dict) -> dict:
            attrs = super().create(ctx, resource, props)
            polls = iter([None, None, "ready"])
            ctx.wait_until(f"network {attrs['Id']} to be ready", lambda: next(polls))
            return attrs

    kinds = {"fake.network": SlowNetwork(cloud)}
    ctx = Context(aws=cloud, platform="shop", env=ENV, poll_interval=0.001)  # type: ignore[arg-type]
    desired = [Resource("fake.network", "net", "platform", "net", {"cidr": "10.0.0.0/16", "label": "a", "zones": []})]
    events: list[tuple[str, str, Any]] = []
    report = execute(
        plan_for(desired, kinds, ctx), kinds, ctx, listener=lambda e, op, detail: events.append((e, op.step.id, detail))
    )

    assert report.ok
    [network_id] = cloud.items
    waits = [(e, step, detail) for e, step, detail in events if e == "wait"]
    assert waits == [("wait", "net", f"waiting for network {network_id} to be ready"), ("wait", "net", None)]
    assert [e for e, _, _ in events] == ["start", "wait", "wait", "finish"]
