"""Security groups; their ingress rules are separate resources (ec2.security_group_rule).

Nothing is updatable: AWS can neither rename a group nor change its description, so any difference is a
replacement. The default allow-all egress rule AWS adds is left in place (tasks and ALBs need egress) and is
not part of the props.

Our groups are listed once per read pass (`our_security_groups`): the rule kind reads their permissions from
the same answer when it needs them, instead of describing the groups a second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources.base import Context
from platformctl.resources.ec2_base import Ec2Kind


def our_security_groups(ctx: Context) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """(group, tags) for each security group we own, listed once per read pass for the group and rule kinds."""
    return ctx.cached(("ec2", "our-security-groups"), lambda: list(Ec2Kind.owned_items(SecurityGroup(), ctx)))


class SecurityGroup(Ec2Kind):
    kind: ClassVar[str] = "ec2.security_group"
    describe: ClassVar[str] = "describe_security_groups"
    items_key: ClassVar[str] = "SecurityGroups"
    tag_type: ClassVar[str] = "security-group"
    id_attr: ClassVar[str] = "GroupId"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidGroup.NotFound", "InvalidGroupId.Malformed"})

    def owned_items(self, ctx: Context) -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
        return iter(our_security_groups(ctx))

    def props_of(self, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "vpc": group.get("VpcId"),
            "group_name": group["GroupName"],
            "description": group.get("Description", ""),
        }

    def attrs_of(self, group: dict[str, Any]) -> dict[str, Any]:
        return {"GroupId": group["GroupId"], "GroupName": group["GroupName"]}

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        group = ctx.client("ec2").create_security_group(
            GroupName=props["group_name"],
            Description=props["description"],
            VpcId=props["vpc"],
            TagSpecifications=self.tag_specifications(ctx, resource),
        )
        return {"GroupId": group["GroupId"], "GroupName": props["group_name"]}

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ec2 = ctx.client("ec2")
        # ENIs of deleted ALBs and tasks keep the group in use for minutes after they are gone.
        ctx.retry_on(
            {"DependencyViolation"},
            lambda: self.ignore_missing(lambda: ec2.delete_security_group(GroupId=live.physical_id)),
        )
