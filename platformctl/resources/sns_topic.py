"""SNS topics: one per publishing service, the fan-out point its events leave through.

list_topics gives ARNs only, no tags and no attributes. The listing says which topics exist; the shared
tag index (`tag_index`, one Tagging API read per pass) says whose they are, and a topic the index does not
know yet has its tags asked of SNS, one call each. Our topic names all start with `<platform>-<env>-`: that
cheap pre-filter keeps those fallback calls to topics that could be ours. SNS has no batch read of
attributes: get_topic_attributes is asked only of our topics, in parallel. The list of our topics is
shared (cached per read pass) with the subscription kind, which finds its subscriptions under them.

CreateTopic is idempotent by name: on an existing topic AWS answers with its ARN (real AWS refuses when
the tags differ, the emulator does not), so create checks the answer carries our tags before claiming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list, unless_gone
from platformctl.resources.tag_index import tags_for_arns

# get_topic_attributes says NotFound, list_tags_for_resource ResourceNotFound.
NOT_FOUND = frozenset({"NotFound", "ResourceNotFound"})


@dataclass(frozen=True)
class OwnedTopic:
    """A topic carrying our tags for this platform and env."""

    arn: str
    name: str
    logical_id: str
    layer: str
    tags: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)


def topic_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def our_topics(ctx: Context) -> list[OwnedTopic]:
    """Our topics, fetched once per read pass for the topic and subscription kinds."""
    return ctx.cached(("sns", "our-topics"), lambda: _fetch_our_topics(ctx))


def _fetch_our_topics(ctx: Context) -> list[OwnedTopic]:
    sns = ctx.client("sns")
    prefix = f"{ctx.platform}-{ctx.env}-"
    arns: list[str] = []
    for page in sns.get_paginator("list_topics").paginate():
        arns.extend(t["TopicArn"] for t in page.get("Topics", []) if topic_name(t["TopicArn"]).startswith(prefix))
    tags = tags_for_arns(ctx, arns, lambda arn: _tags(ctx, arn))
    # Attributes are only worth a call for topics that are ours.
    ours = [(arn, identity) for arn in arns if (identity := ctx.identity(tags.get(arn, {}))) is not None]
    attributes = ctx.map(lambda arn: _attributes(ctx, arn), [arn for arn, _ in ours])
    return [
        OwnedTopic(arn, topic_name(arn), logical_id, layer, tags[arn], attrs)
        for (arn, (logical_id, layer)), attrs in zip(ours, attributes, strict=True)
        if attrs is not None  # else deleted since it was listed
    ]


def _tags(ctx: Context, arn: str) -> dict[str, str] | None:
    """A topic's tags asked of SNS (the index did not know it); None when it is gone."""
    return unless_gone(
        NOT_FOUND, lambda: tag_dict(ctx.client("sns").list_tags_for_resource(ResourceArn=arn).get("Tags"))
    )


def _attributes(ctx: Context, arn: str) -> dict[str, str] | None:
    """A topic's attributes; None when it is gone."""
    return unless_gone(NOT_FOUND, lambda: ctx.client("sns").get_topic_attributes(TopicArn=arn).get("Attributes", {}))


class SnsTopic(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "sns.topic"
    service: ClassVar[str] = "sns"
    id_attr: ClassVar[str] = "TopicArn"
    updatable: ClassVar[frozenset[str]] = frozenset({"kms_key"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for topic in our_topics(ctx):
            live = self.live(
                ctx,
                topic.tags,
                name=topic.name,
                physical_id=topic.arn,
                props={"name": topic.name, "kms_key": topic.attributes.get("KmsMasterKeyId") or None},
                attrs={"TopicArn": topic.arn, "Name": topic.name},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        sns = ctx.client("sns")
        name = props["name"]
        request: dict[str, Any] = {"Name": name, "Tags": tag_list(ctx.tags_for(resource))}
        if props.get("kms_key"):
            request["Attributes"] = {"KmsMasterKeyId": props["kms_key"]}
        arn = sns.create_topic(**request)["TopicArn"]
        owner = ctx.identity(tag_dict(sns.list_tags_for_resource(ResourceArn=arn).get("Tags")))
        if owner is None or owner[0] != resource.id:
            raise AwsCallError(resource.id, "TopicExists", f"an SNS topic named {name} exists and is not ours")
        return {"TopicArn": arn, "Name": name}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        kms_key = props.get("kms_key") or None
        if kms_key != live.props.get("kms_key"):
            # An empty value is how SNS is told to stop encrypting.
            ctx.client("sns").set_topic_attributes(
                TopicArn=live.physical_id, AttributeName="KmsMasterKeyId", AttributeValue=kms_key or ""
            )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        sns = ctx.client("sns")
        self.ignore_missing(lambda: sns.delete_topic(TopicArn=live.physical_id))
