"""The platform layer's whole life through the real CLI against the moto server over HTTP.

apply from empty → diff in sync → a spec change is exactly one update → drift made out of band shows up and
is fixed → destroy leaves nothing of ours, while what we do not own survives byte for byte.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.helpers import Cli, client, copy_seed_specs, our_live_arns

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(endpoint: str, tmp_path, capsys) -> Cli:
    return Cli(endpoint, copy_seed_specs(tmp_path), capsys)


def plan_of(cli: Cli, env: str = "dev") -> dict:
    result = cli("diff", "--env", env, "--output", "json")
    assert result.code in (0, 2), result.err
    return json.loads(result.out)


def pending(plan: dict) -> list[dict]:
    return [s for s in plan["steps"] if s["action"] != "noop"]


def test_platform_layer_lifecycle(cli: Cli, endpoint: str) -> None:
    ec2 = client(endpoint, "ec2")
    logs = client(endpoint, "logs")
    # Someone else's things in the same account, one with a name we would use.
    foreign_vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    foreign_sg = ec2.create_security_group(GroupName="microservices-dev-alb", Description="not ours", VpcId=foreign_vpc)
    logs.create_log_group(logGroupName="/aws/microservices/dev/not-ours", tags={"team": "data"})
    foreign_before = (
        ec2.describe_security_groups(GroupIds=[foreign_sg["GroupId"]])["SecurityGroups"],
        logs.describe_log_groups(logGroupNamePrefix="/aws/microservices/dev/not-ours")["logGroups"],
    )

    # From empty: everything is a create, and diff says so with exit code 2.
    first = plan_of(cli)
    assert first["summary"]["create"] == len(first["steps"]) > 20
    assert {s["kind"] for s in first["steps"]} >= {"ec2.vpc", "ec2.nat_gateway", "ecs.cluster", "kms.key"}

    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete" in applied.err

    in_sync = cli("diff", "--env", "dev")
    assert in_sync.code == 0, in_sync.out
    assert "No changes" in in_sync.out

    # One spec field → exactly one field-level update.
    cli.edit("platform.yaml", "containerInsights: true", "containerInsights: false")
    changed = plan_of(cli)
    assert [(s["action"], s["id"]) for s in pending(changed)] == [("update", "ecs.cluster")]
    assert pending(changed)[0]["changes"] == [{"path": "container_insights", "old": "enabled", "new": "disabled"}]
    assert cli("diff", "--env", "dev").code == 2
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert cli("diff", "--env", "dev").code == 0

    # Drift made behind our back is shown as the field it is, and apply puts it back.
    group = "/aws/microservices/dev/platform"
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    drift = plan_of(cli)
    assert [(s["action"], s["id"], s["changes"]) for s in pending(drift)] == [
        ("update", "logs.platform", [{"path": "retention_days", "old": 7, "new": 30}])
    ]
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 30
    assert cli("diff", "--env", "dev").code == 0

    # Destroy: nothing of ours is left; what is not ours is untouched.
    assert our_live_arns(endpoint, "microservices", "dev")
    destroyed = cli("destroy", "--env", "dev", "--auto-approve")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert our_live_arns(endpoint, "microservices", "dev") == []
    foreign_after = (
        ec2.describe_security_groups(GroupIds=[foreign_sg["GroupId"]])["SecurityGroups"],
        logs.describe_log_groups(logGroupNamePrefix="/aws/microservices/dev/not-ours")["logGroups"],
    )
    assert foreign_after == foreign_before
    assert cli("diff", "--env", "dev").code == 2  # and the specs would build it all again


def test_a_change_that_cannot_happen_in_place_is_a_replacement(cli: Cli) -> None:
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    cli.edit("services/user.yaml", "port: 8080", "port: 9090")
    plan = plan_of(cli)
    steps = {s["id"]: s for s in pending(plan)}
    assert {i: s["action"] for i, s in steps.items()} == {
        # Security-group rules carry the port and AWS cannot edit a rule: -/+.
        "sg.service.user.ingress.alb": "replace",
        "sg.service.user.ingress.order": "replace",
        "sg.service.user.ingress.payment": "replace",
        # A target group's port is fixed; its successor gets a new name, so it can exist beside the old one...
        "tg.user": "replace",
        # ...and what uses it moves over in place: no service replacement.
        "alb.rule.user.users": "update",
        "svc.user": "update",
        "taskdef.user": "replace",  # a new revision with the new container port
    }
    for rule in ("alb", "order", "payment"):
        step = steps[f"sg.service.user.ingress.{rule}"]
        assert step["reason"] == "from_port, to_port force replacement"
        assert {"path": "from_port", "old": 8080, "new": 9090} in step["changes"]
    assert steps["tg.user"]["reason"] == "name, port force replacement"
    text = cli("diff", "--env", "dev").out
    assert "-/+ ec2.security_group_rule sg.service.user.ingress.alb" in text
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert cli("diff", "--env", "dev").code == 0


def test_removing_a_service_deletes_only_what_it_had(cli: Cli) -> None:
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    (cli.specs / "services" / "payment.yaml").unlink()
    # order calls and subscribes to payment: those references go too.
    order = cli.specs / "services" / "order.yaml"
    text = order.read_text()
    text = text.replace("calls: [user, payment]", "calls: [user]")
    order.write_text(text)
    lines = [ln for ln in order.read_text().splitlines() if "from: payment" not in ln]
    order.write_text("\n".join(lines) + "\n")
    result = cli("diff", "--env", "dev", "--output", "json")
    assert result.code == 2, result.err
    plan = json.loads(result.out)
    # The platform layer's share; the messaging layer's is checked in test_messaging.py.
    assert {(s["action"], s["id"]) for s in pending(plan) if s["layer"] == "platform"} == {
        ("delete", "sg.service.payment"),
        ("delete", "sg.service.payment.ingress.alb"),
        ("delete", "sg.service.payment.ingress.order"),
        ("delete", "sg.service.user.ingress.payment"),
    }
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert cli("diff", "--env", "dev").code == 0
