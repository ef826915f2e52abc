"""VPC endpoints: how tasks in private subnets without NAT reach AWS services (see vpc_endpoints.py).

Subnets, security groups, route tables and private DNS change in place (ModifyVpcEndpoint); the VPC, the
service and the type only by replacing the endpoint. AWS builds and deletes endpoints asynchronously
(`pending`, `deleting`): create waits until one is available (tasks would otherwise start before they can
pull), delete until it is gone (its network interfaces keep the subnets and the group in use until then).
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources.base import Context, unless_gone
from platformctl.resources.declarative import Field
from platformctl.resources.ec2_base import Ec2Kind, ec2_listing

_LIVE = ["pendingAcceptance", "pending", "available"]  # DescribeVpcEndpoints' vpc-endpoint-state filter values
_GONE = {"deleted", "failed", "rejected", "expired"}
# prop → (ModifyVpcEndpoint's Add…/Remove… suffix, the listed item's key, the id within each entry or None).
_ID_LISTS = {
    "subnets": ("SubnetIds", "SubnetIds", None),
    "security_groups": ("SecurityGroupIds", "Groups", "GroupId"),
    "route_tables": ("RouteTableIds", "RouteTableIds", None),
}


def _interface(item: dict[str, Any]) -> bool:
    return (item.get("VpcEndpointType") or "").lower() == "interface"


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
        # Only an interface endpoint has private DNS (what a gateway endpoint answers means nothing).
        "private_dns": Field(lambda e: _interface(e) and bool(e.get("PrivateDnsEnabled")), setter="modify"),
    }
    unordered: ClassVar[frozenset[str]] = frozenset(_ID_LISTS)
    create_call: ClassVar[str] = "create_vpc_endpoint"
    create_result: ClassVar[str] = "VpcEndpoint"
    delete_call: ClassVar[str] = "delete_vpc_endpoints"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidVpcEndpointId.NotFound"})
    # A just-created VPC, subnet, group or route table can be briefly invisible (eventual consistency).
    retry_codes: ClassVar[frozenset[str]] = frozenset(
        {"InvalidVpcID.NotFound", "InvalidSubnetID.NotFound", "InvalidGroup.NotFound", "InvalidRouteTableID.NotFound"}
    )

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        request = {"VpcId": props["vpc"], "ServiceName": props["service"], "VpcEndpointType": props["type"]}
        lists = {param: props[prop] for prop, (param, _, _) in _ID_LISTS.items() if props[prop]}
        dns = {"PrivateDnsEnabled": props["private_dns"]} if props["type"] == "Interface" else {}
        return {**request, **lists, **dns}

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """AWS builds an interface endpoint asynchronously: wait until it is available, or say why it is not."""
        endpoint_id = item["VpcEndpointId"]

        def available() -> bool:
            state = self._state(ctx, endpoint_id) or "pending"
            if state in _GONE:
                raise AwsCallError(resource.id, "VpcEndpointFailed", f"VPC endpoint {endpoint_id} is {state}")
            return state == "available"

        ctx.wait_until(f"VPC endpoint {endpoint_id} ({resource.id}) to become available", available)
        return {"VpcEndpointId": endpoint_id}

    def modify(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        request: dict[str, Any] = {"VpcEndpointId": live.physical_id}
        for prop, (param, _, _) in _ID_LISTS.items():
            have, want = set(live.props.get(prop) or []), set(props.get(prop) or [])
            request |= {f"Add{param}": sorted(want - have)} if want - have else {}
            request |= {f"Remove{param}": sorted(have - want)} if have - want else {}
        if props["type"] == "Interface" and bool(live.props.get("private_dns")) != props["private_dns"]:
            request["PrivateDnsEnabled"] = props["private_dns"]
        self.call(ctx, "modify_vpc_endpoint", **request)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Needs code: the plural delete reports a refusal in `Unsuccessful`, and the delete is asynchronous."""
        answer = self.client(ctx).delete_vpc_endpoints(VpcEndpointIds=[live.physical_id])
        for failed in answer.get("Unsuccessful") or []:
            code = (failed.get("Error") or {}).get("Code", "")
            if code not in self.not_found_codes:
                raise AwsCallError(live.id, code, (failed.get("Error") or {}).get("Message", "delete refused"))
        gone = lambda: (self._state(ctx, live.physical_id) or "deleted") in _GONE  # noqa: E731
        ctx.wait_until(f"VPC endpoint {live.physical_id} ({live.id}) to be deleted", gone)

    def _state(self, ctx: Context, endpoint_id: str) -> str | None:
        """The endpoint's state in lower case (AWS answers `available`, some tools `Available`), None if gone."""
        ec2 = self.client(ctx)
        answer = unless_gone(self.not_found_codes, lambda: ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id]))
        endpoints = (answer or {}).get("VpcEndpoints") or []
        return endpoints[0].get("State", "").lower() if endpoints else None
