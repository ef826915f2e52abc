"""Saved plans end to end: `apply PLAN` applies what `diff --out PLAN` showed, or nothing.

A plan file is untrusted input. An edited file, a file of another format, or a file whose plan no longer
matches what platformctl would do now is refused before anything changes; a matching one applies the plan
recomputed from the specs and live AWS, so nothing the file adds can ever be acted on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from platformctl.local import free_port
from tests.e2e.helpers import Cli, applied_seed, client, copy_seed_specs

pytestmark = pytest.mark.e2e
EXEC_LOGS = "/aws/ecs/microservices/dev/exec"
HAND_MADE = "microservices-dev-handmade"  # a queue someone made by hand, with a name like ours and no tags


def retention(endpoint: str) -> int:
    groups = client(endpoint, "logs").describe_log_groups(logGroupNamePrefix=EXEC_LOGS)["logGroups"]
    return groups[0]["retentionInDays"]


def queue_attribute(endpoint: str, name: str, attribute: str) -> str:
    sqs = client(endpoint, "sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[attribute])["Attributes"][attribute]


def lock_left(endpoint: str) -> bool:
    return bool(client(endpoint, "ssm").describe_parameters()["Parameters"])


def saved_retention_change(cli: Cli, tmp_path: Path, days: int) -> Path:
    """The seed's exec-log retention changed in the specs, saved as a plan of one update."""
    text = (cli.specs / "platform.yaml").read_text()
    current = text.split("retentionDays: ", 1)[1].split()[0]
    cli.edit("platform.yaml", f"retentionDays: {current}", f"retentionDays: {days}")
    path = tmp_path / f"retention-{days}.json"
    saved = cli("diff", "--env", "dev", "--out", str(path))
    assert saved.code == 2, saved.err
    return path


def edited(path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    document = json.loads(path.read_text())
    edit(document)
    target = path.with_name(f"edited-{path.name}")
    target.write_text(json.dumps(document))
    return target


def pending_steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in document["steps"] if s["action"] != "noop"]


def exec_logs(document: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in document["steps"] if s["id"] == "logs.exec")


def test_an_edited_plan_is_refused_and_nothing_not_ours_is_ever_touched(endpoint: str, tmp_path, capsys) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    client(endpoint, "sqs").create_queue(QueueName=HAND_MADE)
    plan = saved_retention_change(cli, tmp_path, 14)
    assert "logs.exec" in [s["id"] for s in pending_steps(json.loads(plan.read_text()))]

    def delete_the_hand_made_queue(document: dict[str, Any]) -> None:
        document["steps"].append(
            {
                "action": "delete",
                "layer": "messaging",
                "kind": "sqs.queue",
                "id": "queue.handmade",
                "name": HAND_MADE,
                "changes": [],
                "reason": "no longer in the specs",
                "data_loss": "",
            }
        )

    def retention_of_one_day(document: dict[str, Any]) -> None:
        exec_logs(document)["changes"][0]["new"] = 1

    def drop_the_step(document: dict[str, Any]) -> None:
        document["steps"].remove(exec_logs(document))

    expected = {
        delete_the_hand_made_queue: "delete sqs.queue queue.handmade: in the saved plan, not in the plan now",
        retention_of_one_day: "update logs.log_group logs.exec: changes differ",
        drop_the_step: "update logs.log_group logs.exec: in the plan now, not in the saved plan",
    }
    for edit, difference in expected.items():
        tampered = edited(plan, edit)
        refused = cli("apply", "--env", "dev", "--auto-approve", str(tampered))
        assert refused.code == 1, refused.out + refused.err
        assert f"the plan no longer matches {tampered}" in refused.err, refused.err
        assert "Nothing was applied; run diff again" in refused.err and difference in refused.err, refused.err
        assert "Traceback" not in refused.err
        assert retention(endpoint) == 30 and not lock_left(endpoint)  # nothing applied, the lock released
    assert client(endpoint, "sqs").get_queue_url(QueueName=HAND_MADE)["QueueUrl"]

    applied = cli("apply", "--env", "dev", "--auto-approve", str(plan))
    assert applied.code == 0, applied.err
    assert retention(endpoint) == 14
    assert cli("diff", "--env", "dev").code == 0
    assert client(endpoint, "sqs").get_queue_url(QueueName=HAND_MADE)["QueueUrl"]  # still there


def test_a_scale_event_does_not_stale_a_saved_plan_but_a_hand_change_does(endpoint: str, tmp_path, capsys) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    ecs = client(endpoint, "ecs")
    plan = saved_retention_change(cli, tmp_path, 14)
    # The autoscaler (on for every seed service) scales order out between `diff --out` and `apply PLAN`.
    ecs.update_service(cluster="microservices-dev", service="order", desiredCount=5)

    applied = cli("apply", "--env", "dev", "--auto-approve", str(plan))
    assert applied.code == 0, applied.err
    assert retention(endpoint) == 14
    assert ecs.describe_services(cluster="microservices-dev", services=["order"])["services"][0]["desiredCount"] == 5

    plan = saved_retention_change(cli, tmp_path, 7)
    sqs = client(endpoint, "sqs")
    url = sqs.get_queue_url(QueueName="microservices-dev-payment")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "99"})  # by hand: diff shows it

    refused = cli("apply", "--env", "dev", "--auto-approve", str(plan))
    assert refused.code == 1
    assert "update sqs.queue queue.payment: in the plan now, not in the saved plan" in refused.err, refused.err
    assert retention(endpoint) == 14  # nothing was applied
    assert queue_attribute(endpoint, "microservices-dev-payment", "VisibilityTimeout") == "99"


def test_a_malformed_plan_file_is_one_clear_error_before_any_aws_call(endpoint: str, tmp_path, capsys) -> None:
    specs = copy_seed_specs(tmp_path)
    plan = tmp_path / "plan.json"
    assert Cli(endpoint, specs, capsys)("diff", "--env", "dev", "--out", str(plan)).code == 2
    # Nothing listens on this port: any AWS call (even taking the lock) would fail with a connection error.
    offline = Cli(f"http://127.0.0.1:{free_port()}", specs, capsys)

    def step(document: dict[str, Any]) -> dict[str, Any]:
        return pending_steps(document)[0]

    cases: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
        "missing key": (lambda d: step(d).pop("reason"), "steps[0].reason: Field required"),
        "unknown action": (
            lambda d: step(d).update(action="destroy"),
            "steps[0].action: Input should be 'create', 'update', 'replace', 'delete' or 'noop' (got \"destroy\")",
        ),
        "extra key": (lambda d: d.update(live_fingerprint="abc"), "live_fingerprint: Extra inputs are not permitted"),
        "extra key in a step": (lambda d: step(d).update(physical_id="vpc-1"), "steps[0].physical_id: Extra inputs"),
        "wrong type": (lambda d: step(d).update(changes="none"), "steps[0].changes: Input should be a valid list"),
        "unknown layer": (lambda d: d.update(layers=["network"]), "layers[0]: Input should be 'platform'"),
        "another version": (lambda d: d.update(version=3), "plan format version 3, but this platformctl reads 2"),
        "version 1": (
            lambda d: [d.pop("version"), d.update(format="platformctl-plan/1")],
            "plan format version 1, but this platformctl reads 2",
        ),
        "not a plan": (lambda d: d.update(format="terraform"), "not a platformctl plan file"),
    }
    for name, (edit, message) in cases.items():
        broken = edited(plan, edit)
        result = offline("apply", "--env", "dev", "--auto-approve", str(broken))
        assert result.code == 1, name
        assert f"{broken}: " in result.err and message in result.err, (name, result.err)
        assert "Traceback" not in result.err + result.out, name
        assert "connect" not in result.err.lower(), (name, result.err)  # no AWS call was tried
    assert not lock_left(endpoint)
