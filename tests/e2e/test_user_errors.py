"""A new user's first mistakes, each answered with one line that says what to do, fast, and no AWS write.

No credentials, an endpoint that does not answer, a mistyped --env; hints that can be pasted back as they
are (they carry the global options the run was given); a protected environment confirmed by its name,
typed after its plan is shown.
"""

from __future__ import annotations

import io
import shlex
import sys
import time

import pytest

from platformctl import cli as platformctl_cli
from platformctl.aws import Aws, AwsTarget
from platformctl.engine.lock import EnvironmentLock
from platformctl.local import free_port
from tests.e2e.helpers import Cli, client, copy_seed_specs, our_live_arns

pytestmark = pytest.mark.e2e

# A regression to botocore's default retries takes 36-75 s; a few seconds is what a user should wait.
FAST_S = 5.0
COMMANDS = (
    ["diff", "--env", "dev"],
    ["apply", "--env", "dev", "--auto-approve"],
    ["destroy", "--env", "dev", "--auto-approve"],
    ["status", "--env", "dev"],
    ["unlock", "--env", "dev"],
)


def timed(run, *args: str):
    started = time.monotonic()
    result = run(*args)
    return result, time.monotonic() - started


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture
def no_credentials(monkeypatch, tmp_path) -> None:
    """A machine with no AWS credentials anywhere: no variables, no ~/.aws files, no instance role."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_no_credentials_is_one_line_that_says_how_to_fix_it(no_credentials, tmp_path, capsys, command) -> None:
    specs = copy_seed_specs(tmp_path)

    def platformctl(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = platformctl_cli.run(["--specs", str(specs), *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    (code, out, err), seconds = timed(platformctl, *command)
    assert code == 1, err
    assert lines(err) == [
        "error: no AWS credentials found. Use --local for the emulator, set AWS_PROFILE or pass --profile, "
        "or --endpoint-url for another endpoint."
    ], err
    assert seconds < FAST_S


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_an_endpoint_that_does_not_answer_is_one_line_in_seconds(tmp_path, capsys, command) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    cli = Cli(dead, copy_seed_specs(tmp_path), capsys)
    result, seconds = timed(cli, *command)
    assert result.code == 1, result.err
    [line] = lines(result.err)
    assert line.startswith(f"error: cannot reach {dead} (connection refused)."), line
    assert "--endpoint-url" in line and "--local" in line
    assert seconds < FAST_S


def test_an_undeclared_env_is_a_usage_error_on_the_option_and_calls_nothing(tmp_path, capsys) -> None:
    # Any AWS call would fail with "cannot reach": none may happen.
    cli = Cli(f"http://127.0.0.1:{free_port()}", copy_seed_specs(tmp_path), capsys)
    for command in (["diff"], ["apply", "--auto-approve"], ["destroy", "--auto-approve"], ["status"], ["validate"]):
        result = cli(*command, "--env", "prod")
        assert result.code == 1, result.err
        assert (
            "Invalid value for '--env': unknown environment 'prod'; declared: dev, staging, production "
            "(did you mean 'production'?)"
        ) in result.err, result.err
        assert "platform.yaml" not in result.err and "cannot reach" not in result.err

    # Invalid specs are still reported as specs, with the unknown environment among their problems.
    cli.edit("services/order.yaml", "cpu: 256", "cpu: 300")
    broken = cli("diff", "--env", "prod")
    assert broken.code == 1
    assert "order.yaml:5: cpu:" in broken.err and "unknown environment 'prod'" in broken.err


def test_the_lock_hint_carries_the_global_options_and_works_pasted(endpoint: str, tmp_path, capsys) -> None:
    cli = Cli(endpoint, copy_seed_specs(tmp_path / "my specs"), capsys)  # a space: the hint must quote it
    holder = EnvironmentLock(Aws(AwsTarget(region="us-east-1", endpoint_url=endpoint)), "microservices", "dev", "x")
    holder.__enter__()  # as a killed run leaves it

    blocked = cli("apply", "--env", "dev", "--auto-approve")
    assert blocked.code == 1
    hint = f"platformctl --specs {shlex.quote(str(cli.specs))} --endpoint-url {endpoint} unlock --env dev"
    assert hint in blocked.err, blocked.err

    capsys.readouterr()
    pasted = shlex.split(hint)
    assert platformctl_cli.run(pasted[1:]) == 0
    assert "Broke the lock on dev" in capsys.readouterr().out
    assert client(endpoint, "ssm").describe_parameters()["Parameters"] == []


def test_next_steps_repeat_specs_local_profile_and_region_as_given(tmp_path, capsys) -> None:
    specs = copy_seed_specs(tmp_path)
    capsys.readouterr()
    args = ["--specs", str(specs), "--local", "--profile", "team a", "--region", "eu-west-1"]
    assert platformctl_cli.run([*args, "add-service", "mailer"]) == 0
    out = capsys.readouterr().out
    assert f"Next: review it, then run `{shlex.join(['platformctl', *args, 'diff', '--env', 'dev'])}`" in out, out

    # Options not given are not invented: defaults and environment variables stay out of the hint.
    plain = Cli("http://unused", specs, capsys)
    capsys.readouterr()
    assert platformctl_cli.run(["add-service", "--help"]) == 0  # no global options at all
    capsys.readouterr()
    added = plain("add-service", "pager")
    assert added.code == 0, added.err
    assert f"`platformctl --specs {specs} --endpoint-url http://unused diff --env dev`" in added.out


def test_a_protected_environment_shows_its_plan_then_takes_its_name_as_the_only_confirmation(
    endpoint: str, tmp_path, capsys, monkeypatch
) -> None:
    cli = Cli(endpoint, copy_seed_specs(tmp_path), capsys)
    monkeypatch.setattr("platformctl.cli.confirm._interactive", lambda: True)
    prompt = "Environment 'production' requires approval. Type its name to apply:"

    def typed(*answers: str) -> None:
        # Only these answers: a further question would meet the end of input and fail the run.
        monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{answer}\n" for answer in answers)))

    typed("prod")
    refused = cli("apply", "--env", "production", "--layer", "platform")
    assert refused.code == 1 and "the name did not match: nothing was changed" in refused.err, refused.err
    title = refused.out.index("platformctl apply: microservices / production")
    summary = refused.out.index("Plan for production:")
    assert title < summary < refused.out.index(prompt), refused.out  # the whole plan, then the question
    assert our_live_arns(endpoint, "microservices", "production") == []
    assert client(endpoint, "ssm").describe_parameters()["Parameters"] == []  # the lock was released

    typed("production")
    applied = cli("apply", "--env", "production", "--layer", "platform")
    assert applied.code == 0, applied.err
    assert prompt in applied.out and "[y/N]" not in applied.out
    assert our_live_arns(endpoint, "microservices", "production") != []
    assert cli("diff", "--env", "production", "--layer", "platform").code == 0
