"""Subnet layout derived from the VPC CIDR.

Subnets are computed, not declared, so that a spec can never describe a layout that overlaps or leaves a
zone without a private subnet; the engine and the validator call the same function and cannot disagree.
"""

from __future__ import annotations

import ipaddress
import string

SMALLEST_SUBNET_PREFIX = 28  # AWS refuses subnets smaller than /28
MAX_AZS = 6


def carve_subnets(cidr: str, azs: int) -> tuple[list[str], list[str]]:
    """Split `cidr` into 2*azs equal subnets and return (public, private), one of each per AZ, public first.

    The split uses the smallest power of two that holds 2*azs subnets, so the same CIDR and AZ count always
    give the same subnets and adding capacity later means changing the spec, not renumbering live ones.
    """
    if azs < 1:
        raise ValueError(f"expected at least 1 availability zone (got {azs})")
    try:
        network = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"expected an IPv4 CIDR such as 10.0.0.0/16 (got '{cidr}': {exc})") from exc
    needed = 2 * azs
    bits = (needed - 1).bit_length()
    prefix = network.prefixlen + bits
    if prefix > SMALLEST_SUBNET_PREFIX:
        raise ValueError(
            f"{cidr} is too small for {needed} subnets ({azs} AZs x public+private): "
            f"they would be /{prefix}, "
            f"the smallest AWS allows is /{SMALLEST_SUBNET_PREFIX}"
        )
    subnets = [str(s) for s in network.subnets(prefixlen_diff=bits)][:needed]
    return subnets[:azs], subnets[azs:needed]


def availability_zones(region: str, azs: int, explicit: list[str] | None = None) -> list[str]:
    """The AZ names to use: the explicit list when the spec pins them, else region + a, b, c, ...

    Pinning exists because the letter-named zones are not available to every account in every region.
    """
    if explicit:
        return list(explicit)
    if azs > len(string.ascii_lowercase):
        raise ValueError(f"expected at most {MAX_AZS} availability zones (got {azs})")
    return [f"{region}{letter}" for letter in string.ascii_lowercase[:azs]]
