"""The CLI's promises, each checked the way a user or a pipeline would meet it (moto server over HTTP)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from platformctl.aws import Aws, AwsTarget
from platformctl.engine.lock import EnvironmentLock
from platformctl.local import free_port
from tests.e2e.helpers import Cli, SharedSeed, client, copy_seed_specs, our_live_arns

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(endpoint: str, tmp_path, capsys) -> Cli:
    return Cli(endpoint, copy_seed_specs(tmp_path), capsys)


def test_invalid_specs_exit_1_with_location_and_make_no_aws_call(tmp_path, capsys) -> None:
    specs = copy_seed_specs(tmp_path)
    path = specs / "services" / "order.yaml"
    path.write_text(path.read_text().replace("cpu: 256", "cpu: 300"))
    # Nothing listens on this port: any AWS call would fail with a connection error instead.
    dead = f"http://127.0.0.1:{free_port()}"
    for args in (["diff", "--env", "dev"], ["apply", "--env", "dev", "--auto-approve"], ["destroy", "--env", "dev"]):
        result = Cli(dead, specs, capsys)(*args)
        assert result.code == 1
        assert "order.yaml:5: cpu:" in result.err, result.err
        assert "Traceback" not in result.err + result.out
        assert "connect" not in result.err.lower()


def test_unknown_environment_and_layer_are_clear_errors(cli: Cli) -> None:
    result = cli("diff", "--env", "qa")
    assert result.code == 1 and "qa" in result.err and "dev" in result.err
    result = cli("diff", "--env", "dev", "--layer", "network")
    assert result.code == 1 and "unknown layer 'network'" in result.err


def test_usage_errors_exit_1_not_2(cli: Cli) -> None:
    # 2 means "changes pending" for diff, so a typo must never look like it.
    assert cli("diff", "--env", "dev", "--no-such-flag").code == 1
    assert cli("diff").code == 1


def test_a_parallelism_out_of_range_is_a_clear_error_that_writes_nothing(cli: Cli, endpoint: str) -> None:
    for value in ("0", "65", "many"):
        result = cli("apply", "--env", "dev", "--auto-approve", "--parallelism", value)
        assert result.code == 1 and "--parallelism" in result.err, result.err
    assert our_live_arns(endpoint, "microservices", "dev") == []
    assert client(endpoint, "ssm").describe_parameters()["Parameters"] == []  # not even the lock


def test_non_interactive_apply_without_auto_approve_refuses_and_writes_nothing(cli: Cli, endpoint: str) -> None:
    result = cli("apply", "--env", "dev")
    assert result.code == 1
    assert "--auto-approve" in result.err
    assert our_live_arns(endpoint, "microservices", "dev") == []
    assert client(endpoint, "ssm").describe_parameters()["Parameters"] == []  # not even the lock


def test_protected_environment_needs_its_name(cli: Cli, endpoint: str) -> None:
    refused = cli("apply", "--env", "production", "--auto-approve")
    assert refused.code == 1
    assert "requires approval" in refused.err and "--confirm-env production" in refused.err
    mismatch = cli("apply", "--env", "production", "--confirm-env", "dev")
    assert mismatch.code == 1 and "does not match" in mismatch.err
    assert our_live_arns(endpoint, "microservices", "production") == []

    assert cli("apply", "--env", "production", "--confirm-env", "production").code == 0
    assert cli("destroy", "--env", "production", "--auto-approve").code == 1  # destroy is protected too
    assert cli("destroy", "--env", "production", "--confirm-env", "production").code == 0
    assert our_live_arns(endpoint, "microservices", "production") == []


def test_a_second_run_is_refused_while_the_lock_is_held_and_unlock_breaks_it(cli: Cli, endpoint: str) -> None:
    aws = Aws(AwsTarget(region="us-east-1", endpoint_url=endpoint))
    holder = EnvironmentLock(aws, "microservices", "dev", command="apply --env dev")
    holder.__enter__()  # as a run killed with SIGKILL would leave it
    blocked = cli("apply", "--env", "dev", "--auto-approve")
    assert blocked.code == 1
    assert "locked by" in blocked.err and holder.holder.host in blocked.err
    assert f"platformctl --specs {cli.specs} --endpoint-url {endpoint} unlock --env dev" in blocked.err
    assert our_live_arns(endpoint, "microservices", "dev") == []
    assert cli("destroy", "--env", "dev", "--auto-approve").code == 1

    unlocked = cli("unlock", "--env", "dev")
    assert unlocked.code == 0 and "Broke the lock" in unlocked.out
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert client(endpoint, "ssm").describe_parameters()["Parameters"] == []  # released after the run


def test_saved_plan_applies_exactly_and_refuses_when_live_state_moved(cli: Cli, endpoint: str, tmp_path) -> None:
    plan_path = tmp_path / "dev.plan"
    saved = cli("diff", "--env", "dev", "--out", str(plan_path))
    assert saved.code == 2 and plan_path.exists()
    assert cli("apply", "--env", "dev", "--auto-approve", str(plan_path)).code == 0
    assert cli("diff", "--env", "dev").code == 0

    cli.edit("platform.yaml", "retentionDays: 30", "retentionDays: 14")
    assert cli("diff", "--env", "dev", "--out", str(plan_path)).code == 2
    client(endpoint, "logs").put_retention_policy(logGroupName="/aws/ecs/microservices/dev/exec", retentionInDays=1)
    stale = cli("apply", "--env", "dev", "--auto-approve", str(plan_path))
    assert stale.code == 1 and "the plan no longer matches" in stale.err
    assert "update logs.log_group logs.exec: changes differ" in stale.err
    group = client(endpoint, "logs").describe_log_groups(logGroupNamePrefix="/aws/ecs/microservices/dev/exec")
    assert group["logGroups"][0]["retentionInDays"] == 1  # nothing was applied

    wrong_env = cli("apply", "--env", "staging", "--auto-approve", str(plan_path))
    assert wrong_env.code == 1 and "was made for microservices/dev" in wrong_env.err


def test_add_service_writes_a_valid_spec_and_refuses_an_existing_name(cli: Cli) -> None:
    # What the new service then creates is checked in test_services_api.py.
    added = cli(
        "add-service",
        "notification",
        "--port",
        "8080",
        "--route",
        "ANY /notifications/{proxy+}",
        "--subscribes",
        "order:order_created",
    )
    assert added.code == 0, added.err
    assert (cli.specs / "services" / "notification.yaml").exists()
    assert f"platformctl --specs {cli.specs} --endpoint-url {cli.endpoint} diff --env dev" in added.out
    assert cli("validate").code == 0
    again = cli("add-service", "notification")
    assert again.code == 1 and "exists" in again.err
    broken = cli("add-service", "mailer", "--subscribes", "order:no_such_event")
    assert broken.code == 1 and "no_such_event" in broken.err
    assert not (cli.specs / "services" / "mailer.yaml").exists()  # nothing left behind


def test_status_lists_what_is_live(shared_seed: SharedSeed, capsys) -> None:
    cli = shared_seed.read(capsys)  # dev applied; nothing in staging
    empty = cli("status", "--env", "staging")
    assert empty.code == 0 and "Nothing of microservices is live in staging" in empty.out
    document = json.loads(cli("status", "--env", "dev", "--output", "json").out)
    assert document["outputs"]["vpc"].startswith("vpc-")
    assert document["outputs"]["cluster"].endswith("cluster/microservices-dev")
    assert {r["id"] for r in document["resources"]} >= {"vpc", "alb", "ecs.cluster", "kms"}


def test_the_installed_entry_point_speaks_the_exit_code_contract(shared_seed: SharedSeed, capsys) -> None:
    cli = shared_seed.read(capsys)  # dev applied; nothing in staging
    # One real process, as a pipeline runs it: its exit code is the CLI's, here 2 (changes pending).
    command = [sys.executable, "-m", "platformctl", "--specs", str(cli.specs), "--endpoint-url", cli.endpoint]
    command += ["diff", "--env", "staging"]
    process = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert process.returncode == 2, process.stdout + process.stderr
    assert "Plan for staging:" in process.stdout and "to create" in process.stdout
    # The rest of the contract through the same entry function, in-process.
    assert cli("--help").code == 0
    assert cli("validate").code == 0
    assert cli("diff", "--env", "staging").code == 2
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert cli("diff", "--env", "dev").code == 0


def test_destroying_a_layer_that_others_depend_on_is_refused(shared_seed: SharedSeed, capsys) -> None:
    cli = shared_seed.take(capsys)
    endpoint = cli.endpoint
    refused = cli("destroy", "--env", "dev", "--layer", "platform", "--auto-approve")
    assert refused.code == 1
    assert "layer 'api' still stands on it" in refused.err and "destroy --layer api first" in refused.err
    assert len(our_live_arns(endpoint, "microservices", "dev")) > 20  # nothing was deleted
    refused = cli("destroy", "--env", "dev", "--layer", "messaging", "--auto-approve")
    assert refused.code == 1 and "layer 'api' still stands on it" in refused.err
    # Layer by layer from the top is the way down.
    for layer in ("api", "services", "messaging", "platform"):
        result = cli("destroy", "--env", "dev", "--layer", layer, "--auto-approve")
        assert result.code == 0, (layer, result.err)
    assert our_live_arns(endpoint, "microservices", "dev") == []
