"""What every EC2 kind shares: one tag-filtered describe call finds everything we own of that kind.

A subclass declares its describe operation, the response key holding the items and its TagSpecifications
resource type, and maps one item to props (and attrs, when more than the id is referenced).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources.base import Context, ResourceKind, ec2_tag_spec, tag_dict


class Ec2Kind(ResourceKind):
    service: ClassVar[str] = "ec2"
    describe: ClassVar[str]  # e.g. "describe_subnets"
    items_key: ClassVar[str]  # e.g. "Subnets"
    tag_type: ClassVar[str]  # TagSpecifications ResourceType, e.g. "subnet"
    # describe_nat_gateways spells its filter parameter `Filter`; everything else `Filters`.
    filter_param: ClassVar[str] = "Filters"
    # describe_addresses does not paginate: one call returns every address in the region.
    paginated: ClassVar[bool] = True

    def extra_filters(self) -> list[dict[str, Any]]:
        return []

    def keep(self, item: dict[str, Any]) -> bool:
        """Whether a tagged item counts as live (a NAT gateway being deleted does not)."""
        return True

    def props_of(self, item: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def attrs_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {self.id_attr: item[self.id_attr]}

    def owned_items(self, ctx: Context) -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
        """(item, tags) for every item of this kind that carries our tags."""
        client = ctx.client("ec2")
        request = {self.filter_param: [*ctx.ec2_owner_filters(), *self.extra_filters()]}
        pages = (
            client.get_paginator(self.describe).paginate(**request)
            if self.paginated
            else [getattr(client, self.describe)(**request)]
        )
        for page in pages:
            for item in page[self.items_key]:
                tags = tag_dict(item.get("Tags"))
                if ctx.identity(tags) is not None and self.keep(item):
                    yield item, tags

    def read(self, ctx: Context) -> list[LiveResource]:
        return [self.to_live(ctx, item, tags, self.props_of(item)) for item, tags in self.owned_items(ctx)]

    def to_live(self, ctx: Context, item: dict[str, Any], tags: dict[str, str], props: dict[str, Any]) -> LiveResource:
        physical_id = item[self.id_attr]
        live = self.live(
            ctx,
            tags,
            name=tags.get("Name") or physical_id,
            physical_id=physical_id,
            props=props,
            attrs=self.attrs_of(item),
        )
        assert live is not None  # owned_items yields only what is ours
        return live

    def tag_specifications(self, ctx: Context, resource: Resource) -> list[dict[str, Any]]:
        """Our tags plus a Name (what the EC2 console shows), for the create call itself."""
        return ec2_tag_spec(self.tag_type, {**ctx.tags_for(resource), "Name": resource.name})
