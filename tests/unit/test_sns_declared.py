"""The SNS kinds as declarations: what AWS can do between one read call and the next.

A topic's attributes and a subscription's are asked one by one after the listing (`Detail`): a resource
deleted in between is simply gone, not an error, and the rest of the read goes on.
"""

from __future__ import annotations

from typing import Any

from platformctl.engine.model import Resource
from platformctl.resources.base import Context
from platformctl.resources.sns_alert_subscription import ALERTS_TOPIC_ID, SnsAlertSubscription
from platformctl.resources.sns_topic import SnsTopic, our_topics
from tests.unit.kind_harness import ENV, PLATFORM, KindDriver, moto_context

PREFIX = f"{PLATFORM}-{ENV}"


def topic(logical_id: str, name: str) -> Resource:
    return Resource("sns.topic", logical_id, "messaging", f"{PREFIX}-{name}", {"name": f"{PREFIX}-{name}"})


def test_a_topic_deleted_after_its_tags_were_read_is_left_out_and_the_rest_is_read() -> None:
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        kept = driver.create(SnsTopic(), topic("topic.orders", "orders-events"))["TopicArn"]
        gone = driver.create(SnsTopic(), topic("topic.users", "users-events"))["TopicArn"]

        class DeletedMeanwhile(SnsTopic):
            def tagged(self, ctx: Context, items: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, str]]]:
                found = super().tagged(ctx, items)  # both still there, both ours
                ctx.client("sns").delete_topic(TopicArn=gone)  # before their attributes are asked
                return found

        found = driver.read(DeletedMeanwhile())
        assert sorted(found) == ["topic.orders"]
        assert found["topic.orders"].physical_id == kept
        expected = {"name": f"{PREFIX}-orders-events", "kms_key": None, "tracing": "PassThrough"}
        assert found["topic.orders"].props == expected


def test_alert_subscriptions_of_a_topic_deleted_since_it_was_listed_are_none() -> None:
    with moto_context() as ctx:
        sns = ctx.client("sns")
        arn = KindDriver(ctx).create(SnsTopic(), topic(ALERTS_TOPIC_ID, "alerts"))["TopicArn"]
        sns.subscribe(TopicArn=arn, Protocol="https", Endpoint="https://pager.example.com/sns")
        ctx.clear_cache()
        assert [t.logical_id for t in our_topics(ctx)] == [ALERTS_TOPIC_ID]  # listed, and kept for the pass
        sns.delete_topic(TopicArn=arn)
        assert SnsAlertSubscription().read(ctx) == []
