"""What every EC2 kind shares: one tag-filtered describe call finds everything we own of that kind.

EC2 is the simplest case of `declarative.DeclarativeKind`: its describes filter by our tags server-side
and carry the tags in each item, and its creates take them as TagSpecifications. A subclass declares its
listing with `ec2_listing`, its TagSpecifications resource type (`tag_type`), its fields and its calls.
Groups, subnets and VPCs that AWS refuses to delete while something still stands in them declare
`waits_for_blockers` (ec2_blockers names what will not go by itself).
"""

from __future__ import annotations

from typing import Any, ClassVar

from botocore.exceptions import ClientError

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources.base import Context, ec2_tag_spec
from platformctl.resources.declarative import DeclarativeKind, Listing, _keep_all
from platformctl.resources.ec2_blockers import delete_when_free


def ec2_listing(
    operation: str,
    key: str,
    *filters: dict[str, Any],
    param: str = "Filters",
    pages: str = "paginator",
    keep: Any = _keep_all,
) -> Listing:
    """A describe filtered server-side by our platform and env tags (and `filters`); `param` is
    `Filter` for describe_nat_gateways, `Filters` for everything else."""
    return Listing(operation, key, lambda ctx: {param: [*ctx.ec2_owner_filters(), *filters]}, pages, keep)


class Ec2Kind(DeclarativeKind):
    service: ClassVar[str] = "ec2"
    tagging: ClassVar[str | None] = "ec2"
    name_source: ClassVar[str | None] = "tag:Name"
    tag_type: ClassVar[str]  # TagSpecifications ResourceType, e.g. "subnet"
    waits_for_blockers: ClassVar[bool] = False
    # EC2's batch deletes (DeleteVpcEndpoints, DeleteFlowLogs) take a list of ids and report a refusal in their
    # answer (`Unsuccessful`), not as an error: the list's parameter (`VpcEndpointIds`), or None.
    batch_delete: ClassVar[str | None] = None

    def desired_tags(self, resource: Resource) -> dict[str, str]:
        """The specs' tags plus the Name we give every EC2 resource at create (see create_tags)."""
        return {**resource.tags, "Name": resource.name}

    def create_tags(self, ctx: Context, resource: Resource) -> dict[str, Any]:
        """Our tags plus a Name (what the EC2 console shows), for the create call itself."""
        return {"TagSpecifications": ec2_tag_spec(self.tag_type, {**ctx.tags_for(resource), "Name": resource.name})}

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return {self.batch_delete: [live.physical_id]} if self.batch_delete else super().delete_request(live)

    def raise_refusal(self, answer: Any) -> None:
        """A batch delete's refusal, raised as AWS's own error: not-found and busy codes apply to it as to any."""
        for refused in (answer or {}).get("Unsuccessful") or []:
            raise ClientError({"Error": refused.get("Error") or {}}, self.delete_call)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        if not self.waits_for_blockers:
            super().delete(ctx, live)
            return
        # Waits while what is in it goes by itself (ENIs of deleted tasks); names at once what will not.
        delete_when_free(ctx, self.tag_type, live.physical_id, lambda: DeclarativeKind.delete(self, ctx, live))
