"""The API's custom domain name and the mapping that points it at our API's `$default` stage.

Domain names are tagged and GetDomainNames answers with each one's tags, so one paginated listing finds
ours; it is fetched once per read pass (`our_domains`) and shared with the mapping kind. The DNS record
that sends the domain to API Gateway is the user's: `status` prints TargetDomainName (with HostedZoneId for
a Route 53 alias) as its target.

A domain name is unique per account and region, so CreateDomainName on a name that exists fails instead of
returning it; that failure is turned into an error saying the domain exists and is not ours, since nothing
read it as ours. A certificate or TLS-policy change leaves the domain UPDATING for a while; update waits it
out so a following change is not refused.

API mappings cannot be tagged: ours is the one with the empty key (the domain's root) on one of our
domains, with logical id `<domain logical id>/mapping`, in the domain's layer. Mappings under other keys
(`/v2` added by hand) are never read, so never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.base import Context, ResourceKind

NOT_FOUND = frozenset({"NotFoundException"})
MAPPING_SUFFIX = "/mapping"
ROOT_KEY = ""
_UPDATING = "UPDATING"


@dataclass(frozen=True)
class OwnedDomain:
    """A custom domain name carrying our tags for this platform and env, with its raw GetDomainNames item."""

    name: str
    logical_id: str
    layer: str
    tags: dict[str, str]
    description: dict[str, Any]


def our_domains(ctx: Context) -> list[OwnedDomain]:
    """Our custom domain names, fetched once per read pass for the domain and API-mapping kinds."""
    return ctx.cached(("apigatewayv2", "our-domains"), lambda: _fetch_our_domains(ctx))


def _fetch_our_domains(ctx: Context) -> list[OwnedDomain]:
    owned: list[OwnedDomain] = []
    for page in ctx.client("apigatewayv2").get_paginator("get_domain_names").paginate():
        for item in page.get("Items", []):
            tags = item.get("Tags") or {}
            identity = ctx.identity(tags)
            if identity is None:
                continue
            logical_id, layer = identity
            owned.append(OwnedDomain(item["DomainName"], logical_id, layer, tags, item))
    return owned


def mapping_logical_id(domain_logical_id: str) -> str:
    return f"{domain_logical_id}{MAPPING_SUFFIX}"


def _configuration(item: dict[str, Any]) -> dict[str, Any]:
    configurations = item.get("DomainNameConfigurations") or [{}]
    return configurations[0]


def _domain_props(item: dict[str, Any]) -> dict[str, Any]:
    config = _configuration(item)
    return {
        "name": item["DomainName"],
        "certificate_arn": config.get("CertificateArn"),
        "endpoint_type": config.get("EndpointType"),
        "security_policy": config.get("SecurityPolicy"),
    }


def _domain_attrs(item: dict[str, Any]) -> dict[str, Any]:
    config = _configuration(item)
    return {
        "DomainName": item["DomainName"],
        "TargetDomainName": config.get("ApiGatewayDomainName"),
        "HostedZoneId": config.get("HostedZoneId"),
    }


def _domain_configurations(props: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "CertificateArn": props["certificate_arn"],
            "EndpointType": props["endpoint_type"],
            "SecurityPolicy": props["security_policy"],
        }
    ]


class DomainName(ResourceKind):
    kind: ClassVar[str] = "apigw.domain"
    service: ClassVar[str] = "apigatewayv2"
    id_attr: ClassVar[str] = "DomainName"
    updatable: ClassVar[frozenset[str]] = frozenset({"certificate_arn", "security_policy"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for domain in our_domains(ctx):
            status = _configuration(domain.description).get("DomainNameStatus")
            live = self.live(
                ctx,
                domain.tags,
                name=domain.name,
                physical_id=domain.name,
                props=_domain_props(domain.description),
                attrs=_domain_attrs(domain.description),
                facts={"status": status} if status else None,
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        apigw = ctx.client("apigatewayv2")
        try:
            apigw.create_domain_name(
                DomainName=props["name"],
                DomainNameConfigurations=_domain_configurations(props),
                Tags=ctx.tags_for(resource),
            )
        except Exception as exc:
            if error_code(exc) != "ConflictException":
                raise
            raise AwsCallError(
                resource.id,
                "ConflictException",
                f"domain name {props['name']} already exists in this account and region and is not ours "
                f"(no platformctl tags for {ctx.platform}/{ctx.env}); remove it or choose another domain",
            ) from exc
        return _domain_attrs(self._settled(ctx, props["name"]))

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        if any(props[field] != live.props.get(field) for field in self.updatable):
            ctx.client("apigatewayv2").update_domain_name(
                DomainName=live.physical_id,
                DomainNameConfigurations=_domain_configurations({**live.props, **props}),
            )
            return _domain_attrs(self._settled(ctx, live.physical_id))
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        apigw = ctx.client("apigatewayv2")
        self.ignore_missing(lambda: apigw.delete_domain_name(DomainName=live.physical_id))

    def _settled(self, ctx: Context, name: str) -> dict[str, Any]:
        """The domain once AWS is done applying a change (real AWS shows UPDATING for a while)."""
        apigw = ctx.client("apigatewayv2")

        def check() -> dict[str, Any] | None:
            item = apigw.get_domain_name(DomainName=name)
            return None if _configuration(item).get("DomainNameStatus") == _UPDATING else item

        return ctx.wait_until(f"domain name {name} to finish updating", check)


class ApiMapping(ResourceKind):
    kind: ClassVar[str] = "apigw.api_mapping"
    service: ClassVar[str] = "apigatewayv2"
    id_attr: ClassVar[str] = "ApiMappingId"
    updatable: ClassVar[frozenset[str]] = frozenset({"api", "stage"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for domain in our_domains(ctx):
            mapping = next((m for m in _mappings(ctx, domain) if _is_root(m)), None)
            if mapping is None:
                continue
            # Not taggable: the domain's ownership under the mapping's own logical id and the domain's layer.
            tags = {**domain.tags, TAG_ID: mapping_logical_id(domain.logical_id), TAG_LAYER: domain.layer}
            live = self.live(
                ctx,
                tags,
                name=f"{domain.name}/",
                physical_id=mapping["ApiMappingId"],
                props={"domain": domain.name, "api": mapping["ApiId"], "stage": mapping["Stage"], "key": ROOT_KEY},
                attrs={"ApiMappingId": mapping["ApiMappingId"]},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        apigw = ctx.client("apigatewayv2")
        # A stage created moments ago can be briefly unknown to the mapping API.
        answer = ctx.retry_on(
            {"NotFoundException"},
            lambda: apigw.create_api_mapping(
                DomainName=props["domain"], ApiId=props["api"], Stage=props["stage"], ApiMappingKey=props["key"]
            ),
            timeout=60,
        )
        return {"ApiMappingId": answer["ApiMappingId"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        if props["api"] != live.props.get("api") or props["stage"] != live.props.get("stage"):
            # UpdateApiMapping requires the API id even when only the stage changes.
            ctx.client("apigatewayv2").update_api_mapping(
                DomainName=live.props["domain"],
                ApiMappingId=live.physical_id,
                ApiId=props["api"],
                Stage=props["stage"],
            )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        apigw = ctx.client("apigatewayv2")
        self.ignore_missing(
            lambda: apigw.delete_api_mapping(DomainName=live.props["domain"], ApiMappingId=live.physical_id)
        )


def _is_root(mapping: dict[str, Any]) -> bool:
    """AWS may leave the key out of a root mapping rather than answer with an empty string."""
    return (mapping.get("ApiMappingKey") or ROOT_KEY) == ROOT_KEY


def _mappings(ctx: Context, domain: OwnedDomain) -> list[dict[str, Any]]:
    """GetApiMappings has no paginator in botocore; NextToken is followed by hand."""
    apigw = ctx.client("apigatewayv2")
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"DomainName": domain.name}
    try:
        while True:
            page = apigw.get_api_mappings(**params)
            items.extend(page.get("Items", []))
            if not page.get("NextToken"):
                return items
            params["NextToken"] = page["NextToken"]
    except Exception as exc:
        if error_code(exc) in NOT_FOUND:
            return []  # the domain went away since it was listed, and its mappings with it
        raise
