"""HTTP API integrations: how a route's requests reach a service, through the VPC link to the ALB listener.

Integrations cannot be tagged, so ownership comes from our API. Several integrations point at the same
listener (the ALB routes by path), so the target does not tell them apart; the description does: the api
layer sets it to the integration's key (`integration.<service>`), and the logical id is
`<api logical id>/<description>`, in the API's layer. An integration on our API whose description is not
such a key was not made by us (a hand-made test integration, say): it is never read, so never deleted.
Should two integrations carry the same key (a create retried after a lost answer), the one with the
smallest id is managed and the other is left alone.

An integration is made (or moved to another VPC link) only once its link is AVAILABLE: one get_vpc_link.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeGuard

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources.apigw_api import ApiChild
from platformctl.resources.apigw_vpc_link import wait_until_available
from platformctl.resources.base import Context
from platformctl.resources.declarative import Field, Listing, Owned

# Every description the api layer writes starts with this; anything else on our API is not ours.
DESCRIPTION_PREFIX = "integration."
# AWS's default (and maximum) integration timeout for HTTP APIs, shown when none was set.
DEFAULT_TIMEOUT_MS = 30000
_IN_USE_TIMEOUT = 60


def integration_logical_id(api_logical_id: str, description: str) -> str:
    return f"{api_logical_id}/{description}"


def is_our_description(description: str | None) -> TypeGuard[str]:
    """Whether the api layer wrote this description (an integration key), i.e. the integration is ours."""
    return description is not None and description != DESCRIPTION_PREFIX and description.startswith(DESCRIPTION_PREFIX)


def _text(path: str) -> Field:
    return Field(path, lambda value: value or "", setter="modify")


class Integration(ApiChild):
    kind: ClassVar[str] = "apigw.integration"
    children = Listing("get_integrations", "Items", keep=lambda ctx, item: is_our_description(item.get("Description")))
    label_source: ClassVar[str] = "Description"
    id_attr: ClassVar[str] = "IntegrationId"
    # One UpdateIntegration carries every change: the listener and the link it is reached through move together.
    fields: ClassVar[dict[str, Field]] = {
        "api": Field("ApiId"),
        "description": Field("Description"),
        "listener": _text("IntegrationUri"),
        "vpc_link": Field("ConnectionId", setter="modify"),
        "method": _text("IntegrationMethod"),
        "payload_format": _text("PayloadFormatVersion"),
        "timeout_ms": Field("TimeoutInMillis", lambda value: int(value or DEFAULT_TIMEOUT_MS), setter="modify"),
    }
    create_call: ClassVar[str] = "create_integration"
    delete_call: ClassVar[str] = "delete_integration"
    # A route deleted a moment ago can still count as using the integration (ConflictException).
    busy_codes: ClassVar[frozenset[str]] = frozenset({"ConflictException"})
    busy_timeout: ClassVar[float | None] = _IN_USE_TIMEOUT

    def child_id(self, api_logical_id: str, item: dict[str, Any]) -> str:
        return integration_logical_id(api_logical_id, item["Description"])

    def owned(self, ctx: Context) -> list[Owned]:
        """Needs code: of integrations sharing a key (a create retried after a lost answer), the smallest id is ours."""
        managed: dict[str, Owned] = {}
        for owned in super().owned(ctx):
            kept = managed.get(owned.logical_id)
            if kept is None or owned.physical_id < kept.physical_id:
                managed[owned.logical_id] = owned
        return [managed[logical_id] for logical_id in sorted(managed)]

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        # Traffic through a PENDING link fails: wait for AVAILABLE, as Terraform and CloudFormation do. The
        # link's own create waited already; this covers one left PENDING by a run that was stopped meanwhile.
        wait_until_available(ctx, props["vpc_link"], f"VPC link {props['vpc_link']}")
        return super().create(ctx, resource, props)

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "ApiId": props["api"],
            "IntegrationType": "HTTP_PROXY",
            "Description": props["description"],
            **_target_request(props),
        }

    def modify(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        if props["vpc_link"] != live.props.get("vpc_link"):  # moving to another link: it must be AVAILABLE
            wait_until_available(ctx, props["vpc_link"], f"VPC link {props['vpc_link']}")
        self.call(
            ctx, "update_integration", ApiId=live.props["api"], IntegrationId=live.physical_id, **_target_request(props)
        )


def _target_request(props: dict[str, Any]) -> dict[str, Any]:
    """Where and how requests go: the listener, through the VPC link; the same in create and update."""
    return {
        "IntegrationMethod": props["method"],
        "IntegrationUri": props["listener"],
        "ConnectionType": "VPC_LINK",
        "ConnectionId": props["vpc_link"],
        "PayloadFormatVersion": props["payload_format"],
        "TimeoutInMillis": int(props["timeout_ms"]),
    }
