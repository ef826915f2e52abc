"""VPC endpoints: how tasks in private subnets without NAT reach AWS services (see layers/endpoints.py).

Subnets, groups, route tables and private DNS change in place; the VPC, service and type need a new endpoint.
It `settles`: tasks cannot pull before it is available, nor its subnets and group go before it is gone."""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.resources.base import Context
from platformctl.resources.declarative import Field
from platformctl.resources.ec2_base import Ec2Kind, ec2_listing
from platformctl.resources.settling import Settling

_LIVE = ["pendingAcceptance", "pending", "available"]  # DescribeVpcEndpoints' vpc-endpoint-state filter values
_FAILED = {"failed", "rejected", "expired"}
# prop → (ModifyVpcEndpoint's Add…/Remove… suffix, the listed item's key, the id within each entry or None).
_ID_LISTS = {
    "subnets": ("SubnetIds", "SubnetIds", None),
    "security_groups": ("SecurityGroupIds", "Groups", "GroupId"),
    "route_tables": ("RouteTableIds", "RouteTableIds", None),
}


def _private_dns(item: dict[str, Any]) -> bool:  # a gateway endpoint has none, whatever AWS answers
    return (item.get("VpcEndpointType") or "").lower() == "interface" and bool(item.get("PrivateDnsEnabled"))


def _ids(key: str, inner: str | None) -> Field:
    return Field(lambda item: sorted(e[inner] if inner else e for e in item.get(key) or []), setter="modify")


class VpcEndpoint(Ec2Kind):
    kind: ClassVar[str] = "ec2.vpc_endpoint"
    listing = ec2_listing("describe_vpc_endpoints", "VpcEndpoints", {"Name": "vpc-endpoint-state", "Values": _LIVE})
    tag_type: ClassVar[str] = "vpc-endpoint"
    id_attr: ClassVar[str] = "VpcEndpointId"
    fields: ClassVar[dict[str, Field]] = {
        "vpc": Field("VpcId"),
        "service": Field("ServiceName"),
        "type": Field("VpcEndpointType", lambda t: (t or "").capitalize()),  # "Interface" / "Gateway"
        **{prop: _ids(key, inner) for prop, (_, key, inner) in _ID_LISTS.items()},
        "private_dns": Field(_private_dns, setter="modify"),
    }
    unordered: ClassVar[frozenset[str]] = frozenset(_ID_LISTS)
    create_call: ClassVar[str] = "create_vpc_endpoint"
    create_result: ClassVar[str] = "VpcEndpoint"
    delete_call: ClassVar[str] = "delete_vpc_endpoints"
    batch_delete: ClassVar[str | None] = "VpcEndpointIds"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidVpcEndpointId.NotFound"})
    # A just-created VPC, subnet, group or route table can be briefly invisible (eventual consistency).
    retry_codes: ClassVar[frozenset[str]] = frozenset(
        {"InvalidVpcID.NotFound", "InvalidSubnetID.NotFound", "InvalidGroup.NotFound", "InvalidRouteTableID.NotFound"}
    )
    settles = Settling(
        "State", "available", by_ids="VpcEndpointIds", failed=_FAILED, gone={"deleted"}, reason="LastError.Message"
    )

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        request = {"VpcId": props["vpc"], "ServiceName": props["service"], "VpcEndpointType": props["type"]}
        lists = {param: props[prop] for prop, (param, _, _) in _ID_LISTS.items() if props[prop]}
        dns = {"PrivateDnsEnabled": props["private_dns"]} if props["type"] == "Interface" else {}
        return {**request, **lists, **dns}

    def modify(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        request: dict[str, Any] = {"VpcEndpointId": live.physical_id}
        for prop, (param, _, _) in _ID_LISTS.items():  # an empty list is not sent (EC2's query protocol)
            have, want = set(live.props.get(prop) or []), set(props.get(prop) or [])
            request |= {f"Add{param}": sorted(want - have), f"Remove{param}": sorted(have - want)}
        if props["type"] == "Interface" and bool(live.props.get("private_dns")) != props["private_dns"]:
            request["PrivateDnsEnabled"] = props["private_dns"]
        self.call(ctx, "modify_vpc_endpoint", **request)
