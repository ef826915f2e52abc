"""Changing the user tags of a live resource in place: one small table of tag / untag / read calls by service.

Tags are desired state: the specs' `tags` (plus what a kind adds itself, such as EC2's Name) on every
resource AWS lets us tag. Every AWS service spells the same three calls differently (a list of Key/Value
pairs or a map, a key `TagKey` or `key`, an ARN, an id, a queue URL or a role name), so a kind only names its
row here (`ResourceKind.tagging`) and where its identifier is (`ResourceKind.tag_target`); the executor sends
the tag part of an update through `retag`, and the kind's own `update` never sees it.

Only user tags are ever set or removed: ownership tags (`platformctl:*`) and AWS's own (`aws:*`) are left
as they are, so an update can never make a resource someone else's or nobody's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from platformctl.engine.model import LiveResource
from platformctl.naming import user_tags
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list


@dataclass(frozen=True)
class TagCalls:
    """One service's way to tag, untag and read the tags of one resource (`target`: its ARN, id or URL)."""

    client: str
    tag: Callable[[Any, str, dict[str, str]], Any]
    untag: Callable[[Any, str, list[str]], Any]
    read: Callable[[Any, str], dict[str, str]]


def _pairs(key: str = "Key", value: str = "Value") -> Callable[[dict[str, str]], list[dict[str, str]]]:
    return lambda tags: tag_list(tags, key, value)


_KV = _pairs()

TAGGING: dict[str, TagCalls] = {
    "ec2": TagCalls(
        "ec2",
        lambda c, t, tags: c.create_tags(Resources=[t], Tags=_KV(tags)),
        lambda c, t, keys: c.delete_tags(Resources=[t], Tags=[{"Key": k} for k in keys]),
        lambda c, t: tag_dict(c.describe_tags(Filters=[{"Name": "resource-id", "Values": [t]}])["Tags"]),
    ),
    "ecs": TagCalls(
        "ecs",
        lambda c, t, tags: c.tag_resource(resourceArn=t, tags=tag_list(tags, "key", "value")),
        lambda c, t, keys: c.untag_resource(resourceArn=t, tagKeys=keys),
        lambda c, t: tag_dict(c.list_tags_for_resource(resourceArn=t).get("tags"), "key", "value"),
    ),
    "elbv2": TagCalls(
        "elbv2",
        lambda c, t, tags: c.add_tags(ResourceArns=[t], Tags=_KV(tags)),
        lambda c, t, keys: c.remove_tags(ResourceArns=[t], TagKeys=keys),
        lambda c, t: tag_dict(c.describe_tags(ResourceArns=[t])["TagDescriptions"][0].get("Tags")),
    ),
    "kms": TagCalls(
        "kms",
        lambda c, t, tags: c.tag_resource(KeyId=t, Tags=tag_list(tags, "TagKey", "TagValue")),
        lambda c, t, keys: c.untag_resource(KeyId=t, TagKeys=keys),
        lambda c, t: tag_dict(c.list_resource_tags(KeyId=t).get("Tags"), "TagKey", "TagValue"),
    ),
    "logs": TagCalls(
        "logs",
        lambda c, t, tags: c.tag_resource(resourceArn=t, tags=tags),
        lambda c, t, keys: c.untag_resource(resourceArn=t, tagKeys=keys),
        lambda c, t: dict(c.list_tags_for_resource(resourceArn=t).get("tags", {})),
    ),
    "sqs": TagCalls(
        "sqs",
        lambda c, t, tags: c.tag_queue(QueueUrl=t, Tags=tags),
        lambda c, t, keys: c.untag_queue(QueueUrl=t, TagKeys=keys),
        lambda c, t: dict(c.list_queue_tags(QueueUrl=t).get("Tags", {})),
    ),
    "iam-role": TagCalls(
        "iam",
        lambda c, t, tags: c.tag_role(RoleName=t, Tags=_KV(tags)),
        lambda c, t, keys: c.untag_role(RoleName=t, TagKeys=keys),
        lambda c, t: tag_dict(c.list_role_tags(RoleName=t).get("Tags")),
    ),
    "apigatewayv2": TagCalls(
        "apigatewayv2",
        lambda c, t, tags: c.tag_resource(ResourceArn=t, Tags=tags),
        lambda c, t, keys: c.untag_resource(ResourceArn=t, TagKeys=keys),
        lambda c, t: dict(c.get_tags(ResourceArn=t).get("Tags", {})),
    ),
}


def _by_arn(service: str, param: str) -> TagCalls:
    """TagResource / UntagResource / ListTagsForResource with the ARN in `param` and Key/Value pairs."""
    return TagCalls(
        service,
        lambda c, t, tags: c.tag_resource(**{param: t}, Tags=_KV(tags)),
        lambda c, t, keys: c.untag_resource(**{param: t}, TagKeys=keys),
        lambda c, t: tag_dict(c.list_tags_for_resource(**{param: t}).get("Tags")),
    )


# Services that spell all three the same way (only the ARN parameter's case differs).
for _service, _param in (
    ("sns", "ResourceArn"),
    ("events", "ResourceARN"),
    ("cloudwatch", "ResourceARN"),
    ("servicediscovery", "ResourceARN"),
):
    TAGGING[_service] = _by_arn(_service, _param)


def calls_for(kind: ResourceKind) -> TagCalls:
    if kind.tagging is None or kind.tagging not in TAGGING:
        raise ValueError(f"{kind.kind}: no tagging calls for {kind.tagging!r}")
    return TAGGING[kind.tagging]


def retag(ctx: Context, kind: ResourceKind, live: LiveResource, desired: dict[str, str]) -> None:
    """Make the live resource's user tags exactly `desired`: set what differs, remove what is not wanted."""
    current = live.tags or {}
    wanted = user_tags(desired)
    to_set = {k: v for k, v in wanted.items() if current.get(k) != v}
    to_remove = sorted(k for k in current if k not in wanted)
    calls = calls_for(kind)
    client = ctx.client(calls.client)
    target = kind.tag_target(ctx, live)
    if to_set:
        calls.tag(client, target, to_set)
    if to_remove:
        calls.untag(client, target, to_remove)


def read_tags(ctx: Context, kind: ResourceKind, live: LiveResource) -> dict[str, str]:
    """The resource's user tags asked of its own service (not the lagging index)."""
    calls = calls_for(kind)
    return user_tags(calls.read(ctx.client(calls.client), kind.tag_target(ctx, live)))


def apigateway_arn(ctx: Context, path: str) -> str:
    """API Gateway's tagging ARN of a resource, e.g. `/apis/<id>` (its own format: no account in it)."""
    partition = ctx.client("apigatewayv2").meta.partition
    return f"arn:{partition}:apigateway:{ctx.region}::{path}"
