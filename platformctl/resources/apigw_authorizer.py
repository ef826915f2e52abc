"""The JWT authorizer of our HTTP API: what routes requiring a token check it against.

Authorizers cannot be tagged, so ownership comes from our API and the name we give it: the authorizer named
AUTHORIZER_NAME on one of our APIs is ours, with logical id `<api logical id>/authorizer`, in the API's
layer. The name is a constant rather than derived from the API's name so that renaming the API never
orphans the authorizer. Any other authorizer on the API (made by hand) is never read, so never deleted.

Issuer, audience and identity source change in place; routes keep pointing at the same authorizer id.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.apigw_api import NOT_FOUND, api_children, our_apis
from platformctl.resources.base import Context, ResourceKind

# The name the api layer passes in props["name"]; read recognises our authorizer by it.
AUTHORIZER_NAME = "platformctl-jwt"
AUTHORIZER_SUFFIX = "/authorizer"
DEFAULT_IDENTITY_SOURCE = "$request.header.Authorization"


def authorizer_logical_id(api_logical_id: str) -> str:
    return f"{api_logical_id}{AUTHORIZER_SUFFIX}"


def _props(api_id: str, authorizer: dict[str, Any]) -> dict[str, Any]:
    jwt = authorizer.get("JwtConfiguration") or {}
    return {
        "api": api_id,
        "name": authorizer["Name"],
        "issuer": jwt.get("Issuer"),
        "audience": sorted(jwt.get("Audience") or []),
        # A JWT authorizer has exactly one identity source; more (made by hand) shows as drift.
        "identity_source": ",".join(authorizer.get("IdentitySource") or []),
    }


class JwtAuthorizer(ResourceKind):
    kind: ClassVar[str] = "apigw.authorizer"
    service: ClassVar[str] = "apigatewayv2"
    id_attr: ClassVar[str] = "AuthorizerId"
    updatable: ClassVar[frozenset[str]] = frozenset({"issuer", "audience", "identity_source"})
    unordered: ClassVar[frozenset[str]] = frozenset({"audience"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        audience = props.get("audience")
        if isinstance(audience, list) and all(isinstance(a, str) for a in audience):
            return {**props, "audience": sorted(audience)}
        return props

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for api in our_apis(ctx):
            authorizer = next(
                (a for a in api_children(ctx, api, "get_authorizers") if a.get("Name") == AUTHORIZER_NAME), None
            )
            if authorizer is None:
                continue
            # Not taggable: the API's ownership under the authorizer's own logical id and the API's layer.
            tags = {**api.tags, TAG_ID: authorizer_logical_id(api.logical_id), TAG_LAYER: api.layer}
            live = self.live(
                ctx,
                tags,
                name=f"{api.name} {authorizer['Name']}",
                physical_id=authorizer["AuthorizerId"],
                props=_props(api.api_id, authorizer),
                attrs={"AuthorizerId": authorizer["AuthorizerId"]},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        answer = ctx.client("apigatewayv2").create_authorizer(
            ApiId=props["api"],
            AuthorizerType="JWT",
            Name=props["name"],
            IdentitySource=[props["identity_source"]],
            JwtConfiguration={"Issuer": props["issuer"], "Audience": list(props["audience"])},
        )
        return {"AuthorizerId": answer["AuthorizerId"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        wanted, current = self.canonical(props), self.canonical(live.props)
        params: dict[str, Any] = {}
        if wanted["issuer"] != current.get("issuer") or wanted["audience"] != current.get("audience"):
            # JwtConfiguration is replaced whole: send both fields even when one changed.
            params["JwtConfiguration"] = {"Issuer": wanted["issuer"], "Audience": list(wanted["audience"])}
        if wanted["identity_source"] != current.get("identity_source"):
            params["IdentitySource"] = [wanted["identity_source"]]
        if params:
            ctx.client("apigatewayv2").update_authorizer(
                ApiId=live.props["api"], AuthorizerId=live.physical_id, **params
            )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        apigw = ctx.client("apigatewayv2")
        self.ignore_missing(lambda: apigw.delete_authorizer(ApiId=live.props["api"], AuthorizerId=live.physical_id))
