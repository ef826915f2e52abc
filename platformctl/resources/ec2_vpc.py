"""The environment's VPC.

DNS support and hostnames are read back with describe_vpc_attribute because describe_vpcs does not carry
them; with one VPC per environment the two extra calls are cheap, and without them a hand-flipped DNS
setting (which breaks Cloud Map and private endpoints) would never show up as drift.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.resources.base import Context
from platformctl.resources.declarative import Field, Owned
from platformctl.resources.ec2_base import Ec2Kind, ec2_listing

# Prop name → (ModifyVpcAttribute parameter, DescribeVpcAttribute attribute and response key).
_DNS_ATTRIBUTES: dict[str, tuple[str, str, str]] = {
    "dns_support": ("EnableDnsSupport", "enableDnsSupport", "EnableDnsSupport"),
    "dns_hostnames": ("EnableDnsHostnames", "enableDnsHostnames", "EnableDnsHostnames"),
}


class Vpc(Ec2Kind):
    kind: ClassVar[str] = "ec2.vpc"
    witness: ClassVar[bool] = True
    listing = ec2_listing("describe_vpcs", "Vpcs")
    tag_type: ClassVar[str] = "vpc"
    id_attr: ClassVar[str] = "VpcId"
    attrs: ClassVar[dict[str, str]] = {"VpcId": "VpcId", "CidrBlock": "CidrBlock"}
    # DNS settings are not in describe_vpcs (see `to_live`); a new VPC has support on, hostnames off.
    fields: ClassVar[dict[str, Field]] = {
        "cidr": Field("CidrBlock"),
        "dns_support": Field(None, setter="set_dns", initial=True),
        "dns_hostnames": Field(None, setter="set_dns", initial=False),
    }
    unreadable: ClassVar[frozenset[str]] = frozenset()  # read by describe_vpc_attribute, below
    create_call: ClassVar[str] = "create_vpc"
    create_result: ClassVar[str] = "Vpc"
    delete_call: ClassVar[str] = "delete_vpc"
    waits_for_blockers: ClassVar[bool] = True
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidVpcID.NotFound"})
    # A just-created VPC can be briefly invisible to the next call (eventual consistency).
    retry_codes: ClassVar[frozenset[str]] = frozenset({"InvalidVpcID.NotFound"})

    def to_live(self, ctx: Context, owned: Owned, props: dict[str, Any] | None = None) -> LiveResource:
        """Needs code: one describe_vpc_attribute per DNS setting (there is one VPC per env)."""
        props = {"cidr": owned.item["CidrBlock"]}
        for prop, (_, attribute, key) in _DNS_ATTRIBUTES.items():
            answer = self.client(ctx).describe_vpc_attribute(VpcId=owned.physical_id, Attribute=attribute)
            props[prop] = bool(answer[key]["Value"])
        return super().to_live(ctx, owned, props)

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"CidrBlock": props["cidr"]}

    def set_dns(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """One attribute per ModifyVpcAttribute call; hostnames need support, so support is switched on
        before and off after hostnames."""
        order = ["dns_support", "dns_hostnames"] if props["dns_support"] else ["dns_hostnames", "dns_support"]
        for prop in order:
            if bool(props[prop]) != live.props.get(prop):
                setting = {_DNS_ATTRIBUTES[prop][0]: {"Value": bool(props[prop])}}
                self.call(ctx, "modify_vpc_attribute", VpcId=live.physical_id, **setting)
