"""The internet gateway that gives the public subnets a way out.

Attachment is a prop rather than a separate resource: an environment has one gateway on one VPC, and
modelling it as `vpc` lets a VPC replacement move the gateway instead of recreating it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.resources.base import Context
from platformctl.resources.ec2_base import Ec2Kind

# A gateway reported with these attachment states is on the VPC (AWS says "available" for attached ones).
_ATTACHED = {"available", "attached", "attaching"}
# A just-created gateway or VPC can be briefly invisible to the attach call (eventual consistency).
_FRESH_NOT_FOUND = {"InvalidInternetGatewayID.NotFound", "InvalidVpcID.NotFound"}
# Detaching while public addresses are still mapped in the VPC (NAT gateways draining) is refused for a while.
_STILL_IN_USE = {"DependencyViolation"}


class InternetGateway(Ec2Kind):
    kind: ClassVar[str] = "ec2.internet_gateway"
    describe: ClassVar[str] = "describe_internet_gateways"
    items_key: ClassVar[str] = "InternetGateways"
    tag_type: ClassVar[str] = "internet-gateway"
    id_attr: ClassVar[str] = "InternetGatewayId"
    updatable: ClassVar[frozenset[str]] = frozenset({"vpc"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset(
        {"InvalidInternetGatewayID.NotFound", "Gateway.NotAttached", "InvalidVpcID.NotFound"}
    )

    def props_of(self, igw: dict[str, Any]) -> dict[str, Any]:
        return {"vpc": _attached_vpc(igw)}

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        ec2 = ctx.client("ec2")
        igw = ec2.create_internet_gateway(TagSpecifications=self.tag_specifications(ctx, resource))
        igw_id = igw["InternetGateway"]["InternetGatewayId"]
        if props.get("vpc"):
            self._attach(ctx, igw_id, props["vpc"])
        return {"InternetGatewayId": igw_id}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        old, new = live.props.get("vpc"), props.get("vpc")
        if old != new:
            if old:
                self._detach(ctx, live.physical_id, old)
            if new:
                self._attach(ctx, live.physical_id, new)
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ec2 = ctx.client("ec2")
        if live.props.get("vpc"):
            self._detach(ctx, live.physical_id, live.props["vpc"])
        ctx.retry_on(
            _STILL_IN_USE,
            lambda: self.ignore_missing(lambda: ec2.delete_internet_gateway(InternetGatewayId=live.physical_id)),
        )

    def _attach(self, ctx: Context, igw_id: str, vpc_id: str) -> None:
        ec2 = ctx.client("ec2")
        ctx.retry_on(
            _FRESH_NOT_FOUND,
            lambda: ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id),
            timeout=60,
        )

    def _detach(self, ctx: Context, igw_id: str, vpc_id: str) -> None:
        """Detach, treating 'already detached' or 'gone' as done: a crashed run may have got there first."""
        ec2 = ctx.client("ec2")
        ctx.retry_on(
            _STILL_IN_USE,
            lambda: self.ignore_missing(lambda: ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)),
        )


def _attached_vpc(igw: dict[str, Any]) -> str | None:
    for attachment in igw.get("Attachments") or []:
        if attachment.get("State") in _ATTACHED:
            return attachment.get("VpcId")
    return None
