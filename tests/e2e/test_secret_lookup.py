"""A Secrets Manager secret named in a spec is looked up when planning (issue 12, item 8), through the real CLI.

A name no secret has is refused at its line by `diff` and `apply` with nothing written (not even the lock);
a name that resolves reaches the task definition as the secret's complete ARN, and the next diff is clean.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import Cli, client, copy_seed_specs, our_live_arns

pytestmark = pytest.mark.e2e

PAYMENT = "services/payment.yaml"
NAME = "microservices/payment/provider-api-key"


def test_a_missing_secret_is_refused_at_its_line_and_a_named_one_reaches_ecs_as_its_arn(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(endpoint, copy_seed_specs(tmp_path), capsys)
    cli.edit(PAYMENT, f"secretsmanager:{NAME}", "secretsmanager:microservices/payment/provider-key")
    line = next(i for i, text in enumerate((cli.specs / PAYMENT).read_text().splitlines(), 1) if "provider-key" in text)
    expected = (
        f"{cli.specs / PAYMENT}:{line}: secrets.PROVIDER_API_KEY: no Secrets Manager secret named "
        "'microservices/payment/provider-key' in us-east-1"
    )
    for command in (("diff", "--env", "dev"), ("apply", "--env", "dev", "--auto-approve")):
        result = cli(*command)
        assert result.code == 1, result.out + result.err
        assert expected in result.err and "Traceback" not in result.err, result.err
    assert our_live_arns(endpoint, "microservices", "dev") == []
    assert client(endpoint, "ssm").describe_parameters()["Parameters"] == []  # no lock was taken either

    cli.edit(PAYMENT, "secretsmanager:microservices/payment/provider-key", f"secretsmanager:{NAME}")
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    ecs = client(endpoint, "ecs")
    definition = ecs.describe_task_definition(taskDefinition="microservices-dev-payment")["taskDefinition"]
    value_from = {s["name"]: s["valueFrom"] for s in definition["containerDefinitions"][0]["secrets"]}
    assert value_from["PROVIDER_API_KEY"] == client(endpoint, "secretsmanager").describe_secret(SecretId=NAME)["ARN"]
    assert cli("diff", "--env", "dev").code == 0
