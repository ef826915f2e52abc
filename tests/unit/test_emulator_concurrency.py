"""The emulator answers calls made in parallel as AWS does: platformctl's executor makes them all the time."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws


@pytest.fixture
def busy_interpreter() -> Iterator[None]:
    """Threads switch as often as possible, so a race in the emulator shows within one test run."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def test_many_subscriptions_made_at_once_all_succeed(busy_interpreter: None) -> None:
    # moto's SNS backend iterated its subscriptions while another request added one: a 500 for one of them.
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        topic = sns.create_topic(Name="orders")["TopicArn"]
        errors: list[BaseException] = []

        def subscribe(i: int) -> None:
            try:
                sns.subscribe(
                    TopicArn=topic,
                    Protocol="sqs",
                    Endpoint=f"arn:aws:sqs:us-east-1:123456789012:queue-{i}",
                    Attributes={"RawMessageDelivery": "true"},
                )
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                errors.append(exc)

        threads = [threading.Thread(target=subscribe, args=(i,)) for i in range(120)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 100  # one page
