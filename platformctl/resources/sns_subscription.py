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

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind, unless_gone
from platformctl.resources.sns_topic import NOT_FOUND, OwnedTopic, our_topics
from platformctl.resources.sqs_queue import our_queues

# What list_subscriptions shows instead of an ARN until the endpoint confirms (never for SQS
# in the same account; such a subscription has nothing we could update or delete yet).
PENDING = "PendingConfirmation"


def subscription_logical_id(topic_logical_id: str, queue_logical_id: str) -> str:
    return f"{topic_logical_id}/{queue_logical_id}"


def _filter_policy(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text and text.strip() else {}


def _sort_scalars(values: list[Any]) -> list[Any]:
    return sorted(values, key=lambda v: (type(v).__name__, v))


class SnsSubscription(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "sns.subscription"
    service: ClassVar[str] = "sns"
    id_attr: ClassVar[str] = "SubscriptionArn"
    updatable: ClassVar[frozenset[str]] = frozenset({"raw_delivery", "filter_policy"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        policy = props.get("filter_policy")
        if not isinstance(policy, dict):
            return props
        ordered = {
            key: _sort_scalars(value) if isinstance(value, list) and _all_scalars(value) else value
            for key, value in sorted(policy.items())
        }
        return {**props, "filter_policy": ordered}

    def read(self, ctx: Context) -> list[LiveResource]:
        topics = {topic.arn: topic for topic in our_topics(ctx)}
        if not topics:
            return []  # no topic of ours: nothing to list, and no need to ask for queues
        # The queue kind's cached listing: the same pass reads queues anyway.
        queues = {queue.arn: queue for queue in our_queues(ctx)}
        if not queues:
            return []
        ours = [
            (topics[sub["TopicArn"]], queues[sub["Endpoint"]], sub["SubscriptionArn"])
            for sub in _list_subscriptions(ctx)
            if sub.get("TopicArn") in topics
            and sub.get("Protocol") == "sqs"
            and sub.get("Endpoint") in queues
            and sub["SubscriptionArn"] != PENDING
        ]
        attributes = ctx.map(lambda sub: _attributes(ctx, sub[2]), ours)
        found: list[LiveResource] = []
        for (topic, queue, arn), attrs in zip(ours, attributes, strict=True):
            if attrs is None:
                continue  # unsubscribed since it was listed
            live = self._live(ctx, topic, queue, arn, attrs)
            if live:
                found.append(live)
        return found

    def _live(
        self, ctx: Context, topic: OwnedTopic, queue: Any, arn: str, attributes: dict[str, str]
    ) -> LiveResource | None:
        # Not taggable itself: it carries the topic's ownership under its own logical id and the topic's layer.
        logical_id = subscription_logical_id(topic.logical_id, queue.logical_id)
        tags = {**topic.tags, TAG_ID: logical_id, TAG_LAYER: topic.layer}
        return self.live(
            ctx,
            tags,
            name=f"{topic.name} → {queue.name}",
            physical_id=arn,
            props=self.canonical(
                {
                    "topic": attributes.get("TopicArn", topic.arn),
                    "queue": attributes.get("Endpoint", queue.arn),
                    "raw_delivery": attributes.get("RawMessageDelivery", "false").lower() == "true",
                    "filter_policy": _filter_policy(attributes.get("FilterPolicy")),
                }
            ),
            attrs={"SubscriptionArn": arn},
        )

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        answer = ctx.client("sns").subscribe(
            TopicArn=props["topic"],
            Protocol="sqs",
            Endpoint=props["queue"],
            Attributes={
                "RawMessageDelivery": _flag(props["raw_delivery"]),
                "FilterPolicy": _policy_json(props["filter_policy"]),
                "FilterPolicyScope": "MessageAttributes",
            },
            ReturnSubscriptionArn=True,
        )
        return {"SubscriptionArn": answer["SubscriptionArn"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        sns = ctx.client("sns")
        arn = live.physical_id
        if bool(props["raw_delivery"]) != bool(live.props.get("raw_delivery")):
            sns.set_subscription_attributes(
                SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue=_flag(props["raw_delivery"])
            )
        wanted = self.canonical(props)["filter_policy"]
        if wanted != self.canonical(live.props).get("filter_policy"):
            sns.set_subscription_attributes(
                SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=_policy_json(wanted)
            )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        sns = ctx.client("sns")
        self.ignore_missing(lambda: sns.unsubscribe(SubscriptionArn=live.physical_id))


def _list_subscriptions(ctx: Context) -> list[dict[str, Any]]:
    """Every subscription in the account and region, from one paginated listing."""
    pages = ctx.client("sns").get_paginator("list_subscriptions").paginate()
    return [sub for page in pages for sub in page.get("Subscriptions", [])]


def _attributes(ctx: Context, arn: str) -> dict[str, str] | None:
    """A subscription's attributes; None when it is gone."""
    return unless_gone(
        NOT_FOUND, lambda: ctx.client("sns").get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    )


def _all_scalars(values: list[Any]) -> bool:
    return all(isinstance(v, (str, int, float, bool)) or v is None for v in values)


def _flag(value: Any) -> str:
    return "true" if value else "false"


def _policy_json(policy: dict[str, Any]) -> str:
    return json.dumps(policy, sort_keys=True)
