"""Security groups; their ingress rules are separate resources (ec2.security_group_rule).

Nothing is updatable: AWS can neither rename a group nor change its description, so any difference is a
replacement. The default allow-all egress rule AWS adds is left in place (tasks and ALBs need egress) and is
not part of the props.

Our groups are listed once per read pass (`owned`, cached): the rule kind reads their permissions from the
same answer when it needs them, instead of describing the groups a second time.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import Resource
from platformctl.resources.base import Context
from platformctl.resources.declarative import Field
from platformctl.resources.ec2_base import Ec2Kind, ec2_listing


class SecurityGroup(Ec2Kind):
    kind: ClassVar[str] = "ec2.security_group"
    listing = ec2_listing("describe_security_groups", "SecurityGroups")
    tag_type: ClassVar[str] = "security-group"
    id_attr: ClassVar[str] = "GroupId"
    attrs: ClassVar[dict[str, str]] = {"GroupId": "GroupId", "GroupName": "GroupName"}
    fields: ClassVar[dict[str, Field]] = {
        "vpc": Field("VpcId"),
        "group_name": Field("GroupName"),
        "description": Field(lambda group: group.get("Description", "")),
    }
    create_call: ClassVar[str] = "create_security_group"
    delete_call: ClassVar[str] = "delete_security_group"
    # ENIs of deleted ALBs and tasks keep the group in use for minutes after they are gone.
    waits_for_blockers: ClassVar[bool] = True
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidGroup.NotFound", "InvalidGroupId.Malformed"})

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"GroupName": props["group_name"], "Description": props["description"], "VpcId": props["vpc"]}

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        return {"GroupId": item["GroupId"], "GroupName": props["group_name"]}  # the answer has only the id
