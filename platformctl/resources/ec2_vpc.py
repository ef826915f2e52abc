"""The environment's VPC.

DNS support and hostnames are read back with describe_vpc_attribute because describe_vpcs does not carry
them; with one VPC per environment the two extra calls are cheap, and without them a hand-flipped DNS
setting (which breaks Cloud Map and private endpoints) would never show up as drift.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.resources.base import Context
from platformctl.resources.ec2_base import Ec2Kind

# Prop name → (ModifyVpcAttribute parameter, DescribeVpcAttribute attribute and response key).
_DNS_ATTRIBUTES: dict[str, tuple[str, str, str]] = {
    "dns_support": ("EnableDnsSupport", "enableDnsSupport", "EnableDnsSupport"),
    "dns_hostnames": ("EnableDnsHostnames", "enableDnsHostnames", "EnableDnsHostnames"),
}
# What AWS gives a new VPC; create only calls modify_vpc_attribute for settings that differ.
_DNS_DEFAULTS = {"dns_support": True, "dns_hostnames": False}
# A just-created VPC can be briefly invisible to the next call (eventual consistency).
_FRESH_NOT_FOUND = {"InvalidVpcID.NotFound"}


class Vpc(Ec2Kind):
    kind: ClassVar[str] = "ec2.vpc"
    describe: ClassVar[str] = "describe_vpcs"
    items_key: ClassVar[str] = "Vpcs"
    tag_type: ClassVar[str] = "vpc"
    id_attr: ClassVar[str] = "VpcId"
    updatable: ClassVar[frozenset[str]] = frozenset({"dns_support", "dns_hostnames"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidVpcID.NotFound"})

    def read(self, ctx: Context) -> list[LiveResource]:
        ec2 = ctx.client("ec2")
        found: list[LiveResource] = []
        for vpc, tags in self.owned_items(ctx):
            props: dict[str, Any] = {"cidr": vpc["CidrBlock"]}
            # DNS settings are not in describe_vpcs: one call per attribute (there is one VPC per env).
            for prop, (_, attribute, key) in _DNS_ATTRIBUTES.items():
                answer = ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=attribute)
                props[prop] = bool(answer[key]["Value"])
            found.append(self.to_live(ctx, vpc, tags, props))
        return found

    def attrs_of(self, vpc: dict[str, Any]) -> dict[str, Any]:
        return {"VpcId": vpc["VpcId"], "CidrBlock": vpc["CidrBlock"]}

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        ec2 = ctx.client("ec2")
        vpc = ec2.create_vpc(CidrBlock=props["cidr"], TagSpecifications=self.tag_specifications(ctx, resource))["Vpc"]
        vpc_id = vpc["VpcId"]
        for prop, default in _DNS_DEFAULTS.items():
            if bool(props[prop]) != default:
                self._set(ctx, vpc_id, prop, bool(props[prop]))
        return {"VpcId": vpc_id, "CidrBlock": vpc["CidrBlock"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        # Hostnames need DNS support, so support is switched on before and off after hostnames.
        order = ["dns_support", "dns_hostnames"] if props["dns_support"] else ["dns_hostnames", "dns_support"]
        for prop in order:
            if bool(props[prop]) != live.props.get(prop):
                self._set(ctx, live.physical_id, prop, bool(props[prop]))
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ec2 = ctx.client("ec2")
        ctx.retry_on(
            {"DependencyViolation"},
            lambda: self.ignore_missing(lambda: ec2.delete_vpc(VpcId=live.physical_id)),
        )

    def _set(self, ctx: Context, vpc_id: str, prop: str, value: bool) -> None:
        """AWS takes exactly one attribute per ModifyVpcAttribute call."""
        parameter = _DNS_ATTRIBUTES[prop][0]
        ec2 = ctx.client("ec2")
        ctx.retry_on(
            _FRESH_NOT_FOUND,
            lambda: ec2.modify_vpc_attribute(VpcId=vpc_id, **{parameter: {"Value": value}}),
            timeout=60,
        )
