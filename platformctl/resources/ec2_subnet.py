"""Public and private subnets, one of each per availability zone.

`public_ip_on_launch` is a prop because it is what makes a subnet public for Fargate tasks and is easy to
flip by hand; everything else about a subnet (CIDR, zone, VPC) can only change by replacing it.
"""

from __future__ import annotations

import ipaddress
from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.resources.base import Context
from platformctl.resources.declarative import Field
from platformctl.resources.ec2_base import Ec2Kind, ec2_listing


class Subnet(Ec2Kind):
    kind: ClassVar[str] = "ec2.subnet"
    listing = ec2_listing("describe_subnets", "Subnets")
    tag_type: ClassVar[str] = "subnet"
    id_attr: ClassVar[str] = "SubnetId"
    fields: ClassVar[dict[str, Field]] = {
        "vpc": Field("VpcId"),
        "cidr": Field("CidrBlock"),
        "az": Field("AvailabilityZone"),
        "public_ip_on_launch": Field("MapPublicIpOnLaunch", bool, setter="set_public_ip", initial=False),
    }
    create_call: ClassVar[str] = "create_subnet"
    create_result: ClassVar[str] = "Subnet"
    delete_call: ClassVar[str] = "delete_subnet"
    # ENIs of deleted ALBs, VPC links and tasks linger for minutes and block the delete meanwhile.
    waits_for_blockers: ClassVar[bool] = True
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidSubnetID.NotFound"})
    # A just-created subnet can be briefly invisible to the next call (eventual consistency).
    retry_codes: ClassVar[frozenset[str]] = frozenset({"InvalidSubnetID.NotFound"})

    def conflicts(self, wanted: dict[str, Any], live: dict[str, Any]) -> bool:
        """AWS refuses a subnet whose CIDR overlaps any other subnet's in the same VPC (InvalidSubnet.Conflict)."""
        if not isinstance(wanted.get("vpc"), str) or wanted.get("vpc") != live.get("vpc"):
            return False
        try:
            return ipaddress.ip_network(wanted["cidr"]).overlaps(ipaddress.ip_network(live["cidr"]))
        except (KeyError, TypeError, ValueError):
            return False

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"VpcId": props["vpc"], "CidrBlock": props["cidr"], "AvailabilityZone": props["az"]}

    def set_public_ip(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        value = {"Value": bool(props["public_ip_on_launch"])}
        self.call(ctx, "modify_subnet_attribute", SubnetId=live.physical_id, MapPublicIpOnLaunch=value)
