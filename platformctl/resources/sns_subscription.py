"""SNS → SQS subscriptions: how one service's events reach another service's queue.

Subscriptions cannot be tagged, so ownership comes from both ends: a subscription is ours when it hangs
off one of our topics and delivers to one of our queues. Its logical id is `<topic id>/<queue id>` and its
layer is the topic's. A subscription on our topic to anything else (a hand-made debugging queue, an
e-mail address) is somebody else's: it is never read, so never deleted.

A read is one account-wide list_subscriptions listing (up to 100 per page) kept to our topics and queues,
rather than one list_subscriptions_by_topic per topic (an account crowded with others' subscriptions costs
more pages, but not per topic of ours), then one get_subscription_attributes per subscription of ours (SNS
has no batch read), in parallel.

The filter policy is the list of event types the receiving service asked for. Changing that list is an
in-place attribute update: re-subscribing would drop whatever is published between the two calls.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources import tag_index
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Detail, Field, Listing, Owned
from platformctl.resources.sns_topic import NOT_FOUND, our_topics
from platformctl.resources.sqs_queue import our_queues

# What list_subscriptions shows instead of an ARN until the endpoint confirms (never for SQS
# in the same account; such a subscription has nothing we could update or delete yet).
PENDING = "PendingConfirmation"


def subscription_logical_id(topic_logical_id: str, queue_logical_id: str) -> str:
    return f"{topic_logical_id}/{queue_logical_id}"


def _confirmed_sqs(ctx: Context, sub: dict[str, Any]) -> bool:
    return sub.get("Protocol") == "sqs" and sub.get("SubscriptionArn") != PENDING


def _read_policy(text: str | None) -> dict[str, Any]:
    return _canonical_policy(json.loads(text) if text and text.strip() else {})


def _canonical_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """Keys in order, and lists of event types sorted: their order means nothing to SNS."""
    return {
        key: _sort_scalars(value) if isinstance(value, list) and _all_scalars(value) else value
        for key, value in sorted(policy.items())
    }


def _sort_scalars(values: list[Any]) -> list[Any]:
    return sorted(values, key=lambda v: (type(v).__name__, v))


def _all_scalars(values: list[Any]) -> bool:
    return all(isinstance(v, (str, int, float, bool)) or v is None for v in values)


class SnsSubscription(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "sns.subscription"
    service: ClassVar[str] = "sns"
    # One account-wide listing, kept to our topics and queues by `owned`.
    listing = Listing("list_subscriptions", "Subscriptions", keep=_confirmed_sqs)
    detail = Detail("get_subscription_attributes", "SubscriptionArn", "Attributes")
    id_attr: ClassVar[str] = "SubscriptionArn"
    fields: ClassVar[dict[str, Field]] = {
        "topic": Field("TopicArn"),
        "queue": Field("Endpoint"),
        "raw_delivery": Field(
            lambda sub: (sub.get("RawMessageDelivery") or "false").lower() == "true", setter="set_raw_delivery"
        ),
        "filter_policy": Field("FilterPolicy", _read_policy, setter="set_filter_policy"),
    }
    create_call: ClassVar[str] = "subscribe"
    tags_param: ClassVar[str | None] = None  # AWS cannot tag a subscription
    delete_call: ClassVar[str] = "unsubscribe"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        policy = props.get("filter_policy")
        return {**props, "filter_policy": _canonical_policy(policy)} if isinstance(policy, dict) else props

    def owned(self, ctx: Context) -> list[Owned]:
        """Needs code: subscriptions take no tags; one is ours when it joins our topic to our queue (see above)."""
        topics = {topic.arn: topic for topic in our_topics(ctx)}
        if not topics:
            return []  # no topic of ours: nothing to list, and no need to ask for queues
        # The queue kind's cached listing: the same pass reads queues anyway.
        queues = {queue.arn: queue for queue in our_queues(ctx)}
        if not queues:
            return []
        found: list[Owned] = []
        for sub in self.listed(ctx):
            topic, queue = topics.get(sub.get("TopicArn", "")), queues.get(sub.get("Endpoint", ""))
            if topic is not None and queue is not None:
                # It carries the topic's ownership under its own logical id and the topic's layer.
                logical_id = subscription_logical_id(topic.logical_id, queue.logical_id)
                tags = {**topic.tags, TAG_ID: logical_id, TAG_LAYER: topic.layer}
                arn = sub["SubscriptionArn"]
                found.append(Owned(sub, tags, arn, arn, f"{topic.name} → {queue.name}"))
        return self.detailed(ctx, found)

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "TopicArn": props["topic"],
            "Protocol": "sqs",
            "Endpoint": props["queue"],
            "Attributes": {
                "RawMessageDelivery": _flag(props["raw_delivery"]),
                "FilterPolicy": _policy_json(props["filter_policy"]),
                "FilterPolicyScope": "MessageAttributes",
            },
            "ReturnSubscriptionArn": True,
        }

    def set_raw_delivery(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        self._set(ctx, live, "RawMessageDelivery", _flag(props["raw_delivery"]))

    def set_filter_policy(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """In place: re-subscribing would drop whatever is published between the two calls."""
        self._set(ctx, live, "FilterPolicy", _policy_json(props["filter_policy"]))

    def _set(self, ctx: Context, live: LiveResource, name: str, value: str) -> None:
        request = {"SubscriptionArn": live.physical_id, "AttributeName": name, "AttributeValue": value}
        self.call(ctx, "set_subscription_attributes", **request)


def _flag(value: Any) -> str:
    return "true" if value else "false"


def _policy_json(policy: dict[str, Any]) -> str:
    return json.dumps(_canonical_policy(policy), sort_keys=True)
