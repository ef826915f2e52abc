"""The subnet layout: a zone's subnets depend on the zone alone, so zone changes never renumber a live subnet."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from platformctl.layers import BuildContext, desired_resources
from platformctl.specs import carve_subnets
from tests.unit.spec_helpers import assert_issue, edit, line_of, load, only_issue, seed_copy

P = "platform.yaml"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_each_zone_letter_has_its_own_public_and_private_slot_of_sixteen() -> None:
    public, private = carve_subnets("10.0.0.0/16", ZONES)
    assert public == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
    assert private == ["10.0.128.0/20", "10.0.144.0/20", "10.0.160.0/20"]


@pytest.mark.parametrize(
    "zones",
    [ZONES[:2], ZONES + ["us-east-1d"], ["us-east-1a", "us-east-1b", "us-east-1d"], ["us-east-1c", "us-east-1a"]],
)
def test_a_zone_keeps_its_subnets_whatever_the_other_zones_are(zones: list[str]) -> None:
    reference = dict(zip(ZONES, zip(*carve_subnets("10.0.0.0/16", ZONES), strict=True), strict=True))
    public, private = carve_subnets("10.0.0.0/16", zones)
    for zone, pair in zip(zones, zip(public, private, strict=True), strict=True):
        if zone in reference:
            assert pair == reference[zone]
    subnets = [ipaddress.ip_network(c) for c in public + private]
    assert not [(a, b) for i, a in enumerate(subnets) for b in subnets[i + 1 :] if a.overlaps(b)]


def test_the_eighth_letter_fits_in_the_smallest_vpc_and_a_smaller_one_is_refused() -> None:
    assert carve_subnets("10.0.0.0/24", ["eu-west-1h"]) == (["10.0.0.112/28"], ["10.0.0.240/28"])
    with pytest.raises(ValueError, match="10.0.0.0/25 is too small.*needs /24 or larger"):
        carve_subnets("10.0.0.0/25", ["eu-west-1a"])
    with pytest.raises(ValueError, match="expected an IPv4 CIDR"):
        carve_subnets("10.0.0.1/16", ["eu-west-1a"])


def subnet_cidrs(specs: Path) -> dict[str, str]:
    graph = desired_resources(BuildContext(load(specs, "dev")))
    return {r.id: r.props["cidr"] for r in graph if r.kind == "ec2.subnet"}


def test_the_desired_subnets_of_the_zones_kept_do_not_change_when_zones_change(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    three = subnet_cidrs(specs)
    assert three["subnet.private.us-east-1c"] == "10.0.160.0/20"
    edit(specs, P, "  azs: 3 ", "  azs: 2 ")
    assert subnet_cidrs(specs) == {i: c for i, c in three.items() if not i.endswith("1c")}
    edit(specs, P, "  azs: 2 ", "  availabilityZones: [us-east-1a, us-east-1d]\n  azs: 2 ")
    swapped = subnet_cidrs(specs)
    assert swapped["subnet.public.us-east-1a"] == three["subnet.public.us-east-1a"]
    assert swapped["subnet.public.us-east-1d"] == "10.0.48.0/20"


@pytest.mark.parametrize(
    ("zones", "bad", "message"),
    [
        ("[us-east-1a, us-east-1b, us-east-1i]", 2, "a letter from a to h, such as us-east-1a (got 'us-east-1i')"),
        ("[us-east-1a, us-east-1-bos-1a, us-east-1c]", 1, "us-east-1-bos-1a ends in the same letter as us-east-1a"),
    ],
)
def test_a_pinned_zone_without_a_slot_of_its_own_is_an_error_at_its_line(
    tmp_path: Path, zones: str, bad: int, message: str
) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, P, "  nat: per-az ", f"  availabilityZones: {zones}\n  nat: per-az ")
    issue = only_issue(specs)
    assert_issue(issue, P, line_of(specs, P, "availabilityZones"), f"network.availabilityZones[{bad}]", message)


def test_a_vpc_smaller_than_a_slash_24_is_an_error_at_its_line(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, P, "  cidr: 10.0.0.0/16", "  cidr: 10.0.0.0/25")
    assert_issue(only_issue(specs), P, line_of(specs, P, "cidr:"), "network.cidr", "needs /24 or larger")
