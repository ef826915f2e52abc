"""Elastic IPs, one per NAT gateway, so the platform's egress address survives a NAT replacement.

Releasing is refused while the address is still associated; after a NAT gateway is deleted AWS keeps the
association for a little while, so the release is retried on the in-use codes instead of failing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources.base import Context, ResourceKind, ec2_tag_spec, tag_dict

# Codes AWS answers release_address with while a just-deleted NAT gateway still holds the address.
_IN_USE = {"InvalidIPAddress.InUse", "AuthFailure", "InvalidAddress.Locked"}
# How long to keep retrying a release that is refused as in use.
_IN_USE_TIMEOUT = 300.0


class ElasticIp(ResourceKind):
    kind: ClassVar[str] = "ec2.eip"
    service: ClassVar[str] = "ec2"
    id_attr: ClassVar[str] = "AllocationId"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidAllocationID.NotFound", "InvalidAddress.NotFound"})

    def read(self, ctx: Context) -> list[LiveResource]:
        # describe_addresses does not paginate: one call returns every address in the region.
        answer = ctx.client("ec2").describe_addresses(Filters=ctx.ec2_owner_filters())
        found: list[LiveResource] = []
        for address in answer["Addresses"]:
            allocation_id = address.get("AllocationId")
            if not allocation_id:
                continue  # an EC2-Classic address: never ours
            tags = tag_dict(address.get("Tags"))
            live = self.live(
                ctx,
                tags,
                name=tags.get("Name") or allocation_id,
                physical_id=allocation_id,
                props={},
                attrs={"AllocationId": allocation_id, "PublicIp": address["PublicIp"]},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        tags = {**ctx.tags_for(resource), "Name": resource.name}
        address = ctx.client("ec2").allocate_address(Domain="vpc", TagSpecifications=ec2_tag_spec("elastic-ip", tags))
        return {"AllocationId": address["AllocationId"], "PublicIp": address["PublicIp"]}

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ec2 = ctx.client("ec2")
        ctx.retry_on(
            _IN_USE,
            lambda: self.ignore_missing(lambda: ec2.release_address(AllocationId=live.physical_id)),
            timeout=min(_IN_USE_TIMEOUT, ctx.wait_timeout),
        )
