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

from platformctl.engine.model import LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources.base import Context, unless_gone
from platformctl.resources.declarative import DeclarativeKind, Field, Listing
from platformctl.resources.tagging import apigateway_arn
from platformctl.resources.waiting import WaitFailed, poll

NOT_FOUND = frozenset({"NotFoundException"})
_GONE_STATES = frozenset({"DELETING"})
# A just-deleted integration can keep a link "in use" briefly; longer than this, something else uses it.
_IN_USE_TIMEOUT = 300


def _sorted_ids(path: str) -> Field:
    return Field(lambda link: sorted(link.get(path) or []))


class VpcLink(DeclarativeKind):
    kind: ClassVar[str] = "apigw.vpc_link"
    tagging: ClassVar[str | None] = "apigatewayv2"
    service: ClassVar[str] = "apigatewayv2"
    # GetVpcLinks has no boto3 paginator; a link already DELETING is gone for us.
    listing = Listing(
        "get_vpc_links", "Items", pages="token", keep=lambda ctx, link: link.get("VpcLinkStatus") not in _GONE_STATES
    )
    tags_shape: ClassVar[str] = "map"
    id_attr: ClassVar[str] = "VpcLinkId"
    name_source: ClassVar[str | None] = "Name"
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("Name"),
        "subnets": _sorted_ids("SubnetIds"),
        "security_groups": _sorted_ids("SecurityGroupIds"),
    }
    unordered: ClassVar[frozenset[str]] = frozenset({"subnets", "security_groups"})
    create_before_delete: ClassVar[bool] = True
    create_call: ClassVar[str] = "create_vpc_link"
    delete_call: ClassVar[str] = "delete_vpc_link"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND
    busy_codes: ClassVar[frozenset[str]] = frozenset({"ConflictException"})
    busy_timeout: ClassVar[float | None] = _IN_USE_TIMEOUT

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        result = dict(props)
        for key in ("subnets", "security_groups"):
            value = result.get(key)
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                result[key] = sorted(value)
        return result

    def facts_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"status": item.get("VpcLinkStatus", "")}

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "Name": props["name"],
            "SubnetIds": list(props["subnets"]),
            "SecurityGroupIds": list(props["security_groups"]),
        }

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """Needs code: waits until the new link is AVAILABLE; one that FAILED is deleted and reported."""
        link_id = item["VpcLinkId"]
        try:
            wait_until_available(ctx, link_id, f"VPC link {props['name']} ({resource.id})")
        except WaitFailed as failed:
            if failed.response["Error"]["Code"] != "VpcLinkFailed":
                raise
            # A failed link is useless but would read back as ours and equal to the desired props.
            self.ignore_missing(lambda: self.client(ctx).delete_vpc_link(VpcLinkId=link_id))
            raise AwsCallError(resource.id, "VpcLinkFailed", str(failed)) from None
        return self.attrs_of(item)

    def tag_target(self, ctx: Context, live: LiveResource) -> str:
        return apigateway_arn(ctx, f"/vpclinks/{live.physical_id}")

    def after_delete(self, ctx: Context, live: LiveResource) -> None:
        apigw = self.client(ctx)

        def gone() -> bool:
            return unless_gone(NOT_FOUND, lambda: apigw.get_vpc_link(VpcLinkId=live.physical_id)) is None

        ctx.wait_until(f"VPC link {live.name} ({live.id}) to be deleted", gone)


def wait_until_available(ctx: Context, link_id: str, label: str) -> None:
    """Until the link is AVAILABLE (asked at once: the create answer can be stale); FAILED fails with AWS's
    status message. AWS documents up to 10 minutes; the bound is the context's `wait_timeout` (15 by default)."""
    apigw = ctx.client("apigatewayv2")

    def available() -> tuple[bool | None, str]:
        current = apigw.get_vpc_link(VpcLinkId=link_id)
        status = str(current.get("VpcLinkStatus") or "")
        if status == "FAILED":
            raise WaitFailed("VpcLinkFailed", f"{label}: {current.get('VpcLinkStatusMessage') or 'creation failed'}")
        return (True, "") if status == "AVAILABLE" else (None, status)

    poll(ctx, f"{label} to become available", available)

