"""Target groups: where the load balancer sends a service's traffic (Fargate tasks register by IP).

describe_target_groups carries no tags; they come from the shared tag index, or for a group the index does
not know yet from ELBv2's describe_tags, 20 ARNs a call (`elbv2_tags`, shared with the load balancer kind).
Our target groups with their tags are fetched once per read pass (`our_target_groups`) so the listener-rule
and ECS service kinds can find theirs without listing again.

CreateTargetGroup answers with the existing target group when one of the same name and settings exists, so
a hand-made look-alike would silently pass for ours: create checks the name first and refuses one that is
not ours. A target group still referenced by a listener rule or an ECS service is refused deletion
(`ResourceInUse`) until that detaches, which the same apply is usually doing in parallel: delete retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind, tag_list
from platformctl.resources.elbv2_load_balancer import describe_tags, elbv2_tags

NOT_FOUND = "TargetGroupNotFound"
_IN_USE = {"ResourceInUse"}


@dataclass(frozen=True)
class OwnedTargetGroup:
    """A target group carrying our tags for this platform and env."""

    arn: str
    name: str
    logical_id: str
    layer: str
    tags: dict[str, str]
    description: dict[str, Any]


def our_target_groups(ctx: Context) -> list[OwnedTargetGroup]:
    """Our target groups, fetched once per read pass for every kind that needs them."""
    return ctx.cached(("elbv2", "our-target-groups"), lambda: _fetch_our_target_groups(ctx))


def _fetch_our_target_groups(ctx: Context) -> list[OwnedTargetGroup]:
    groups: dict[str, dict[str, Any]] = {}
    for page in ctx.client("elbv2").get_paginator("describe_target_groups").paginate():
        for group in page.get("TargetGroups", []):
            groups[group["TargetGroupArn"]] = group
    tags = elbv2_tags(ctx, list(groups))
    owned: list[OwnedTargetGroup] = []
    for arn, group in groups.items():
        group_tags = tags.get(arn, {})
        identity = ctx.identity(group_tags)
        if identity is not None:
            owned.append(OwnedTargetGroup(arn, group["TargetGroupName"], identity[0], identity[1], group_tags, group))
    return owned


def _props(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": group["TargetGroupName"],
        "vpc": group.get("VpcId"),
        "port": group.get("Port"),
        "protocol": group.get("Protocol"),
        "target_type": group.get("TargetType"),
        "health_path": group.get("HealthCheckPath") or "",
        "matcher": (group.get("Matcher") or {}).get("HttpCode", ""),
    }


def _attrs(group: dict[str, Any]) -> dict[str, Any]:
    return {"TargetGroupArn": group["TargetGroupArn"], "Name": group["TargetGroupName"]}


class TargetGroup(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "elbv2.target_group"
    service: ClassVar[str] = "elbv2"
    id_attr: ClassVar[str] = "TargetGroupArn"
    updatable: ClassVar[frozenset[str]] = frozenset({"health_path", "matcher"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({NOT_FOUND})
    # The services layer puts a hash of port/protocol/target type in the name, so a replacement has a new
    # name and can exist beside the old group while the rule and the service move over.
    create_before_delete: ClassVar[bool] = True

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for group in our_target_groups(ctx):
            live = self.live(
                ctx,
                group.tags,
                name=group.name,
                physical_id=group.arn,
                props=_props(group.description),
                attrs=_attrs(group.description),
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        existing = self._existing(ctx, resource, props["name"])
        if existing is not None:
            return _attrs(existing)  # ours already (a crash after create): nothing to make
        group = ctx.client("elbv2").create_target_group(
            Name=props["name"],
            VpcId=props["vpc"],
            Port=int(props["port"]),
            Protocol=props["protocol"],
            TargetType=props["target_type"],
            HealthCheckPath=props["health_path"],
            Matcher={"HttpCode": props["matcher"]},
            Tags=tag_list(ctx.tags_for(resource)),
        )["TargetGroups"][0]
        return _attrs(group)

    def _existing(self, ctx: Context, resource: Resource, name: str) -> dict[str, Any] | None:
        """The same-named target group if it is this very resource; raises if it is somebody else's."""
        elbv2 = ctx.client("elbv2")
        try:
            groups = elbv2.describe_target_groups(Names=[name])["TargetGroups"]
        except Exception as exc:
            if error_code(exc) == NOT_FOUND:
                return None
            raise
        for group in groups:
            owner = ctx.identity(describe_tags(ctx, [group["TargetGroupArn"]]).get(group["TargetGroupArn"], {}))
            if owner is None or owner[0] != resource.id:
                raise AwsCallError(resource.id, "DuplicateTargetGroupName", f"a target group named {name} is not ours")
            return group
        return None

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        request: dict[str, Any] = {}
        if props["health_path"] != live.props.get("health_path"):
            request["HealthCheckPath"] = props["health_path"]
        if props["matcher"] != live.props.get("matcher"):
            request["Matcher"] = {"HttpCode": props["matcher"]}
        if request:
            ctx.client("elbv2").modify_target_group(TargetGroupArn=live.physical_id, **request)
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        elbv2 = ctx.client("elbv2")
        ctx.retry_on(
            _IN_USE,
            lambda: self.ignore_missing(lambda: elbv2.delete_target_group(TargetGroupArn=live.physical_id)),
        )
