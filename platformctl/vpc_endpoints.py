"""Which AWS services a platform without NAT reaches through VPC endpoints, and what the region calls them.

With `network.nat: none` the private subnets have no way to the internet, yet every Fargate task needs AWS
services to start and run: ECR to pull its image (`ecr.api` for the token and manifests, `ecr.dkr` for the
registry, and S3, where ECR keeps the layers), CloudWatch Logs for awslogs, SSM and Secrets Manager for its
secrets, and SNS, SQS and EventBridge for the platform's messaging. Each gets an endpoint in the VPC: S3 a
gateway endpoint (free, a route on the private route tables), the others interface endpoints (network
interfaces in the private subnets, private DNS on, so the SDKs' usual host names resolve to them).

Fargate tasks (platform version 1.4.0 and later) reach ECS's control plane through the task's own agent and
need no `ecs`, `ecs-agent` or `ecs-telemetry` endpoint; those are for EC2 container instances. Sources:
Amazon ECR User Guide, "Amazon ECR interface VPC endpoints (AWS PrivateLink)" (ecr.api, ecr.dkr, the S3
gateway endpoint); Amazon ECS Developer Guide, "Amazon ECS interface VPC endpoints (AWS PrivateLink)" and
"Fargate task networking"; AWS PrivateLink Guide, "AWS services that integrate with AWS PrivateLink".

The service names are read from the region (`DescribeVpcEndpointServices`), not spelled here: most are
`com.amazonaws.<region>.<service>`, but some regions and partitions name some differently (China's
`cn.com.amazonaws.<region>.<service>`), and a region may not offer one at all, or only in some zones. A
service the region does not offer is an error at `network.nat` before anything is written. `validate`
makes no AWS call and uses `com.amazonaws.<region>.<service>`.

Tracing (`tracing: xray`) would add `xray`, but its collector is pulled from ECR Public, which no endpoint
reaches: `nat: none` with tracing is refused at validation (specs/checks.py). Once the collector can come
from private ECR, add "xray" to `needed` for traced platforms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from platformctl.zones import ZoneChoiceError

INTERFACE = "Interface"
GATEWAY = "Gateway"
# What a Fargate task in a subnet without NAT reaches AWS through, in the order they are built.
INTERFACE_SERVICES = ("ecr.api", "ecr.dkr", "logs", "ssm", "secretsmanager", "sns", "sqs", "events")
GATEWAY_SERVICES = ("s3",)
HTTPS = 443


@dataclass(frozen=True)
class EndpointService:
    """A service the region offers endpoints for: its full name, its endpoint type and the zones it is in."""

    short: str  # "ecr.api"
    type: str  # INTERFACE or GATEWAY
    name: str  # "com.amazonaws.eu-west-3.ecr.api"
    zones: tuple[str, ...] | None = None  # None: every zone (not read: validate)


def needed(nat: str) -> list[tuple[str, str]]:
    """(service, endpoint type) of every endpoint the platform needs: none unless it has no NAT."""
    if nat != "none":
        return []
    return [(s, INTERFACE) for s in INTERFACE_SERVICES] + [(s, GATEWAY) for s in GATEWAY_SERVICES]


def assumed(region: str, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], EndpointService]:
    """The services as most regions name them, where no AWS call may be made (validate)."""
    return {(s, t): EndpointService(s, t, f"com.amazonaws.{region}.{s}") for s, t in wanted}


class EndpointServicesMissing(ZoneChoiceError):
    """The region offers no endpoint for a service a platform without NAT needs (located at `network.nat`)."""


def read_endpoint_services(
    aws: Any, region: str, wanted: list[tuple[str, str]]
) -> dict[tuple[str, str], EndpointService]:
    """The region's names for the `wanted` services: DescribeVpcEndpointServices, all pages (one or two calls).

    The whole list is read, not asked by name: AWS answers a ServiceNames entry it does not offer with an
    error, not an empty list, and a name could differ from the usual spelling."""
    if not wanted:
        return {}
    ec2, request, found = aws.client("ec2"), {"MaxResults": 1000}, {}
    while True:
        page = ec2.describe_vpc_endpoint_services(**request)
        for detail in page.get("ServiceDetails") or []:
            name = detail.get("ServiceName", "")
            if not (name.startswith("com.amazonaws.") or name.startswith("cn.com.amazonaws.")):
                continue  # partner and customer services (com.amazonaws.vpce.…) are never what we need
            for short, kind in wanted:
                types = {t.get("ServiceType") for t in detail.get("ServiceType") or []}
                if name.endswith(f".{region}.{short}") and kind in types and (short, kind) not in found:
                    zones = tuple(detail.get("AvailabilityZones") or ())
                    found[(short, kind)] = EndpointService(short, kind, name, zones)
        if not page.get("NextToken"):
            break
        request = {**request, "NextToken": page["NextToken"]}
    missing = [f"{short} ({kind.lower()})" for short, kind in wanted if (short, kind) not in found]
    if missing:
        message = (
            f"nat: none needs VPC endpoints, but {region} offers none for {', '.join(missing)}; "
            "use nat: single (one NAT gateway) in this region"
        )
        raise EndpointServicesMissing([(("network", "nat"), message)])
    return found
