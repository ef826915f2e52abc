"""A missing IAM permission is a one-line answer at once, never minutes of retries (issue 12, item 11).

The emulator's Harness answers the operations a test names with 403, in each protocol's own form (EC2's
UnauthorizedOperation, ECS's AccessDeniedException, or a code the test picks), as AWS does for a caller
whose policy lacks the action.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.e2e.helpers import Cli, Harness, applied_seed, copy_seed_specs

pytestmark = pytest.mark.e2e

# The old path retried an AuthFailure on release_address for 300 s; a refusal now fails in about a second.
WITHIN_SECONDS = 45


def test_a_denied_create_fails_its_steps_at_once_naming_action_and_resource_and_the_rest_is_built(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(harness.endpoint, copy_seed_specs(tmp_path), capsys)
    harness.configure(deny=["ecs:CreateService"])
    started = time.monotonic()
    result = cli("apply", "--env", "dev", "--auto-approve", "--output", "json")
    elapsed = time.monotonic() - started

    assert result.code == 1, result.err
    assert elapsed < WITHIN_SECONDS
    operations = json.loads(result.out)["report"]["operations"]
    failed = {op["id"]: op for op in operations if op["status"] == "failed"}
    assert set(failed) == {"svc.order", "svc.payment", "svc.user"}
    order = failed["svc.order"]
    assert order["error_code"] == "AccessDeniedException"
    assert order["error"].startswith("ecs:CreateService on svc.order (order): User: arn:aws:iam::")
    # Only what stands on the services waits for them; every other branch was built.
    skipped = {op["id"] for op in operations if op["status"] == "skipped"}
    assert skipped and all(s.startswith(("svc.", "alarm.")) or "/" in s for s in skipped), skipped
    done = {op["id"] for op in operations if op["status"] == "done"}
    assert {"vpc", "alb", "ecs.cluster", "taskdef.order", "queue.payment", "api"} <= done
    assert harness.stats()["denied"] >= 3

    # What a user reads: the refused action, the step, the resource's name, AWS's reason, in one line.
    harness.configure(deny=["ecs:CreateService"])
    text = cli("apply", "--env", "dev", "--auto-approve")
    assert text.code == 1
    lines = [line for line in text.err.splitlines() if line.startswith("✗ create ecs.service svc.order:")]
    assert len(lines) == 1, text.err
    assert lines[0].startswith(
        "✗ create ecs.service svc.order: AccessDeniedException: ecs:CreateService on svc.order (order): User: "
    )
    assert "is not authorized to perform: ecs:CreateService" in lines[0]


def test_a_refused_release_is_not_mistaken_for_an_address_still_in_use(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = applied_seed(harness.endpoint, tmp_path, capsys)
    # EC2 answers AuthFailure when the caller may not act on the address: once, not for five minutes.
    harness.configure(deny={"ec2:ReleaseAddress": "AuthFailure"})
    started = time.monotonic()
    result = cli("destroy", "--env", "dev", "--auto-approve", "--output", "json")
    elapsed = time.monotonic() - started

    assert result.code == 1
    assert elapsed < WITHIN_SECONDS
    assert "ec2:ReleaseAddress on eip." in result.out
    assert harness.stats()["calls"]["ec2:ReleaseAddress"] == 1, "a refusal is asked once, not retried"
