"""Subnet layout derived from the VPC CIDR.

Subnets are computed, not declared, so that a spec can never describe a layout that overlaps or leaves a
zone without a private subnet; the engine and the validator call the same function and cannot disagree.
"""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Sequence

SMALLEST_SUBNET_PREFIX = 28  # AWS refuses subnets smaller than /28
MAX_AZS = 6
# The VPC CIDR is cut into 16 equal slots: public subnets in slots 0-7, private in 8-15, one of each per
# zone letter a-h. 16 slots cost 4 bits of prefix, so a VPC of /24 or larger gives /28 subnets or larger.
SLOT_BITS = 4
ZONE_LETTERS = "abcdefgh"


class ZoneError(ValueError):
    """A zone that has no slot in the layout; `index` is its position in the list given to carve_subnets."""

    def __init__(self, message: str, index: int):
        super().__init__(message)
        self.index = index


def carve_subnets(cidr: str, zones: Sequence[str]) -> tuple[list[str], list[str]]:
    """(public, private) subnet CIDRs, one of each per zone in `zones`, in that order.

    A zone always gets the same two CIDRs, whatever the other zones are and however many: its slot is the
    letter its name ends with (`us-east-1c` → 2), public in slot k of 16, private in slot 8 + k. So adding,
    removing or swapping a zone never renumbers a live subnet (AWS cannot change a subnet's CIDR in place,
    and a new subnet must not overlap a live one). With no zones it only checks the CIDR.
    """
    try:
        network = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"expected an IPv4 CIDR such as 10.0.0.0/16 (got '{cidr}': {exc})") from exc
    prefix = network.prefixlen + SLOT_BITS
    if prefix > SMALLEST_SUBNET_PREFIX:
        raise ValueError(
            f"{cidr} is too small: subnets are carved from {2**SLOT_BITS} equal slots (a public and a private "
            f"one per zone letter a-h), which would be /{prefix}; the smallest AWS allows is "
            f"/{SMALLEST_SUBNET_PREFIX}, so the VPC needs /{SMALLEST_SUBNET_PREFIX - SLOT_BITS} or larger"
        )
    slots = [str(s) for s in network.subnets(prefixlen_diff=SLOT_BITS)]
    indexes = _zone_slots(zones)
    return [slots[k] for k in indexes], [slots[len(ZONE_LETTERS) + k] for k in indexes]


def _zone_slots(zones: Sequence[str]) -> list[int]:
    """Each zone's slot: the position of its last letter in a-h; two zones cannot share one."""
    taken: dict[int, str] = {}
    for index, zone in enumerate(zones):
        letter = zone[-1:]
        if not letter or letter not in ZONE_LETTERS:
            raise ZoneError(
                f"expected an availability zone name ending in a letter from a to h, such as us-east-1a "
                f"(got '{zone}'): the letter decides the zone's subnets",
                index,
            )
        slot = ZONE_LETTERS.index(letter)
        if slot in taken:
            raise ZoneError(
                f"{zone} ends in the same letter as {taken[slot]}: a zone's subnets are decided by its letter, "
                "so two zones cannot share one",
                index,
            )
        taken[slot] = zone
    return list(taken)


def availability_zones(region: str, azs: int, explicit: list[str] | None = None) -> list[str]:
    """The AZ names to use: the explicit list when the spec pins them, else region + a, b, c, ...

    Only where no AWS call may be made (validate): it gives as many zones as a real run chooses, so the same
    resources. `diff` and `apply` choose among the zones the account really has (platformctl.zones).
    """
    if explicit:
        return list(explicit)
    if azs > len(string.ascii_lowercase):
        raise ValueError(f"expected at most {MAX_AZS} availability zones (got {azs})")
    return [f"{region}{letter}" for letter in string.ascii_lowercase[:azs]]
