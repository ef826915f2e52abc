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

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind, unless_gone
from platformctl.resources.tag_index import tags_for_arns

_NOT_FOUND = "ResourceNotFoundException"
# What describe_log_groups accepts as logGroupNamePattern (a case-insensitive substring match).
_PATTERN_SAFE = re.compile(r"^[.\-_/#A-Za-z0-9]+$")


def log_group_arn(group: dict[str, Any]) -> str:
    """The log group's ARN without the `:*` suffix describe_log_groups puts on `arn`."""
    arn = group.get("logGroupArn") or group["arn"]
    return arn[:-2] if arn.endswith(":*") else arn


class LogGroup(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "logs.log_group"
    service: ClassVar[str] = "logs"
    id_attr: ClassVar[str] = "Name"
    updatable: ClassVar[frozenset[str]] = frozenset({"retention_days", "kms_key"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({_NOT_FOUND})

    def read(self, ctx: Context) -> list[LiveResource]:
        logs = ctx.client("logs")
        markers = (f"/{ctx.platform}/", f"/{ctx.platform}-")
        query: dict[str, Any] = {}
        if _PATTERN_SAFE.match(ctx.platform):
            # Narrows the listing server-side on AWS; the marker check below stays the real filter.
            query["logGroupNamePattern"] = f"/{ctx.platform}"
        groups: list[dict[str, Any]] = []
        for page in logs.get_paginator("describe_log_groups").paginate(**query):
            groups.extend(g for g in page.get("logGroups", []) if any(m in g["logGroupName"] for m in markers))
        tags = tags_for_arns(ctx, (log_group_arn(group) for group in groups), lambda arn: _tags(ctx, arn))
        found: list[LiveResource] = []
        for group in groups:
            name, arn = group["logGroupName"], log_group_arn(group)
            if arn not in tags:
                continue  # deleted between the listing and the tag call
            live = self.live(
                ctx,
                tags[arn],
                name=name,
                physical_id=name,
                props={
                    "name": name,
                    "retention_days": group.get("retentionInDays"),
                    "kms_key": group.get("kmsKeyId") or None,
                },
                attrs={"Name": name, "Arn": arn},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        logs = ctx.client("logs")
        name = props["name"]
        request: dict[str, Any] = {"logGroupName": name, "tags": ctx.tags_for(resource)}
        if props.get("kms_key"):
            request["kmsKeyId"] = props["kms_key"]
        logs.create_log_group(**request)
        if props.get("retention_days"):
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["retention_days"]))
        # Describe rather than build the ARN: it needs the account id, which only AWS tells us here.
        group = ctx.wait_until(f"log group {name} to be listed", lambda: _describe(ctx, name), timeout=60)
        return {"Name": name, "Arn": log_group_arn(group)}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        logs = ctx.client("logs")
        name = live.physical_id
        retention = props.get("retention_days")
        if retention != live.props.get("retention_days"):
            if retention:
                logs.put_retention_policy(logGroupName=name, retentionInDays=int(retention))
            else:
                logs.delete_retention_policy(logGroupName=name)
        kms_key = props.get("kms_key") or None
        if kms_key != live.props.get("kms_key"):
            if kms_key:
                logs.associate_kms_key(logGroupName=name, kmsKeyId=kms_key)
            else:
                logs.disassociate_kms_key(logGroupName=name)
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        logs = ctx.client("logs")
        self.ignore_missing(lambda: logs.delete_log_group(logGroupName=live.physical_id))


def _tags(ctx: Context, arn: str) -> dict[str, str] | None:
    """A group's tags asked of CloudWatch Logs (the index did not know it); None when it is gone."""
    return unless_gone({_NOT_FOUND}, lambda: ctx.client("logs").list_tags_for_resource(resourceArn=arn).get("tags", {}))


def _describe(ctx: Context, name: str) -> dict[str, Any] | None:
    """The group named exactly `name` (the API only filters by prefix), or None while it is not listed."""
    pages = ctx.client("logs").get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
    for page in pages:
        for group in page.get("logGroups", []):
            if group["logGroupName"] == name:
                return group
    return None
