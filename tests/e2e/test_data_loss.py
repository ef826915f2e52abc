"""Data-loss protection end to end: a queue still holding messages is never deleted without --allow-data-loss."""

from __future__ import annotations

import json

import pytest

from tests.e2e.helpers import Cli, applied_seed, client, our_live_arns, pending

pytestmark = pytest.mark.e2e
PREFIX = "microservices-dev"


@pytest.fixture
def cli(endpoint: str, tmp_path, capsys) -> Cli:
    return applied_seed(endpoint, tmp_path, capsys)


def queue_url(endpoint: str, service: str) -> str:
    return client(endpoint, "sqs").get_queue_url(QueueName=f"{PREFIX}-{service}")["QueueUrl"]


def queue_exists(endpoint: str, service: str) -> bool:
    urls = client(endpoint, "sqs").list_queues(QueueNamePrefix=f"{PREFIX}-{service}").get("QueueUrls", [])
    return any(u.endswith(f"/{PREFIX}-{service}") for u in urls)


def depth(endpoint: str, service: str) -> tuple[int, int]:
    """(waiting, in flight), as the SQS console shows them."""
    attributes = client(endpoint, "sqs").get_queue_attributes(
        QueueUrl=queue_url(endpoint, service),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def send(endpoint: str, service: str, count: int) -> None:
    sqs, url = client(endpoint, "sqs"), queue_url(endpoint, service)
    for i in range(count):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"order_id": f"o-{i}"}))


def remove_payment(cli: Cli) -> None:
    """Delete the payment service and every reference to it, as a user retiring it would."""
    (cli.specs / "services" / "payment.yaml").unlink()
    cli.edit("services/order.yaml", "  - {from: payment, events: [payment_succeeded, payment_failed]}\n", "")
    cli.edit("services/order.yaml", "calls: [user, payment]", "calls: [user]")


def marked(steps: list[dict]) -> dict[str, str]:
    return {s["id"]: s["data_loss"] for s in steps if s["data_loss"]}


def test_deleting_a_queue_with_messages_is_marked_and_refused_until_allowed(cli: Cli, endpoint: str) -> None:
    send(endpoint, "payment", 3)
    remove_payment(cli)

    steps = pending(cli)
    by_id = {s["id"]: s for s in steps}
    assert by_id["queue.payment"]["action"] == "delete"
    assert by_id["queue.payment"]["data_loss"] == "3 messages waiting"
    # Only the queue holding messages is marked; its empty dead-letter queue and the rest are not.
    assert by_id["queue.payment.dlq"]["action"] == "delete"
    assert marked(steps) == {"queue.payment": "3 messages waiting"}
    text = cli("diff", "--env", "dev")
    assert text.code == 2
    [line] = [ln for ln in text.out.splitlines() if "sqs.queue queue.payment " in ln]
    assert "⚠ data loss: 3 messages waiting" in line
    assert "1 step loses data." in text.out

    refused = cli("apply", "--env", "dev", "--auto-approve")
    assert refused.code == 1
    assert "sqs.queue queue.payment: 3 messages waiting" in refused.err
    assert "--allow-data-loss" in refused.err and "Nothing was changed" in refused.err
    assert "Traceback" not in refused.err + refused.out
    # Nothing at all was changed: the queue keeps its messages and the plan is still the same.
    assert queue_exists(endpoint, "payment") and depth(endpoint, "payment") == (3, 0)
    assert pending(cli) == steps

    allowed = cli("apply", "--env", "dev", "--auto-approve", "--allow-data-loss")
    assert allowed.code == 0, allowed.err
    assert not queue_exists(endpoint, "payment") and not queue_exists(endpoint, "payment-dlq")
    assert pending(cli) == []


def test_an_empty_queue_is_deleted_without_the_flag(cli: Cli, endpoint: str) -> None:
    # Messages that were consumed (received and deleted) are no data to lose.
    send(endpoint, "payment", 2)
    sqs, url = client(endpoint, "sqs"), queue_url(endpoint, "payment")
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert depth(endpoint, "payment") == (0, 0)
    remove_payment(cli)

    steps = pending(cli)
    assert {s["id"]: s["action"] for s in steps}["queue.payment"] == "delete"
    assert marked(steps) == {}
    text = cli("diff", "--env", "dev")
    assert "data loss" not in text.out and "loses data" not in text.out

    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.err
    assert not queue_exists(endpoint, "payment")


def test_a_saved_plan_is_checked_against_the_messages_there_are_now(cli: Cli, endpoint: str, tmp_path) -> None:
    remove_payment(cli)
    plan = tmp_path / "retire-payment.json"
    made = cli("diff", "--env", "dev", "--out", str(plan), "-o", "json")
    assert made.code == 2
    assert marked(json.loads(made.out)["steps"]) == {}
    # Messages arrive after the plan was reviewed: the queue depth does not stale the plan, but it is data.
    send(endpoint, "payment", 3)

    refused = cli("apply", "--env", "dev", str(plan), "--auto-approve")
    assert refused.code == 1
    assert "queue.payment: 3 messages waiting" in refused.err and "--allow-data-loss" in refused.err
    assert "no longer matches" not in refused.err
    assert depth(endpoint, "payment") == (3, 0)

    allowed = cli("apply", "--env", "dev", str(plan), "--auto-approve", "--allow-data-loss")
    assert allowed.code == 0, allowed.err
    assert not queue_exists(endpoint, "payment")


def test_destroy_refuses_an_environment_whose_queue_holds_messages(cli: Cli, endpoint: str) -> None:
    send(endpoint, "user", 2)
    # A consumer is working on one of them: received, not yet deleted.
    received = client(endpoint, "sqs").receive_message(
        QueueUrl=queue_url(endpoint, "user"), MaxNumberOfMessages=1, VisibilityTimeout=600, WaitTimeSeconds=0
    )
    assert len(received["Messages"]) == 1
    assert depth(endpoint, "user") == (1, 1)
    before = sorted(our_live_arns(endpoint, "microservices", "dev"))

    refused = cli("destroy", "--env", "dev", "--auto-approve")
    assert refused.code == 1
    assert "sqs.queue queue.user: 1 message waiting, 1 in flight" in refused.err
    assert "--allow-data-loss" in refused.err
    assert sorted(our_live_arns(endpoint, "microservices", "dev")) == before
    assert queue_exists(endpoint, "user") and depth(endpoint, "user") == (1, 1)

    destroyed = cli("destroy", "--env", "dev", "--auto-approve", "--allow-data-loss")
    assert destroyed.code == 0, destroyed.err
    assert our_live_arns(endpoint, "microservices", "dev") == []
    assert not queue_exists(endpoint, "user")
