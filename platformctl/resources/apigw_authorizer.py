"""The JWT authorizer of our HTTP API: what routes requiring a token check it against.

Authorizers cannot be tagged, so ownership comes from our API and the name we give it (`ApiChild`): the
authorizer named AUTHORIZER_NAME on one of our APIs is ours, with logical id `<api logical id>/authorizer`,
in the API's layer. The name is a constant rather than derived from the API's name so that renaming the API
never orphans the authorizer. Any other authorizer on the API (made by hand) is never read, so never deleted.

Issuer, audience and identity source change in place; routes keep pointing at the same authorizer id.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.resources.apigw_api import ApiChild
from platformctl.resources.base import Context
from platformctl.resources.declarative import Field, Listing, dig

# The name the api layer passes in props["name"]; read recognises our authorizer by it.
AUTHORIZER_NAME = "platformctl-jwt"
AUTHORIZER_SUFFIX = "/authorizer"
DEFAULT_IDENTITY_SOURCE = "$request.header.Authorization"


def authorizer_logical_id(api_logical_id: str) -> str:
    return f"{api_logical_id}{AUTHORIZER_SUFFIX}"


class JwtAuthorizer(ApiChild):
    kind: ClassVar[str] = "apigw.authorizer"
    children = Listing("get_authorizers", "Items", keep=lambda ctx, item: item.get("Name") == AUTHORIZER_NAME)
    one_per_api: ClassVar[bool] = True
    label_source: ClassVar[str] = "Name"
    id_attr: ClassVar[str] = "AuthorizerId"
    fields: ClassVar[dict[str, Field]] = {
        "api": Field("ApiId"),
        "name": Field("Name"),
        "issuer": Field("JwtConfiguration.Issuer", setter="modify"),
        "audience": Field(lambda item: sorted(dig(item, "JwtConfiguration.Audience") or []), setter="modify"),
        # A JWT authorizer has exactly one identity source; more (made by hand) shows as drift.
        "identity_source": Field(lambda item: ",".join(item.get("IdentitySource") or []), setter="modify"),
    }
    unordered: ClassVar[frozenset[str]] = frozenset({"audience"})
    create_call: ClassVar[str] = "create_authorizer"
    delete_call: ClassVar[str] = "delete_authorizer"

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        audience = props.get("audience")
        if isinstance(audience, list) and all(isinstance(a, str) for a in audience):
            return {**props, "audience": sorted(audience)}
        return props

    def child_id(self, api_logical_id: str, item: dict[str, Any]) -> str:
        return authorizer_logical_id(api_logical_id)

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"ApiId": props["api"], "AuthorizerType": "JWT", "Name": props["name"], **self._settings(props)}

    def modify(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """One call sets all three; JwtConfiguration is replaced whole, so both its fields are always sent."""
        self.call(
            ctx, "update_authorizer", ApiId=live.props["api"], AuthorizerId=live.physical_id, **self._settings(props)
        )

    def _settings(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "IdentitySource": [props["identity_source"]],
            "JwtConfiguration": {"Issuer": props["issuer"], "Audience": sorted(props["audience"])},
        }

