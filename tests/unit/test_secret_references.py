"""Secrets Manager references become what ECS and IAM need on a real account (issue 12, item 8).

ECS reads a Secrets Manager secret only by its complete ARN (the name plus Secrets Manager's six random
characters), so a name in a spec is resolved to that ARN when a run plans; a JSON-key reference grants IAM on
the secret itself; and a customer-managed key the secrets are encrypted with is granted only when named.
On in-process moto, whose fixture account holds the seed's secrets (tests/seed.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from platformctl.engine.model import Resource
from platformctl.engine.reconciler import Reconciler
from platformctl.errors import SpecError
from platformctl.layers import BuildContext, desired_resources
from platformctl.specs import load_specs
from tests.unit.kind_harness import moto_context
from tests.unit.spec_helpers import edit, line_of, seed_copy

ENV = "dev"
PAYMENT = "services/payment.yaml"
PROVIDER_KEY = "microservices/payment/provider-api-key"
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def by_id(resources: list[Resource]) -> dict[str, Resource]:
    return {r.id: r for r in resources}


def execution_statements(resources: dict[str, Resource], service: str) -> dict[str, dict[str, Any]]:
    policy = resources[f"role.{service}.execution"].props["policies"]["execution"]
    return {s["Sid"]: s for s in policy["Statement"]}


def planned(specs: Path) -> tuple[dict[str, Resource], dict[str, str], Any]:
    """The desired graph a run plans on moto, each seed secret's real ARN, and the run's call counter."""
    with moto_context() as ctx:
        reconciler = Reconciler(load_specs(specs, ENV, environ={}), ctx.aws)
        resources = by_id(reconciler.desired())
        reconciler.desired()  # asked again in the same run (apply's check, then its plan): no new lookup
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        arns = {s["Name"]: s["ARN"] for s in sm.list_secrets()["SecretList"]}
        return resources, arns, ctx.aws.counter


def test_a_secret_named_in_the_spec_reaches_ecs_as_its_complete_arn_looked_up_once(tmp_path: Path) -> None:
    resources, arns, counter = planned(seed_copy(tmp_path))
    provider_arn = arns[PROVIDER_KEY]
    suffixed = rf"arn:aws:secretsmanager:us-east-1:\d{{12}}:secret:{PROVIDER_KEY}-[A-Za-z0-9]{{6}}"
    assert re.fullmatch(suffixed, provider_arn)
    secrets = resources["taskdef.payment"].props["container"]["secrets"]
    assert secrets["PROVIDER_API_KEY"] == provider_arn
    assert secrets["DB_URL"].endswith(":parameter/microservices/payment/db-url")  # SSM: by path, as before
    # The execution role may read exactly that secret.
    assert execution_statements(resources, "payment")["ReadSecrets"]["Resource"] == [provider_arn]
    # One DescribeSecret per distinct secret (the seed names two), however often the graph is built.
    assert counter.calls[("secretsmanager", "DescribeSecret")] == 2


def test_a_json_key_reference_grants_iam_on_the_secret_itself(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    other = "arn:aws:secretsmanager:us-east-1:111122223333:secret:shared/provider-Zy9XwV"
    edit(
        specs,
        PAYMENT,
        f'PROVIDER_API_KEY: "secretsmanager:{PROVIDER_KEY}"',
        f'PROVIDER_API_KEY: "secretsmanager:{PROVIDER_KEY}:api_key::"\n'
        f'  SHARED_TOKEN: "secretsmanager:{other}:token::"',
    )
    resources, arns, _ = planned(specs)
    provider_arn = arns[PROVIDER_KEY]
    secrets = resources["taskdef.payment"].props["container"]["secrets"]
    assert secrets["PROVIDER_API_KEY"] == f"{provider_arn}:api_key::"  # ECS reads one key of the JSON
    assert secrets["SHARED_TOKEN"] == f"{other}:token::"
    # IAM grants GetSecretValue on the secrets, not on the key references (which name no resource).
    assert execution_statements(resources, "payment")["ReadSecrets"]["Resource"] == sorted([provider_arn, other])

    # Offline (validate, show: no lookup) the grant is the name's pattern, still on the secret.
    offline = by_id(desired_resources(BuildContext(load_specs(specs, ENV, environ={}))))
    account = "000000000000"
    assert execution_statements(offline, "payment")["ReadSecrets"]["Resource"] == sorted(
        [other, f"arn:aws:secretsmanager:us-east-1:{account}:secret:{PROVIDER_KEY}-??????"]
    )


def test_a_secret_that_does_not_exist_is_an_error_at_its_line_before_any_write(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, PAYMENT, f"secretsmanager:{PROVIDER_KEY}", "secretsmanager:microservices/payment/typo")
    with moto_context() as ctx, pytest.raises(SpecError) as caught:
        Reconciler(load_specs(specs, ENV, environ={}), ctx.aws).check_zones()  # apply's check before its lock
    (issue,) = caught.value.issues
    where = (str(specs / PAYMENT), line_of(specs, PAYMENT, "typo"), "secrets.PROVIDER_API_KEY")
    assert (issue.file, issue.line, issue.path) == where
    assert "no Secrets Manager secret named 'microservices/payment/typo' in us-east-1" in issue.message
    assert ctx.aws.counter.writes == 0


def test_the_key_grant_appears_only_when_the_spec_names_the_key(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    without = by_id(desired_resources(BuildContext(load_specs(specs, ENV, environ={}))))
    assert not any(
        "kms:" in str(s["Action"]) for r in without.values() if r.kind == "iam.role" for s in
        r.props["policies"].get("execution", {"Statement": []})["Statement"]
    )

    edit(specs, PAYMENT, "environments:", f"secretsKmsKeys: ['{KEY_ARN}']\nenvironments:")
    named = by_id(desired_resources(BuildContext(load_specs(specs, ENV, environ={}))))
    assert execution_statements(named, "payment")["DecryptSecrets"] == {
        "Sid": "DecryptSecrets",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": [KEY_ARN],
        # Only when Secrets Manager or SSM decrypts for the role (payment reads from both).
        "Condition": {
            "StringEquals": {
                "kms:ViaService": ["secretsmanager.us-east-1.amazonaws.com", "ssm.us-east-1.amazonaws.com"]
            }
        },
    }
    assert "DecryptSecrets" not in execution_statements(named, "order")  # the other services get nothing

    # In China the services' endpoints end in amazonaws.com.cn, and so does kms:ViaService.
    china = by_id(desired_resources(BuildContext(load_specs(specs, ENV, environ={}, region="cn-north-1"))))
    via = execution_statements(china, "payment")["DecryptSecrets"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == ["secretsmanager.cn-north-1.amazonaws.com.cn", "ssm.cn-north-1.amazonaws.com.cn"]

