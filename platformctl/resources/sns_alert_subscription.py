"""Email and HTTPS subscriptions to the environment's alerts topic: how an alarm reaches a person or a system.

Subscriptions cannot be tagged. The alerts topic is ours and exists for nothing else, so its `email` and
`https` subscriptions are exactly the platform spec's `alerts` list: one subscribed by hand is drift that
apply removes. Subscriptions of any other protocol on it (a Lambda, an SQS queue, SMS) are somebody else's:
never read, so never touched. The logical id is `<topic id>/<protocol>:<endpoint>` (an endpoint is its own
key: a changed address is another subscription), the layer the topic's.

A read is one list_subscriptions_by_topic on the alerts topic (found in the topic kind's cached listing):
the listing gives protocol and endpoint, all there is to compare.

An email subscription, and an HTTPS one until its endpoint answers the confirmation request, is "pending
confirmation": the listing shows `PendingConfirmation` instead of its ARN, and AWS refuses to unsubscribe it
("You can't delete a subscription that's pending confirmation. Amazon SNS automatically deletes unconfirmed
subscriptions after 48 hours": Amazon SNS Developer Guide, "Deleting an Amazon SNS subscription and topic").
So a pending subscription is matched by protocol and endpoint like any other (apply does not subscribe the
address again, which would send another confirmation mail), and one the specs no longer want is left out of
the plan (`undeletable`): AWS drops it by itself unless it is confirmed first, and then the next apply
unsubscribes it. Deleting the topic (destroy) takes its pending subscriptions with it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.naming import TAG_ID
from platformctl.resources import tag_index
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Field, Listing, Owned
from platformctl.resources.sns_subscription import PENDING
from platformctl.resources.sns_topic import NOT_FOUND, our_topics

# The alerts topic's logical id (built by layers/alerts.py): the one topic whose subscribers the specs list.
ALERTS_TOPIC_ID = "alerts"
PROTOCOLS = ("email", "https")


def alert_subscription_id(protocol: str, endpoint: str) -> str:
    return f"{ALERTS_TOPIC_ID}/{protocol}:{endpoint}"


def is_pending(live: LiveResource) -> bool:
    """Whether the endpoint has not confirmed yet (an email not clicked, an HTTPS endpoint not answered)."""
    return bool(live.facts.get("pending"))


def _alerts_topic(ctx: Context) -> Owned | None:
    return next((topic for topic in our_topics(ctx) if topic.logical_id == ALERTS_TOPIC_ID), None)


def _ours_by_protocol(ctx: Context, sub: dict[str, Any]) -> bool:
    # Any other protocol (a Lambda, a queue, SMS) is somebody else's: never compared, never deleted.
    return sub.get("Protocol") in PROTOCOLS


class SnsAlertSubscription(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "sns.alert_subscription"
    service: ClassVar[str] = "sns"
    # Under the alerts topic (see `owned`).
    listing = Listing("list_subscriptions_by_topic", "Subscriptions", keep=_ours_by_protocol)
    id_attr: ClassVar[str] = "SubscriptionArn"
    # A subscription is one topic → one endpoint: every change is a replacement.
    fields: ClassVar[dict[str, Field]] = {
        "topic": Field("TopicArn"),
        "protocol": Field("Protocol"),
        "endpoint": Field("Endpoint"),
    }
    create_call: ClassVar[str] = "subscribe"
    tags_param: ClassVar[str | None] = None  # AWS cannot tag a subscription
    delete_call: ClassVar[str] = "unsubscribe"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def owned(self, ctx: Context) -> list[Owned]:
        """Needs code: subscriptions take no tags; the alerts topic's email and https ones are ours (see above)."""
        topic = _alerts_topic(ctx)
        if topic is None:
            return []
        found: list[Owned] = []
        # Nothing, when the topic was deleted since it was listed.
        for sub in self.listed_under(ctx, self.listing, TopicArn=topic.arn):
            protocol, endpoint, arn = sub["Protocol"], sub["Endpoint"], sub["SubscriptionArn"]
            pending = arn == PENDING
            # A pending subscription has no ARN to show: its physical id says what it is and why.
            physical_id = f"{topic.arn} {protocol}:{endpoint} (pending confirmation)" if pending else arn
            item = {**sub, "SubscriptionArn": None if pending else arn}
            tags = {**topic.tags, TAG_ID: alert_subscription_id(protocol, endpoint)}
            found.append(Owned(item, tags, physical_id, physical_id, f"{topic.name} → {endpoint}"))
        return found

    def facts_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"pending": item["SubscriptionArn"] is None}

    def undeletable(self, live: LiveResource) -> str | None:
        if is_pending(live):
            return (
                "pending confirmation: AWS cannot unsubscribe it, and deletes it 48 hours after it was sent "
                "unless it is confirmed"
            )
        return None

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "TopicArn": props["topic"],
            "Protocol": props["protocol"],
            "Endpoint": props["endpoint"],
            "ReturnSubscriptionArn": True,
        }

    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Needs code: AWS refuses to unsubscribe a pending one; only reached when its topic goes too."""
        if not is_pending(live):
            super().delete(ctx, live)
