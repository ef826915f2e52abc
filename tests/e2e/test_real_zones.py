"""The platform goes into the availability zones the account really has (issue 12, item 1), through the CLI.

moto lists realistic zones per region and refuses a subnet in a zone it does not list, as AWS does:
ap-northeast-1 has a, c, d; us-west-1 has a and b; us-east-1e is use1-az3, where HTTP API VPC links are not
offered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import Cli, Harness, client, copy_seed_specs

pytestmark = pytest.mark.e2e

P = "platform.yaml"


def seed_in(region: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], endpoint: str) -> Cli:
    cli = Cli(endpoint, copy_seed_specs(tmp_path), capsys)
    cli.edit(P, "region: us-east-1", f"region: {region}")
    return cli


def line_of(cli: Cli, needle: str) -> int:
    return next(i for i, line in enumerate((cli.specs / P).read_text().splitlines(), 1) if needle in line)


def test_an_apply_where_the_zone_letters_skip_uses_the_listed_zones_and_converges(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = seed_in("ap-northeast-1", tmp_path, capsys, harness.endpoint)
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    diff = cli("diff", "--env", "dev")
    assert diff.code == 0, diff.out + diff.err

    ec2 = client(harness.endpoint, "ec2", "ap-northeast-1")
    ours = [{"Name": "tag:platformctl:platform", "Values": ["microservices"]}]
    subnets = ec2.describe_subnets(Filters=ours)["Subnets"]
    assert sorted((s["AvailabilityZone"], s["CidrBlock"]) for s in subnets) == [
        ("ap-northeast-1a", "10.0.0.0/20"),
        ("ap-northeast-1a", "10.0.128.0/20"),
        ("ap-northeast-1c", "10.0.160.0/20"),
        ("ap-northeast-1c", "10.0.32.0/20"),
        ("ap-northeast-1d", "10.0.176.0/20"),
        ("ap-northeast-1d", "10.0.48.0/20"),
    ]


def test_more_zones_than_the_account_has_is_one_clear_error_and_nothing_is_written(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = seed_in("us-west-1", tmp_path, capsys, harness.endpoint)
    expected = (
        f"platform.yaml:{line_of(cli, 'azs: 3')}: network.azs: 3 availability zones asked for, but this "
        "account has 2 in us-west-1 that can host the platform: us-west-1a (usw1-az3), us-west-1b (usw1-az1); "
        "set azs to 2 or fewer"
    )
    for command in (("diff", "--env", "dev"), ("apply", "--env", "dev", "--auto-approve")):
        result = cli(*command)
        assert result.code == 1, result.out + result.err
        assert expected in " ".join(result.err.split()), result.err
        assert "Traceback" not in result.err
    stats = harness.stats()
    assert stats["writes"] == 0, stats["calls"]  # not even the apply lock
    assert stats["calls"].get("ec2:DescribeAvailabilityZones")


def test_a_pinned_zone_the_api_vpc_link_cannot_reach_is_refused_before_any_write(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = seed_in("us-east-1", tmp_path, capsys, harness.endpoint)
    cli.edit(P, "  azs: 3 ", "  azs: 3\n  availabilityZones: [us-east-1a, us-east-1b, us-east-1e]\n ")
    result = cli("apply", "--env", "dev", "--auto-approve")
    assert result.code == 1, result.out + result.err
    shown = " ".join(result.err.split())
    assert (
        f"platform.yaml:{line_of(cli, 'availabilityZones')}: network.availabilityZones[2]: us-east-1e (use1-az3) "
        "cannot host the platform: API Gateway HTTP API VPC links do not reach use1-az3 "
        "(in us-east-1 only use1-az1, use1-az2, use1-az4, use1-az5, use1-az6); zones that can: us-east-1a "
    ) in shown, result.err
    assert harness.stats()["writes"] == 0
