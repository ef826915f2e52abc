"""Issue 12, item 13, through the CLI: turning X-Ray tracing on is applied in one run and then in sync.

Tracing on (platform-wide) and active tracing on the topics change exactly the task definitions, the task
roles and the topics; after the apply the live task definitions carry the collector, each live task role may
call X-Ray and nothing else new, the topics trace actively, and `diff` reports no changes. Turning it off again
takes them all back.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.e2e.helpers import Cli, applied_seed, client, pending

pytestmark = pytest.mark.e2e

PREFIX = "microservices-dev"
MESH = "mesh: service-connect "
DLQ = "  dlqMaxReceives: 5"


def test_tracing_is_applied_in_one_run_then_in_sync_and_goes_away_again(endpoint: str, tmp_path: Path, capsys) -> None:
    cli: Cli = applied_seed(endpoint, tmp_path, capsys)
    cli.edit("platform.yaml", MESH, f"tracing: xray\n{MESH}")
    cli.edit("platform.yaml", DLQ, f"{DLQ}\n  topicTracing: Active")

    steps = pending(cli)
    changed = {(s["kind"], s["action"]) for s in steps}
    assert changed == {
        ("ecs.task_definition", "replace"),  # a revision is immutable
        ("ecs.service", "update"),  # moves to the new revision
        ("iam.role", "update"),  # the task roles' X-Ray grant
        ("sns.topic", "update"),  # TracingConfig changes in place
    }, steps
    roles = {s["id"] for s in steps if s["kind"] == "iam.role"}
    assert roles == {f"role.{n}.task" for n in ("order", "payment", "user")}

    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert pending(cli) == []

    ecs = client(endpoint, "ecs")
    for name in ("order", "payment", "user"):
        td = ecs.describe_task_definition(taskDefinition=f"{PREFIX}-{name}")["taskDefinition"]
        containers = {c["name"]: c for c in td["containerDefinitions"]}
        assert set(containers) == {name, "aws-otel-collector"}
        assert containers["aws-otel-collector"]["essential"] is False
        env = {e["name"]: e["value"] for e in containers[name]["environment"]}
        assert env["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:2000" and env["OTEL_SERVICE_NAME"] == name

    iam = client(endpoint, "iam")
    for role in iam.list_roles(PathPrefix="/platformctl/microservices/dev/")["Roles"]:
        stars = []
        for policy in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=policy)["PolicyDocument"]
            document = json.loads(unquote(document)) if isinstance(document, str) else document
            stars += [s for s in document["Statement"] if s["Resource"] == "*"]
        if role["RoleName"].startswith(f"{PREFIX}-") and "-task" in role["RoleName"]:
            assert [sorted(s["Action"]) for s in stars] == [
                [
                    "xray:GetSamplingRules",
                    "xray:GetSamplingStatisticSummaries",
                    "xray:GetSamplingTargets",
                    "xray:PutTelemetryRecords",
                    "xray:PutTraceSegments",
                ]
            ], role["RoleName"]
        else:
            assert stars == [], role["RoleName"]

    sns = client(endpoint, "sns")
    # The services' event topics; others (the alerts topic) carry no traces and keep SNS's default.
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"] if f":{PREFIX}-" in t["TopicArn"]]
    topics = [arn for arn in topics if arn.endswith("-events")]
    assert topics and all(
        sns.get_topic_attributes(TopicArn=arn)["Attributes"]["TracingConfig"] == "Active" for arn in topics
    )

    cli.edit("platform.yaml", f"tracing: xray\n{MESH}", MESH)
    cli.edit("platform.yaml", f"{DLQ}\n  topicTracing: Active", DLQ)
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert pending(cli) == []
    td = ecs.describe_task_definition(taskDefinition=f"{PREFIX}-order")["taskDefinition"]
    assert [c["name"] for c in td["containerDefinitions"]] == ["order"]
    assert all(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["TracingConfig"] == "PassThrough" for arn in topics)
