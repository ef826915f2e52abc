"""China and GovCloud: the partition comes from the caller identity, and no ARN, principal or ECR host in the
desired graph is the commercial partition's written by hand."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

import platformctl
from platformctl.aws import Aws
from platformctl.engine.reconciler import Reconciler
from platformctl.layers import BuildContext, desired_resources
from platformctl.partitions import service_principal
from platformctl.specs import load_specs
from tests.unit.kind_harness import moto_context
from tests.unit.spec_helpers import SEED, edit, seed_copy

ACCOUNT = "123456789012"
PARTITIONS = [
    # (region, partition, the DNS suffix of its hosts)
    ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
    ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
]


def strings(value: Any) -> list[str]:
    """Every string inside props (References to other resources are not strings: they are resolved later)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in strings(item)]
    return []


def private_image_specs(tmp_path: Path, region: str, suffix: str) -> Path:
    """The seed with order's image in the account's private ECR, in `region`."""
    specs = seed_copy(tmp_path)
    image = f"{ACCOUNT}.dkr.ecr.{region}.{suffix}/shop/order:1.0"
    text = (specs / "services/order.yaml").read_text()
    current = next(line for line in text.splitlines() if line.startswith("image:"))
    edit(specs, "services/order.yaml", current, f"image: {image}")
    return specs


def by_id(resources: list) -> dict[str, Any]:
    return {r.id: r for r in resources}


def statements(role) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for policy in role.props["policies"].values() for s in policy["Statement"]}


@pytest.mark.parametrize(("region", "partition", "suffix"), PARTITIONS, ids=[p[1] for p in PARTITIONS])
def test_the_desired_graph_of_a_china_or_govcloud_account_names_only_its_partition(
    tmp_path: Path, region: str, partition: str, suffix: str
) -> None:
    specs = load_specs(private_image_specs(tmp_path, region, suffix), "dev", environ={}, region=region)
    resources = by_id(desired_resources(BuildContext(specs, account_id=ACCOUNT, partition=partition)))

    everything = [s for r in resources.values() for s in strings(r.props)]
    assert not [s for s in everything if "arn:aws:" in s]
    arns = [s for s in everything if s.startswith("arn:")]
    assert arns and all(s.startswith(f"arn:{partition}:") for s in arns), arns

    key = {s["Sid"]: s for s in resources["kms"].props["policy"]["Statement"]}
    assert key["AccountAdministers"]["Principal"] == {"AWS": f"arn:{partition}:iam::{ACCOUNT}:root"}
    # CloudWatch Logs takes the partition's suffix in aws-cn; SNS does not (terraform-provider-aws's table).
    assert key["CloudWatchLogsEncrypts"]["Principal"] == {"Service": f"logs.{region}.{suffix}"}
    assert key["SnsEncryptsForOurQueues"]["Principal"] == {"Service": "sns.amazonaws.com"}

    trust = resources["role.order.task"].props["trust"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "ecs-tasks.amazonaws.com"}]
    queue_policy = resources["queue.order/policy"].props["policy"]["Statement"]
    assert [s["Principal"] for s in queue_policy] == [{"Service": "sns.amazonaws.com"}]

    # The private ECR host of the partition is recognised: the execution role may pull exactly that repository.
    execution = statements(resources["role.order.execution"])
    assert execution["PullImage"]["Resource"] == f"arn:{partition}:ecr:{region}:{ACCOUNT}:repository/shop/order"
    assert execution["EcrLogin"]["Action"] == "ecr:GetAuthorizationToken"
    assert execution["WriteLogs"]["Resource"].startswith(f"arn:{partition}:logs:{region}:{ACCOUNT}:log-group:")


@pytest.mark.parametrize(("region", "partition", "suffix"), PARTITIONS, ids=[p[1] for p in PARTITIONS])
def test_the_partition_is_read_from_the_caller_identity_in_the_one_call_that_gives_the_account(
    tmp_path: Path, region: str, partition: str, suffix: str
) -> None:
    copy = seed_copy(tmp_path)
    edit(copy, "platform.yaml", "  azs: 3", "  azs: 2")  # cn-north-1 offers two zones
    specs = load_specs(copy, "dev", environ={}, region=region)
    with moto_context(region=region) as ctx:
        aws = ctx.aws
        reconciler = Reconciler(specs, aws)
        text = json.dumps([r.props for r in reconciler.desired()], default=str)
        assert (aws.account_id(), aws.partition()) == (ACCOUNT, partition)
        assert f"arn:{partition}:iam::{ACCOUNT}:root" in text and "arn:aws:" not in text
        assert aws.counter.calls[("sts", "GetCallerIdentity")] == 1


def test_the_partition_is_the_identitys_not_guessed_from_the_region() -> None:
    """A stubbed identity in another partition than the region's: the graph follows the identity."""
    specs = load_specs(SEED, "dev", environ={})  # us-east-1, whose partition would be `aws`
    with moto_context() as ctx:
        aws: Aws = ctx.aws
        answered: list[str] = []

        def identity(**_: Any) -> tuple[Any, dict[str, Any]]:
            answered.append("GetCallerIdentity")
            arn = f"arn:aws-us-gov:iam::{ACCOUNT}:user/deployer"
            return _Http(), {"Account": ACCOUNT, "Arn": arn, "UserId": "AIDEXAMPLE"}

        # botocore's before-call hook: a handler's answer replaces the call (the stub AWS's identity).
        aws._session.events.register("before-call.sts.GetCallerIdentity", identity)
        resources = by_id(Reconciler(specs, aws).desired())
        key = {s["Sid"]: s for s in resources["kms"].props["policy"]["Statement"]}
        assert key["AccountAdministers"]["Principal"] == {"AWS": f"arn:aws-us-gov:iam::{ACCOUNT}:root"}
        assert aws.partition() == "aws-us-gov" and answered == ["GetCallerIdentity"]


class _Http:
    status_code = 200
    headers: dict[str, str] = {}


def test_offline_graphs_take_the_partition_of_the_region() -> None:
    """`validate` makes no AWS call: its graph still holds the ARNs a run in that region would."""
    assert BuildContext(load_specs(SEED, "dev", environ={}, region="cn-northwest-1")).partition == "aws-cn"
    assert BuildContext(load_specs(SEED, "dev", environ={}, region="us-gov-east-1")).partition == "aws-us-gov"
    assert BuildContext(load_specs(SEED, "dev", environ={})).partition == "aws"


def test_the_region_field_accepts_china_and_govcloud_regions(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "platform.yaml", "region: us-east-1", "region: cn-northwest-1")
    assert load_specs(specs, "dev", environ={}).platform.region == "cn-northwest-1"
    edit(specs, "platform.yaml", "region: cn-northwest-1", "region: us-gov-west-1")
    assert load_specs(specs, "dev", environ={}).platform.region == "us-gov-west-1"


@pytest.mark.parametrize(
    ("service", "partition", "region", "expected"),
    [
        ("sns", "aws", None, "sns.amazonaws.com"),
        ("sns", "aws-cn", None, "sns.amazonaws.com"),
        ("events", "aws-cn", None, "events.amazonaws.com"),
        ("ecs-tasks", "aws-cn", None, "ecs-tasks.amazonaws.com"),
        ("logs", "aws-cn", "cn-north-1", "logs.cn-north-1.amazonaws.com.cn"),
        ("codedeploy", "aws-cn", None, "codedeploy.amazonaws.com.cn"),
        ("logs", "aws-us-gov", "us-gov-west-1", "logs.us-gov-west-1.amazonaws.com"),
        ("logs", "aws-iso", "us-iso-east-1", "logs.us-iso-east-1.c2s.ic.gov"),
        ("sns", "aws-iso", None, "sns.amazonaws.com"),
        ("logs", "aws-iso-b", "us-isob-east-1", "logs.us-isob-east-1.sc2s.sgov.gov"),
    ],
)
def test_service_principals_follow_terraform_provider_awss_table(
    service: str, partition: str, region: str | None, expected: str
) -> None:
    assert service_principal(service, partition, region) == expected


def test_no_commercial_arn_or_principal_is_built_by_hand_in_the_code() -> None:
    """A string the code starts an ARN with (`arn:aws:...`, `f"arn:aws:{...}"`) or ends a principal or host with
    (`sns.amazonaws.com`, `f"logs.{region}.amazonaws.com"`) names nothing in China or GovCloud: ARNs come from
    BuildContext.arn, principals and hosts from platformctl/partitions.py. (Prose that quotes an ARN, such as
    an error message's example, neither starts nor ends with one.)"""
    package = Path(platformctl.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "partitions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            literal = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
            if literal.startswith("arn:aws:") or re.search(r"(^|\.)amazonaws\.com$", literal):
                found.append(f"{path.relative_to(package)}:{node.lineno}: {literal!r}")
    assert found == []

