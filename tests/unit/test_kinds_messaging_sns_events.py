"""SNS and EventBridge kinds against moto: create → read equals desired → update → delete → gone.

Topics, buses and rules are ours by their tags; subscriptions and rule targets cannot be tagged and are
ours through their tagged parent (and, for subscriptions, because the endpoint is one of our queues).
Look-alikes, another env's resources and children we did not make stay invisible and survive our deletes.
Queues belong to the SQS queue kind; here they are made with boto3 and `our_queues` is mostly stubbed, so
these tests do not depend on that kind's details (one test goes through the real listing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from platformctl.engine.model import Ref, Resource
from platformctl.errors import AwsCallError
from platformctl.naming import ownership_tags
from platformctl.resources import sns_subscription
from platformctl.resources.base import Context, tag_list
from platformctl.resources.events_bus import EventBus, our_buses
from platformctl.resources.events_rule import EventRule, canonical_pattern, our_rules
from platformctl.resources.events_target import EventTarget
from platformctl.resources.sns_subscription import SnsSubscription
from platformctl.resources.sns_topic import SnsTopic, our_topics
from tests.unit import kind_harness
from tests.unit.kind_harness import (
    ENV,
    PLATFORM,
    KindDriver,
    moto_context,
    our_tags,
    read_calls,
    read_calls_by_action,
    read_one,
    updated,
)

LAYER = "messaging"
PREFIX = f"{PLATFORM}-{ENV}"


# ---- helpers ---------------------------------------------------------------------------------------------
empty_index = kind_harness.empty_index  # the fixture


@dataclass
class FakeQueue:
    """What `sqs_queue.our_queues` gives for each of our queues."""

    arn: str
    url: str
    name: str
    logical_id: str
    layer: str = LAYER
    attributes: dict[str, Any] = field(default_factory=dict)


class Queues:
    """Makes SQS queues with boto3; the ones made `ours` are what the stubbed `our_queues` returns."""

    def __init__(self) -> None:
        self.owned: list[FakeQueue] = []
        self.calls = 0

    def our_queues(self, ctx: Context) -> list[FakeQueue]:
        self.calls += 1
        return list(self.owned)

    def make(self, ctx: Context, name: str, logical_id: str | None = None) -> FakeQueue:
        sqs = ctx.client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue = FakeQueue(arn, url, name, logical_id or "")
        if logical_id:
            self.owned.append(queue)
        return queue


@pytest.fixture
def queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[Queues]:
    """`our_queues` as the subscription kind sees it, answered by the stub."""
    stub = Queues()
    monkeypatch.setattr(sns_subscription, "our_queues", stub.our_queues)
    yield stub


def receive(ctx: Context, queue: FakeQueue) -> list[str]:
    messages = ctx.client("sqs").receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10).get("Messages", [])
    return [m["Body"] for m in messages]


def publish(ctx: Context, topic_arn: str, event_type: str) -> None:
    ctx.client("sns").publish(
        TopicArn=topic_arn,
        Message=json.dumps({"event": event_type}),
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}},
    )


# ---- sns.topic --------------------------------------------------------------------------------------------
def topic_resource(service: str, kms_key: Any = None) -> Resource:
    name = f"{PREFIX}-{service}-events"
    return Resource("sns.topic", f"topic.{service}", LAYER, name, {"name": name, "kms_key": kms_key})


def kms_arn(ctx: Context) -> str:
    return ctx.client("kms").create_key(Description="test")["KeyMetadata"]["Arn"]


def test_sns_topic_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        sns = ctx.client("sns")
        kind, driver = SnsTopic(), KindDriver(ctx)
        driver.outputs["kms"] = {"Arn": kms_arn(ctx)}
        untagged = sns.create_topic(Name=f"{PREFIX}-lookalike-events")["TopicArn"]
        other_env = sns.create_topic(
            Name=f"{PREFIX}-copy-events", Tags=tag_list(our_tags("topic.orders", LAYER, "prod"))
        )["TopicArn"]

        resource = topic_resource("orders", kms_key=Ref("kms", "Arn"))
        attrs = driver.create(kind, resource)
        assert attrs == {"TopicArn": attrs["TopicArn"], "Name": f"{PREFIX}-orders-events"}
        live = read_one(driver, kind, resource)
        assert live.id == "topic.orders"
        assert live.physical_id == attrs["TopicArn"]
        assert live.attrs == attrs
        assert live.props["kms_key"] == driver.outputs["kms"]["Arn"]

        updated(driver, kind, resource, kms_key=None)
        live = updated(driver, kind, resource, kms_key=Ref("kms", "Arn"))

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # gone already: fine
        left = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
        assert left == {untagged, other_env}


def test_sns_topic_create_refuses_a_foreign_topic_of_the_same_name() -> None:
    # AWS itself refuses CreateTopic when the tags differ; moto hands back the existing topic.
    with moto_context() as ctx:
        ctx.client("sns").create_topic(Name=f"{PREFIX}-orders-events")
        resource = topic_resource("orders")
        with pytest.raises(AwsCallError, match="not ours"):
            SnsTopic().create(ctx, resource, resource.props)


def test_sns_topic_read_asks_only_candidates_and_attributes_only_of_ours() -> None:
    with moto_context() as ctx:
        sns = ctx.client("sns")
        kind, driver = SnsTopic(), KindDriver(ctx)
        for service in ("a", "b", "c"):
            driver.create(kind, topic_resource(service))
        for i in range(5):
            sns.create_topic(Name=f"unrelated-{i}")
        sns.create_topic(Name=f"{PREFIX}-untagged-events")
        found, calls = read_calls_by_action(ctx, kind)
        assert sorted(live.id for live in found) == ["topic.a", "topic.b", "topic.c"]
        assert calls == {
            ("sns", "ListTopics"): 1,
            ("resourcegroupstaggingapi", "GetResources"): 1,
            ("sns", "ListTagsForResource"): 1,  # the untagged candidate, which the index does not know
            ("sns", "GetTopicAttributes"): 3,  # ours only
        }


def test_sns_topic_the_index_does_not_know_yet_is_read_through_its_own_tags(empty_index: None) -> None:
    with moto_context() as ctx:
        sns = ctx.client("sns")
        kind, driver = SnsTopic(), KindDriver(ctx)
        sns.create_topic(Name=f"{PREFIX}-lookalike-events")
        sns.create_topic(Name=f"{PREFIX}-copy-events", Tags=tag_list(our_tags("topic.orders", LAYER, "prod")))
        resource = topic_resource("orders")
        driver.create(kind, resource)
        found, calls = read_calls_by_action(ctx, kind)
        assert [live.id for live in found] == ["topic.orders"]
        assert found[0].attrs == driver.outputs[resource.id]
        assert calls[("sns", "ListTagsForResource")] == 3
        assert calls[("sns", "GetTopicAttributes")] == 1


# ---- sns.subscription -------------------------------------------------------------------------------------
def subscription_resource(events: list[str], topic: str = "topic.orders", queue: str = "queue.billing") -> Resource:
    return Resource(
        "sns.subscription",
        f"{topic}/{queue}",
        LAYER,
        "orders → billing",
        {
            "topic": Ref(topic, "TopicArn"),
            "queue": Ref(queue, "Arn"),
            "raw_delivery": True,
            "filter_policy": {"event_type": events},
        },
    )


def test_sns_subscription_lifecycle_filtering_and_foreign_subscriptions(queues: Queues) -> None:
    with moto_context() as ctx:
        sns = ctx.client("sns")
        topics, kind, driver = SnsTopic(), SnsSubscription(), KindDriver(ctx)
        topic_arn = driver.create(topics, topic_resource("orders"))["TopicArn"]
        billing = queues.make(ctx, f"{PREFIX}-billing", "queue.billing")
        driver.outputs["queue.billing"] = {"Arn": billing.arn, "QueueUrl": billing.url}
        # Someone's debugging queue subscribed to our topic: not ours, never read, never deleted.
        debug = queues.make(ctx, "debug-tap")
        foreign = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=debug.arn, ReturnSubscriptionArn=True)[
            "SubscriptionArn"
        ]

        resource = subscription_resource(["order_paid", "order_created"])
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"SubscriptionArn"}
        live = read_one(driver, kind, resource)
        assert live.id == "topic.orders/queue.billing"
        assert live.layer == LAYER
        assert live.physical_id == attrs["SubscriptionArn"]
        assert live.attrs == attrs
        assert live.props["filter_policy"] == {"event_type": ["order_created", "order_paid"]}

        # moto enforces the filter policy on publish, and raw delivery hands over the message itself.
        publish(ctx, topic_arn, "order_created")
        publish(ctx, topic_arn, "order_shipped")
        assert receive(ctx, billing) == [json.dumps({"event": "order_created"})]

        # A changed event list is an in-place update: same subscription, new filter.
        live = updated(driver, kind, resource, filter_policy={"event_type": ["order_shipped", "order_created"]})
        assert live.physical_id == attrs["SubscriptionArn"]
        publish(ctx, topic_arn, "order_paid")
        publish(ctx, topic_arn, "order_shipped")
        assert receive(ctx, billing) == [json.dumps({"event": "order_shipped"})]

        live = updated(driver, kind, resource, raw_delivery=False)
        assert live.props["raw_delivery"] is False
        live = updated(driver, kind, resource, raw_delivery=True)

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # gone already: fine
        left = [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]]
        assert left == [foreign]


def test_sns_subscription_on_a_topic_not_ours_is_not_read(queues: Queues) -> None:
    with moto_context() as ctx:
        sns = ctx.client("sns")
        billing = queues.make(ctx, f"{PREFIX}-billing", "queue.billing")
        prod_tags = tag_list(our_tags("topic.orders", LAYER, "prod"))
        for name, tags in ((f"{PREFIX}-orders-events", prod_tags), ("plain", [])):
            arn = sns.create_topic(Name=name, Tags=tags)["TopicArn"]
            sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=billing.arn)
        assert SnsSubscription().read(ctx) == []


def test_sns_subscription_canonical_sorts_event_lists() -> None:
    kind = SnsSubscription()
    props = {"topic": "t", "queue": "q", "raw_delivery": True, "filter_policy": {"event_type": ["b", "c", "a"]}}
    assert kind.canonical(props)["filter_policy"] == {"event_type": ["a", "b", "c"]}
    assert props["filter_policy"]["event_type"] == ["b", "c", "a"]  # the input is left alone
    assert kind.canonical(kind.canonical(props)) == kind.canonical(props)


def test_sns_subscription_read_shares_the_topic_listing_and_costs_a_call_per_subscription(queues: Queues) -> None:
    with moto_context() as ctx:
        sns = ctx.client("sns")
        topics, kind, driver = SnsTopic(), SnsSubscription(), KindDriver(ctx)
        for service in ("orders", "users"):
            driver.create(topics, topic_resource(service))
        for service in ("billing", "mail"):
            queue = queues.make(ctx, f"{PREFIX}-{service}", f"queue.{service}")
            driver.outputs[f"queue.{service}"] = {"Arn": queue.arn}
        for topic, queue in (("orders", "billing"), ("orders", "mail"), ("users", "mail")):
            driver.create(kind, subscription_resource(["x"], f"topic.{topic}", f"queue.{queue}"))
        tap = queues.make(ctx, "debug-tap")
        sns.subscribe(TopicArn=driver.outputs["topic.orders"]["TopicArn"], Protocol="sqs", Endpoint=tap.arn)

        # Another topic's subscription to our queue, in the same account-wide listing: not ours.
        plain = sns.create_topic(Name="plain")["TopicArn"]
        sns.subscribe(TopicArn=plain, Protocol="sqs", Endpoint=driver.outputs["queue.billing"]["Arn"])

        found, calls = read_calls_by_action(ctx, topics, kind)
        assert sorted(live.id for live in found if live.kind == kind.kind) == [
            "topic.orders/queue.billing",
            "topic.orders/queue.mail",
            "topic.users/queue.mail",
        ]
        assert calls == {
            # topics: listing, index, attributes of our 2
            ("sns", "ListTopics"): 1,
            ("resourcegroupstaggingapi", "GetResources"): 1,
            ("sns", "GetTopicAttributes"): 2,
            # subscriptions: one account-wide listing, attributes of our 3
            ("sns", "ListSubscriptions"): 1,
            ("sns", "GetSubscriptionAttributes"): 3,
        }
        assert queues.calls == 1


def test_sns_subscription_read_skips_queue_lookup_without_topics(queues: Queues) -> None:
    with moto_context() as ctx:
        found, calls = read_calls(ctx, SnsSubscription())
        assert found == []
        assert calls == 1
        assert queues.calls == 0


# ---- events.bus -------------------------------------------------------------------------------------------
def bus_resource(name: str = PREFIX, logical_id: str = "bus") -> Resource:
    return Resource("events.bus", logical_id, LAYER, name, {"name": name})


def test_event_bus_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        events = ctx.client("events")
        kind, driver = EventBus(), KindDriver(ctx)
        events.create_event_bus(Name=f"{PREFIX}-lookalike")
        events.create_event_bus(Name=f"{PREFIX}-copy", Tags=tag_list(our_tags("bus", LAYER, "prod")))

        resource = bus_resource()
        attrs = driver.create(kind, resource)
        assert attrs == {"Name": PREFIX, "Arn": f"arn:aws:events:us-east-1:123456789012:event-bus/{PREFIX}"}
        live = read_one(driver, kind, resource)
        assert live.id == "bus"
        assert live.physical_id == PREFIX
        assert live.attrs == attrs

        # Never adopts a bus of the same name: AWS refuses the create.
        with pytest.raises(Exception, match="ResourceAlreadyExists"):
            kind.create(ctx, bus_resource(), bus_resource().props)

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # gone already: fine
        left = {b["Name"] for b in events.list_event_buses()["EventBuses"]}
        assert left == {"default", f"{PREFIX}-lookalike", f"{PREFIX}-copy"}


def test_event_bus_read_lists_by_prefix() -> None:
    with moto_context() as ctx:
        events = ctx.client("events")
        kind, driver = EventBus(), KindDriver(ctx)
        driver.create(kind, bus_resource())
        driver.create(kind, bus_resource(f"{PREFIX}-audit", "bus.audit"))
        for i in range(4):
            events.create_event_bus(Name=f"unrelated-{i}")
        found, calls = read_calls_by_action(ctx, kind)
        assert sorted(live.id for live in found) == ["bus", "bus.audit"]
        # One listing (the prefix leaves out default and unrelated); tags from the index.
        assert calls == {("events", "ListEventBuses"): 1, ("resourcegroupstaggingapi", "GetResources"): 1}


def test_event_bus_and_rules_the_index_does_not_know_yet_are_read_through_their_own_tags(empty_index: None) -> None:
    with moto_context() as ctx:
        events = ctx.client("events")
        buses, rules, driver = EventBus(), EventRule(), KindDriver(ctx)
        events.create_event_bus(Name=f"{PREFIX}-lookalike")
        events.create_event_bus(Name=f"{PREFIX}-copy", Tags=tag_list(our_tags("bus", LAYER, "prod")))
        driver.create(buses, bus_resource())
        events.put_rule(Name=f"{PREFIX}-lookalike", EventBusName=PREFIX, EventPattern=json.dumps(PATTERN))
        resource = rule_resource()
        driver.create(rules, resource)
        found, calls = read_calls_by_action(ctx, buses, rules)
        assert sorted(live.id for live in found) == ["bus", "rule.billing.paid"]
        assert calls[("events", "ListTagsForResource")] == 3 + 2  # three buses listed, two rules on ours


# ---- events.rule ------------------------------------------------------------------------------------------
PATTERN = {"source": ["shop.orders"], "detail-type": ["OrderPaid", "OrderCreated"]}


def rule_resource(rule: str = "paid", pattern: dict[str, Any] | None = None) -> Resource:
    name = f"{PREFIX}-billing-{rule}"
    return Resource(
        "events.rule",
        f"rule.billing.{rule}",
        LAYER,
        name,
        {
            "name": name,
            "bus": Ref("bus", "Name"),
            "pattern": pattern or dict(PATTERN),
            "state": "ENABLED",
            "description": f"{PREFIX}: {rule} → billing queue",
        },
    )


def test_event_rule_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        events = ctx.client("events")
        buses, kind, driver = EventBus(), EventRule(), KindDriver(ctx)
        driver.create(buses, bus_resource())
        pattern = json.dumps(PATTERN)
        events.put_rule(Name=f"{PREFIX}-lookalike", EventBusName=PREFIX, EventPattern=pattern)
        events.put_rule(
            Name=f"{PREFIX}-copy",
            EventBusName=PREFIX,
            EventPattern=pattern,
            Tags=tag_list(our_tags("rule.billing.paid", LAYER, "prod")),
        )
        # Our tags, but on the default bus, which is not ours: rules live on our bus only.
        events.put_rule(Name=f"{PREFIX}-stray", EventPattern=pattern, Tags=tag_list(our_tags("rule.stray", LAYER)))

        resource = rule_resource()
        attrs = driver.create(kind, resource)
        assert attrs == {"Name": f"{PREFIX}-billing-paid", "Arn": attrs["Arn"]}
        assert attrs["Arn"].endswith(f":rule/{PREFIX}/{PREFIX}-billing-paid")
        live = read_one(driver, kind, resource)
        assert live.id == "rule.billing.paid"
        assert live.physical_id == attrs["Arn"]
        assert live.attrs == attrs
        assert live.props["pattern"]["detail-type"] == ["OrderCreated", "OrderPaid"]

        updated(driver, kind, resource, pattern={"source": ["shop.orders"], "detail-type": ["OrderRefunded"]})
        updated(driver, kind, resource, state="DISABLED")
        live = updated(driver, kind, resource, description="")
        assert live.props["description"] == ""
        assert live.props["state"] == "DISABLED"

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # gone already: fine
        left = {r["Name"] for r in events.list_rules(EventBusName=PREFIX)["Rules"]}
        assert left == {f"{PREFIX}-lookalike", f"{PREFIX}-copy"}
        assert [r["Name"] for r in events.list_rules()["Rules"]] == [f"{PREFIX}-stray"]


def test_event_rule_create_refuses_a_foreign_rule_of_the_same_name() -> None:
    with moto_context() as ctx:
        events = ctx.client("events")
        driver = KindDriver(ctx)
        driver.create(EventBus(), bus_resource())
        resource = rule_resource()
        events.put_rule(Name=resource.props["name"], EventBusName=PREFIX, EventPattern='{"source": ["x"]}')
        with pytest.raises(AwsCallError, match="not ours"):
            driver.create(EventRule(), resource)
        assert events.describe_rule(Name=resource.props["name"], EventBusName=PREFIX)["EventPattern"] == (
            '{"source": ["x"]}'
        )


def test_event_rule_delete_removes_leftover_targets(queues: Queues) -> None:
    with moto_context() as ctx:
        events = ctx.client("events")
        kind, driver = EventRule(), KindDriver(ctx)
        driver.create(EventBus(), bus_resource())
        driver.create(kind, rule_resource())
        queue = queues.make(ctx, "some-queue")
        name = f"{PREFIX}-billing-paid"
        events.put_targets(Rule=name, EventBusName=PREFIX, Targets=[{"Id": "extra", "Arn": queue.arn}])
        kind.delete(ctx, driver.read(kind)["rule.billing.paid"])
        assert driver.read(kind) == {}


def test_event_rule_canonical_pattern() -> None:
    written = {"detail": {"amount": [{"numeric": [">", 0, "<=", 5]}], "b": ["y", "x"]}, "a": [3, 1]}
    canonical = canonical_pattern(written)
    assert list(canonical) == ["a", "detail"]
    assert canonical["a"] == [1, 3]
    assert canonical["detail"]["b"] == ["x", "y"]
    assert canonical["detail"]["amount"] == [{"numeric": [">", 0, "<=", 5]}]  # operator order matters
    assert canonical_pattern(canonical) == canonical
    kind = EventRule()
    assert kind.canonical({"pattern": written, "state": "ENABLED"})["pattern"] == canonical


# ---- events.target ----------------------------------------------------------------------------------------
def target_resource(queue: str = "queue.billing") -> Resource:
    return Resource(
        "events.target",
        "rule.billing.paid/target",
        LAYER,
        "paid → billing",
        {
            "rule": Ref("rule.billing.paid", "Name"),
            "bus": Ref("bus", "Name"),
            "target_id": "queue",
            "arn": Ref(queue, "Arn"),
        },
    )


def test_event_target_lifecycle_through_parent_rule(queues: Queues) -> None:
    with moto_context() as ctx:
        events = ctx.client("events")
        kind, driver = EventTarget(), KindDriver(ctx)
        driver.create(EventBus(), bus_resource())
        rule_name = driver.create(EventRule(), rule_resource())["Name"]
        for service in ("billing", "mail"):
            queue = queues.make(ctx, f"{PREFIX}-{service}", f"queue.{service}")
            driver.outputs[f"queue.{service}"] = {"Arn": queue.arn}
        extra = queues.make(ctx, "debug-tap")
        events.put_targets(Rule=rule_name, EventBusName=PREFIX, Targets=[{"Id": "debug", "Arn": extra.arn}])
        # A look-alike rule (untagged) with a target called "queue": not ours.
        events.put_rule(Name=f"{PREFIX}-lookalike", EventBusName=PREFIX, EventPattern=json.dumps(PATTERN))
        events.put_targets(Rule=f"{PREFIX}-lookalike", EventBusName=PREFIX, Targets=[{"Id": "queue", "Arn": extra.arn}])

        resource = target_resource()
        attrs = driver.create(kind, resource)
        assert attrs == {"TargetId": "queue", "Rule": rule_name}
        live = read_one(driver, kind, resource)
        assert live.id == "rule.billing.paid/target"
        assert live.layer == LAYER
        assert live.attrs == attrs

        live = updated(driver, kind, resource, arn=Ref("queue.mail", "Arn"))
        assert live.props["arn"] == driver.outputs["queue.mail"]["Arn"]

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # gone already: fine
        left = [t["Id"] for t in events.list_targets_by_rule(Rule=rule_name, EventBusName=PREFIX)["Targets"]]
        assert left == ["debug"]
        lookalike = events.list_targets_by_rule(Rule=f"{PREFIX}-lookalike", EventBusName=PREFIX)["Targets"]
        assert [t["Id"] for t in lookalike] == ["queue"]

        # The rule and bus gone too: deleting the target again is still fine.
        EventRule().delete(ctx, driver.read(EventRule())["rule.billing.paid"])
        kind.delete(ctx, live)


def test_bus_rule_and_target_reads_share_listings(queues: Queues) -> None:
    with moto_context() as ctx:
        buses, rules, targets, driver = EventBus(), EventRule(), EventTarget(), KindDriver(ctx)
        driver.create(buses, bus_resource())
        queue = queues.make(ctx, f"{PREFIX}-billing", "queue.billing")
        driver.outputs["queue.billing"] = {"Arn": queue.arn}
        for rule in ("paid", "refunded"):
            driver.create(rules, rule_resource(rule))
        driver.create(targets, target_resource())

        found, delta = read_calls_by_action(ctx, buses, rules, targets)
        assert [live.kind for live in found].count("events.bus") == 1
        assert [live.kind for live in found].count("events.rule") == 2
        assert [live.id for live in found if live.kind == "events.target"] == ["rule.billing.paid/target"]
        assert delta == {
            ("events", "ListEventBuses"): 1,
            ("resourcegroupstaggingapi", "GetResources"): 1,
            # moto's Tagging API indexes event buses but not rules: each rule falls back to its own tag call.
            ("events", "ListTagsForResource"): 2,
            ("events", "ListRules"): 1,
            ("events", "ListTargetsByRule"): 2,
        }
        assert [b.name for b in our_buses(ctx)] == [PREFIX]
        assert sorted(r.name for r in our_rules(ctx)) == [f"{PREFIX}-billing-paid", f"{PREFIX}-billing-refunded"]
        assert [t.name for t in our_topics(ctx)] == []


# ---- a whole messaging path -------------------------------------------------------------------------------
def test_event_rule_delivers_to_its_target_queue(queues: Queues) -> None:
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        driver.create(EventBus(), bus_resource())
        driver.create(EventRule(), rule_resource())
        queue = queues.make(ctx, f"{PREFIX}-billing", "queue.billing")
        driver.outputs["queue.billing"] = {"Arn": queue.arn}
        driver.create(EventTarget(), target_resource())

        def send(detail_type: str) -> None:
            entry = {"Source": "shop.orders", "DetailType": detail_type, "Detail": "{}", "EventBusName": PREFIX}
            ctx.client("events").put_events(Entries=[entry])

        send("OrderPaid")
        send("OrderShipped")
        bodies = [json.loads(body)["detail-type"] for body in receive(ctx, queue)]
        assert bodies == ["OrderPaid"]


def test_sns_subscription_finds_its_queue_through_the_queue_kind() -> None:
    """Unstubbed: the queue is ours because the SQS queue kind's listing says so (tags and name prefix)."""
    with moto_context() as ctx:
        sqs = ctx.client("sqs")
        topics, kind, driver = SnsTopic(), SnsSubscription(), KindDriver(ctx)
        driver.create(topics, topic_resource("orders"))
        url = sqs.create_queue(
            QueueName=f"{PREFIX}-billing", tags=ownership_tags(PLATFORM, ENV, LAYER, "queue.billing")
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        driver.outputs["queue.billing"] = {"Arn": arn, "QueueUrl": url}
        resource = subscription_resource(["order_created"])
        driver.create(kind, resource)
        assert read_one(driver, kind, resource).id == "topic.orders/queue.billing"
