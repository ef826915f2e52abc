"""Elastic IPs, one per NAT gateway, so the platform's egress address survives a NAT replacement.

Releasing is refused while the address is still associated; after a NAT gateway is deleted AWS keeps the
association for a little while, so the release is retried on the in-use codes instead of failing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.resources.base import Context
from platformctl.resources.ec2_base import Ec2Kind, ec2_listing


class ElasticIp(Ec2Kind):
    kind: ClassVar[str] = "ec2.eip"
    # describe_addresses does not paginate; an EC2-Classic address (no allocation id) is never ours.
    listing = ec2_listing(
        "describe_addresses", "Addresses", pages="one", keep=lambda ctx, address: bool(address.get("AllocationId"))
    )
    tag_type: ClassVar[str] = "elastic-ip"
    id_attr: ClassVar[str] = "AllocationId"
    attrs: ClassVar[dict[str, str]] = {"AllocationId": "AllocationId", "PublicIp": "PublicIp"}
    create_call: ClassVar[str] = "allocate_address"
    delete_call: ClassVar[str] = "release_address"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidAllocationID.NotFound", "InvalidAddress.NotFound"})
    # What release_address answers while a just-deleted NAT gateway still holds the address. Not AuthFailure:
    # that refuses the caller (aws.DENIED_CODES), and no wait turns it into a release.
    busy_codes: ClassVar[frozenset[str]] = frozenset({"InvalidIPAddress.InUse", "InvalidAddress.Locked"})
    busy_timeout: ClassVar[float | None] = 300.0

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"Domain": "vpc"}
