"""HTTP API routes: which method and path go to which integration, and whether a JWT is required.

Routes cannot be tagged, so ownership comes from our API; the route key is unique within an API, so it is
the natural key: the logical id is `<api logical id>/route <route key>`, in the API's layer. Routes on
APIs that are not ours are never listed.

Authorization: AWS keeps an existing authorizer when an update leaves AuthorizationType out, and rejects a
new authorizer id sent without it, so every authorization change sends the type. A route whose type is
NONE reads back with no authorizer: AWS may keep a stale authorizer id on it, which has no effect.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.apigw_api import NOT_FOUND, OwnedApi, api_children, our_apis
from platformctl.resources.base import Context, ResourceKind

TARGET_PREFIX = "integrations/"


def route_logical_id(api_logical_id: str, route_key: str) -> str:
    return f"{api_logical_id}/route {route_key}"


def _integration(target: str | None) -> str | None:
    """Target `integrations/<id>` → `<id>`; any other target is returned whole, so it shows as drift."""
    if not target:
        return None
    return target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else target


def _props(api_id: str, route: dict[str, Any]) -> dict[str, Any]:
    authorization = route.get("AuthorizationType") or "NONE"
    return {
        "api": api_id,
        "route_key": route["RouteKey"],
        "integration": _integration(route.get("Target")),
        "authorization": authorization,
        "authorizer": (route.get("AuthorizerId") or None) if authorization != "NONE" else None,
    }


class Route(ResourceKind):
    kind: ClassVar[str] = "apigw.route"
    service: ClassVar[str] = "apigatewayv2"
    id_attr: ClassVar[str] = "RouteId"
    updatable: ClassVar[frozenset[str]] = frozenset({"integration", "authorization", "authorizer"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for api in our_apis(ctx):
            for route in api_children(ctx, api, "get_routes"):
                live = self._live(ctx, api, route)
                if live:
                    found.append(live)
        return found

    def _live(self, ctx: Context, api: OwnedApi, route: dict[str, Any]) -> LiveResource | None:
        # Not taggable itself: it carries the API's ownership under its own logical id and the API's layer.
        logical_id = route_logical_id(api.logical_id, route["RouteKey"])
        tags = {**api.tags, TAG_ID: logical_id, TAG_LAYER: api.layer}
        return self.live(
            ctx,
            tags,
            name=f"{api.name} {route['RouteKey']}",
            physical_id=route["RouteId"],
            props=_props(api.api_id, route),
            attrs={"RouteId": route["RouteId"]},
        )

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "ApiId": props["api"],
            "RouteKey": props["route_key"],
            "AuthorizationType": props["authorization"],
        }
        if props.get("integration"):
            params["Target"] = f"{TARGET_PREFIX}{props['integration']}"
        if props["authorization"] != "NONE" and props.get("authorizer"):
            params["AuthorizerId"] = props["authorizer"]
        answer = ctx.client("apigatewayv2").create_route(**params)
        return {"RouteId": answer["RouteId"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if props.get("integration") != live.props.get("integration"):
            # The empty string detaches the route from any integration.
            params["Target"] = f"{TARGET_PREFIX}{props['integration']}" if props.get("integration") else ""
        authorizer = props.get("authorizer") if props["authorization"] != "NONE" else None
        if props["authorization"] != live.props.get("authorization") or authorizer != live.props.get("authorizer"):
            params["AuthorizationType"] = props["authorization"]
            if authorizer:
                params["AuthorizerId"] = authorizer
        if params:
            ctx.client("apigatewayv2").update_route(ApiId=live.props["api"], RouteId=live.physical_id, **params)
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        apigw = ctx.client("apigatewayv2")
        self.ignore_missing(lambda: apigw.delete_route(ApiId=live.props["api"], RouteId=live.physical_id))
