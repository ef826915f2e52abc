"""CloudWatch log groups for the services' containers and the API's access logs.

describe_log_groups carries no tags, so the listing says which groups exist and the shared tag index
(`tag_index`, one Tagging API read per pass for all our resources) says whose they are. A group the index
does not know (just created: the index lags) has its tags asked of CloudWatch Logs, one call each. Our log
group names always contain `/<platform>/` or `/<platform>-`, a cheap pre-filter that keeps those fallback
calls to groups that could be ours (an untagged look-alike costs one per read); the tags still decide.

Groups are keyed by their ARN without the trailing `:*`: that is the form the Tagging API answers with and
list_tags_for_resource documents, and the emulator answers the `:*` form with no tags at all.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources import tag_index
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Field, Listing

# What describe_log_groups accepts as logGroupNamePattern (a case-insensitive substring match).
_PATTERN_SAFE = re.compile(r"^[.\-_/#A-Za-z0-9]+$")


def log_group_arn(group: dict[str, Any]) -> str:
    """The log group's ARN without the `:*` suffix describe_log_groups puts on `arn`."""
    arn = group.get("logGroupArn") or group["arn"]
    return arn[:-2] if arn.endswith(":*") else arn


def _name_pattern(ctx: Context) -> dict[str, Any]:
    """Narrows the listing server-side on AWS; `_could_be_ours` stays the real filter."""
    return {"logGroupNamePattern": f"/{ctx.platform}"} if _PATTERN_SAFE.match(ctx.platform) else {}


def _could_be_ours(ctx: Context, group: dict[str, Any]) -> bool:
    return any(marker in group["logGroupName"] for marker in (f"/{ctx.platform}/", f"/{ctx.platform}-"))


class LogGroup(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "logs.log_group"
    service: ClassVar[str] = "logs"
    tagging: ClassVar[str | None] = "logs"
    tags_from: ClassVar[str] = "index"
    tags_from_index: ClassVar[bool] = True
    listing = Listing("describe_log_groups", "logGroups", _name_pattern, keep=_could_be_ours)
    id_attr: ClassVar[str] = "Name"
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("logGroupName"),
        "retention_days": Field("retentionInDays", setter="set_retention", initial=None),
        "kms_key": Field(lambda group: group.get("kmsKeyId") or None, setter="set_kms_key"),
    }
    create_call: ClassVar[str] = "create_log_group"
    tags_param: ClassVar[str | None] = "tags"
    tags_shape: ClassVar[str] = "map"
    delete_call: ClassVar[str] = "delete_log_group"
    delete_param: ClassVar[str | None] = "logGroupName"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"ResourceNotFoundException"})

    def arn_of(self, item: dict[str, Any]) -> str:
        return log_group_arn(item)

    def attrs_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"Name": item["logGroupName"], "Arn": log_group_arn(item)}

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"logGroupName": props["name"], **({"kmsKeyId": props["kms_key"]} if props.get("kms_key") else {})}

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """Described rather than built: the ARN needs the account id, which only AWS tells us here."""
        name = props["name"]
        return self.attrs_of(ctx.wait_until(f"log group {name} to be listed", lambda: self._describe(ctx, name), 60))

    def set_retention(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        logs, retention = self.client(ctx), props.get("retention_days")
        if retention:
            logs.put_retention_policy(logGroupName=live.physical_id, retentionInDays=int(retention))
        else:
            logs.delete_retention_policy(logGroupName=live.physical_id)

    def set_kms_key(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        if props.get("kms_key"):
            self.client(ctx).associate_kms_key(logGroupName=live.physical_id, kmsKeyId=props["kms_key"])
        else:
            self.client(ctx).disassociate_kms_key(logGroupName=live.physical_id)

    def _describe(self, ctx: Context, name: str) -> dict[str, Any] | None:
        """The group named exactly `name` (the API only filters by prefix), or None while it is not listed."""
        pages = self.client(ctx).get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
        return next((g for page in pages for g in page.get("logGroups", []) if g["logGroupName"] == name), None)
