"""The VPC link through which the HTTP API reaches the internal load balancer.

GetVpcLinks answers with every link's tags, so one listing finds ours. AWS creates a link asynchronously
(PENDING for minutes, documented up to 10, while it places network interfaces in the subnets): create
waits until it is AVAILABLE, so integrations made right after can use it. Deleting is asynchronous too
(DELETING, and the interfaces linger after that), so delete waits until AWS no longer knows the link: the
subnets and security groups it sits in are deleted right after. Both are its `settles` declaration. A
link already DELETING is gone for us: a new apply must create a fresh one rather than find the dying one.

Links have no unique name, so a replacement creates the new link before deleting the old one. AWS can
only rename a link in place; subnets and security groups need a new link.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Field, Listing
from platformctl.resources.settling import Settling
from platformctl.resources.tagging import apigateway_arn
from platformctl.resources.waiting import WaitFailed

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
    settles = Settling(
        describe="get_vpc_link",
        by_id="VpcLinkId",
        state="VpcLinkStatus",
        ready="AVAILABLE",
        failed={"FAILED"},
        reason="VpcLinkStatusMessage",
    )

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
        """Needs code: a link that FAILED is useless but would read back as ours, equal to the desired props."""
        try:
            return super().created(ctx, resource, item, props)
        except WaitFailed as failed:
            if failed.response["Error"]["Code"] == "VpcLinkFailed":
                self.ignore_missing(lambda: self.client(ctx).delete_vpc_link(VpcLinkId=item["VpcLinkId"]))
            raise

    def tag_target(self, ctx: Context, live: LiveResource) -> str:
        return apigateway_arn(ctx, f"/vpclinks/{live.physical_id}")


def wait_until_available(ctx: Context, link_id: str, label: str) -> None:
    """Until an existing link is AVAILABLE (asked at once: it may be a fresh one); FAILED fails the step."""
    VpcLink.settles.until_ready(ctx, VpcLink(), label, link_id, fresh=False)
