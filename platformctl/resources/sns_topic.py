"""SNS topics: one per publishing service, the fan-out point its events leave through.

list_topics gives ARNs only, no tags and no attributes. The listing says which topics exist; the shared
tag index (`tag_index`, one Tagging API read per pass) says whose they are, and a topic the index does not
know yet has its tags asked of SNS, one call each. Our topic names all start with `<platform>-<env>-`: that
cheap pre-filter keeps those fallback calls to topics that could be ours. SNS has no batch read of
attributes: get_topic_attributes is asked only of our topics, in parallel. The list of our topics is
shared (cached per read pass) with the subscription kind, which finds its subscriptions under them.

`tracing` is the topic's TracingConfig: `PassThrough` (AWS's default: a publisher's X-Ray trace header goes
on to subscribers) or `Active` (SNS also sends its own segments to X-Ray). A topic whose attributes omit it
is PassThrough, and so are desired props that do not name it.

CreateTopic is idempotent by name: on an existing topic AWS answers with its ARN (real AWS refuses when
the tags differ, the emulator does not), so create checks the answer carries our tags before claiming it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources import tag_index
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Detail, Field, Listing, Owned

# get_topic_attributes says NotFound, list_tags_for_resource ResourceNotFound.
NOT_FOUND = frozenset({"NotFound", "ResourceNotFound"})
DEFAULT_TRACING = "PassThrough"


def topic_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def our_topics(ctx: Context) -> list[Owned]:
    """Our topics, fetched once per read pass for the topic and subscription kinds."""
    return SnsTopic().owned(ctx)


def _could_be_ours(ctx: Context, topic: dict[str, Any]) -> bool:
    return topic_name(topic["TopicArn"]).startswith(f"{ctx.platform}-{ctx.env}-")


class SnsTopic(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "sns.topic"
    service: ClassVar[str] = "sns"
    tagging: ClassVar[str | None] = "sns"
    tags_from: ClassVar[str] = "index"
    tags_from_index: ClassVar[bool] = True
    listing = Listing("list_topics", "Topics", keep=_could_be_ours)
    detail = Detail("get_topic_attributes", "TopicArn", "Attributes")
    id_attr: ClassVar[str] = "TopicArn"
    name_source: ClassVar[str | None] = "Name"
    attrs: ClassVar[dict[str, str]] = {"TopicArn": "TopicArn", "Name": "Name"}
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("Name"),
        "kms_key": Field(lambda topic: topic.get("KmsMasterKeyId") or None, setter="set_kms_key"),
        "tracing": Field(lambda topic: topic.get("TracingConfig") or DEFAULT_TRACING, setter="set_tracing"),
    }
    create_call: ClassVar[str] = "create_topic"
    delete_call: ClassVar[str] = "delete_topic"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND
    taken_code: ClassVar[str] = "TopicExists"

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        """A topic that does not say how it traces passes trace headers through, as AWS does by default."""
        return {**props, "tracing": props.get("tracing") or DEFAULT_TRACING}

    def listed(self, ctx: Context) -> list[dict[str, Any]]:
        """Needs code: list_topics gives ARNs only; the name is the ARN's last part."""
        return [{**topic, "Name": topic_name(topic["TopicArn"])} for topic in super().listed(ctx)]

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        attributes: dict[str, str] = {}
        if props.get("kms_key"):
            attributes["KmsMasterKeyId"] = props["kms_key"]
        if (props.get("tracing") or DEFAULT_TRACING) != DEFAULT_TRACING:
            attributes["TracingConfig"] = props["tracing"]
        return {"Name": props["name"], **({"Attributes": attributes} if attributes else {})}

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """Needs code: CreateTopic answers with a same-named topic, so its tags must say it is this one."""
        arn = item["TopicArn"]
        owner = ctx.identity(self.fetch_tags(ctx, [arn]).get(arn, {}))
        if owner is None or owner[0] != resource.id:
            message = f"an SNS topic named {props['name']} exists and is not ours"
            raise AwsCallError(resource.id, self.taken_code, message)
        return {"TopicArn": arn, "Name": props["name"]}

    def set_kms_key(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """An empty value is how SNS is told to stop encrypting."""
        self._set(ctx, live, "KmsMasterKeyId", props.get("kms_key") or "")

    def set_tracing(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        self._set(ctx, live, "TracingConfig", props.get("tracing") or DEFAULT_TRACING)

    def _set(self, ctx: Context, live: LiveResource, name: str, value: str) -> None:
        self.call(ctx, "set_topic_attributes", TopicArn=live.physical_id, AttributeName=name, AttributeValue=value)
