"""The platform layer's VPC endpoints: with `network.nat: none`, how tasks reach AWS (platformctl/vpc_endpoints.py).

Interface endpoints sit in the private subnets (those in zones where the region offers the service) behind
one security group that admits HTTPS from the VPC's CIDR: every task, whatever its service, and no group
rule to change when a service is added. The S3 gateway endpoint is a route on each private route table.
"""

from __future__ import annotations

from platformctl.engine.model import Ref, Resource
from platformctl.layers.context import BuildContext
from platformctl.vpc_endpoints import HTTPS, INTERFACE

GROUP_ID = "sg.endpoints"


def build(ctx: BuildContext, layer: str, vpc: Ref) -> list[Resource]:
    endpoints = ctx.vpc_endpoints
    if not endpoints:
        return []
    zones = ctx.zones
    out = [
        Resource(
            "ec2.security_group",
            GROUP_ID,
            layer,
            f"{ctx.prefix}-endpoints",
            {
                "vpc": vpc,
                "group_name": f"{ctx.prefix}-endpoints",
                "description": f"{ctx.prefix} VPC endpoints: HTTPS from inside the VPC",
            },
        ),
        Resource(
            "ec2.security_group_rule",
            f"{GROUP_ID}.ingress.vpc-https",
            layer,
            f"{GROUP_ID} <- vpc-https",
            {
                "group": Ref(GROUP_ID, "GroupId"),
                "protocol": "tcp",
                "from_port": HTTPS,
                "to_port": HTTPS,
                "source": {"cidr": ctx.specs.platform.network.cidr},
                "description": "HTTPS from inside the VPC to AWS services",
            },
        ),
    ]
    for endpoint in endpoints:
        interface = endpoint.type == INTERFACE
        in_zones = [az for az in zones if endpoint.zones is None or az in endpoint.zones]
        props = {
            "vpc": vpc,
            "service": endpoint.name,
            "type": endpoint.type,
            "subnets": [Ref(f"subnet.private.{az}", "SubnetId") for az in in_zones] if interface else [],
            "security_groups": [Ref(GROUP_ID, "GroupId")] if interface else [],
            "route_tables": [] if interface else [Ref(f"rtb.private.{az}", "RouteTableId") for az in zones],
            "private_dns": interface,
        }
        name = f"{ctx.prefix}-{endpoint.short}"
        out.append(Resource("ec2.vpc_endpoint", f"endpoint.{endpoint.short}", layer, name, props))
    return out
