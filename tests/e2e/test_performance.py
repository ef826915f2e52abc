"""The shape of platformctl's AWS traffic, which is what decides its speed on real AWS.

These tests count, they do not time: clocks on shared machines are noisy, and `python -m bench` measures the
seconds. They run the CLI in-process against this module's own moto server behind the Harness, which counts
every call by service and action and the calls in flight at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import specgen
from tests.e2e.helpers import Cli, Harness, applied_seed, copy_seed_specs

pytestmark = pytest.mark.e2e

# A no-op diff may cost at most this many AWS calls per managed resource (issue 5's budget)...
NO_OP_CALLS_PER_RESOURCE = 0.5
# ...which the three-service seed misses: 39 kinds need about 44 listings and describes whatever the
# platform's size (VPC attributes, KMS rotation and policy, API Gateway's four child listings...), 0.46 per
# resource before any per-service read. Its budget is what it costs now, so a regression fails: 60 calls
# until nine reads were added on purpose — the account's zones (1), each named secret's ARN (2), the alerts
# topic's attributes and subscriptions (2), the VPC endpoint listing (1) and each target group's
# deregistration delay (3, ELBv2 has no batch read): 69 calls for 97 resources.
SEED_NO_OP_CALLS_PER_RESOURCE = 0.72


def no_op_diff_calls(harness: Harness, cli: Cli) -> tuple[int, int, str]:
    """(calls, managed resources, breakdown) of a no-op diff, as the Harness counted them."""
    harness.reset_counters()
    result = cli("diff", "--env", "dev", "--output", "json")
    assert result.code == 0, result.out + result.err
    document = json.loads(result.out)
    stats = harness.stats()
    assert stats["writes"] == 0
    assert document["api_calls"] == stats["total"], "the CLI must report the calls it really made"
    breakdown = "\n".join(f"  {n} {action}" for action, n in sorted(stats["calls"].items(), key=lambda c: -c[1]))
    return stats["total"], len(document["steps"]), breakdown


def test_a_no_op_diff_of_the_seed_stays_within_its_call_budget(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls, resources, breakdown = no_op_diff_calls(harness, applied_seed(harness.endpoint, tmp_path, capsys))
    assert resources >= 90
    assert calls <= SEED_NO_OP_CALLS_PER_RESOURCE * resources, f"{calls} calls for {resources} resources:\n{breakdown}"


def test_a_no_op_diff_of_ten_services_costs_at_most_half_a_call_per_resource(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(harness.endpoint, specgen.generate(tmp_path / "specs", 10), capsys)
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    calls, resources, breakdown = no_op_diff_calls(harness, cli)
    assert resources >= 240
    assert calls <= NO_OP_CALLS_PER_RESOURCE * resources, f"{calls} calls for {resources} resources:\n{breakdown}"


def test_a_no_op_diff_asks_no_tags_one_resource_at_a_time(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = applied_seed(harness.endpoint, tmp_path, capsys)
    harness.reset_counters()
    assert cli("diff", "--env", "dev").code == 0
    calls = harness.stats()["calls"]
    # Tags come from one Tagging API listing (plus the few kinds it does not cover, in batches), not per resource.
    per_resource_tag_calls = {a: n for a, n in calls.items() if "Tags" in a and n > 1}
    assert per_resource_tag_calls == {}
    assert calls.get("tagging:GetResources", 0) <= 2


def test_independent_steps_overlap_and_stay_within_the_parallelism(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    harness.configure(latency=0.02)  # every call takes 20 ms, as real control-plane calls take tens of ms
    cli = Cli(harness.endpoint, copy_seed_specs(tmp_path), capsys)
    result = cli("apply", "--env", "dev", "--auto-approve", "--parallelism", "6", "--output", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)["report"]
    stats = harness.stats()
    assert 1 < stats["peak_in_flight"] <= 6, "calls of independent steps overlap, never more than asked"
    assert report["peak_in_flight"] > 1
    # The steps overlap: the longest chain of dependent calls is far shorter than all of them in a row.
    assert 0 < report["critical_path"]["calls"] < report["api_calls"] / 2
    assert report["api_calls"] <= stats["total"]
