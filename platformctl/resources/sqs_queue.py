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
from typing import Any, ClassVar, cast

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource
from platformctl.resources import tag_index
from platformctl.resources.base import Context, unless_gone
from platformctl.resources.declarative import DeclarativeKind, Detail, Field, Listing
from platformctl.resources.tag_index import tags_for_arns
from platformctl.resources.waiting import retry_while

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
    """Our queues, read once per pass (`SqsQueue.owned`), for the queue-policy, subscription and alarm kinds."""
    return [
        OwnedQueue(q.physical_id, q.arn, q.name, q.logical_id, q.layer, q.tags, q.item) for q in SqsQueue().owned(ctx)
    ]


def queue_prefix(ctx: Context) -> str:
    """Every queue name we give starts with this, so ListQueues can skip the rest of the account."""
    return f"{ctx.platform}-{ctx.env}-"


def queue_arn(ctx: Context, url: str) -> str:
    """A listed queue's ARN, built from its URL (`.../<account>/<name>`): ListQueues gives URLs only."""
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:{ctx.client('sqs').meta.partition}:sqs:{ctx.region}:{account}:{name}"


def _queue_item(ctx: Context, url: str) -> dict[str, str]:
    """What a queue's URL alone tells (its ARN and name): the listed item its attributes are merged into."""
    return {"QueueUrl": url, "QueueArn": queue_arn(ctx, url), "Name": url.rstrip("/").rsplit("/", 1)[-1]}


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


def _name_not_free(exc: BaseException, name: str) -> str | None:
    if error_code(exc) in _DELETED_RECENTLY:
        return f"SQS to free the name {name} (a queue of that name was just deleted)"
    return None


class SqsQueue(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "sqs.queue"
    tagging: ClassVar[str | None] = "sqs"
    tags_from_index: ClassVar[bool] = True
    service: ClassVar[str] = "sqs"
    id_attr: ClassVar[str] = "QueueUrl"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND_CODES
    listing = Listing(
        "list_queues",
        "QueueUrls",
        lambda ctx: {"QueueNamePrefix": queue_prefix(ctx), "PaginationConfig": {"PageSize": _LIST_PAGE_SIZE}},
    )
    tags_from: ClassVar[str] = "index"
    # SQS has no batch read of attributes: asked of our queues only, in parallel.
    detail = Detail("get_queue_attributes", "QueueUrl", "Attributes", {"AttributeNames": ["All"]})
    arn_source: ClassVar[str | None] = "QueueArn"
    name_source: ClassVar[str | None] = "Name"
    # SQS answers with every attribute as a string and the redrive policy as JSON text.
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("Name"),
        "visibility_timeout": Field("VisibilityTimeout", int, setter="set_attributes"),
        "retention_seconds": Field("MessageRetentionPeriod", int, setter="set_attributes"),
        "kms_key": Field("KmsMasterKeyId", lambda key: key or None, setter="set_attributes"),
        "redrive": Field("RedrivePolicy", _redrive, setter="set_attributes"),
    }
    attrs: ClassVar[dict[str, str]] = {"QueueUrl": "QueueUrl", "Arn": "QueueArn", "Name": "Name"}
    create_call: ClassVar[str] = "create_queue"
    tags_param: ClassVar[str | None] = "tags"
    tags_shape: ClassVar[str] = "map"
    delete_call: ClassVar[str] = "delete_queue"
    taken_code: ClassVar[str] = "QueueAlreadyExists"

    def listed(self, ctx: Context) -> list[dict[str, Any]]:
        """ListQueues gives URLs only: each becomes an item with the ARN and name its URL tells."""
        urls = cast(list[str], super().listed(ctx))  # ListQueues' items are URLs, not the records other listings give
        return [_queue_item(ctx, url) for url in urls]

    def tag_target(self, ctx: Context, live: LiveResource) -> str:
        """SQS tags a queue by its URL (the physical id), not by the ARN the base would pick."""
        return live.physical_id

    def tagged(self, ctx: Context, items: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """The index knows queues by ARN, while SQS is asked a queue's tags by URL (when the index lags)."""
        url_of = {item["QueueArn"]: item["QueueUrl"] for item in items}

        def one(arn: str) -> dict[str, str] | None:
            sqs = self.client(ctx)
            return unless_gone(NOT_FOUND_CODES, lambda: sqs.list_queue_tags(QueueUrl=url_of[arn]).get("Tags", {}))

        tags = tags_for_arns(ctx, url_of, one)
        return [(item, tags[item["QueueArn"]]) for item in items if item["QueueArn"] in tags]

    def facts_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "messages": int(item.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(item.get("ApproximateNumberOfMessagesNotVisible", 0)),
        }

    def existing(self, ctx: Context, props: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """CreateQueue is idempotent by name and attributes (it answers with an identical queue's URL, and may
        even put our tags on it), so a look-alike would silently pass for ours: the name is looked up first."""
        sqs = self.client(ctx)
        url = unless_gone(NOT_FOUND_CODES, lambda: sqs.get_queue_url(QueueName=props["name"])["QueueUrl"])
        tags = None if url is None else unless_gone(NOT_FOUND_CODES, lambda: sqs.list_queue_tags(QueueUrl=url))
        return [] if url is None or tags is None else [(_queue_item(ctx, url), tags.get("Tags", {}))]

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        attributes = {
            "VisibilityTimeout": str(props["visibility_timeout"]),
            "MessageRetentionPeriod": str(props["retention_seconds"]),
        }
        if props.get("kms_key"):
            attributes["KmsMasterKeyId"] = props["kms_key"]
        if props.get("redrive"):
            attributes["RedrivePolicy"] = _redrive_text(props["redrive"])
        return {"QueueName": props["name"], "Attributes": attributes}

    def call(self, ctx: Context, operation: str, **request: Any) -> Any:
        """AWS refuses a deleted queue's name for 60 s, which a replacement always runs into: create waits."""
        if operation != self.create_call:
            return super().call(ctx, operation, **request)
        name = request["QueueName"]
        send = lambda: super(SqsQueue, self).call(ctx, operation, **request)  # noqa: E731
        return retry_while(ctx, lambda exc: _name_not_free(exc, name), send, DELETED_RECENTLY_TIMEOUT)

    def created(self, ctx: Context, resource: Any, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        # The ARN follows from the URL: asking for it would add a call to the longest chain of every apply.
        return self.attrs_of(_queue_item(ctx, item["QueueUrl"]))

    def set_attributes(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """One call sets every attribute we manage; the empty string turns SSE-KMS or the redrive off."""
        attributes = {
            "VisibilityTimeout": str(props["visibility_timeout"]),
            "MessageRetentionPeriod": str(props["retention_seconds"]),
            "KmsMasterKeyId": props.get("kms_key") or "",
            "RedrivePolicy": _redrive_text(props.get("redrive")),
        }
        self.call(ctx, "set_queue_attributes", QueueUrl=live.physical_id, Attributes=attributes)

    def data_loss(self, live: LiveResource) -> str | None:
        """Messages still in the queue (waiting or received but not yet deleted) go with it."""
        waiting, in_flight = int(live.facts.get("messages", 0)), int(live.facts.get("in_flight", 0))
        if waiting + in_flight <= 0:
            return None
        if not waiting:
            return f"{in_flight} message{'s' if in_flight != 1 else ''} in flight"
        text = f"{waiting} message{'s' if waiting != 1 else ''} waiting"
        return f"{text}, {in_flight} in flight" if in_flight else text
