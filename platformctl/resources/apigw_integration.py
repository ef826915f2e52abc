"""HTTP API integrations: how a route's requests reach a service, through the VPC link to the ALB listener.

Integrations cannot be tagged, so ownership comes from our API. Several integrations point at the same
listener (the ALB routes by path), so the target does not tell them apart; the description does: the api
layer sets it to the integration's key (`integration.<service>`), and the logical id is
`<api logical id>/<description>`, in the API's layer. An integration on our API whose description is not
such a key was not made by us (a hand-made test integration, say): it is never read, so never deleted.
Should two integrations carry the same key (a create retried after a lost answer), the one with the
smallest id is managed and the other is left alone.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.apigw_api import NOT_FOUND, OwnedApi, api_children, our_apis
from platformctl.resources.base import Context, ResourceKind

# Every description the api layer writes starts with this; anything else on our API is not ours.
DESCRIPTION_PREFIX = "integration."
# AWS's default (and maximum) integration timeout for HTTP APIs, shown when none was set.
DEFAULT_TIMEOUT_MS = 30000
_IN_USE_TIMEOUT = 60


def integration_logical_id(api_logical_id: str, description: str) -> str:
    return f"{api_logical_id}/{description}"


def is_our_description(description: str | None) -> bool:
    """Whether the api layer wrote this description (an integration key), i.e. the integration is ours."""
    return description is not None and description != DESCRIPTION_PREFIX and description.startswith(DESCRIPTION_PREFIX)


def _props(api_id: str, integration: dict[str, Any]) -> dict[str, Any]:
    return {
        "api": api_id,
        "description": integration.get("Description", ""),
        "listener": integration.get("IntegrationUri", ""),
        "vpc_link": integration.get("ConnectionId"),
        "method": integration.get("IntegrationMethod", ""),
        "payload_format": integration.get("PayloadFormatVersion", ""),
        "timeout_ms": int(integration.get("TimeoutInMillis") or DEFAULT_TIMEOUT_MS),
    }


class Integration(ResourceKind):
    kind: ClassVar[str] = "apigw.integration"
    service: ClassVar[str] = "apigatewayv2"
    id_attr: ClassVar[str] = "IntegrationId"
    updatable: ClassVar[frozenset[str]] = frozenset({"listener", "vpc_link", "method", "payload_format", "timeout_ms"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for api in our_apis(ctx):
            by_description: dict[str, dict[str, Any]] = {}
            for integration in api_children(ctx, api, "get_integrations"):
                description = integration.get("Description")
                if not is_our_description(description):
                    continue
                kept = by_description.get(description)
                if kept is None or integration["IntegrationId"] < kept["IntegrationId"]:
                    by_description[description] = integration
            for description, integration in sorted(by_description.items()):
                live = self._live(ctx, api, description, integration)
                if live:
                    found.append(live)
        return found

    def _live(self, ctx: Context, api: OwnedApi, description: str, integration: dict[str, Any]) -> LiveResource | None:
        # Not taggable itself: it carries the API's ownership under its own logical id and the API's layer.
        logical_id = integration_logical_id(api.logical_id, description)
        tags = {**api.tags, TAG_ID: logical_id, TAG_LAYER: api.layer}
        integration_id = integration["IntegrationId"]
        return self.live(
            ctx,
            tags,
            name=f"{api.name} {description}",
            physical_id=integration_id,
            props=_props(api.api_id, integration),
            attrs={"IntegrationId": integration_id},
        )

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        answer = ctx.client("apigatewayv2").create_integration(
            ApiId=props["api"],
            IntegrationType="HTTP_PROXY",
            IntegrationMethod=props["method"],
            IntegrationUri=props["listener"],
            ConnectionType="VPC_LINK",
            ConnectionId=props["vpc_link"],
            PayloadFormatVersion=props["payload_format"],
            TimeoutInMillis=int(props["timeout_ms"]),
            Description=props["description"],
        )
        return {"IntegrationId": answer["IntegrationId"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        fields = {
            "listener": "IntegrationUri",
            "vpc_link": "ConnectionId",
            "method": "IntegrationMethod",
            "payload_format": "PayloadFormatVersion",
            "timeout_ms": "TimeoutInMillis",
        }
        params: dict[str, Any] = {
            parameter: props[prop] for prop, parameter in fields.items() if props[prop] != live.props.get(prop)
        }
        if "ConnectionId" in params:
            params["ConnectionType"] = "VPC_LINK"
        if "TimeoutInMillis" in params:
            params["TimeoutInMillis"] = int(params["TimeoutInMillis"])
        if params:
            ctx.client("apigatewayv2").update_integration(
                ApiId=live.props["api"], IntegrationId=live.physical_id, **params
            )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        apigw = ctx.client("apigatewayv2")
        # A route deleted a moment ago can still count as using the integration (ConflictException).
        ctx.retry_on(
            {"ConflictException"},
            lambda: self.ignore_missing(
                lambda: apigw.delete_integration(ApiId=live.props["api"], IntegrationId=live.physical_id)
            ),
            timeout=_IN_USE_TIMEOUT,
        )
