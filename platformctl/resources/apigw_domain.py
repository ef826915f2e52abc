"""The API's custom domain name and the mapping that points it at our API's `$default` stage.

Domain names are tagged and GetDomainNames answers with each one's tags, so one paginated listing finds
ours; it is fetched once per read pass (`our_domains`) and shared with the mapping kind. The DNS record
that sends the domain to API Gateway is the user's: `status` prints TargetDomainName (with HostedZoneId for
a Route 53 alias) as its target.

A domain name is unique per account and region, so CreateDomainName on a name that exists fails instead of
returning it; that failure is turned into an error saying the domain exists and is not ours, since nothing
read it as ours. A certificate or TLS-policy change leaves the domain UPDATING for a while; create and
update wait it out so a following change is not refused.

API mappings cannot be tagged: ours is the one with the empty key (the domain's root) on one of our
domains, with logical id `<domain logical id>/mapping`, in the domain's layer. Mappings under other keys
(`/v2` added by hand) are never read, so never deleted.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Field, Listing, Owned, dig
from platformctl.resources.tagging import apigateway_arn

NOT_FOUND = frozenset({"NotFoundException"})
MAPPING_SUFFIX = "/mapping"
ROOT_KEY = ""
_UPDATING = "UPDATING"
_CONFIG = "DomainNameConfigurations.0."  # a regional domain has exactly one configuration


def our_domains(ctx: Context) -> list[Owned]:
    """Our custom domain names, fetched once per read pass for the domain and API-mapping kinds."""
    return DomainName().owned(ctx)


def mapping_logical_id(domain_logical_id: str) -> str:
    return f"{domain_logical_id}{MAPPING_SUFFIX}"


class DomainName(DeclarativeKind):
    kind: ClassVar[str] = "apigw.domain"
    tagging: ClassVar[str | None] = "apigatewayv2"
    service: ClassVar[str] = "apigatewayv2"
    listing = Listing("get_domain_names", "Items")
    tags_shape: ClassVar[str] = "map"
    id_attr: ClassVar[str] = "DomainName"
    attrs: ClassVar[dict[str, str]] = {
        "DomainName": "DomainName",
        "TargetDomainName": f"{_CONFIG}ApiGatewayDomainName",
        "HostedZoneId": f"{_CONFIG}HostedZoneId",
    }
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("DomainName"),
        "certificate_arn": Field(f"{_CONFIG}CertificateArn", setter="modify"),
        "endpoint_type": Field(f"{_CONFIG}EndpointType"),
        "security_policy": Field(f"{_CONFIG}SecurityPolicy", setter="modify"),
    }
    create_call: ClassVar[str] = "create_domain_name"
    delete_call: ClassVar[str] = "delete_domain_name"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def facts_of(self, item: dict[str, Any]) -> dict[str, Any]:
        status = dig(item, f"{_CONFIG}DomainNameStatus")
        return {"status": status} if status else {}

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        """Needs code: AWS refuses a taken name (no lookup first), which is said in the user's words."""
        try:
            return super().create(ctx, resource, props)
        except Exception as exc:
            if error_code(exc) != "ConflictException":
                raise
            raise AwsCallError(
                resource.id,
                "ConflictException",
                f"domain name {props['name']} already exists in this account and region and is not ours "
                f"(no platformctl tags for {ctx.platform}/{ctx.env}); remove it or choose another domain",
            ) from exc

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"DomainName": props["name"], "DomainNameConfigurations": _configurations(props)}

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        return self.attrs_of(self._settled(ctx, props["name"]))

    def update(
        self, ctx: Context, resource: Resource, live: LiveResource, props: dict[str, Any], changes: list[Change]
    ) -> dict[str, Any]:
        """Needs code: the attrs (the DNS target) are those of the domain once AWS is done updating it."""
        super().update(ctx, resource, live, props, changes)
        return self.attrs_of(self._settled(ctx, live.physical_id)) if changes else dict(live.attrs)

    def modify(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """The configuration is replaced whole: one call sends all of it."""
        configurations = _configurations(props)
        self.call(ctx, "update_domain_name", DomainName=live.physical_id, DomainNameConfigurations=configurations)

    def tag_target(self, ctx: Context, live: LiveResource) -> str:
        return apigateway_arn(ctx, f"/domainnames/{live.physical_id}")

    def _settled(self, ctx: Context, name: str) -> dict[str, Any]:
        """The domain once AWS is done applying a change (real AWS shows UPDATING for a while)."""

        def check() -> dict[str, Any] | None:
            item = self.call(ctx, "get_domain_name", DomainName=name)
            return None if dig(item, f"{_CONFIG}DomainNameStatus") == _UPDATING else item

        return ctx.wait_until(f"domain name {name} to finish updating", check)


def _configurations(props: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "CertificateArn": props["certificate_arn"],
            "EndpointType": props["endpoint_type"],
            "SecurityPolicy": props["security_policy"],
        }
    ]


class ApiMapping(DeclarativeKind):
    kind: ClassVar[str] = "apigw.api_mapping"
    service: ClassVar[str] = "apigatewayv2"
    id_attr: ClassVar[str] = "ApiMappingId"
    fields: ClassVar[dict[str, Field]] = {
        "domain": Field("DomainName"),
        "api": Field("ApiId", setter="modify"),
        "stage": Field("Stage", setter="modify"),
        # AWS may leave the key out of a root mapping rather than answer with an empty string.
        "key": Field(lambda mapping: mapping.get("ApiMappingKey") or ROOT_KEY),
    }
    create_call: ClassVar[str] = "create_api_mapping"
    tags_param: ClassVar[str | None] = None
    delete_call: ClassVar[str] = "delete_api_mapping"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND
    # A stage created moments ago can be briefly unknown to the mapping API.
    retry_codes: ClassVar[frozenset[str]] = NOT_FOUND
    # GetApiMappings has no paginator in botocore: NextToken by hand.
    mappings = Listing(
        "get_api_mappings", "Items", pages="token", keep=lambda ctx, m: (m.get("ApiMappingKey") or ROOT_KEY) == ROOT_KEY
    )

    def owned(self, ctx: Context) -> list[Owned]:
        """Needs code: not taggable; the root mapping of each of our domains, ours through the domain's tags."""
        found: list[Owned] = []
        for domain in our_domains(ctx):
            for mapping in self.listed_under(ctx, self.mappings, DomainName=domain.physical_id)[:1]:
                tags = {**domain.tags, TAG_ID: mapping_logical_id(domain.logical_id), TAG_LAYER: domain.layer}
                item = {**mapping, "DomainName": domain.physical_id}
                found.append(Owned(item, tags, mapping["ApiMappingId"], mapping["ApiMappingId"], f"{domain.name}/"))
        return found

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"DomainName": props["domain"], "ApiMappingKey": props["key"], **self._target(props)}

    def modify(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """UpdateApiMapping requires the API id even when only the stage changes."""
        request = {"DomainName": live.props["domain"], "ApiMappingId": live.physical_id, **self._target(props)}
        self.call(ctx, "update_api_mapping", **request)

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return {"DomainName": live.props["domain"], "ApiMappingId": live.physical_id}

    def _target(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"ApiId": props["api"], "Stage": props["stage"]}
