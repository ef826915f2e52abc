"""NAT gateways: private subnets' way out, one per availability zone.

AWS builds and tears them down asynchronously (minutes), so create and delete wait until the gateway
settles (`settles`). Gateways that are deleting, deleted or failed linger in describe for about an hour; they
are not live, or a failed attempt would block its own retry and a deleted one would be "deleted" again.
A replacement can be created before the old one is deleted (no unique name), which keeps egress up.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.resources.base import Context
from platformctl.resources.declarative import Field
from platformctl.resources.ec2_base import Ec2Kind, ec2_listing
from platformctl.resources.settling import Settling

_LIVE_STATES = ["pending", "available"]


def _allocation(nat: dict[str, Any]) -> str | None:
    """The primary address's allocation; secondary addresses (if someone added any) are not the prop."""
    addresses = nat.get("NatGatewayAddresses") or []
    primary = [a for a in addresses if a.get("IsPrimary")] or addresses
    return primary[0].get("AllocationId") if primary else None


class NatGateway(Ec2Kind):
    kind: ClassVar[str] = "ec2.nat_gateway"
    # The state filter says so already; `keep` checks again for endpoints that ignore it.
    listing = ec2_listing(
        "describe_nat_gateways",
        "NatGateways",
        {"Name": "state", "Values": _LIVE_STATES},
        param="Filter",
        keep=lambda ctx, nat: nat.get("State") in _LIVE_STATES,
    )
    tag_type: ClassVar[str] = "natgateway"
    id_attr: ClassVar[str] = "NatGatewayId"
    fields: ClassVar[dict[str, Field]] = {"subnet": Field("SubnetId"), "allocation": Field(_allocation)}
    create_call: ClassVar[str] = "create_nat_gateway"
    create_result: ClassVar[str] = "NatGateway"
    delete_call: ClassVar[str] = "delete_nat_gateway"
    create_before_delete: ClassVar[bool] = True
    # What describe answers for a gateway it does not know (yet, just after create, or any more).
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"NatGatewayNotFound", "InvalidNatGatewayID.NotFound"})
    # A just-created subnet or address can be briefly invisible to create_nat_gateway (eventual consistency).
    retry_codes: ClassVar[frozenset[str]] = frozenset({"InvalidSubnetID.NotFound", "InvalidAllocationID.NotFound"})
    # Built in 1-2 minutes; its address and subnet stay in use until it is deleted (about a minute).
    settles = Settling(
        by_ids="NatGatewayIds",
        state="State",
        ready="available",
        failed={"failed"},
        gone={"deleted"},
        reason="FailureMessage",
        code="FailureCode",
    )

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"SubnetId": props["subnet"], "AllocationId": props["allocation"], "ConnectivityType": "public"}
