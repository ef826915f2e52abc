"""Availability zones are the account's real ones (issue 12, item 1): read once, chosen in a stable order among
those that can host the platform (Fargate, the HTTP API's VPC link), pinned ones checked, errors located."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from platformctl.aws import Aws
from platformctl.engine.reconciler import Reconciler
from platformctl.errors import SpecError
from platformctl.layers import BuildContext, desired_resources
from platformctl.specs import load_specs
from platformctl.zones import Zone, ZoneChoiceError, choose_zones
from tests.unit.kind_harness import ENV, moto_context
from tests.unit.spec_helpers import edit, line_of, seed_copy

P = "platform.yaml"
# A Tokyo account old enough to have apne1-az3, which Fargate does not run in, as its `b`.
OLD_TOKYO = [
    Zone("ap-northeast-1a", "apne1-az4"),
    Zone("ap-northeast-1b", "apne1-az3"),
    Zone("ap-northeast-1c", "apne1-az1"),
    Zone("ap-northeast-1d", "apne1-az2"),
]
NEW_TOKYO = [z for z in OLD_TOKYO if z.zone_id != "apne1-az3"]


# ---- the choice, on zones as DescribeAvailabilityZones lists them ------------------------------------------------
def test_the_first_zones_in_name_order_are_chosen_whatever_order_they_are_listed_in() -> None:
    for seed in range(5):
        listed = list(NEW_TOKYO)
        random.Random(seed).shuffle(listed)
        assert choose_zones("ap-northeast-1", 3, None, listed, api=True) == [
            "ap-northeast-1a",
            "ap-northeast-1c",
            "ap-northeast-1d",
        ]
        assert choose_zones("ap-northeast-1", 2, None, listed, api=True) == ["ap-northeast-1a", "ap-northeast-1c"]


def test_a_zone_fargate_does_not_run_in_is_passed_over() -> None:
    assert choose_zones("ap-northeast-1", 3, None, OLD_TOKYO, api=False) == [
        "ap-northeast-1a",
        "ap-northeast-1c",
        "ap-northeast-1d",
    ]


def test_a_zone_the_vpc_link_cannot_reach_is_passed_over_only_when_there_is_an_api() -> None:
    # Zone names are per account: here `us-east-1a` is use1-az3, where HTTP API VPC links are not offered.
    listed = [Zone("us-east-1a", "use1-az3"), Zone("us-east-1b", "use1-az1"), Zone("us-east-1c", "use1-az2")]
    listed.append(Zone("us-east-1d", "use1-az4"))
    assert choose_zones("us-east-1", 3, None, listed, api=True) == ["us-east-1b", "us-east-1c", "us-east-1d"]
    assert choose_zones("us-east-1", 3, None, listed, api=False) == ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_a_pinned_zone_fargate_does_not_run_in_is_refused_naming_it_and_the_ones_that_can() -> None:
    with pytest.raises(ZoneChoiceError) as caught:
        choose_zones("ap-northeast-1", 2, ["ap-northeast-1a", "ap-northeast-1b"], OLD_TOKYO, api=True)
    (loc, message), *more = caught.value.problems
    assert not more and loc == ("network", "availabilityZones", 1)
    assert message == (
        "ap-northeast-1b (apne1-az3) cannot host the platform: AWS Fargate does not run in apne1-az3 "
        "(in ap-northeast-1 only in apne1-az1, apne1-az2, apne1-az4); zones that can: "
        "ap-northeast-1a (apne1-az4), ap-northeast-1c (apne1-az1), ap-northeast-1d (apne1-az2)"
    )


def test_a_pinned_zone_the_account_does_not_have_is_refused_naming_the_zones_it_has() -> None:
    with pytest.raises(ZoneChoiceError) as caught:
        choose_zones("ap-northeast-1", 2, ["ap-northeast-1a", "ap-northeast-1b"], NEW_TOKYO, api=True)
    assert caught.value.problems == [
        (
            ("network", "availabilityZones", 1),
            "ap-northeast-1b is not an availability zone of this account in ap-northeast-1; its zones are "
            "ap-northeast-1a (apne1-az4), ap-northeast-1c (apne1-az1), ap-northeast-1d (apne1-az2)",
        )
    ]


def test_more_zones_than_the_account_can_give_is_refused_naming_those_it_has() -> None:
    listed = [Zone("us-west-1a", "usw1-az3"), Zone("us-west-1b", "usw1-az1")]
    with pytest.raises(ZoneChoiceError) as caught:
        choose_zones("us-west-1", 3, None, listed, api=True)
    assert caught.value.problems == [
        (
            ("network", "azs"),
            "3 availability zones asked for, but this account has 2 in us-west-1 that can host the platform: "
            "us-west-1a (usw1-az3), us-west-1b (usw1-az1); set azs to 2 or fewer",
        )
    ]
    with pytest.raises(ZoneChoiceError, match=r"passed over: us-west-1c \(usw1-az2\): AWS Fargate does not run"):
        choose_zones("us-west-1", 3, None, [*listed, Zone("us-west-1c", "usw1-az2")], api=True)


# ---- through the reconciler, on in-process moto ---------------------------------------------------------------
def _reconciler(specs: Path, aws: Aws) -> Reconciler:
    return Reconciler(load_specs(specs, ENV, environ={}), aws)


def test_the_desired_graph_uses_the_zones_the_account_lists_with_one_call_and_validate_counts_alike(
    tmp_path: Path,
) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, P, "region: us-east-1", "region: ap-northeast-1")
    with moto_context("ap-northeast-1") as ctx:
        reconciler = _reconciler(specs, ctx.aws)
        desired = reconciler.desired()
        assert reconciler.desired() == desired  # asked again: the same graph, and the zones are not read again
        assert ctx.aws.counter.calls[("ec2", "DescribeAvailabilityZones")] == 1
    subnets = {(r.props["az"], r.props["cidr"]) for r in desired if r.kind == "ec2.subnet"}
    # Each zone's subnets come from its letter, so a skipped `b` leaves its slots free.
    assert subnets == {
        ("ap-northeast-1a", "10.0.0.0/20"),
        ("ap-northeast-1a", "10.0.128.0/20"),
        ("ap-northeast-1c", "10.0.32.0/20"),
        ("ap-northeast-1c", "10.0.160.0/20"),
        ("ap-northeast-1d", "10.0.48.0/20"),
        ("ap-northeast-1d", "10.0.176.0/20"),
    }
    offline = desired_resources(BuildContext(load_specs(specs, ENV, environ={})))  # validate: no AWS call
    assert len(offline) == len(desired)
    assert sorted(r.props["az"] for r in offline if r.kind == "ec2.subnet")[::2] == [
        "ap-northeast-1a",
        "ap-northeast-1b",
        "ap-northeast-1c",
    ]


def test_a_pinned_zone_fargate_does_not_run_in_is_a_spec_error_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend
    from moto.ec2.models.availability_zones_and_regions import Zone as MotoZone

    specs = seed_copy(tmp_path)
    edit(specs, P, "region: us-east-1", "region: ap-northeast-1")
    edit(specs, P, "  azs: 3 ", "  azs: 2\n  availabilityZones: [ap-northeast-1a, ap-northeast-1b]\n ")
    older = [MotoZone(region_name="ap-northeast-1", name=z.name, zone_id=z.zone_id) for z in OLD_TOKYO]
    monkeypatch.setitem(RegionsAndZonesBackend.zones, "ap-northeast-1", older)
    with moto_context("ap-northeast-1") as ctx, pytest.raises(SpecError) as caught:
        _reconciler(specs, ctx.aws).plan()
    (issue,) = caught.value.issues
    assert (issue.line, issue.path) == (line_of(specs, P, "availabilityZones"), "network.availabilityZones[1]")
    assert issue.message.startswith(
        "ap-northeast-1b (apne1-az3) cannot host the platform: AWS Fargate does not run in apne1-az3 "
        "(in ap-northeast-1 only in apne1-az1, apne1-az2, apne1-az4)"
    )
    assert not ctx.aws.counter.writes


def test_destroy_plans_whatever_the_zones_became(tmp_path: Path) -> None:
    """Destroy must never be refused for zones: it falls back to the names the spec gives."""
    specs = seed_copy(tmp_path)
    edit(specs, P, "region: us-east-1", "region: us-west-1")
    with moto_context("us-west-1") as ctx:
        reconciler = _reconciler(specs, ctx.aws)
        with pytest.raises(SpecError, match="network.azs: 3 availability zones asked for"):
            reconciler.plan()
        assert reconciler.destroy_plan().pending == []
