"""The environment's HTTP API: the public front door that routes requests to services through a VPC link.

GetApis answers with every API's tags, so one paginated listing finds ours. That listing is fetched once
per read pass (`HttpApi().owned`) and shared with every kind that lives under an API (integrations,
routes, stages, authorizers): those cannot be tagged, or are found more cheaply through their API
(`ApiChild`).

API names need not be unique, so CreateApi never silently returns an existing API: there is nothing to
adopt by mistake. Deleting an API deletes everything under it, synchronously.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Field, Listing, Owned, dig
from platformctl.resources.tagging import apigateway_arn

NOT_FOUND = frozenset({"NotFoundException"})


class HttpApi(DeclarativeKind):
    kind: ClassVar[str] = "apigw.api"
    tagging: ClassVar[str | None] = "apigatewayv2"
    service: ClassVar[str] = "apigatewayv2"
    # WebSocket APIs share the listing; they are never ours.
    listing = Listing("get_apis", "Items", keep=lambda ctx, item: item.get("ProtocolType", "HTTP") == "HTTP")
    tags_shape: ClassVar[str] = "map"
    id_attr: ClassVar[str] = "ApiId"
    name_source: ClassVar[str | None] = "Name"
    attrs: ClassVar[dict[str, str]] = {"ApiId": "ApiId", "ApiEndpoint": "ApiEndpoint"}
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("Name"),
        # AWS omits a description that was never set.
        "description": Field(lambda item: item.get("Description") or "", setter="set_description"),
    }
    create_call: ClassVar[str] = "create_api"
    delete_call: ClassVar[str] = "delete_api"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        description = {"Description": props["description"]} if props.get("description") else {}
        return {"Name": props["name"], "ProtocolType": "HTTP", **description}

    def set_description(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        self.call(ctx, "update_api", ApiId=live.physical_id, Description=props.get("description") or "")

    def tag_target(self, ctx: Context, live: LiveResource) -> str:
        return apigateway_arn(ctx, f"/apis/{live.physical_id}")


class ApiChild(DeclarativeKind):
    """A kind that lives under our HTTP APIs: listed per API of ours, and ours through the API's tags.

    The API's ownership tags, under the child's own logical id (`child_id`) and in the API's layer, decide;
    a child of an API that is not ours is never listed. Each child's item carries its API's id as `ApiId`.
    """

    service: ClassVar[str] = "apigatewayv2"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND
    tags_param: ClassVar[str | None] = None  # most cannot be tagged; a stage says otherwise
    children: ClassVar[Listing]  # the per-API listing (ApiId is added to its request)
    label_source: ClassVar[str]  # what names the child after its API's name (its route key, ...)
    one_per_api: ClassVar[bool] = False  # only the first child the listing keeps is ours

    def owned(self, ctx: Context) -> list[Owned]:
        """Needs code: found under our APIs, one listing per API of ours, owned through the API."""
        found: list[Owned] = []
        for api in HttpApi().owned(ctx):
            items = self.listed_under(ctx, self.children, ApiId=api.physical_id)
            for item in items[:1] if self.one_per_api else items:
                item = {**item, "ApiId": api.physical_id}
                tags = {**api.tags, TAG_ID: self.child_id(api.logical_id, item), TAG_LAYER: api.layer}
                physical_id = self.attrs_of(item)[self.id_attr]
                found.append(Owned(item, tags, physical_id, physical_id, f"{api.name} {dig(item, self.label_source)}"))
        return found

    def child_id(self, api_logical_id: str, item: dict[str, Any]) -> str:
        raise NotImplementedError(f"{self.kind}: declare child_id")

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return {"ApiId": live.props["api"], self.id_attr: live.physical_id}
