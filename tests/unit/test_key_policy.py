"""The platform key's policy: each AWS service gets only what it uses, held to our resources where it can be."""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from platformctl.layers import BuildContext, desired_resources
from platformctl.specs import load_specs
from tests.unit.spec_helpers import SEED, edit, seed_copy

ACCOUNT = "123456789012"


def build(specs_dir: Path) -> dict[str, Any]:
    return {r.id: r for r in desired_resources(BuildContext(load_specs(specs_dir, "dev", environ={}), ACCOUNT))}


def key_statements(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in resources["kms"].props["policy"]["Statement"]}


def service_principals(statement: dict[str, Any]) -> list[str]:
    service = statement.get("Principal", {}).get("Service", [])
    return service if isinstance(service, list) else [service]


def test_sns_may_use_the_key_only_for_topics_of_this_platform_environment_and_account() -> None:
    resources = build(SEED)
    topics = [
        f"arn:aws:sns:us-east-1:{ACCOUNT}:{r.name}"
        for r in resources.values()
        if r.kind == "sns.topic" and r.id.startswith("topic.")  # the services' topics, not the alerts topic
    ]
    assert len(topics) == 3

    sns = key_statements(resources)["SnsEncryptsForOurQueues"]
    assert service_principals(sns) == ["sns.amazonaws.com"]
    assert sorted(sns["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    [(operator, condition)] = sns["Condition"].items()
    [(key, pattern)] = condition.items()
    assert (operator, key) == ("ArnLike", "aws:SourceArn")
    # The confused deputy: a topic of another account, or of another environment, cannot make SNS use our key.
    assert all(fnmatchcase(topic, pattern) for topic in topics), (pattern, topics)
    for other in (
        "arn:aws:sns:us-east-1:999999999999:microservices-dev-order-events",
        f"arn:aws:sns:us-east-1:{ACCOUNT}:microservices-staging-order-events",
        f"arn:aws:sns:us-east-1:{ACCOUNT}:someone-elses-topic",
    ):
        assert not fnmatchcase(other, pattern), other


def test_eventbridge_may_use_the_key_without_source_conditions_only_while_rules_feed_queues(tmp_path: Path) -> None:
    assert "EventBridgeEncryptsForOurQueues" not in key_statements(build(SEED))  # the seed has no rules

    specs = seed_copy(tmp_path)
    edit(specs, "services/user.yaml", "calls: []", "calls: []\nrules:\n  - {name: signups, pattern: {source: [shop]}}")
    events = key_statements(build(specs))["EventBridgeEncryptsForOurQueues"]
    assert service_principals(events) == ["events.amazonaws.com"]
    # EventBridge sends neither aws:SourceArn nor aws:SourceAccount to KMS: a condition on them would deny it.
    assert "Condition" not in events
    assert sorted(events["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_no_grant_is_left_that_nothing_uses(tmp_path: Path) -> None:
    statements = key_statements(build(SEED))
    principals = [p for s in statements.values() for p in service_principals(s)]
    # SQS uses the key with its callers' own permissions: it never needs a grant of its own. The seed has no
    # rules, so EventBridge never encrypts for one of our queues.
    assert "sqs.amazonaws.com" not in principals and "events.amazonaws.com" not in principals
    assert {"logs.us-east-1.amazonaws.com", "sns.amazonaws.com"} <= set(principals)

    specs = seed_copy(tmp_path)
    for name in ("order", "payment", "user"):  # nobody subscribes to anything: SNS never encrypts for a queue
        path = specs / "services" / f"{name}.yaml"
        lines = path.read_text().splitlines(keepends=True)
        start = next(i for i, line in enumerate(lines) if line.startswith("subscribes:"))
        end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
        path.write_text("".join(lines[:start] + lines[end:]))
    principals = [p for s in key_statements(build(specs)).values() for p in service_principals(s)]
    assert "sns.amazonaws.com" not in principals


def test_every_service_grant_but_eventbridges_is_held_to_our_resources() -> None:
    for sid, statement in key_statements(build(SEED)).items():
        if service_principals(statement):
            assert statement.get("Condition"), f"{sid} lets the service use the key for anyone"
