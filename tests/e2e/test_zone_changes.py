"""Changing the availability zones converges in one apply, keeps the subnets of the zones that stay, and
takes a zone away only after everything that served from it has moved out.

A zone's subnets have the same CIDRs whatever the other zones are, so adding, removing or swapping a zone
never renumbers a live subnet; a removed zone's route tables and subnets go only after the ECS services and
the ALB have left it.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.helpers import Cli, applied_seed, client, copy_seed_specs, pending

pytestmark = pytest.mark.e2e

AZS = "azs: 3 "


def subnets_by_id(endpoint: str) -> dict[str, tuple[str, str]]:
    """Our dev subnets as a user lists them: logical id → (subnet id, CIDR)."""
    filters = [
        {"Name": "tag:platformctl:platform", "Values": ["microservices"]},
        {"Name": "tag:platformctl:env", "Values": ["dev"]},
    ]
    found = {}
    for subnet in client(endpoint, "ec2").describe_subnets(Filters=filters)["Subnets"]:
        tags = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}
        found[tags["platformctl:id"]] = (subnet["SubnetId"], subnet["CidrBlock"])
    return found


def apply_json(cli: Cli, *options: str) -> dict:
    result = cli("apply", "--env", "dev", "--auto-approve", "--output", "json", *options)
    assert result.code == 0, result.out + result.err
    return json.loads(result.out)


def finished(report: dict) -> list[str]:
    """`<operation> <kind> <id>` of each operation in the order it finished."""
    return [f"{op['operation']} {op['kind']} {op['id']}" for op in report["operations"] if op["status"] == "done"]


def test_removing_a_zone_then_adding_it_back_converges_and_keeps_the_other_zones_subnets(
    endpoint: str, tmp_path, capsys
) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    before = subnets_by_id(endpoint)
    kept = {i: v for i, v in before.items() if not i.endswith("us-east-1c")}
    assert len(before) == 6 and len(kept) == 4

    # 3 → 2: zone c goes, in one run, and nothing else is renumbered.
    cli.edit("platform.yaml", AZS, "azs: 2 ")
    steps = pending(cli)
    assert not [s for s in steps if s["kind"] == "ec2.subnet" and s["action"] != "delete"], steps
    # One operation at a time: the report's order is then the order they started in, and a delete that
    # did not wait for the moves out of the zone would show before them.
    report = apply_json(cli, "--parallelism", "1")["report"]
    assert report["ok"], report
    assert pending(cli) == []
    assert subnets_by_id(endpoint) == kept

    # What served from zone c moved out before its route table and subnets went.
    order = finished(report)
    moves = [o for o in order if o.startswith(("update ecs.service ", "update elbv2.load_balancer "))]
    assert len(moves) == 4, order  # three services and the ALB
    gone = [o for o in order if o.startswith("delete ") and o.endswith(".us-east-1c")]
    assert {o.split()[2] for o in gone} >= {"rtb.private.us-east-1c", "subnet.private.us-east-1c"}, order
    assert max(order.index(m) for m in moves) < min(order.index(g) for g in gone), order

    # 2 → 3: zone c comes back with its old CIDRs, the others untouched.
    cli.edit("platform.yaml", "azs: 2 ", AZS)
    report = apply_json(cli)["report"]
    assert report["ok"], report
    assert pending(cli) == []
    after = subnets_by_id(endpoint)
    assert {i: v for i, v in after.items() if i in kept} == kept
    assert {i: v[1] for i, v in after.items()} == {i: v[1] for i, v in before.items()}


def test_swapping_a_pinned_zone_converges_in_one_apply(endpoint: str, tmp_path, capsys) -> None:
    cli = Cli(endpoint, copy_seed_specs(tmp_path), capsys)
    cli.edit("platform.yaml", AZS, "availabilityZones: [us-east-1a, us-east-1b, us-east-1c]\n  azs: 3 ")
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    before = subnets_by_id(endpoint)

    cli.edit("platform.yaml", "us-east-1c]", "us-east-1d]")
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert pending(cli) == []
    after = subnets_by_id(endpoint)
    assert set(after) == {f"subnet.{tier}.us-east-1{z}" for tier in ("public", "private") for z in "abd"}
    assert {i: v for i, v in after.items() if not i.endswith("d")} == {
        i: v for i, v in before.items() if not i.endswith("c")
    }
