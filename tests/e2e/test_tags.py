"""The platform's `tags` are desired state: added, changed or removed in the specs, or by hand, they converge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import Cli, applied_seed, client, pending

pytestmark = pytest.mark.e2e

OWNERSHIP = "platformctl:"
# Kinds AWS cannot tag on their own, or that are found through a tagged parent: never compared.
UNTAGGABLE = {
    "kms.alias",
    "sqs.queue_policy",
    "sns.subscription",
    "events.target",
    "autoscaling.target",
    "autoscaling.policy",
    "apigw.integration",
    "apigw.route",
    "apigw.stage",
    "apigw.authorizer",
    "apigw.api_mapping",
    "cloudwatch.dashboard",
}


def _tags_as_a_user_sees_them(endpoint: str) -> dict[str, dict[str, str]]:
    """The tags of one resource of several services, read the way a user would, by what they are."""
    ec2, sqs, ecs, iam, logs = (client(endpoint, s) for s in ("ec2", "sqs", "ecs", "iam", "logs"))
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:platformctl:env", "Values": ["dev"]}])["Vpcs"][0]
    queue = sqs.get_queue_url(QueueName="microservices-dev-payment")["QueueUrl"]
    cluster = ecs.describe_clusters(clusters=["microservices-dev"], include=["TAGS"])["clusters"][0]
    role = iam.list_roles(PathPrefix="/platformctl/")["Roles"][0]["RoleName"]
    group_arn = logs.describe_log_groups(logGroupNamePrefix="/aws/ecs/microservices/dev/exec")["logGroups"][0]["arn"]
    return {
        "vpc": {t["Key"]: t["Value"] for t in vpc.get("Tags", [])},
        "queue": sqs.list_queue_tags(QueueUrl=queue).get("Tags", {}),
        "cluster": {t["key"]: t["value"] for t in cluster.get("tags", [])},
        "role": {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]},
        "log group": logs.list_tags_for_resource(resourceArn=group_arn.removesuffix(":*")).get("tags", {}),
    }


def _ownership(tags: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {what: {k: v for k, v in t.items() if k.startswith(OWNERSHIP)} for what, t in tags.items()}


def _add_platform_tags(cli: Cli, tags: str) -> None:
    cli.edit("platform.yaml", "environments:", f"tags: {tags}\nenvironments:")


def test_a_tag_added_to_the_specs_updates_every_taggable_resource_in_place_and_converges(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    before = _tags_as_a_user_sees_them(endpoint)
    _add_platform_tags(cli, "{team: payments}")

    steps = pending(cli)
    assert steps, "a new tag must show in the plan"
    assert {s["action"] for s in steps} == {"update"}
    for step in steps:
        assert step["changes"] == [{"path": "tags.team", "old": None, "new": "payments"}], step
    updated_kinds = {s["kind"] for s in steps}
    assert {"ec2.vpc", "sqs.queue", "ecs.cluster", "iam.role", "logs.log_group", "kms.key"} <= updated_kinds
    assert not updated_kinds & UNTAGGABLE
    text = cli("diff", "--env", "dev")
    assert text.code == 2
    assert 'tags.team: (none) → "payments"' in text.out

    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert cli("diff", "--env", "dev").code == 0, "after apply, diff is clean"

    after = _tags_as_a_user_sees_them(endpoint)
    for what, tags in after.items():
        assert tags.get("team") == "payments", what
    assert _ownership(after) == _ownership(before), "ownership tags never change"

    # A changed value and a removed tag are updates of the same kind.
    cli.edit("platform.yaml", "tags: {team: payments}", "tags: {team: billing, cost-centre: '42'}")
    steps = pending(cli)
    assert {s["action"] for s in steps} == {"update"}
    assert all(
        s["changes"]
        == [
            {"path": "tags.cost-centre", "old": None, "new": "42"},
            {"path": "tags.team", "old": "payments", "new": "billing"},
        ]
        for s in steps
    )
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert pending(cli) == []
    assert _tags_as_a_user_sees_them(endpoint)["queue"]["team"] == "billing"


def test_tags_changed_added_or_removed_by_hand_are_drift_that_apply_puts_back(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    _add_platform_tags(cli, "{team: payments}")
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    before = _tags_as_a_user_sees_them(endpoint)

    sqs, ec2, logs = (client(endpoint, s) for s in ("sqs", "ec2", "logs"))
    queue = sqs.get_queue_url(QueueName="microservices-dev-payment")["QueueUrl"]
    sqs.tag_queue(QueueUrl=queue, Tags={"team": "someone-else"})
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "tag:platformctl:env", "Values": ["dev"]}])["Vpcs"][0]["VpcId"]
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "added-by-hand", "Value": "yes"}])
    group = "/aws/ecs/microservices/dev/exec"
    group_arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"].removesuffix(":*")
    logs.untag_resource(resourceArn=group_arn, tagKeys=["team"])

    steps = {s["id"]: s for s in pending(cli)}
    assert {i: (s["action"], s["changes"]) for i, s in steps.items()} == {
        "queue.payment": ("update", [{"path": "tags.team", "old": "someone-else", "new": "payments"}]),
        "vpc": ("update", [{"path": "tags.added-by-hand", "old": "yes", "new": None}]),
        "logs.exec": ("update", [{"path": "tags.team", "old": None, "new": "payments"}]),
    }

    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert cli("diff", "--env", "dev").code == 0
    assert _tags_as_a_user_sees_them(endpoint) == before
