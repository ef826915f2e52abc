"""The environment's application load balancer, in front of the ECS services.

describe_load_balancers carries no tags. They come from the shared tag index (`tag_index`, one Tagging API
read per pass); what the index does not know yet (just created: it lags) or does not cover is asked of
ELBv2's describe_tags, 20 ARNs a call (`elbv2_tags`, shared by every ELBv2 kind). The list of our load
balancers with their tags is fetched once per read pass and shared with the listener kind, which finds
its listeners under them.

Creating returns a load balancer that is `provisioning` for minutes (~3): create waits until it is `active`,
as Terraform does, so what routes through it (listeners' rules, ECS services, the VPC link's integrations)
meets a working one. Deleting returns at once while AWS tears the load balancer down; delete waits until
describe no longer knows it, because its network interfaces hold the subnets and security groups deleted
right after. Both are its `settles` declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource
from platformctl.resources import tag_index
from platformctl.resources.base import Context, tag_dict
from platformctl.resources.declarative import DeclarativeKind, Field, Listing, Owned
from platformctl.resources.settling import Settling

TAGS_BATCH = 20
_NOT_FOUND = "LoadBalancerNotFound"
# A just-created subnet or security group can be briefly invisible to ELB (eventual consistency).
_FRESH_NOT_FOUND = frozenset({"SubnetNotFound", "InvalidSecurityGroup"})


class Elbv2Kind(DeclarativeKind):
    """What every ELBv2 kind shares: tags from the shared index, else describe_tags 20 ARNs a call."""

    # Typed as the base declares it, so the listener and listener rule kinds may declare none (`()`).
    shared_reads: ClassVar[tuple[Callable[[Context], Any], ...]] = (tag_index.indexed_tags,)
    service: ClassVar[str] = "elbv2"
    tagging: ClassVar[str | None] = "elbv2"
    tags_from: ClassVar[str] = "index"
    tags_from_index: ClassVar[bool] = True

    def fetch_tags(self, ctx: Context, arns: list[str]) -> dict[str, dict[str, str]]:
        return describe_tags(ctx, arns)


def our_load_balancers(ctx: Context) -> list[Owned]:
    """Our application load balancers, fetched once per read pass for the ALB and listener kinds."""
    return LoadBalancer().owned(ctx)


def elbv2_tags(ctx: Context, arns: list[str]) -> dict[str, dict[str, str]]:
    """Tags of listed ELBv2 resources by ARN: the tag index's where it knows them, else describe_tags.

    Existence is the caller's listing; an ARN missing from the result vanished before its tags were asked.
    """
    return tag_index.tags_for_arns_batched(ctx, arns, lambda unknown: describe_tags(ctx, unknown))


def describe_tags(ctx: Context, arns: list[str]) -> dict[str, dict[str, str]]:
    """Tags of ELBv2 resources by ARN, 20 ARNs a call (the API's limit)."""
    result: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), TAGS_BATCH):
        batch = arns[start : start + TAGS_BATCH]
        for description in _tag_descriptions(ctx, batch):
            result[description["ResourceArn"]] = tag_dict(description.get("Tags"))
    return result


def _tag_descriptions(ctx: Context, arns: list[str]) -> list[dict[str, Any]]:
    """describe_tags fails the whole batch if one resource vanished since listing; then ask one by one."""
    elbv2 = ctx.client("elbv2")
    try:
        return elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"]
    except Exception as exc:
        if error_code(exc) not in {_NOT_FOUND, "ListenerNotFound", "TargetGroupNotFound", "RuleNotFound"}:
            raise
        if len(arns) == 1:
            return []
    descriptions: list[dict[str, Any]] = []
    for arn in arns:
        descriptions.extend(_tag_descriptions(ctx, [arn]))
    return descriptions


def _sorted(key: str) -> Any:
    return lambda lb: sorted(lb.get(key) or [])


class LoadBalancer(Elbv2Kind):
    kind: ClassVar[str] = "elbv2.load_balancer"
    listing = Listing(
        "describe_load_balancers", "LoadBalancers", keep=lambda ctx, lb: lb.get("Type", "application") == "application"
    )
    id_attr: ClassVar[str] = "LoadBalancerArn"
    name_source: ClassVar[str | None] = "LoadBalancerName"
    attrs: ClassVar[dict[str, str]] = {
        "LoadBalancerArn": "LoadBalancerArn",
        "DNSName": "DNSName",
        "CanonicalHostedZoneId": "CanonicalHostedZoneId",
    }
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("LoadBalancerName"),
        "scheme": Field("Scheme"),
        "subnets": Field(
            lambda lb: sorted(az["SubnetId"] for az in lb.get("AvailabilityZones", []) if az.get("SubnetId")),
            setter="set_subnets",
        ),
        "security_groups": Field(_sorted("SecurityGroups"), setter="set_security_groups"),
    }
    unordered: ClassVar[frozenset[str]] = frozenset({"subnets", "security_groups"})
    create_call: ClassVar[str] = "create_load_balancer"
    create_result: ClassVar[str] = "LoadBalancers.0"
    delete_call: ClassVar[str] = "delete_load_balancer"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({_NOT_FOUND})
    retry_codes: ClassVar[frozenset[str]] = _FRESH_NOT_FOUND
    settles = Settling(
        by_ids="LoadBalancerArns", state="State.Code", ready="active", failed={"failed"}, reason="State.Reason"
    )

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "Name": props["name"],
            "Subnets": list(props["subnets"]),
            "SecurityGroups": list(props["security_groups"]),
            "Scheme": props["scheme"],
            "Type": "application",
            "IpAddressType": "ipv4",
        }

    def set_subnets(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        self.call(ctx, "set_subnets", LoadBalancerArn=live.physical_id, Subnets=list(props["subnets"]))

    def set_security_groups(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        groups = list(props["security_groups"])
        self.call(ctx, "set_security_groups", LoadBalancerArn=live.physical_id, SecurityGroups=groups)
