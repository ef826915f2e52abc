"""SQS queues: each receiving service's queue and its dead-letter queue.

SQS has no tag filter on ListQueues, so our queues are listed by name prefix (`<platform>-<env>-`): the
listing alone says which queues exist. Whose they are comes from the shared tag index (`tag_index`, one
Tagging API read per pass), keyed by the ARN built from each queue's URL; a queue the index does not know
yet has its tags asked of SQS, one call each (the prefix keeps those to queues that could be ours). SQS has
no batch read of attributes: get_queue_attributes is asked only of our queues, in parallel. The result is
fetched once per read pass (`our_queues`) and shared with the queue-policy, subscription and alarm kinds:
the policy is one of the attributes already read.

SQS answers with every attribute as a string and the redrive policy as JSON text; `read` turns them into
ints and a parsed redrive so a fresh queue reads back equal to its desired props.

AWS refuses to reuse a queue name for 60 seconds after the queue was deleted (`QueueDeletedRecently`), which
a replacement (delete, then create with the same name) always runs into: create retries for a while.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind, unless_gone
from platformctl.resources.tag_index import tags_for_arns

# The query-protocol code (sent in a header even by the JSON protocol) and the modelled exception name.
NOT_FOUND_CODES = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue"})
_DELETED_RECENTLY = {"AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"}
# AWS blocks a deleted queue's name for 60 s; a little more covers clock skew and our own polling.
DELETED_RECENTLY_TIMEOUT = 75
_LIST_PAGE_SIZE = 1000  # ListQueues only pages (NextToken) when MaxResults is given; 1000 is its maximum.


@dataclass(frozen=True)
class OwnedQueue:
    """A queue carrying our tags for this platform and env, with its raw (string) attributes."""

    url: str
    arn: str
    name: str
    logical_id: str
    layer: str
    tags: dict[str, str]
    attributes: dict[str, str]


def our_queues(ctx: Context) -> list[OwnedQueue]:
    """Our queues, fetched once per read pass for the queue, queue-policy, subscription and alarm kinds."""
    return ctx.cached(("sqs", "our-queues"), lambda: _fetch_our_queues(ctx))


def queue_prefix(ctx: Context) -> str:
    """Every queue name we give starts with this, so ListQueues can skip the rest of the account."""
    return f"{ctx.platform}-{ctx.env}-"


def queue_arn(ctx: Context, url: str) -> str:
    """A listed queue's ARN, built from its URL (`.../<account>/<name>`): ListQueues gives URLs only."""
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:{ctx.client('sqs').meta.partition}:sqs:{ctx.region}:{account}:{name}"


def _fetch_our_queues(ctx: Context) -> list[OwnedQueue]:
    sqs = ctx.client("sqs")
    urls: list[str] = []
    pages = sqs.get_paginator("list_queues").paginate(
        QueueNamePrefix=queue_prefix(ctx), PaginationConfig={"PageSize": _LIST_PAGE_SIZE}
    )
    for page in pages:
        urls.extend(page.get("QueueUrls", []))
    arns = {url: queue_arn(ctx, url) for url in urls}
    url_of = {arn: url for url, arn in arns.items()}
    tags = tags_for_arns(ctx, arns.values(), lambda arn: _queue_tags(ctx, url_of[arn]))
    # Attributes are only worth a call for queues that are ours.
    ours = [(url, identity) for url in urls if (identity := ctx.identity(tags.get(arns[url], {}))) is not None]
    attributes = ctx.map(lambda url: _queue_attributes(ctx, url), [url for url, _ in ours])
    owned: list[OwnedQueue] = []
    for (url, (logical_id, layer)), attrs in zip(ours, attributes, strict=True):
        if attrs is None:
            continue  # deleted since it was listed
        owned.append(
            OwnedQueue(
                url=url,
                arn=attrs.get("QueueArn", arns[url]),
                name=url.rstrip("/").rsplit("/", 1)[-1],
                logical_id=logical_id,
                layer=layer,
                tags=tags[arns[url]],
                attributes=attrs,
            )
        )
    return owned


# ListQueues lags behind deletes: a queue it still lists may be gone by the time it is asked about.
def _queue_tags(ctx: Context, url: str) -> dict[str, str] | None:
    """A queue's tags asked of SQS (the index did not know it); None when it is gone."""
    return unless_gone(NOT_FOUND_CODES, lambda: ctx.client("sqs").list_queue_tags(QueueUrl=url).get("Tags", {}))


def _queue_attributes(ctx: Context, url: str) -> dict[str, str] | None:
    """Every attribute of a queue (as strings); None when it is gone."""
    return unless_gone(
        NOT_FOUND_CODES,
        lambda: ctx.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"],
    )


def _redrive(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    policy = json.loads(raw)
    # maxReceiveCount comes back as a number or a string depending on how it was written.
    return {"dead_letter": policy["deadLetterTargetArn"], "max_receives": int(policy["maxReceiveCount"])}


def _redrive_text(redrive: dict[str, Any] | None) -> str:
    """The RedrivePolicy attribute; the empty string removes it."""
    if not redrive:
        return ""
    return json.dumps({"deadLetterTargetArn": redrive["dead_letter"], "maxReceiveCount": int(redrive["max_receives"])})


def _props(queue: OwnedQueue) -> dict[str, Any]:
    attributes = queue.attributes
    return {
        "name": queue.name,
        "visibility_timeout": int(attributes["VisibilityTimeout"]),
        "retention_seconds": int(attributes["MessageRetentionPeriod"]),
        "kms_key": attributes.get("KmsMasterKeyId") or None,
        "redrive": _redrive(attributes.get("RedrivePolicy")),
    }


def _facts(queue: OwnedQueue) -> dict[str, Any]:
    attributes = queue.attributes
    return {
        "messages": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }


def _refuse_foreign(ctx: Context, resource: Resource, name: str) -> None:
    """Fail when a queue of this name exists and is not this resource.

    CreateQueue is idempotent by name and attributes: on an identical existing queue it answers with that
    queue's URL (and may even put our tags on it), so a look-alike would silently pass for ours.
    """
    sqs = ctx.client("sqs")
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        tags = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
    except Exception as exc:
        if error_code(exc) in NOT_FOUND_CODES:
            return
        raise
    owner = ctx.identity(tags)
    if owner is None or owner[0] != resource.id:
        raise AwsCallError(resource.id, "QueueAlreadyExists", f"an SQS queue named {name} exists and is not ours")


def _attrs(url: str, arn: str, name: str) -> dict[str, Any]:
    return {"QueueUrl": url, "Arn": arn, "Name": name}


class SqsQueue(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "sqs.queue"
    service: ClassVar[str] = "sqs"
    id_attr: ClassVar[str] = "QueueUrl"
    updatable: ClassVar[frozenset[str]] = frozenset({"visibility_timeout", "retention_seconds", "kms_key", "redrive"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND_CODES

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for queue in our_queues(ctx):
            live = self.live(
                ctx,
                queue.tags,
                name=queue.name,
                physical_id=queue.url,
                props=_props(queue),
                attrs=_attrs(queue.url, queue.arn, queue.name),
                facts=_facts(queue),
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        sqs = ctx.client("sqs")
        name = props["name"]
        attributes = {
            "VisibilityTimeout": str(props["visibility_timeout"]),
            "MessageRetentionPeriod": str(props["retention_seconds"]),
        }
        if props.get("kms_key"):
            attributes["KmsMasterKeyId"] = props["kms_key"]
        if props.get("redrive"):
            attributes["RedrivePolicy"] = _redrive_text(props["redrive"])
        _refuse_foreign(ctx, resource, name)
        tags = ctx.tags_for(resource)
        url = ctx.retry_on(
            _DELETED_RECENTLY,
            lambda: sqs.create_queue(QueueName=name, Attributes=attributes, tags=tags)["QueueUrl"],
            timeout=DELETED_RECENTLY_TIMEOUT,
        )
        # The ARN follows from the URL: asking for it would add a call to the longest chain of every apply.
        return _attrs(url, queue_arn(ctx, url), name)

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        attributes: dict[str, str] = {}
        if props["visibility_timeout"] != live.props.get("visibility_timeout"):
            attributes["VisibilityTimeout"] = str(props["visibility_timeout"])
        if props["retention_seconds"] != live.props.get("retention_seconds"):
            attributes["MessageRetentionPeriod"] = str(props["retention_seconds"])
        if (props.get("kms_key") or None) != live.props.get("kms_key"):
            # The empty string turns SSE-KMS off.
            attributes["KmsMasterKeyId"] = props.get("kms_key") or ""
        if (props.get("redrive") or None) != live.props.get("redrive"):
            attributes["RedrivePolicy"] = _redrive_text(props.get("redrive"))
        if attributes:
            ctx.client("sqs").set_queue_attributes(QueueUrl=live.physical_id, Attributes=attributes)
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        sqs = ctx.client("sqs")
        self.ignore_missing(lambda: sqs.delete_queue(QueueUrl=live.physical_id))

    def data_loss(self, live: LiveResource) -> str | None:
        """Messages still in the queue (waiting or received but not yet deleted) go with it."""
        waiting, in_flight = int(live.facts.get("messages", 0)), int(live.facts.get("in_flight", 0))
        if waiting + in_flight <= 0:
            return None
        if not waiting:
            return f"{in_flight} message{'s' if in_flight != 1 else ''} in flight"
        text = f"{waiting} message{'s' if waiting != 1 else ''} waiting"
        return f"{text}, {in_flight} in flight" if in_flight else text
