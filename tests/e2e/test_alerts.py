"""Alarms reach someone, end to end on the moto server: every alarm notifies the environment's alerts topic,
and the people and systems `alerts` lists are subscribed to it once, and unsubscribed when they leave it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import Cli, client, copy_seed_specs, pending

pytestmark = pytest.mark.e2e
PREFIX = "microservices-dev"
ALERTS = "alerts:\n  email: [ops@example.com, dev@example.com]\n  https: ['https://pager.example.com/sns']\n"


def alerts_topic_arn(endpoint: str) -> str:
    [arn] = [
        t["TopicArn"]
        for t in client(endpoint, "sns").list_topics()["Topics"]
        if t["TopicArn"].endswith(f":{PREFIX}-alerts")
    ]
    return arn


def subscribers(endpoint: str) -> list[tuple[str, str]]:
    listing = client(endpoint, "sns").list_subscriptions_by_topic(TopicArn=alerts_topic_arn(endpoint))["Subscriptions"]
    return sorted((s["Protocol"], s["Endpoint"]) for s in listing)


def test_every_alarm_notifies_the_alerts_topic_and_its_subscribers_follow_the_specs(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    specs = copy_seed_specs(tmp_path)
    with (specs / "platform.yaml").open("a") as f:
        f.write(ALERTS)
    cli = Cli(endpoint, specs, capsys)
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err

    topic = alerts_topic_arn(endpoint)
    attributes = client(endpoint, "sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes.get("KmsMasterKeyId"), "the alerts topic is encrypted with the platform key"
    alarms = client(endpoint, "cloudwatch").describe_alarms(AlarmNamePrefix=f"{PREFIX}-")["MetricAlarms"]
    assert {a["AlarmName"] for a in alarms} >= {
        f"{PREFIX}-api-5xx",
        f"{PREFIX}-user-dlq-depth",
        f"{PREFIX}-user-cpu-high",
    }
    for alarm in alarms:
        assert alarm["AlarmActions"] == [topic], alarm["AlarmName"]
        assert alarm["OKActions"] == [topic], alarm["AlarmName"]

    expected = [("email", "dev@example.com"), ("email", "ops@example.com"), ("https", "https://pager.example.com/sns")]
    assert subscribers(endpoint) == expected
    assert pending(cli) == []
    again = cli("apply", "--env", "dev", "--auto-approve")
    assert again.code == 0, again.out + again.err
    assert subscribers(endpoint) == expected, "a second apply subscribes nobody twice"

    cli.edit("platform.yaml", "[ops@example.com, dev@example.com]", "[ops@example.com]")
    assert [(s["action"], s["id"].split("#")[0]) for s in pending(cli)] == [("delete", "alerts/email:dev@example.com")]
    removed = cli("apply", "--env", "dev", "--auto-approve")
    assert removed.code == 0, removed.out + removed.err
    assert subscribers(endpoint) == [("email", "ops@example.com"), ("https", "https://pager.example.com/sns")]
    assert pending(cli) == []
