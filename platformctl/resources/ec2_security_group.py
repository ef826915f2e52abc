"""Security groups; their ingress rules are separate resources (ec2.security_group_rule).

Nothing is updatable: AWS can neither rename a group nor change its description, so any difference is a
replacement. The default allow-all egress rule AWS adds is left in place (tasks and ALBs need egress) and is
not part of the props.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources.base import Context, ResourceKind, ec2_tag_spec, tag_dict


class SecurityGroup(ResourceKind):
    kind: ClassVar[str] = "ec2.security_group"
    service: ClassVar[str] = "ec2"
    id_attr: ClassVar[str] = "GroupId"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidGroup.NotFound", "InvalidGroupId.Malformed"})

    def read(self, ctx: Context) -> list[LiveResource]:
        paginator = ctx.client("ec2").get_paginator("describe_security_groups")
        found: list[LiveResource] = []
        for page in paginator.paginate(Filters=ctx.ec2_owner_filters()):
            for group in page["SecurityGroups"]:
                tags = tag_dict(group.get("Tags"))
                group_id = group["GroupId"]
                live = self.live(
                    ctx,
                    tags,
                    name=tags.get("Name") or group_id,
                    physical_id=group_id,
                    props={
                        "vpc": group.get("VpcId"),
                        "group_name": group["GroupName"],
                        "description": group.get("Description", ""),
                    },
                    attrs={"GroupId": group_id, "GroupName": group["GroupName"]},
                )
                if live:
                    found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        tags = {**ctx.tags_for(resource), "Name": resource.name}
        group = ctx.client("ec2").create_security_group(
            GroupName=props["group_name"],
            Description=props["description"],
            VpcId=props["vpc"],
            TagSpecifications=ec2_tag_spec("security-group", tags),
        )
        return {"GroupId": group["GroupId"], "GroupName": props["group_name"]}

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ec2 = ctx.client("ec2")
        # ENIs of deleted ALBs and tasks keep the group in use for minutes after they are gone.
        ctx.retry_on(
            {"DependencyViolation"},
            lambda: self.ignore_missing(lambda: ec2.delete_security_group(GroupId=live.physical_id)),
        )
