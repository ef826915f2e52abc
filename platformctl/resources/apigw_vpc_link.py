"""The VPC link through which the HTTP API reaches the internal load balancer.

GetVpcLinks answers with every link's tags, so one listing finds ours. AWS creates a link asynchronously
(PENDING for minutes while it places network interfaces in the subnets): create waits until it is
AVAILABLE, so integrations made right after can use it. Deleting is asynchronous too (DELETING, and the
interfaces linger after that), so delete waits until AWS no longer knows the link: the subnets and
security groups it sits in are deleted right after. A link already DELETING is gone for us: a new apply
must create a fresh one rather than find the dying one.

Links have no unique name, so a replacement creates the new link before deleting the old one. AWS can
only rename a link in place; subnets and security groups need a new link.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources.base import Context, ResourceKind

NOT_FOUND = frozenset({"NotFoundException"})
_GONE_STATES = frozenset({"DELETING"})
# A just-deleted integration can keep a link "in use" briefly; longer than this, something else uses it.
_IN_USE_TIMEOUT = 300


def _props(link: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": link["Name"],
        "subnets": sorted(link.get("SubnetIds") or []),
        "security_groups": sorted(link.get("SecurityGroupIds") or []),
    }


class VpcLink(ResourceKind):
    kind: ClassVar[str] = "apigw.vpc_link"
    service: ClassVar[str] = "apigatewayv2"
    id_attr: ClassVar[str] = "VpcLinkId"
    unordered: ClassVar[frozenset[str]] = frozenset({"subnets", "security_groups"})
    create_before_delete: ClassVar[bool] = True
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        result = dict(props)
        for key in ("subnets", "security_groups"):
            value = result.get(key)
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                result[key] = sorted(value)
        return result

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for link in _all_links(ctx):
            status = link.get("VpcLinkStatus", "")
            if status in _GONE_STATES:
                continue
            live = self.live(
                ctx,
                link.get("Tags") or {},
                name=link["Name"],
                physical_id=link["VpcLinkId"],
                props=_props(link),
                attrs={"VpcLinkId": link["VpcLinkId"]},
                facts={"status": status},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        apigw = ctx.client("apigatewayv2")
        link = apigw.create_vpc_link(
            Name=props["name"],
            SubnetIds=list(props["subnets"]),
            SecurityGroupIds=list(props["security_groups"]),
            Tags=ctx.tags_for(resource),
        )
        link_id = link["VpcLinkId"]

        def settled() -> dict[str, Any] | None:
            current = apigw.get_vpc_link(VpcLinkId=link_id)
            return current if current.get("VpcLinkStatus") in {"AVAILABLE", "FAILED"} else None

        current = link
        if link.get("VpcLinkStatus") != "AVAILABLE":
            current = ctx.wait_until(f"VPC link {props['name']} ({resource.id}) to become available", settled)
        if current.get("VpcLinkStatus") == "FAILED":
            message = current.get("VpcLinkStatusMessage") or "VPC link creation failed"
            # A failed link is useless but would read back as ours and equal to the desired props.
            self.ignore_missing(lambda: apigw.delete_vpc_link(VpcLinkId=link_id))
            raise AwsCallError(resource.id, "VpcLinkFailed", message)
        return {"VpcLinkId": link_id}

    def delete(self, ctx: Context, live: LiveResource) -> None:
        apigw = ctx.client("apigatewayv2")
        link_id = live.physical_id
        ctx.retry_on(
            {"ConflictException"},
            lambda: self.ignore_missing(lambda: apigw.delete_vpc_link(VpcLinkId=link_id)),
            timeout=_IN_USE_TIMEOUT,
        )

        def gone() -> bool:
            try:
                apigw.get_vpc_link(VpcLinkId=link_id)
            except Exception as exc:
                if error_code(exc) in NOT_FOUND:
                    return True
                raise
            return False

        ctx.wait_until(f"VPC link {live.name} ({live.id}) to be deleted", gone)


def _all_links(ctx: Context) -> list[dict[str, Any]]:
    """Every VPC link in the region; GetVpcLinks has no boto3 paginator, so follow NextToken by hand."""
    apigw = ctx.client("apigatewayv2")
    links: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = apigw.get_vpc_links(**({"NextToken": token} if token else {}))
        links.extend(page.get("Items", []))
        token = page.get("NextToken")
        if not token:
            return links
