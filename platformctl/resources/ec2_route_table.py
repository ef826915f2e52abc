"""Route tables with their routes and subnet associations.

Routes and associations are props of the table, not resources of their own: they have no tags, so the
only way to know they are ours is that they hang off a table that is. Routes are keyed by destination;
the VPC's `local` route is AWS's and never shown. A blackhole route (its NAT gateway gone) still counts as
present with its old target, so replacing the NAT gateway shows up as a route change and `update` repoints
it with replace_route.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource
from platformctl.resources.base import Context, unless_gone
from platformctl.resources.declarative import Field
from platformctl.resources.ec2_base import Ec2Kind, ec2_listing

# Target id prefix → the create_route/replace_route parameter that takes it.
_TARGET_PARAMS: dict[str, str] = {
    "igw-": "GatewayId",
    "vgw-": "GatewayId",
    "nat-": "NatGatewayId",
    "tgw-": "TransitGatewayId",
    "pcx-": "VpcPeeringConnectionId",
    "eni-": "NetworkInterfaceId",
    "i-": "InstanceId",
}
# Route fields that name a target, in the order a route is read by.
_TARGET_FIELDS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "NetworkInterfaceId",
    "InstanceId",
)
# A just-created table, gateway or subnet can be briefly invisible to the next call (eventual consistency).
_FRESH_NOT_FOUND = {
    "InvalidRouteTableID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidGatewayID.NotFound",
    "InvalidInternetGatewayID.NotFound",
    "InvalidNatGatewayID.NotFound",
    "NatGatewayNotFound",
}
_ROUTE_NOT_FOUND = {"InvalidRoute.NotFound"}
_ASSOCIATION_NOT_FOUND = {"InvalidAssociationID.NotFound"}


class RouteTable(Ec2Kind):
    kind: ClassVar[str] = "ec2.route_table"
    listing = ec2_listing("describe_route_tables", "RouteTables")
    tag_type: ClassVar[str] = "route-table"
    id_attr: ClassVar[str] = "RouteTableId"
    fields: ClassVar[dict[str, Field]] = {
        "vpc": Field("VpcId"),
        "routes": Field(lambda table: _routes(table), setter="set_routes", initial=[]),
        "subnets": Field(lambda table: sorted(_associations(table)), setter="set_subnets", initial=[]),
    }
    unordered: ClassVar[frozenset[str]] = frozenset({"routes", "subnets"})
    create_call: ClassVar[str] = "create_route_table"
    create_result: ClassVar[str] = "RouteTable"
    delete_call: ClassVar[str] = "delete_route_table"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidRouteTableID.NotFound"})
    retry_codes: ClassVar[frozenset[str]] = frozenset(_FRESH_NOT_FOUND)
    busy_codes: ClassVar[frozenset[str]] = frozenset({"DependencyViolation"})

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"VpcId": props["vpc"]}

    def set_routes(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        table_id = live.physical_id
        have = {r["destination"]: r["target"] for r in live.props.get("routes") or []}
        want = {r["destination"]: r["target"] for r in props.get("routes") or []}
        for destination, target in want.items():
            if have.get(destination) != target:
                operation = "create_route" if destination not in have else "replace_route"
                self._route(ctx, operation, table_id, destination, target)
        ec2 = self.client(ctx)
        for destination in have.keys() - want.keys():
            _ignore(
                _ROUTE_NOT_FOUND,
                partial(ec2.delete_route, RouteTableId=table_id, DestinationCidrBlock=destination),
            )

    def set_subnets(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        table_id = live.physical_id
        have_subnets = set(live.props.get("subnets") or [])
        want_subnets = set(props.get("subnets") or [])
        for subnet_id in sorted(want_subnets - have_subnets):
            self._associate(ctx, table_id, subnet_id)
        dropped = have_subnets - want_subnets
        if dropped:
            # Association ids are not props; look them up now rather than trust a read from earlier.
            current = _associations(_describe_table(ctx, table_id) or {})
            for subnet_id in sorted(dropped & current.keys()):
                self._disassociate(ctx, current[subnet_id])

    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Needs code: a table's subnet associations must go before the table can."""
        table = _describe_table(ctx, live.physical_id)
        if table is None:
            return
        for association_id in _associations(table).values():
            self._disassociate(ctx, association_id)
        super().delete(ctx, live)

    def _disassociate(self, ctx: Context, association_id: str) -> None:
        ec2 = self.client(ctx)
        _ignore(_ASSOCIATION_NOT_FOUND, lambda: ec2.disassociate_route_table(AssociationId=association_id))

    def _route(self, ctx: Context, operation: str, table_id: str, destination: str, target: str) -> None:
        request = {"RouteTableId": table_id, "DestinationCidrBlock": destination, _target_param(target): target}
        self.call(ctx, operation, **request)

    def _associate(self, ctx: Context, table_id: str, subnet_id: str) -> None:
        """Associate, moving the subnet over if another table holds it (a subnet has exactly one table)."""
        ec2 = self.client(ctx)
        try:
            self.call(ctx, "associate_route_table", RouteTableId=table_id, SubnetId=subnet_id)
        except Exception as exc:
            if error_code(exc) != "Resource.AlreadyAssociated":
                raise
            tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])[
                "RouteTables"
            ]
            for table in tables:
                association_id = _associations(table).get(subnet_id)
                if association_id and table["RouteTableId"] != table_id:
                    ec2.replace_route_table_association(AssociationId=association_id, RouteTableId=table_id)


def _target_param(target: str) -> str:
    for prefix, param in _TARGET_PARAMS.items():
        if target.startswith(prefix):
            return param
    raise ValueError(f"cannot route to '{target}': expected an igw-, nat-, tgw-, pcx-, vgw-, eni- or i- id")


def _routes(table: dict[str, Any]) -> list[dict[str, str]]:
    routes = []
    for route in table.get("Routes") or []:
        destination = route.get("DestinationCidrBlock")
        target = next((route[f] for f in _TARGET_FIELDS if route.get(f)), None)
        # IPv6 and prefix-list routes (gateway endpoints add those) are not something we declare.
        if not destination or not target or target == "local":
            continue
        routes.append({"destination": destination, "target": target})
    return sorted(routes, key=lambda r: r["destination"])


def _associations(table: dict[str, Any]) -> dict[str, str]:
    """Subnet id → association id for the table's explicit subnet associations (never the main one)."""
    found = {}
    for association in table.get("Associations") or []:
        state = (association.get("AssociationState") or {}).get("State", "associated")
        if association.get("Main") or not association.get("SubnetId") or state not in ("associated", "associating"):
            continue
        found[association["SubnetId"]] = association["RouteTableAssociationId"]
    return found


def _describe_table(ctx: Context, table_id: str) -> dict[str, Any] | None:
    codes = {"InvalidRouteTableID.NotFound"}
    answer = unless_gone(codes, lambda: ctx.client("ec2").describe_route_tables(RouteTableIds=[table_id]))
    tables = (answer or {}).get("RouteTables") or []
    return tables[0] if tables else None


def _ignore(codes: set[str], call: Callable[[], Any]) -> None:
    """Run a removal, treating 'not found' as done: a crashed run or a person may have got there first."""
    unless_gone(codes, call)
