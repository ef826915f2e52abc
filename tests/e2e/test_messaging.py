"""The messaging layer end to end on the moto server: events reach exactly the queues that asked for them."""

from __future__ import annotations

import json

import pytest

from tests.e2e.helpers import Cli, SharedSeed, client, copy_seed_specs, pending

pytestmark = pytest.mark.e2e
PREFIX = "microservices-dev"


@pytest.fixture
def platform(shared_seed: SharedSeed, capsys) -> Cli:
    """The applied seed platform with empty queues, shared with the module's tests that change nothing else."""
    return shared_seed.read(capsys)


@pytest.fixture
def cli(shared_seed: SharedSeed, capsys) -> Cli:
    """The applied seed platform, this test's to change."""
    return shared_seed.take(capsys)


def topic_arn(endpoint: str, service: str) -> str:
    arns = [t["TopicArn"] for t in client(endpoint, "sns").list_topics()["Topics"]]
    [arn] = [a for a in arns if a.endswith(f":{PREFIX}-{service}-events")]
    return arn


def queue_url(endpoint: str, name: str) -> str:
    return client(endpoint, "sqs").get_queue_url(QueueName=f"{PREFIX}-{name}")["QueueUrl"]


def publish(endpoint: str, service: str, event_type: str, body: dict) -> None:
    """Exactly as the README tells a service to publish."""
    client(endpoint, "sns").publish(
        TopicArn=topic_arn(endpoint, service),
        Message=json.dumps(body),
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}},
    )


def drain(endpoint: str, url: str) -> list[dict]:
    messages = client(endpoint, "sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_an_event_reaches_exactly_the_queues_subscribed_to_it(platform: Cli) -> None:
    endpoint = platform.endpoint
    assert pending(platform) == []
    publish(endpoint, "order", "order_created", {"order_id": "o-1"})
    # payment subscribes to order_created; user listens to the order topic for order_cancelled only.
    assert drain(endpoint, queue_url(endpoint, "payment")) == [{"order_id": "o-1"}]  # raw delivery: the body
    assert drain(endpoint, queue_url(endpoint, "user")) == []
    publish(endpoint, "order", "order_cancelled", {"order_id": "o-1"})
    assert drain(endpoint, queue_url(endpoint, "payment")) == [{"order_id": "o-1"}]
    assert drain(endpoint, queue_url(endpoint, "user")) == [{"order_id": "o-1"}]
    # An event without the attribute matches no filter: it reaches nobody.
    client(endpoint, "sns").publish(TopicArn=topic_arn(endpoint, "order"), Message="{}")
    assert drain(endpoint, queue_url(endpoint, "payment")) == []


def test_a_message_that_keeps_failing_lands_in_the_dead_letter_queue(platform: Cli) -> None:
    endpoint = platform.endpoint
    sqs = client(endpoint, "sqs")
    url, dlq = queue_url(endpoint, "payment"), queue_url(endpoint, "payment-dlq")
    publish(endpoint, "order", "order_created", {"order_id": "poison"})
    for attempt in range(5):  # messaging.dlqMaxReceives in the seed specs
        received = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, WaitTimeSeconds=0)
        assert len(received.get("Messages", [])) == 1, f"attempt {attempt + 1}"
        # processing fails: the message is not deleted and becomes visible again
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []
    assert drain(endpoint, dlq) == [{"order_id": "poison"}]
    alarms = client(endpoint, "cloudwatch").describe_alarms(AlarmNamePrefix=f"{PREFIX}-payment-dlq")["MetricAlarms"]
    assert [a["Dimensions"] for a in alarms] == [[{"Name": "QueueName", "Value": f"{PREFIX}-payment-dlq"}]]


def test_queue_policies_admit_only_the_topics_a_queue_subscribes_to(platform: Cli) -> None:
    endpoint = platform.endpoint
    sqs = client(endpoint, "sqs")
    url = queue_url(endpoint, "order")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy", "QueueArn"])["Attributes"]
    [statement] = json.loads(attrs["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == attrs["QueueArn"]
    assert sorted(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(
        [topic_arn(endpoint, "payment"), topic_arn(endpoint, "user")]
    )


def test_changing_subscribed_events_is_one_filter_policy_update(cli: Cli) -> None:
    endpoint = cli.endpoint
    sns = client(endpoint, "sns")
    before = {s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]}
    cli.edit("services/user.yaml", "events: [order_cancelled]", "events: [order_cancelled, order_created]")
    steps = pending(cli)
    assert [(s["action"], s["kind"], s["id"]) for s in steps] == [
        ("update", "sns.subscription", "topic.order/queue.user")
    ]
    assert steps[0]["changes"] == [{"path": "filter_policy.event_type[1]", "old": None, "new": "order_created"}]
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert pending(cli) == []
    assert {s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]} == before  # not re-subscribed
    publish(endpoint, "order", "order_created", {"order_id": "o-2"})
    assert drain(endpoint, queue_url(endpoint, "user")) == [{"order_id": "o-2"}]


def test_changing_a_queue_setting_is_one_update_that_keeps_its_policy(cli: Cli) -> None:
    endpoint = cli.endpoint
    cli.edit("services/order.yaml", "visibilityTimeout: 60", "visibilityTimeout: 90")
    steps = pending(cli)
    assert [(s["action"], s["kind"], s["id"]) for s in steps] == [("update", "sqs.queue", "queue.order")]
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert pending(cli) == []  # the queue policy is untouched by the attribute change
    attributes = client(endpoint, "sqs").get_queue_attributes(
        QueueUrl=queue_url(endpoint, "order"), AttributeNames=["VisibilityTimeout", "Policy"]
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == "90" and "sns.amazonaws.com" in attributes["Policy"]


def test_removing_a_service_removes_its_messaging_and_nothing_else(cli: Cli) -> None:
    endpoint = cli.endpoint
    (cli.specs / "services" / "payment.yaml").unlink()
    order = cli.specs / "services" / "order.yaml"
    kept = [ln for ln in order.read_text().splitlines() if "from: payment" not in ln]
    order.write_text("\n".join(kept).replace("calls: [user, payment]", "calls: [user]") + "\n")
    steps = {(s["action"], s["id"]) for s in pending(cli) if s["layer"] == "messaging"}
    assert steps == {
        ("delete", "topic.payment"),
        ("delete", "queue.payment"),
        ("delete", "queue.payment.dlq"),
        ("delete", "queue.payment/policy"),
        ("delete", "alarm.payment.dlq"),
        ("delete", "topic.order/queue.payment"),  # payment's subscription to order
        ("delete", "topic.payment/queue.order"),  # order's subscription to payment
        ("update", "queue.order/policy"),  # order's queue no longer accepts payment's topic
    }
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert pending(cli) == []
    names = [t["TopicArn"].rsplit(":", 1)[1] for t in client(endpoint, "sns").list_topics()["Topics"]]
    # The alerts topic is the environment's, not a service's: it stays.
    assert sorted(names) == [f"{PREFIX}-alerts", f"{PREFIX}-order-events", f"{PREFIX}-user-events"]
    urls = client(endpoint, "sqs").list_queues(QueueNamePrefix=PREFIX)["QueueUrls"]
    assert sorted(u.rsplit("/", 1)[1] for u in urls) == [
        f"{PREFIX}-order",
        f"{PREFIX}-order-dlq",
        f"{PREFIX}-user",
        f"{PREFIX}-user-dlq",
    ]
    publish(endpoint, "order", "order_cancelled", {"order_id": "o-3"})
    assert drain(endpoint, queue_url(endpoint, "user")) == [{"order_id": "o-3"}]


def test_messaging_cannot_be_applied_before_the_platform_it_stands_on(endpoint: str, tmp_path, capsys) -> None:
    fresh = Cli(endpoint, copy_seed_specs(tmp_path / "fresh"), capsys)
    result = fresh("apply", "--env", "dev", "--layer", "messaging", "--auto-approve")
    assert result.code == 1
    assert "from layer 'platform'" in result.err and "apply --layer platform" in result.err


def test_an_eventbridge_rule_delivers_matching_events_to_the_service_queue(endpoint: str, tmp_path, capsys) -> None:
    cli = Cli(endpoint, copy_seed_specs(tmp_path), capsys)
    cli.edit(
        "services/payment.yaml",
        "queue:",
        "rules:\n  - {name: chargebacks, pattern: {source: [bank], detail-type: [chargeback]}}\nqueue:",
    )
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert pending(cli) == []
    events = client(endpoint, "events")
    events.put_events(
        Entries=[
            {"Source": "bank", "DetailType": "chargeback", "Detail": '{"payment": "p-1"}', "EventBusName": PREFIX},
            {"Source": "shop", "DetailType": "chargeback", "Detail": '{"payment": "p-2"}', "EventBusName": PREFIX},
        ]
    )
    [event] = drain(endpoint, queue_url(endpoint, "payment"))
    assert event["detail"] == {"payment": "p-1"}  # only the matching event
    policy = client(endpoint, "sqs").get_queue_attributes(
        QueueUrl=queue_url(endpoint, "payment"), AttributeNames=["Policy"]
    )["Attributes"]["Policy"]
    sids = {s["Sid"]: s for s in json.loads(policy)["Statement"]}
    assert sids["FromEventRules"]["Principal"] == {"Service": "events.amazonaws.com"}
