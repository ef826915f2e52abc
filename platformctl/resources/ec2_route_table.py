"""Route tables with their routes and subnet associations.

Routes and associations are props of the table, not resources of their own: they have no tags, so the
only way to know they are ours is that they hang off a table that is. Routes are keyed by destination;
the VPC's `local` route is AWS's and never shown. A blackhole route (its NAT gateway gone) still counts as
present with its old target, so replacing the NAT gateway shows up as a route change and `update` repoints
it with replace_route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.resources.base import Context
from platformctl.resources.ec2_base import Ec2Kind

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
    describe: ClassVar[str] = "describe_route_tables"
    items_key: ClassVar[str] = "RouteTables"
    tag_type: ClassVar[str] = "route-table"
    id_attr: ClassVar[str] = "RouteTableId"
    updatable: ClassVar[frozenset[str]] = frozenset({"routes", "subnets"})
    unordered: ClassVar[frozenset[str]] = frozenset({"routes", "subnets"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"InvalidRouteTableID.NotFound"})

    def props_of(self, table: dict[str, Any]) -> dict[str, Any]:
        return {"vpc": table["VpcId"], "routes": _routes(table), "subnets": sorted(_associations(table))}

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        ec2 = ctx.client("ec2")
        table = ec2.create_route_table(VpcId=props["vpc"], TagSpecifications=self.tag_specifications(ctx, resource))
        table_id = table["RouteTable"]["RouteTableId"]
        for route in props.get("routes") or []:
            self._route(ctx, "create_route", table_id, route)
        for subnet_id in props.get("subnets") or []:
            self._associate(ctx, table_id, subnet_id)
        return {"RouteTableId": table_id}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        ec2 = ctx.client("ec2")
        table_id = live.physical_id
        have = {r["destination"]: r["target"] for r in live.props.get("routes") or []}
        want = {r["destination"]: r["target"] for r in props.get("routes") or []}
        for destination, target in want.items():
            if destination not in have:
                self._route(ctx, "create_route", table_id, {"destination": destination, "target": target})
            elif have[destination] != target:
                self._route(ctx, "replace_route", table_id, {"destination": destination, "target": target})
        for destination in have.keys() - want.keys():
            _ignore(
                _ROUTE_NOT_FOUND,
                lambda d=destination: ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock=d),
            )

        have_subnets = set(live.props.get("subnets") or [])
        want_subnets = set(props.get("subnets") or [])
        for subnet_id in sorted(want_subnets - have_subnets):
            self._associate(ctx, table_id, subnet_id)
        dropped = have_subnets - want_subnets
        if dropped:
            # Association ids are not props; look them up now rather than trust a read from earlier.
            current = _associations(_describe_table(ctx, table_id) or {})
            for subnet_id in sorted(dropped):
                if subnet_id in current:
                    _ignore(
                        _ASSOCIATION_NOT_FOUND,
                        lambda a=current[subnet_id]: ec2.disassociate_route_table(AssociationId=a),
                    )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ec2 = ctx.client("ec2")
        table = _describe_table(ctx, live.physical_id)
        if table is None:
            return
        for association_id in _associations(table).values():
            _ignore(_ASSOCIATION_NOT_FOUND, lambda a=association_id: ec2.disassociate_route_table(AssociationId=a))
        ctx.retry_on(
            {"DependencyViolation"},
            lambda: self.ignore_missing(lambda: ec2.delete_route_table(RouteTableId=live.physical_id)),
        )

    def _route(self, ctx: Context, operation: str, table_id: str, route: dict[str, str]) -> None:
        target = route["target"]
        call = getattr(ctx.client("ec2"), operation)
        ctx.retry_on(
            _FRESH_NOT_FOUND,
            lambda: call(
                RouteTableId=table_id,
                DestinationCidrBlock=route["destination"],
                **{_target_param(target): target},
            ),
            timeout=60,
        )

    def _associate(self, ctx: Context, table_id: str, subnet_id: str) -> None:
        """Associate, moving the subnet over if another table holds it (a subnet has exactly one table)."""
        ec2 = ctx.client("ec2")
        try:
            ctx.retry_on(
                _FRESH_NOT_FOUND,
                lambda: ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id),
                timeout=60,
            )
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
    try:
        tables = ctx.client("ec2").describe_route_tables(RouteTableIds=[table_id])["RouteTables"]
    except Exception as exc:
        if error_code(exc) == "InvalidRouteTableID.NotFound":
            return None
        raise
    return tables[0] if tables else None


def _ignore(codes: set[str], call: Callable[[], Any]) -> None:
    """Run a removal, treating 'not found' as done: a crashed run or a person may have got there first."""
    try:
        call()
    except Exception as exc:
        if error_code(exc) not in codes:
            raise
