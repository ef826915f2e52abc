"""NAT gateways: private subnets' way out, one per availability zone.

AWS builds and tears them down asynchronously (minutes), so create and delete poll describe until the
gateway settles. Gateways that are deleting, deleted or failed linger in describe for about an hour; they
are not live, or a failed attempt would block its own retry and a deleted one would be "deleted" again.
A replacement can be created before the old one is deleted (no unique name), which keeps egress up.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources.base import Context, unless_gone
from platformctl.resources.declarative import Field
from platformctl.resources.ec2_base import Ec2Kind, ec2_listing
from platformctl.resources.waiting import poll

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

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"SubnetId": props["subnet"], "AllocationId": props["allocation"], "ConnectivityType": "public"}

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """AWS builds the gateway asynchronously (1-2 minutes): wait until it is available, or say why it failed.

        Bounded by the context's `wait_timeout`; the step then fails naming the gateway and its last state.
        """
        nat_id = item["NatGatewayId"]

        def available() -> tuple[bool | None, str]:
            state = self._describe(ctx, nat_id)
            if state is None:
                return None, f"{nat_id} not visible yet"
            if state.get("State") == "failed":
                raise AwsCallError(
                    resource.id,
                    state.get("FailureCode") or "NatGatewayFailed",
                    f"NAT gateway {nat_id} failed: {state.get('FailureMessage') or 'no reason given'}",
                )
            if state.get("State") in ("deleting", "deleted"):
                raise AwsCallError(resource.id, "NatGatewayDeleted", f"NAT gateway {nat_id} was deleted")
            return (True if state.get("State") == "available" else None), f"{nat_id} {state.get('State')}"

        poll(ctx, f"{resource.id} to become available", available)
        return {"NatGatewayId": nat_id}

    def after_delete(self, ctx: Context, live: LiveResource) -> None:
        """The address and the subnet stay in use until the gateway is fully deleted (about a minute)."""

        def gone() -> tuple[bool | None, str]:
            state = self._describe(ctx, live.physical_id)
            if state is None or state.get("State") in ("deleted", "failed"):
                return True, ""
            return None, f"{live.physical_id} {state.get('State')}"

        poll(ctx, f"{live.id} to be deleted", gone)

    def _describe(self, ctx: Context, nat_id: str) -> dict[str, Any] | None:
        ec2 = self.client(ctx)
        answer = unless_gone(self.not_found_codes, lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat_id]))
        gateways = (answer or {}).get("NatGateways") or []
        return gateways[0] if gateways else None
