"""Issue 12, item 5: without NAT, the platform layer builds the VPC endpoints tasks need, named as the region
names them, and the `ec2.vpc_endpoint` kind changes what AWS can change in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.engine.model import Ref, Resource
from platformctl.engine.planner import diff_props
from platformctl.layers import BuildContext, desired_resources
from platformctl.resources.ec2_vpc_endpoint import VpcEndpoint
from platformctl.resources.registry import registry
from platformctl.vpc_endpoints import INTERFACE, EndpointServicesMissing, read_endpoint_services
from tests.unit.kind_harness import KindDriver, moto_context
from tests.unit.spec_helpers import edit, load, seed_copy

NEEDED = ["ecr.api", "ecr.dkr", "events", "logs", "s3", "secretsmanager", "sns", "sqs", "ssm"]


def no_nat(tmp_path: Path, nat: str = "none") -> Path:
    specs = seed_copy(tmp_path)
    edit(specs, "platform.yaml", "  dev:        {network: {nat: single}}", f"  dev:        {{network: {{nat: {nat}}}}}")
    for service in ("order", "payment", "user"):
        image = f"image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/{service}:1.0 #"
        edit(specs, f"services/{service}.yaml", "image: public.ecr.aws/nginx/nginx-unprivileged:1.27", image)
    return specs


def test_nat_none_builds_an_endpoint_for_each_service_tasks_call_and_a_group_admitting_https(tmp_path: Path) -> None:
    graph = {r.id: r for r in desired_resources(BuildContext(load(no_nat(tmp_path), "dev")))}
    endpoints = {r.id.removeprefix("endpoint."): r for r in graph.values() if r.kind == "ec2.vpc_endpoint"}
    assert sorted(endpoints) == NEEDED
    assert not [r for r in graph.values() if r.kind == "ec2.nat_gateway"]
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    for short, endpoint in endpoints.items():
        props = endpoint.props
        assert (endpoint.layer, props["service"]) == ("platform", f"com.amazonaws.us-east-1.{short}")
        if short == "s3":  # where ECR keeps image layers: a gateway endpoint, routes on the private tables
            assert (props["type"], props["subnets"], props["private_dns"]) == ("Gateway", [], False)
            assert props["route_tables"] == [Ref(f"rtb.private.{az}", "RouteTableId") for az in zones]
        else:
            assert (props["type"], props["route_tables"], props["private_dns"]) == ("Interface", [], True)
            assert props["subnets"] == [Ref(f"subnet.private.{az}", "SubnetId") for az in zones]
            assert props["security_groups"] == [Ref("sg.endpoints", "GroupId")]
    rule = graph["sg.endpoints.ingress.vpc-https"].props
    assert (rule["from_port"], rule["to_port"], rule["source"]) == (443, 443, {"cidr": "10.0.0.0/16"})
    # Tasks start only once they can pull and log.
    assert {f"endpoint.{s}" for s in NEEDED} <= set(graph["svc.order"].depends_on)


@pytest.mark.parametrize("nat", ["per-az", "single"])
def test_with_nat_there_is_no_endpoint(tmp_path: Path, nat: str) -> None:
    graph = desired_resources(BuildContext(load(no_nat(tmp_path, nat), "dev")))
    assert [r.id for r in graph if r.kind == "ec2.vpc_endpoint" or "endpoints" in r.id] == []


def test_service_names_are_the_regions_and_a_service_it_does_not_offer_is_an_error_at_nat(tmp_path: Path) -> None:
    with moto_context(region="cn-north-1") as ctx:
        found = read_endpoint_services(ctx.aws, "cn-north-1", [("ecr.dkr", INTERFACE), ("s3", "Gateway")])
        assert [(s.name, s.type, s.zones) for s in found.values()] == [
            ("com.amazonaws.cn-north-1.ecr.dkr", "Interface", ("cn-north-1a", "cn-north-1b")),
            ("com.amazonaws.cn-north-1.s3", "Gateway", ("cn-north-1a", "cn-north-1b")),
        ]
        with pytest.raises(EndpointServicesMissing) as refused:
            read_endpoint_services(ctx.aws, "cn-north-1", [("sqs", INTERFACE), ("no-such-service", INTERFACE)])
        ((where, message),) = refused.value.problems
        assert where == ("network", "nat")
        assert "cn-north-1 offers none for no-such-service (interface); use nat: single" in message


def test_the_graph_takes_the_names_and_zones_the_region_gives(tmp_path: Path) -> None:
    specs = load(no_nat(tmp_path), "dev")
    with moto_context() as ctx:
        wanted = [(s, "Gateway" if s == "s3" else INTERFACE) for s in NEEDED]
        offered = read_endpoint_services(ctx.aws, "us-east-1", wanted)
    # A region that offers logs in one zone only: its endpoint goes in that zone's subnet alone.
    logs = offered[("logs", INTERFACE)]
    offered[("logs", INTERFACE)] = type(logs)(logs.short, logs.type, "cn.com.amazonaws.us-east-1.logs", ("us-east-1b",))
    graph = {r.id: r for r in desired_resources(BuildContext(specs, endpoint_services=offered))}
    assert graph["endpoint.logs"].props["service"] == "cn.com.amazonaws.us-east-1.logs"
    assert graph["endpoint.logs"].props["subnets"] == [Ref("subnet.private.us-east-1b", "SubnetId")]


def _endpoint_in_a_vpc(driver: KindDriver) -> tuple[Resource, dict[str, str]]:
    kinds = registry()
    vpc = Resource(
        "ec2.vpc", "vpc", "platform", "shop-dev", {"cidr": "10.0.0.0/16", "dns_support": True, "dns_hostnames": True}
    )
    driver.create(kinds["ec2.vpc"], vpc)
    made = {}
    for n, az in enumerate(["us-east-1a", "us-east-1b"]):
        subnet = Resource(
            "ec2.subnet",
            f"subnet.{az}",
            "platform",
            f"s-{az}",
            {"vpc": Ref("vpc", "VpcId"), "cidr": f"10.0.{n}.0/24", "az": az, "public_ip_on_launch": False},
        )
        made[az] = driver.create(kinds["ec2.subnet"], subnet)["SubnetId"]
    props = {
        "vpc": Ref("vpc", "VpcId"),
        "service": "com.amazonaws.us-east-1.sqs",
        "type": "Interface",
        "subnets": [Ref("subnet.us-east-1a", "SubnetId")],
        "security_groups": [],
        "route_tables": [],
        "private_dns": True,
    }
    return Resource("ec2.vpc_endpoint", "endpoint.sqs", "platform", "shop-dev-sqs", props), made


def test_subnets_change_in_place_and_delete_waits_until_the_endpoint_is_gone() -> None:
    kind = VpcEndpoint()
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        resource, subnets = _endpoint_in_a_vpc(driver)
        driver.create(kind, resource)
        live = driver.read(kind)["endpoint.sqs"]
        assert live.props["subnets"] == [subnets["us-east-1a"]]

        wanted = {**driver.resolved(resource), "subnets": sorted(subnets.values())}
        changes = diff_props(live.props, wanted, kind)
        assert changes and {c.path.split("[")[0] for c in changes} == {"subnets"}
        kind.update(ctx, resource, live, wanted, changes)
        after = driver.read(kind)["endpoint.sqs"]
        assert after.physical_id == live.physical_id and after.props["subnets"] == sorted(subnets.values())

        kind.delete(ctx, after)
        assert driver.read(kind) == {}
        state = ctx.aws.client("ec2").describe_vpc_endpoints(VpcEndpointIds=[after.physical_id])["VpcEndpoints"]
        assert [e["State"].lower() for e in state] in ([], ["deleted"])
        kind.delete(ctx, after)  # again: already gone is fine
