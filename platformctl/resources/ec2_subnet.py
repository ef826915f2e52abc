"""Public and private subnets, one of each per availability zone.

`public_ip_on_launch` is a prop because it is what makes a subnet public for Fargate tasks and is easy to
flip by hand; everything else about a subnet (CIDR, zone, VPC) can only change by replacing it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.resources.base import Context
from platformctl.resources.ec2_base import Ec2Kind

# A just-created subnet can be briefly invisible to the next call (eventual consistency).
_FRESH_NOT_FOUND = {"InvalidSubnetID.NotFound"}


class Subnet(Ec2Kind):
    kind: ClassVar[str] = "ec2.subnet"
    describe: ClassVar[str] = "describe_subnets"
    items_key: ClassVar[str] = "Subnets"
    tag_type: ClassVar[str] = "subnet"
    id_attr: ClassVar[str] = "SubnetId"
    updatable: ClassVar[frozenset[str]] = frozenset({"public_ip_on_launch"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidSubnetID.NotFound"})

    def props_of(self, subnet: dict[str, Any]) -> dict[str, Any]:
        return {
            "vpc": subnet["VpcId"],
            "cidr": subnet["CidrBlock"],
            "az": subnet["AvailabilityZone"],
            "public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch", False)),
        }

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        ec2 = ctx.client("ec2")
        subnet = ec2.create_subnet(
            VpcId=props["vpc"],
            CidrBlock=props["cidr"],
            AvailabilityZone=props["az"],
            TagSpecifications=self.tag_specifications(ctx, resource),
        )["Subnet"]
        subnet_id = subnet["SubnetId"]
        if bool(props["public_ip_on_launch"]) != bool(subnet.get("MapPublicIpOnLaunch", False)):
            self._set_public_ip(ctx, subnet_id, bool(props["public_ip_on_launch"]))
        return {"SubnetId": subnet_id}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        if bool(props["public_ip_on_launch"]) != live.props.get("public_ip_on_launch"):
            self._set_public_ip(ctx, live.physical_id, bool(props["public_ip_on_launch"]))
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ec2 = ctx.client("ec2")
        # ENIs of deleted ALBs, VPC links and tasks linger for minutes and block the delete meanwhile.
        ctx.retry_on(
            {"DependencyViolation"},
            lambda: self.ignore_missing(lambda: ec2.delete_subnet(SubnetId=live.physical_id)),
        )

    def _set_public_ip(self, ctx: Context, subnet_id: str, value: bool) -> None:
        ec2 = ctx.client("ec2")
        ctx.retry_on(
            _FRESH_NOT_FOUND,
            lambda: ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": value}),
            timeout=60,
        )
