"""The environment's application load balancer, in front of the ECS services.

describe_load_balancers carries no tags. They come from the shared tag index (`tag_index`, one Tagging API
read per pass); what the index does not know yet (just created: it lags) or does not cover is asked of
ELBv2's describe_tags, 20 ARNs a call (`elbv2_tags`, shared by every ELBv2 kind). The list of our load
balancers with their tags is fetched once per read pass and shared with the listener kind, which finds
its listeners under them.

Deleting returns at once while AWS tears the load balancer down; delete waits until describe no longer
knows it, because its network interfaces hold the subnets and security groups deleted right after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list

TAGS_BATCH = 20
_NOT_FOUND = "LoadBalancerNotFound"
# A just-created subnet or security group can be briefly invisible to ELB (eventual consistency).
_FRESH_NOT_FOUND = {"SubnetNotFound", "InvalidSecurityGroup"}


@dataclass(frozen=True)
class OwnedLoadBalancer:
    """An application load balancer carrying our tags for this platform and env."""

    arn: str
    tags: dict[str, str]
    description: dict[str, Any]


def our_load_balancers(ctx: Context) -> list[OwnedLoadBalancer]:
    """Our application load balancers, fetched once per read pass for the ALB and listener kinds."""
    return ctx.cached(("elbv2", "our-load-balancers"), lambda: _fetch_our_load_balancers(ctx))


def _fetch_our_load_balancers(ctx: Context) -> list[OwnedLoadBalancer]:
    elbv2 = ctx.client("elbv2")
    balancers: dict[str, dict[str, Any]] = {}
    for page in elbv2.get_paginator("describe_load_balancers").paginate():
        for lb in page.get("LoadBalancers", []):
            if lb.get("Type", "application") == "application":
                balancers[lb["LoadBalancerArn"]] = lb
    tags = elbv2_tags(ctx, list(balancers))
    owned: list[OwnedLoadBalancer] = []
    for arn, lb in balancers.items():
        lb_tags = tags.get(arn, {})
        if ctx.identity(lb_tags) is not None:
            owned.append(OwnedLoadBalancer(arn, lb_tags, lb))
    return owned


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


def _props(lb: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": lb["LoadBalancerName"],
        "scheme": lb["Scheme"],
        "subnets": sorted(az["SubnetId"] for az in lb.get("AvailabilityZones", []) if az.get("SubnetId")),
        "security_groups": sorted(lb.get("SecurityGroups") or []),
    }


def _attrs(lb: dict[str, Any]) -> dict[str, Any]:
    return {
        "LoadBalancerArn": lb["LoadBalancerArn"],
        "DNSName": lb["DNSName"],
        "CanonicalHostedZoneId": lb["CanonicalHostedZoneId"],
    }


class LoadBalancer(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "elbv2.load_balancer"
    service: ClassVar[str] = "elbv2"
    id_attr: ClassVar[str] = "LoadBalancerArn"
    updatable: ClassVar[frozenset[str]] = frozenset({"subnets", "security_groups"})
    unordered: ClassVar[frozenset[str]] = frozenset({"subnets", "security_groups"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({_NOT_FOUND})

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for lb in our_load_balancers(ctx):
            live = self.live(
                ctx,
                lb.tags,
                name=lb.description["LoadBalancerName"],
                physical_id=lb.arn,
                props=_props(lb.description),
                attrs=_attrs(lb.description),
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        elbv2 = ctx.client("elbv2")
        lb = ctx.retry_on(
            _FRESH_NOT_FOUND,
            lambda: elbv2.create_load_balancer(
                Name=props["name"],
                Subnets=list(props["subnets"]),
                SecurityGroups=list(props["security_groups"]),
                Scheme=props["scheme"],
                Type="application",
                IpAddressType="ipv4",
                Tags=tag_list(ctx.tags_for(resource)),
            )["LoadBalancers"][0],
            timeout=60,
        )
        return _attrs(lb)

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        elbv2 = ctx.client("elbv2")
        arn = live.physical_id
        if sorted(props["subnets"]) != sorted(live.props.get("subnets", [])):
            ctx.retry_on(
                _FRESH_NOT_FOUND,
                lambda: elbv2.set_subnets(LoadBalancerArn=arn, Subnets=list(props["subnets"])),
                timeout=60,
            )
        if sorted(props["security_groups"]) != sorted(live.props.get("security_groups", [])):
            ctx.retry_on(
                _FRESH_NOT_FOUND,
                lambda: elbv2.set_security_groups(LoadBalancerArn=arn, SecurityGroups=list(props["security_groups"])),
                timeout=60,
            )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        elbv2 = ctx.client("elbv2")
        arn = live.physical_id
        self.ignore_missing(lambda: elbv2.delete_load_balancer(LoadBalancerArn=arn))

        def gone() -> bool:
            try:
                elbv2.describe_load_balancers(LoadBalancerArns=[arn])
            except Exception as exc:
                if error_code(exc) == _NOT_FOUND:
                    return True
                raise
            return False

        ctx.wait_until(f"load balancer {live.name} ({live.id}) to be deleted", gone)
