"""Elastic IPs, one per NAT gateway, so the platform's egress address survives a NAT replacement.

Releasing is refused while the address is still associated; after a NAT gateway is deleted AWS keeps the
association for a little while, so the release is retried on the in-use codes instead of failing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources.base import Context
from platformctl.resources.ec2_base import Ec2Kind

# Codes AWS answers release_address with while a just-deleted NAT gateway still holds the address.
_IN_USE = {"InvalidIPAddress.InUse", "AuthFailure", "InvalidAddress.Locked"}
# How long to keep retrying a release that is refused as in use.
_IN_USE_TIMEOUT = 300.0


class ElasticIp(Ec2Kind):
    kind: ClassVar[str] = "ec2.eip"
    describe: ClassVar[str] = "describe_addresses"
    items_key: ClassVar[str] = "Addresses"
    tag_type: ClassVar[str] = "elastic-ip"
    paginated: ClassVar[bool] = False
    id_attr: ClassVar[str] = "AllocationId"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidAllocationID.NotFound", "InvalidAddress.NotFound"})

    def keep(self, address: dict[str, Any]) -> bool:
        return bool(address.get("AllocationId"))  # an EC2-Classic address is never ours

    def props_of(self, address: dict[str, Any]) -> dict[str, Any]:
        return {}

    def attrs_of(self, address: dict[str, Any]) -> dict[str, Any]:
        return {"AllocationId": address["AllocationId"], "PublicIp": address["PublicIp"]}

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        address = ctx.client("ec2").allocate_address(
            Domain="vpc", TagSpecifications=self.tag_specifications(ctx, resource)
        )
        return {"AllocationId": address["AllocationId"], "PublicIp": address["PublicIp"]}

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ec2 = ctx.client("ec2")
        ctx.retry_on(
            _IN_USE,
            lambda: self.ignore_missing(lambda: ec2.release_address(AllocationId=live.physical_id)),
            timeout=min(_IN_USE_TIMEOUT, ctx.wait_timeout),
        )
