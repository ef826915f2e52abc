"""One platform and environment in two regions of one account (issue 14): IAM is global, the platform is not.

Each region's apply converges and diffs clean, and neither region's apply or destroy touches what the other
owns, the IAM roles included; `--region` moves the whole platform (zones, ARNs), not just the clients.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import Cli, Harness, applied_seed, client, copy_seed_specs, our_live_arns

pytestmark = pytest.mark.e2e

PLATFORM, ENV, HOME, OTHER = "microservices", "dev", "us-east-1", "us-west-2"


def roles_with_policies(endpoint: str) -> dict[str, dict[str, Any]]:
    """Every platformctl role of this platform and env in the account (IAM is global), as a user reads it."""
    iam = client(endpoint, "iam")
    found: dict[str, dict[str, Any]] = {}
    for page in iam.get_paginator("list_roles").paginate(PathPrefix=f"/platformctl/{PLATFORM}/{ENV}/"):
        for role in page["Roles"]:
            name = role["RoleName"]
            policies = {
                policy: iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
                for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
            }
            tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}
            found[name] = {"arn": role["Arn"], "policies": json.dumps(policies, sort_keys=True), "tags": tags}
    return found


def diff_code(cli: Cli, *region: str) -> tuple[int, str]:
    result = cli(*region, "diff", "--env", ENV)
    return result.code, result.out + result.err


def test_two_regions_converge_side_by_side_and_destroying_one_leaves_the_other(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = harness.endpoint
    cli = applied_seed(endpoint, tmp_path, capsys)
    home_roles = roles_with_policies(endpoint)
    assert home_roles and all(r["tags"]["platformctl:region"] == HOME for r in home_roles.values())
    home_live = sorted(our_live_arns(endpoint, PLATFORM, ENV))

    applied = cli("--region", OTHER, "apply", "--env", ENV, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    for region in ((), ("--region", OTHER)):
        code, shown = diff_code(cli, *region)
        assert code == 0, shown

    both = roles_with_policies(endpoint)
    # The first region's roles, byte for byte: not one policy now points at the second region.
    assert {name: both[name] for name in home_roles} == home_roles
    other_roles = {name: role for name, role in both.items() if name not in home_roles}
    assert len(other_roles) == len(home_roles)
    for name, role in other_roles.items():
        assert role["tags"]["platformctl:region"] == OTHER and name.endswith(f"-{OTHER}")
        assert f":role/platformctl/{PLATFORM}/{ENV}/{OTHER}/" in role["arn"]
        assert HOME not in role["policies"], f"{name} still grants {HOME} resources: {role['policies']}"

    ours = [
        {"Name": "tag:platformctl:platform", "Values": [PLATFORM]},
        {"Name": "tag:platformctl:env", "Values": [ENV]},
    ]
    other_zones = {
        s["AvailabilityZone"] for s in client(endpoint, "ec2", OTHER).describe_subnets(Filters=ours)["Subnets"]
    }
    assert other_zones == {f"{OTHER}a", f"{OTHER}b", f"{OTHER}c"}
    families = client(endpoint, "ecs", OTHER).list_task_definitions()["taskDefinitionArns"]
    taskdef = client(endpoint, "ecs", OTHER).describe_task_definition(taskDefinition=families[0])["taskDefinition"]
    assert taskdef["taskRoleArn"].endswith(f"-{OTHER}") and taskdef["executionRoleArn"].endswith(f"-{OTHER}")
    assert taskdef["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-region"] == OTHER

    destroyed = cli("--region", OTHER, "destroy", "--env", ENV, "--auto-approve")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert roles_with_policies(endpoint) == home_roles
    assert sorted(our_live_arns(endpoint, PLATFORM, ENV)) == home_live
    code, shown = diff_code(cli)
    assert code == 0, shown
    assert client(endpoint, "ec2", OTHER).describe_subnets(Filters=ours)["Subnets"] == []


def test_a_region_whose_zones_are_not_pinned_there_is_refused_before_any_aws_call(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(harness.endpoint, copy_seed_specs(tmp_path), capsys)
    cli.edit("platform.yaml", "  azs: 3 ", "  azs: 2\n  availabilityZones: [us-east-1a, us-east-1b]\n ")
    line = next(
        i for i, text in enumerate((cli.specs / "platform.yaml").read_text().splitlines(), 1) if "Zones" in text
    )
    harness.reset_counters()
    for command in (["validate"], ["diff", "--env", ENV], ["apply", "--env", ENV, "--auto-approve"]):
        result = cli("--region", OTHER, *command)
        assert result.code == 1, result.out + result.err
        assert "Traceback" not in result.out + result.err
        expected = f"platform.yaml:{line}: network.availabilityZones[0]: us-east-1a is not a zone of {OTHER}"
        assert expected in result.err, result.err
    for command in (["diff", "--env", ENV], ["apply", "--env", ENV, "--auto-approve"]):
        result = cli("--region", "mars", *command)
        assert result.code == 1 and "--region" in result.err and "got 'mars'" in result.err, result.err
    assert harness.stats()["total"] == 0, harness.stats()["calls"]
