"""NAT gateways: private subnets' way out, one per availability zone.

AWS builds and tears them down asynchronously (minutes), so create and delete poll describe until the
gateway settles. Gateways that are deleting, deleted or failed linger in describe for about an hour; they
are not live, or a failed attempt would block its own retry and a deleted one would be "deleted" again.
A replacement can be created before the old one is deleted (no unique name), which keeps egress up.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources.base import Context
from platformctl.resources.ec2_base import Ec2Kind

_LIVE_STATES = ["pending", "available"]
# Codes describe answers with for a gateway it does not know (yet, just after create, or any more).
_NOT_FOUND = {"NatGatewayNotFound", "InvalidNatGatewayID.NotFound"}
# A just-created subnet or address can be briefly invisible to create_nat_gateway (eventual consistency).
_FRESH_NOT_FOUND = {"InvalidSubnetID.NotFound", "InvalidAllocationID.NotFound"}


class NatGateway(Ec2Kind):
    kind: ClassVar[str] = "ec2.nat_gateway"
    describe: ClassVar[str] = "describe_nat_gateways"
    items_key: ClassVar[str] = "NatGateways"
    tag_type: ClassVar[str] = "natgateway"
    filter_param: ClassVar[str] = "Filter"
    id_attr: ClassVar[str] = "NatGatewayId"
    create_before_delete: ClassVar[bool] = True
    not_found_codes: ClassVar[frozenset[str]] = frozenset(_NOT_FOUND)

    def extra_filters(self) -> list[dict[str, Any]]:
        return [{"Name": "state", "Values": _LIVE_STATES}]

    def keep(self, nat: dict[str, Any]) -> bool:
        return nat.get("State") in _LIVE_STATES  # the filter says so already; kept for endpoints that ignore it

    def props_of(self, nat: dict[str, Any]) -> dict[str, Any]:
        return {"subnet": nat["SubnetId"], "allocation": _allocation(nat)}

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        ec2 = ctx.client("ec2")
        nat = ctx.retry_on(
            _FRESH_NOT_FOUND,
            lambda: ec2.create_nat_gateway(
                SubnetId=props["subnet"],
                AllocationId=props["allocation"],
                ConnectivityType="public",
                TagSpecifications=self.tag_specifications(ctx, resource),
            )["NatGateway"],
            timeout=60,
        )
        nat_id = nat["NatGatewayId"]

        def available() -> bool:
            state = _describe(ctx, nat_id)
            if state is None:
                return False  # not visible yet
            if state.get("State") == "failed":
                raise AwsCallError(
                    resource.id,
                    state.get("FailureCode") or "NatGatewayFailed",
                    f"NAT gateway {nat_id} failed: {state.get('FailureMessage') or 'no reason given'}",
                )
            if state.get("State") in ("deleting", "deleted"):
                raise AwsCallError(resource.id, "NatGatewayDeleted", f"NAT gateway {nat_id} was deleted")
            return state.get("State") == "available"

        ctx.wait_until(f"NAT gateway {nat_id} ({resource.id}) to become available", available)
        return {"NatGatewayId": nat_id}

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ec2 = ctx.client("ec2")
        self.ignore_missing(lambda: ec2.delete_nat_gateway(NatGatewayId=live.physical_id))

        def gone() -> bool:
            state = _describe(ctx, live.physical_id)
            return state is None or state.get("State") in ("deleted", "failed")

        # Waiting matters: the address and the subnet stay in use until the gateway is fully deleted.
        ctx.wait_until(f"NAT gateway {live.physical_id} ({live.id}) to be deleted", gone)


def _describe(ctx: Context, nat_id: str) -> dict[str, Any] | None:
    try:
        gateways = ctx.client("ec2").describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"]
    except Exception as exc:
        if error_code(exc) in _NOT_FOUND:
            return None
        raise
    return gateways[0] if gateways else None


def _allocation(nat: dict[str, Any]) -> str | None:
    """The primary address's allocation; secondary addresses (if someone added any) are not the prop."""
    addresses = nat.get("NatGatewayAddresses") or []
    primary = [a for a in addresses if a.get("IsPrimary")] or addresses
    return primary[0].get("AllocationId") if primary else None
