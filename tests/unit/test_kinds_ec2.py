"""The EC2 network kinds against moto: what `create` makes, `read` gives back exactly as desired.

Each kind is driven the way the engine drives it (Refs resolved from the outputs of earlier creates), and
each test also checks the ownership rule: a look-alike without our tags, or with our tags for another env,
is never read and never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from platformctl.engine.model import Change, Ref, Resource
from platformctl.resources.base import Context, ResourceKind
from platformctl.resources.ec2_eip import ElasticIp
from platformctl.resources.ec2_internet_gateway import InternetGateway
from platformctl.resources.ec2_nat_gateway import NatGateway
from platformctl.resources.ec2_route_table import RouteTable, _routes
from platformctl.resources.ec2_security_group import SecurityGroup
from platformctl.resources.ec2_security_group_rule import SecurityGroupRule
from platformctl.resources.ec2_subnet import Subnet
from platformctl.resources.ec2_vpc import Vpc
from platformctl.resources.waiting import WaitFailed
from tests.unit import kind_harness
from tests.unit.kind_harness import KindDriver, client_error

AZ = "us-east-1a"

ctx = kind_harness.ctx  # the fixture


@pytest.fixture
def driver(ctx: Context) -> KindDriver:
    return KindDriver(ctx)


def res(kind: str, logical_id: str, props: dict[str, Any], layer: str = "platform") -> Resource:
    return Resource(kind=kind, id=logical_id, layer=layer, name=f"shop-dev-{logical_id}", props=props)


VPC = res("ec2.vpc", "vpc", {"cidr": "10.0.0.0/16", "dns_support": True, "dns_hostnames": True})
SUBNET_A = res(
    "ec2.subnet", "public-a", {"vpc": Ref("vpc", "VpcId"), "cidr": "10.0.0.0/24", "az": AZ, "public_ip_on_launch": True}
)
SUBNET_B = res(
    "ec2.subnet",
    "private-a",
    {"vpc": Ref("vpc", "VpcId"), "cidr": "10.0.1.0/24", "az": AZ, "public_ip_on_launch": False},
)
IGW = res("ec2.internet_gateway", "igw", {"vpc": Ref("vpc", "VpcId")})
EIP = res("ec2.eip", "nat-a-eip", {})
NAT = res(
    "ec2.nat_gateway", "nat-a", {"subnet": Ref("public-a", "SubnetId"), "allocation": Ref("nat-a-eip", "AllocationId")}
)
SG = res(
    "ec2.security_group",
    "alb-sg",
    {"vpc": Ref("vpc", "VpcId"), "group_name": "shop-dev-alb", "description": "ALB of shop dev"},
)
SG_TASKS = res(
    "ec2.security_group",
    "tasks-sg",
    {"vpc": Ref("vpc", "VpcId"), "group_name": "shop-dev-tasks", "description": "tasks of shop dev"},
    layer="services",
)


def other_env(ctx: Context) -> Context:
    """Our platform in another env, on the same (moto) account."""
    return Context(aws=ctx.aws, platform=ctx.platform, env="prod", poll_interval=ctx.poll_interval)


def ec2(ctx: Context) -> Any:
    return ctx.client("ec2")


def name_only(name: str, resource_type: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]


def fail_first(times: int, code: str, real: Callable[..., Any], operation: str) -> Callable[..., Any]:
    """A stand-in for a client method that fails `times` times with `code`, then calls the real one."""
    calls = {"n": 0}

    def call(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise client_error(code, operation)
        return real(**kwargs)

    call.calls = calls  # type: ignore[attr-defined]
    return call


def assert_single_matches(driver: KindDriver, kind: ResourceKind, resource: Resource) -> Any:
    found = driver.read(kind)
    assert list(found) == [resource.id]
    live = found[resource.id]
    assert live.kind == kind.kind
    assert live.layer == resource.layer
    assert live.name == resource.name
    assert live.physical_id == driver.outputs[resource.id][kind.id_attr]
    expected = driver.resolved(resource)
    actual = dict(live.props)
    for field in kind.unordered:
        expected[field] = sorted(expected[field], key=repr)
        actual[field] = sorted(actual[field], key=repr)
    assert actual == expected
    return live


def changes_between(live_props: dict[str, Any], props: dict[str, Any]) -> list[Change]:
    return [Change(k, live_props.get(k), v) for k, v in props.items() if live_props.get(k) != v]


def update(driver: KindDriver, kind: ResourceKind, resource: Resource, **new_props: Any) -> Resource:
    """Apply new props the way the engine would: read live, resolve, call update, then re-read."""
    updated = Resource(resource.kind, resource.id, resource.layer, resource.name, {**resource.props, **new_props})
    live = driver.read(kind)[resource.id]
    props = driver.resolved(updated)
    attrs = kind.update(driver.ctx, updated, live, props, changes_between(live.props, props))
    assert attrs[kind.id_attr] == live.physical_id
    assert_single_matches(driver, kind, updated)
    return updated


def delete_and_confirm(driver: KindDriver, kind: ResourceKind, resource: Resource) -> None:
    live = driver.read(kind)[resource.id]
    kind.delete(driver.ctx, live)
    assert driver.read(kind) == {}
    kind.delete(driver.ctx, live)  # already gone: still fine


# ---- lifecycle of each kind --------------------------------------------------------------------------------
def test_vpc_create_read_update_delete(driver: KindDriver) -> None:
    kind = Vpc()
    attrs = driver.create(kind, VPC)
    assert set(attrs) == {"VpcId", "CidrBlock"} and attrs["CidrBlock"] == "10.0.0.0/16"
    live = assert_single_matches(driver, kind, VPC)
    assert live.attrs == attrs
    updated = update(driver, kind, VPC, dns_hostnames=False)
    update(driver, kind, updated, dns_support=False)
    update(driver, kind, VPC, dns_support=True, dns_hostnames=True)
    delete_and_confirm(driver, kind, VPC)


def test_vpc_with_aws_default_dns_settings(driver: KindDriver) -> None:
    plain = res("ec2.vpc", "vpc", {"cidr": "10.9.0.0/16", "dns_support": True, "dns_hostnames": False})
    driver.create(Vpc(), plain)
    assert_single_matches(driver, Vpc(), plain)


def test_subnet_create_read_update_delete(driver: KindDriver) -> None:
    driver.create(Vpc(), VPC)
    kind = Subnet()
    assert set(driver.create(kind, SUBNET_A)) == {"SubnetId"}
    assert_single_matches(driver, kind, SUBNET_A)
    update(driver, kind, SUBNET_A, public_ip_on_launch=False)
    update(driver, kind, SUBNET_A, public_ip_on_launch=True)
    delete_and_confirm(driver, kind, SUBNET_A)


def test_internet_gateway_create_read_move_delete(driver: KindDriver, ctx: Context) -> None:
    driver.create(Vpc(), VPC)
    driver.create(Vpc(), res("ec2.vpc", "vpc2", {"cidr": "10.1.0.0/16", "dns_support": True, "dns_hostnames": False}))
    kind = InternetGateway()
    assert set(driver.create(kind, IGW)) == {"InternetGatewayId"}
    assert_single_matches(driver, kind, IGW)
    update(driver, kind, IGW, vpc=Ref("vpc2", "VpcId"))
    igw_id = driver.outputs["igw"]["InternetGatewayId"]
    attachments = ec2(ctx).describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"][0]["Attachments"]
    assert [a["VpcId"] for a in attachments] == [driver.outputs["vpc2"]["VpcId"]]
    live = driver.read(kind)["igw"]
    kind.delete(ctx, live)
    assert driver.read(kind) == {}
    kind.delete(ctx, live)
    # Detached and gone: the VPC it was attached to can go too.
    vpc2 = driver.read(Vpc())["vpc2"]
    Vpc().delete(ctx, vpc2)
    assert not _vpc_exists(ctx, vpc2.physical_id)


def test_eip_create_read_delete(driver: KindDriver) -> None:
    kind = ElasticIp()
    attrs = driver.create(kind, EIP)
    assert set(attrs) == {"AllocationId", "PublicIp"}
    live = assert_single_matches(driver, kind, EIP)
    assert live.attrs == attrs
    delete_and_confirm(driver, kind, EIP)


def test_nat_gateway_create_read_delete(driver: KindDriver, ctx: Context) -> None:
    driver.create(Vpc(), VPC)
    driver.create(Subnet(), SUBNET_A)
    driver.create(ElasticIp(), EIP)
    kind = NatGateway()
    assert kind.create_before_delete
    assert set(driver.create(kind, NAT)) == {"NatGatewayId"}
    assert_single_matches(driver, kind, NAT)
    delete_and_confirm(driver, kind, NAT)
    nat_id = driver.outputs["nat-a"]["NatGatewayId"]
    state = ec2(ctx).describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]
    assert state == "deleted"  # still described, yet not live


def test_route_table_create_read_update_delete(driver: KindDriver, ctx: Context) -> None:
    driver.create(Vpc(), VPC)
    driver.create(Subnet(), SUBNET_A)
    driver.create(Subnet(), SUBNET_B)
    driver.create(InternetGateway(), IGW)
    driver.create(ElasticIp(), EIP)
    driver.create(NatGateway(), NAT)
    kind = RouteTable()
    table = res(
        "ec2.route_table",
        "public-rt",
        {
            "vpc": Ref("vpc", "VpcId"),
            "routes": [{"destination": "0.0.0.0/0", "target": Ref("igw", "InternetGatewayId")}],
            "subnets": [Ref("public-a", "SubnetId"), Ref("private-a", "SubnetId")],
        },
    )
    assert set(driver.create(kind, table)) == {"RouteTableId"}
    assert_single_matches(driver, kind, table)

    # Replace a route's target, add one, drop a subnet.
    table = update(
        driver,
        kind,
        table,
        routes=[
            {"destination": "0.0.0.0/0", "target": Ref("nat-a", "NatGatewayId")},
            {"destination": "192.168.0.0/16", "target": Ref("igw", "InternetGatewayId")},
        ],
        subnets=[Ref("private-a", "SubnetId")],
    )
    # Drop a route, add a subnet back.
    table = update(
        driver,
        kind,
        table,
        routes=[{"destination": "0.0.0.0/0", "target": Ref("nat-a", "NatGatewayId")}],
        subnets=[Ref("public-a", "SubnetId"), Ref("private-a", "SubnetId")],
    )
    live = driver.read(kind)["public-rt"]
    kind.delete(ctx, live)
    assert driver.read(kind) == {}
    kind.delete(ctx, live)
    # Disassociated: the subnets are free to be deleted.
    for subnet_id in live.props["subnets"]:
        ec2(ctx).delete_subnet(SubnetId=subnet_id)


def test_route_table_moves_a_subnet_held_by_another_table(
    driver: KindDriver, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver.create(Vpc(), VPC)
    driver.create(Subnet(), SUBNET_A)
    vpc_id = driver.outputs["vpc"]["VpcId"]
    subnet_id = driver.outputs["public-a"]["SubnetId"]
    client = ec2(ctx)
    stray = client.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    client.associate_route_table(RouteTableId=stray, SubnetId=subnet_id)
    # Real AWS refuses a second association (moto quietly hands back the stray table's one).
    monkeypatch.setattr(
        client,
        "associate_route_table",
        fail_first(1, "Resource.AlreadyAssociated", client.associate_route_table, "AssociateRouteTable"),
    )
    table = res(
        "ec2.route_table", "rt", {"vpc": Ref("vpc", "VpcId"), "routes": [], "subnets": [Ref("public-a", "SubnetId")]}
    )
    driver.create(RouteTable(), table)
    assert_single_matches(driver, RouteTable(), table)
    stray_table = client.describe_route_tables(RouteTableIds=[stray])["RouteTables"][0]
    assert [a for a in stray_table["Associations"] if a.get("SubnetId")] == []


def test_route_table_reads_blackhole_routes_with_their_target() -> None:
    table = {
        "Routes": [
            {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
            {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0abc", "State": "blackhole"},
            {"DestinationPrefixListId": "pl-123", "GatewayId": "vpce-1", "State": "active"},
        ]
    }
    assert _routes(table) == [{"destination": "0.0.0.0/0", "target": "nat-0abc"}]


def test_security_group_create_read_delete(driver: KindDriver, ctx: Context) -> None:
    driver.create(Vpc(), VPC)
    kind = SecurityGroup()
    attrs = driver.create(kind, SG)
    assert attrs["GroupName"] == "shop-dev-alb" and set(attrs) == {"GroupId", "GroupName"}
    live = assert_single_matches(driver, kind, SG)
    assert live.attrs == attrs
    assert kind.updatable == frozenset()
    egress = ec2(ctx).describe_security_groups(GroupIds=[attrs["GroupId"]])["SecurityGroups"][0]["IpPermissionsEgress"]
    assert egress and egress[0]["IpProtocol"] == "-1"  # the default egress rule stays
    delete_and_confirm(driver, kind, SG)


def test_security_group_rules_create_read_delete(driver: KindDriver, ctx: Context) -> None:
    driver.create(Vpc(), VPC)
    driver.create(SecurityGroup(), SG)
    driver.create(SecurityGroup(), SG_TASKS)
    kind = SecurityGroupRule()
    rules = [
        res(
            "ec2.security_group_rule",
            "alb-https",
            {
                "group": Ref("alb-sg", "GroupId"),
                "protocol": "tcp",
                "from_port": 443,
                "to_port": 443,
                "source": {"cidr": "0.0.0.0/0"},
                "description": "HTTPS from anywhere",
            },
        ),
        res(
            "ec2.security_group_rule",
            "tasks-from-alb",
            {
                "group": Ref("tasks-sg", "GroupId"),
                "protocol": "tcp",
                "from_port": 8000,
                "to_port": 8100,
                "source": {"group": Ref("alb-sg", "GroupId")},
                "description": "app ports from the ALB",
            },
            layer="services",
        ),
        res(
            "ec2.security_group_rule",
            "tasks-from-tasks",
            {
                "group": Ref("tasks-sg", "GroupId"),
                "protocol": "-1",
                "from_port": -1,
                "to_port": -1,
                "source": {"group": Ref("tasks-sg", "GroupId")},
                "description": "",
            },
            layer="services",
        ),
        res(
            "ec2.security_group_rule",
            "dns-udp",
            {
                "group": Ref("tasks-sg", "GroupId"),
                "protocol": "udp",
                "from_port": 53,
                "to_port": 53,
                "source": {"cidr": "10.0.0.0/16"},
                "description": "",
            },
            layer="services",
        ),
    ]
    for rule in rules:
        assert set(driver.create(kind, rule)) == {"SecurityGroupRuleId"}
    found = driver.read(kind)
    assert set(found) == {r.id for r in rules}
    for rule in rules:
        live = found[rule.id]
        assert live.props == driver.resolved(rule), rule.id
        assert live.layer == rule.layer and live.name == rule.name
        assert live.physical_id == driver.outputs[rule.id]["SecurityGroupRuleId"]

    ctx.aws.counter.calls.clear()
    driver.read(kind)
    assert ctx.aws.counter.total <= 2

    # Groups and rules read in one pass share one describe_security_groups (the emulator makes the rule kind
    # look at the groups for the descriptions of group-sourced rules).
    ctx.clear_cache()
    ctx.aws.counter.calls.clear()
    assert len(SecurityGroup().read(ctx)) == 2 and len(kind.read(ctx)) == len(rules)
    assert ctx.aws.counter.total == 2, ctx.aws.counter.calls

    for rule in rules:
        kind.delete(ctx, found[rule.id])
    assert driver.read(kind) == {}
    for rule in rules:
        kind.delete(ctx, found[rule.id])
    # Only the default egress rules are left on our groups.
    left = ec2(ctx).describe_security_group_rules()["SecurityGroupRules"]
    assert all(r["IsEgress"] for r in left)


# ---- look-alikes: read never sees them, delete never touches them -----------------------------------------
@dataclass
class Case:
    kind: ResourceKind
    resource: Resource
    needs: list[tuple[ResourceKind, Resource]]
    # Makes the untagged look-alike with the same Name; returns its physical id.
    untagged: Callable[[Context, KindDriver], str]
    # Whether a physical id still exists.
    exists: Callable[[Context, str], bool]
    # Props for the other env's twin where ours would clash (unique names, CIDRs, rules).
    twin_props: dict[str, Any] | None = None


def _vpc_exists(ctx: Context, vpc_id: str) -> bool:
    return bool(ec2(ctx).describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"])


def _subnet_exists(ctx: Context, subnet_id: str) -> bool:
    return bool(ec2(ctx).describe_subnets(Filters=[{"Name": "subnet-id", "Values": [subnet_id]}])["Subnets"])


def _igw_exists(ctx: Context, igw_id: str) -> bool:
    answer = ec2(ctx).describe_internet_gateways(Filters=[{"Name": "internet-gateway-id", "Values": [igw_id]}])
    return bool(answer["InternetGateways"])


def _eip_exists(ctx: Context, allocation_id: str) -> bool:
    answer = ec2(ctx).describe_addresses(Filters=[{"Name": "allocation-id", "Values": [allocation_id]}])
    return bool(answer["Addresses"])


def _nat_exists(ctx: Context, nat_id: str) -> bool:
    gateways = ec2(ctx).describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"]
    return bool(gateways) and gateways[0]["State"] == "available"


def _rt_exists(ctx: Context, rt_id: str) -> bool:
    answer = ec2(ctx).describe_route_tables(Filters=[{"Name": "route-table-id", "Values": [rt_id]}])
    return bool(answer["RouteTables"])


def _sg_exists(ctx: Context, group_id: str) -> bool:
    answer = ec2(ctx).describe_security_groups(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return bool(answer["SecurityGroups"])


def _rule_exists(ctx: Context, rule_id: str) -> bool:
    answer = ec2(ctx).describe_security_group_rules(Filters=[{"Name": "security-group-rule-id", "Values": [rule_id]}])
    return bool(answer["SecurityGroupRules"])


def _untagged_nat(ctx: Context, driver: KindDriver) -> str:
    allocation = ec2(ctx).allocate_address(Domain="vpc")["AllocationId"]
    return ec2(ctx).create_nat_gateway(
        SubnetId=driver.outputs["public-a"]["SubnetId"],
        AllocationId=allocation,
        TagSpecifications=name_only(NAT.name, "natgateway"),
    )["NatGateway"]["NatGatewayId"]


RULE = res(
    "ec2.security_group_rule",
    "alb-http",
    {
        "group": Ref("alb-sg", "GroupId"),
        "protocol": "tcp",
        "from_port": 80,
        "to_port": 80,
        "source": {"cidr": "0.0.0.0/0"},
        "description": "HTTP",
    },
)

CASES = {
    "vpc": Case(
        Vpc(),
        VPC,
        [],
        lambda ctx, d: ec2(ctx).create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=name_only(VPC.name, "vpc"))[
            "Vpc"
        ]["VpcId"],
        _vpc_exists,
    ),
    "subnet": Case(
        Subnet(),
        SUBNET_A,
        [(Vpc(), VPC)],
        lambda ctx, d: ec2(ctx).create_subnet(
            VpcId=d.outputs["vpc"]["VpcId"],
            CidrBlock="10.0.200.0/24",
            AvailabilityZone=AZ,
            TagSpecifications=name_only(SUBNET_A.name, "subnet"),
        )["Subnet"]["SubnetId"],
        _subnet_exists,
        twin_props={"cidr": "10.0.100.0/24"},
    ),
    "internet_gateway": Case(
        InternetGateway(),
        IGW,
        [(Vpc(), VPC)],
        lambda ctx, d: ec2(ctx).create_internet_gateway(TagSpecifications=name_only(IGW.name, "internet-gateway"))[
            "InternetGateway"
        ]["InternetGatewayId"],
        _igw_exists,
        twin_props={"vpc": None},
    ),
    "eip": Case(
        ElasticIp(),
        EIP,
        [],
        lambda ctx, d: ec2(ctx).allocate_address(Domain="vpc", TagSpecifications=name_only(EIP.name, "elastic-ip"))[
            "AllocationId"
        ],
        _eip_exists,
    ),
    "nat_gateway": Case(
        NatGateway(),
        NAT,
        [(Vpc(), VPC), (Subnet(), SUBNET_A), (ElasticIp(), EIP)],
        _untagged_nat,
        _nat_exists,
        twin_props={"allocation": Ref("twin-eip", "AllocationId")},
    ),
    "route_table": Case(
        RouteTable(),
        res("ec2.route_table", "rt", {"vpc": Ref("vpc", "VpcId"), "routes": [], "subnets": []}),
        [(Vpc(), VPC)],
        lambda ctx, d: ec2(ctx).create_route_table(
            VpcId=d.outputs["vpc"]["VpcId"], TagSpecifications=name_only("shop-dev-rt", "route-table")
        )["RouteTable"]["RouteTableId"],
        _rt_exists,
    ),
    "security_group": Case(
        SecurityGroup(),
        SG,
        [(Vpc(), VPC)],
        lambda ctx, d: ec2(ctx).create_security_group(
            GroupName="shop-dev-alb-copy",
            Description="ALB of shop dev",
            VpcId=d.outputs["vpc"]["VpcId"],
            TagSpecifications=name_only(SG.name, "security-group"),
        )["GroupId"],
        _sg_exists,
        twin_props={"group_name": "shop-prod-alb"},
    ),
    "security_group_rule": Case(
        SecurityGroupRule(),
        RULE,
        [(Vpc(), VPC), (SecurityGroup(), SG)],
        lambda ctx, d: ec2(ctx).authorize_security_group_ingress(
            GroupId=d.outputs["alb-sg"]["GroupId"],
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
            TagSpecifications=name_only(RULE.name, "security-group-rule"),
        )["SecurityGroupRules"][0]["SecurityGroupRuleId"],
        _rule_exists,
        twin_props={"from_port": 8080, "to_port": 8080},
    ),
}


@pytest.mark.parametrize("case_name", sorted(CASES))
def test_look_alikes_are_invisible_and_untouched(case_name: str, ctx: Context, driver: KindDriver) -> None:
    case = CASES[case_name]
    for kind, needed in case.needs:
        driver.create(kind, needed)
    driver.create(case.kind, case.resource)

    untagged_id = case.untagged(ctx, driver)
    twin_driver = KindDriver(other_env(ctx))
    twin_driver.outputs = dict(driver.outputs)
    if case_name == "nat_gateway":
        twin_driver.create(ElasticIp(), res("ec2.eip", "twin-eip", {}))
    twin = Resource(
        case.resource.kind,
        case.resource.id,
        case.resource.layer,
        case.resource.name,
        {**case.resource.props, **(case.twin_props or {})},
    )
    twin_id = twin_driver.create(case.kind, twin)[case.kind.id_attr]

    live = assert_single_matches(driver, case.kind, case.resource)
    assert list(twin_driver.read(case.kind)) == [case.resource.id]  # the other env sees only its own

    case.kind.delete(ctx, live)
    assert driver.read(case.kind) == {}
    assert case.exists(ctx, untagged_id)
    assert case.exists(ctx, twin_id)
    assert list(twin_driver.read(case.kind)) == [case.resource.id]


# ---- call counts ------------------------------------------------------------------------------------------
def test_reads_cost_one_describe_per_kind(ctx: Context, driver: KindDriver) -> None:
    driver.create(Vpc(), VPC)
    driver.create(Subnet(), SUBNET_A)
    driver.create(Subnet(), SUBNET_B)
    driver.create(InternetGateway(), IGW)
    driver.create(ElasticIp(), EIP)
    driver.create(NatGateway(), NAT)
    driver.create(SecurityGroup(), SG)
    for n in range(3):
        driver.create(
            RouteTable(),
            res(
                "ec2.route_table",
                f"rt-{n}",
                {
                    "vpc": Ref("vpc", "VpcId"),
                    "routes": [{"destination": "0.0.0.0/0", "target": Ref("igw", "InternetGatewayId")}],
                    "subnets": [],
                },
            ),
        )
    budgets: list[tuple[ResourceKind, int, int]] = [
        (Vpc(), 1, 3),  # describe_vpcs + two describe_vpc_attribute
        (Subnet(), 2, 1),
        (InternetGateway(), 1, 1),
        (ElasticIp(), 1, 1),
        (NatGateway(), 1, 1),
        (RouteTable(), 3, 2),
        (SecurityGroup(), 1, 1),
        (SecurityGroupRule(), 0, 2),
    ]
    for kind, count, budget in budgets:
        ctx.aws.counter.calls.clear()
        assert len(driver.read(kind)) == count
        assert ctx.aws.counter.total <= budget, (kind.kind, ctx.aws.counter.calls)
        assert ctx.aws.counter.writes == 0


# ---- real-AWS behaviours moto does not show ----------------------------------------------------------------
def test_delete_retries_while_enis_drain(ctx: Context, driver: KindDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    driver.create(Vpc(), VPC)
    driver.create(Subnet(), SUBNET_A)
    driver.create(SecurityGroup(), SG)
    client = ec2(ctx)
    for method, kind, resource in [
        ("delete_subnet", Subnet(), SUBNET_A),
        ("delete_security_group", SecurityGroup(), SG),
        ("delete_vpc", Vpc(), VPC),
    ]:
        flaky = fail_first(2, "DependencyViolation", getattr(client, method), method)
        monkeypatch.setattr(client, method, flaky)
        kind.delete(ctx, driver.read(kind)[resource.id])
        assert flaky.calls["n"] == 3
        assert driver.read(kind) == {}


def test_eip_release_retries_while_in_use(ctx: Context, driver: KindDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    driver.create(ElasticIp(), EIP)
    client = ec2(ctx)
    flaky = fail_first(2, "InvalidIPAddress.InUse", client.release_address, "ReleaseAddress")
    monkeypatch.setattr(client, "release_address", flaky)
    ElasticIp().delete(ctx, driver.read(ElasticIp())[EIP.id])
    assert flaky.calls["n"] == 3
    assert driver.read(ElasticIp()) == {}


def test_nat_gateway_create_waits_for_available(
    ctx: Context, driver: KindDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver.create(Vpc(), VPC)
    driver.create(Subnet(), SUBNET_A)
    driver.create(ElasticIp(), EIP)
    client = ec2(ctx)
    real = client.describe_nat_gateways
    polls = {"n": 0}

    def pending_twice(**kwargs: Any) -> Any:
        polls["n"] += 1
        answer = real(**kwargs)
        if "NatGatewayIds" in kwargs and polls["n"] <= 2:
            for nat in answer["NatGateways"]:
                nat["State"] = "pending"
        return answer

    monkeypatch.setattr(client, "describe_nat_gateways", pending_twice)
    driver.create(NatGateway(), NAT)
    assert polls["n"] == 3


def test_nat_gateway_failure_is_reported_with_its_reason(
    ctx: Context, driver: KindDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver.create(Vpc(), VPC)
    driver.create(Subnet(), SUBNET_A)
    driver.create(ElasticIp(), EIP)
    client = ec2(ctx)
    real = client.describe_nat_gateways

    def failed(**kwargs: Any) -> Any:
        answer = real(**kwargs)
        for nat in answer["NatGateways"]:
            nat.update(State="failed", FailureCode="InsufficientFreeAddressesInSubnet", FailureMessage="subnet full")
        return answer

    monkeypatch.setattr(client, "describe_nat_gateways", failed)
    with pytest.raises(WaitFailed) as raised:
        driver.create(NatGateway(), NAT)
    assert raised.value.response["Error"]["Code"] == "InsufficientFreeAddressesInSubnet"
    assert "subnet full" in str(raised.value)
    assert NatGateway().read(ctx) == []  # a failed gateway is not live


def test_nat_gateway_delete_waits_until_deleted(
    ctx: Context, driver: KindDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver.create(Vpc(), VPC)
    driver.create(Subnet(), SUBNET_A)
    driver.create(ElasticIp(), EIP)
    driver.create(NatGateway(), NAT)
    live = driver.read(NatGateway())[NAT.id]
    client = ec2(ctx)
    real = client.describe_nat_gateways
    polls = {"n": 0}

    def deleting_twice(**kwargs: Any) -> Any:
        polls["n"] += 1
        answer = real(**kwargs)
        if polls["n"] <= 2:
            for nat in answer["NatGateways"]:
                nat["State"] = "deleting"
        return answer

    monkeypatch.setattr(client, "describe_nat_gateways", deleting_twice)
    NatGateway().delete(ctx, live)
    assert polls["n"] == 3
