"""`platformctl iam-policy` allows every AWS action platformctl really calls (issue 12, item 12).

A whole lifecycle (apply → change → diff, status, logs → destroy) runs on the emulator behind the Harness,
which records every request by service and action; each one must be allowed by the policy the CLI prints for
that mode: the read-only policy for diff, status and logs, the apply policy for apply and destroy.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

from platformctl.iam_actions import iam_action_of_request
from tests.e2e.helpers import Cli, Harness, copy_seed_specs

pytestmark = pytest.mark.e2e


def refused(document: dict[str, Any], calls: dict[str, int]) -> list[str]:
    """The recorded calls (`service:Action` as signed on the wire) no Allow statement of `document` covers."""
    missing = []
    for call in calls:
        service, action = call.split(":", 1)
        wanted = iam_action_of_request(service, action)
        # API Gateway's IAM resources are the request's path without its version: /v2/apis/x → ::/apis/x.
        path = action.split(" ", 1)[1].removeprefix("/v2") if " " in action else None
        if not any(_covers(statement, wanted, path) for statement in document["Statement"]):
            missing.append(f"{call} ({wanted})")
    return sorted(missing)


def _covers(statement: dict[str, Any], action: str, path: str | None) -> bool:
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    if statement["Effect"] != "Allow" or not any(fnmatch.fnmatchcase(action, a) for a in actions):
        return False
    if path is None:
        return True
    return any(r == "*" or fnmatch.fnmatchcase(f"::{path}", "::" + r.split("::", 1)[1]) for r in resources)


def test_every_call_of_a_whole_lifecycle_is_allowed_by_the_policy_for_its_mode(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(harness.endpoint, copy_seed_specs(tmp_path), capsys)
    policies = {}
    for mode in ("diff", "apply"):
        printed = cli("iam-policy", "--for", mode, "-o", "json")
        assert printed.code == 0, printed.err
        policies[mode] = json.loads(printed.out)
    assert harness.stats()["total"] == 0, "iam-policy makes no AWS call"

    def run(mode: str, *args: str, codes: tuple[int, ...] = (0,)) -> None:
        harness.reset_counters()
        result = cli(*args)
        assert result.code in codes, result.out + result.err
        stats = harness.stats()
        if mode == "diff":
            assert stats["writes"] == 0
        assert refused(policies[mode], stats["calls"]) == [], f"{' '.join(args)} calls what the policy refuses"

    run("apply", "apply", "--env", "dev", "--auto-approve")
    cli.edit("services/order.yaml", "cpu: 256", "cpu: 512")
    cli.edit("services/order.yaml", "memory: 512", "memory: 1024")
    run("diff", "diff", "--env", "dev", codes=(2,))
    run("apply", "apply", "--env", "dev", "--auto-approve")
    run("diff", "diff", "--env", "dev")
    run("diff", "status", "--env", "dev", "--all")
    run("diff", "logs", "order", "--env", "dev", "--since", "1h")
    run("apply", "destroy", "--env", "dev", "--auto-approve")


def test_the_read_only_policy_grants_no_write_and_the_apply_policy_passes_only_our_roles_to_ecs_tasks(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(harness.endpoint, copy_seed_specs(tmp_path), capsys)
    diff = json.loads(cli("iam-policy", "--for", "diff", "-o", "json").out)
    reads = {a for s in diff["Statement"] for a in s["Action"]}
    assert not [a for a in reads if not a.split(":")[1].startswith(("Describe", "List", "Get", "Filter", "GET"))]
    apply = json.loads(cli("iam-policy", "-o", "json").out)
    passing = [s for s in apply["Statement"] if s["Action"] == "iam:PassRole"]
    assert passing == [
        {
            "Sid": "PassOurRolesToEcsTasks",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "arn:aws:iam::*:role/platformctl/microservices/*",
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        }
    ]
    linked = next(s for s in apply["Statement"] if s["Action"] == "iam:CreateServiceLinkedRole")
    assert set(linked["Condition"]["StringEquals"]["iam:AWSServiceName"]) == {
        "ecs.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
        "ecs.application-autoscaling.amazonaws.com",
        "ops.apigateway.amazonaws.com",
    }
    # `*` only in the statement of actions AWS gives no resource type.
    wildcard = [s["Sid"] for s in apply["Statement"] if s["Resource"] == "*"]
    assert wildcard == ["NoResourceLevelPermissions"]
