"""HTTP API routes: which method and path go to which integration, and whether a JWT is required.

Routes cannot be tagged, so ownership comes from our API (`ApiChild`); the route key is unique within an
API, so it is the natural key: the logical id is `<api logical id>/route <route key>`, in the API's layer.
Routes on APIs that are not ours are never listed.

Authorization: AWS keeps an existing authorizer when an update leaves AuthorizationType out, and rejects a
new authorizer id sent without it, so every change sends the type. A route whose type is NONE reads back
with no authorizer: AWS may keep a stale authorizer id on it, which has no effect.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.resources.apigw_api import ApiChild
from platformctl.resources.base import Context
from platformctl.resources.declarative import Field, Listing

TARGET_PREFIX = "integrations/"


def route_logical_id(api_logical_id: str, route_key: str) -> str:
    return f"{api_logical_id}/route {route_key}"


def _integration(target: str | None) -> str | None:
    """Target `integrations/<id>` → `<id>`; any other target is returned whole, so it shows as drift."""
    if not target:
        return None
    return target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else target


def _authorization(route: dict[str, Any]) -> str:
    return route.get("AuthorizationType") or "NONE"


class Route(ApiChild):
    kind: ClassVar[str] = "apigw.route"
    children = Listing("get_routes", "Items")
    label_source: ClassVar[str] = "RouteKey"
    id_attr: ClassVar[str] = "RouteId"
    fields: ClassVar[dict[str, Field]] = {
        "api": Field("ApiId"),
        "route_key": Field("RouteKey"),
        "integration": Field(lambda route: _integration(route.get("Target")), setter="set_target"),
        "authorization": Field(_authorization, setter="set_authorization"),
        "authorizer": Field(
            lambda route: (route.get("AuthorizerId") or None) if _authorization(route) != "NONE" else None,
            setter="set_authorization",
        ),
    }
    create_call: ClassVar[str] = "create_route"
    delete_call: ClassVar[str] = "delete_route"

    def child_id(self, api_logical_id: str, item: dict[str, Any]) -> str:
        return route_logical_id(api_logical_id, item["RouteKey"])

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        target = {"Target": _target(props)} if props.get("integration") else {}
        return {"ApiId": props["api"], "RouteKey": props["route_key"], **target, **_authorization_request(props)}

    def set_target(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        # The empty target detaches the route from any integration.
        self._update(ctx, live, Target=_target(props) if props.get("integration") else "")

    def set_authorization(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        self._update(ctx, live, **_authorization_request(props))

    def _update(self, ctx: Context, live: LiveResource, **request: Any) -> None:
        self.call(ctx, "update_route", ApiId=live.props["api"], RouteId=live.physical_id, **request)


def _target(props: dict[str, Any]) -> str:
    return f"{TARGET_PREFIX}{props['integration']}"


def _authorization_request(props: dict[str, Any]) -> dict[str, Any]:
    """The type always; the authorizer with it when the type uses one."""
    request = {"AuthorizationType": props["authorization"]}
    if props["authorization"] != "NONE" and props.get("authorizer"):
        request["AuthorizerId"] = props["authorizer"]
    return request
