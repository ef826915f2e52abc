"""The internet gateway that gives the public subnets a way out.

Attachment is a prop rather than a separate resource: an environment has one gateway on one VPC, and
modelling it as `vpc` lets a VPC replacement move the gateway instead of recreating it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.resources.base import Context
from platformctl.resources.declarative import Field
from platformctl.resources.ec2_base import Ec2Kind, ec2_listing

# A gateway reported with these attachment states is on the VPC (AWS says "available" for attached ones).
_ATTACHED = {"available", "attached", "attaching"}


def _attached_vpc(igw: dict[str, Any]) -> str | None:
    for attachment in igw.get("Attachments") or []:
        if attachment.get("State") in _ATTACHED:
            return attachment.get("VpcId")
    return None


class InternetGateway(Ec2Kind):
    kind: ClassVar[str] = "ec2.internet_gateway"
    listing = ec2_listing("describe_internet_gateways", "InternetGateways")
    tag_type: ClassVar[str] = "internet-gateway"
    id_attr: ClassVar[str] = "InternetGatewayId"
    fields: ClassVar[dict[str, Field]] = {"vpc": Field(_attached_vpc, setter="move", initial=None)}
    create_call: ClassVar[str] = "create_internet_gateway"
    create_result: ClassVar[str] = "InternetGateway"
    delete_call: ClassVar[str] = "delete_internet_gateway"
    not_found_codes: ClassVar[frozenset[str]] = frozenset(
        {"InvalidInternetGatewayID.NotFound", "Gateway.NotAttached", "InvalidVpcID.NotFound"}
    )
    # A just-created gateway or VPC can be briefly invisible to the attach call (eventual consistency).
    retry_codes: ClassVar[frozenset[str]] = frozenset({"InvalidInternetGatewayID.NotFound", "InvalidVpcID.NotFound"})
    # Detaching or deleting while public addresses are still mapped in the VPC (NAT gateways draining).
    busy_codes: ClassVar[frozenset[str]] = frozenset({"DependencyViolation"})

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {}

    def move(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        old, new = live.props.get("vpc"), props.get("vpc")
        if old and old != new:
            self._detach(ctx, live.physical_id, old)
        if new and old != new:
            self.call(ctx, "attach_internet_gateway", InternetGatewayId=live.physical_id, VpcId=new)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Needs code: AWS refuses to delete an attached gateway, so it is detached first."""
        if live.props.get("vpc"):
            self._detach(ctx, live.physical_id, live.props["vpc"])
        super().delete(ctx, live)

    def _detach(self, ctx: Context, igw_id: str, vpc_id: str) -> None:
        """Detach, treating 'already detached' or 'gone' as done: a crashed run may have got there first."""
        ec2 = self.client(ctx)
        ctx.retry_on(
            set(self.busy_codes),
            lambda: self.ignore_missing(lambda: ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)),
        )
