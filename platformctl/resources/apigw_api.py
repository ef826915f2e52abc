"""The environment's HTTP API: the public front door that routes requests to services through a VPC link.

GetApis answers with every API's tags, so one paginated listing finds ours. That listing is fetched once
per read pass (`our_apis`) and shared with every kind that lives under an API (integrations, routes,
stages, authorizers, domain mappings): those cannot be tagged, or are found more cheaply through their API.

API names need not be unique, so CreateApi never silently returns an existing API: there is nothing to
adopt by mistake. Deleting an API deletes everything under it, synchronously.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.resources.base import Context, ResourceKind

NOT_FOUND = frozenset({"NotFoundException"})


@dataclass(frozen=True)
class OwnedApi:
    """An HTTP API carrying our tags for this platform and env."""

    api_id: str
    name: str
    endpoint: str
    logical_id: str
    layer: str
    tags: dict[str, str]


def our_apis(ctx: Context) -> list[OwnedApi]:
    """Our HTTP APIs, fetched once per read pass for the API kind and every kind found under an API."""
    return [owned for owned, _ in _our_api_items(ctx)]


def _our_api_items(ctx: Context) -> list[tuple[OwnedApi, dict[str, Any]]]:
    """Our APIs with their raw GetApis items (the API kind needs fields the children do not)."""
    return ctx.cached(("apigatewayv2", "our-apis"), lambda: _fetch_our_apis(ctx))


def _fetch_our_apis(ctx: Context) -> list[tuple[OwnedApi, dict[str, Any]]]:
    owned: list[tuple[OwnedApi, dict[str, Any]]] = []
    for page in ctx.client("apigatewayv2").get_paginator("get_apis").paginate():
        for item in page.get("Items", []):
            if item.get("ProtocolType", "HTTP") != "HTTP":
                continue
            tags = item.get("Tags") or {}
            identity = ctx.identity(tags)
            if identity is None:
                continue
            logical_id, layer = identity
            api = OwnedApi(
                api_id=item["ApiId"],
                name=item["Name"],
                endpoint=item.get("ApiEndpoint", ""),
                logical_id=logical_id,
                layer=layer,
                tags=tags,
            )
            owned.append((api, item))
    return owned


def _attrs(api_id: str, endpoint: str) -> dict[str, Any]:
    return {"ApiId": api_id, "ApiEndpoint": endpoint}


class HttpApi(ResourceKind):
    kind: ClassVar[str] = "apigw.api"
    service: ClassVar[str] = "apigatewayv2"
    id_attr: ClassVar[str] = "ApiId"
    updatable: ClassVar[frozenset[str]] = frozenset({"description"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for api, item in _our_api_items(ctx):
            live = self.live(
                ctx,
                api.tags,
                name=api.name,
                physical_id=api.api_id,
                # AWS omits a description that was never set.
                props={"name": api.name, "description": item.get("Description") or ""},
                attrs=_attrs(api.api_id, api.endpoint),
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"Description": props["description"]} if props.get("description") else {}
        api = ctx.client("apigatewayv2").create_api(
            Name=props["name"], ProtocolType="HTTP", Tags=ctx.tags_for(resource), **params
        )
        return _attrs(api["ApiId"], api.get("ApiEndpoint", ""))

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        description = props.get("description") or ""
        if description != live.props.get("description"):
            ctx.client("apigatewayv2").update_api(ApiId=live.physical_id, Description=description)
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        apigw = ctx.client("apigatewayv2")
        self.ignore_missing(lambda: apigw.delete_api(ApiId=live.physical_id))


def api_children(ctx: Context, api: OwnedApi, listing: str) -> list[dict[str, Any]]:
    """Every item of a per-API listing (`get_routes`, `get_stages`, ...) of one of our APIs.

    An API deleted since it was listed has no children any more: an empty list, not an error.
    """
    items: list[dict[str, Any]] = []
    try:
        for page in ctx.client("apigatewayv2").get_paginator(listing).paginate(ApiId=api.api_id):
            items.extend(page.get("Items", []))
    except Exception as exc:
        if error_code(exc) in NOT_FOUND:
            return []
        raise
    return items
