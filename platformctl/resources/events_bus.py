"""The environment's EventBridge bus, `<platform>-<env>`, which the services' rules listen on.

list_event_buses carries no tags but filters by name prefix server-side (our buses are named
`<platform>-<env>`): the listing says which buses exist, and the shared tag index (`tag_index`, one Tagging
API read per pass) says whose they are. A bus the index does not know yet has its tags asked of EventBridge,
one call each; the tags decide. The list of our buses is shared (cached per read pass) with the rule kind,
which finds its rules on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list, unless_gone
from platformctl.resources.tag_index import tags_for_arns

NOT_FOUND = frozenset({"ResourceNotFoundException"})


@dataclass(frozen=True)
class OwnedBus:
    """An event bus carrying our tags for this platform and env."""

    name: str
    arn: str
    logical_id: str
    layer: str
    tags: dict[str, str] = field(default_factory=dict)


def our_buses(ctx: Context) -> list[OwnedBus]:
    """Our event buses, fetched once per read pass for the bus, rule and target kinds."""
    return ctx.cached(("events", "our-buses"), lambda: _fetch_our_buses(ctx))


def _fetch_our_buses(ctx: Context) -> list[OwnedBus]:
    events = ctx.client("events")
    buses: list[dict[str, Any]] = []
    # boto3 has no paginator for list_event_buses.
    request: dict[str, Any] = {"NamePrefix": f"{ctx.platform}-{ctx.env}"}
    while True:
        page = events.list_event_buses(**request)
        buses.extend(page.get("EventBuses", []))
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    tags = tags_for_arns(ctx, (bus["Arn"] for bus in buses), lambda arn: event_tags(ctx, arn))
    owned: list[OwnedBus] = []
    for bus in buses:
        identity = ctx.identity(tags.get(bus["Arn"], {}))
        if identity is not None:
            owned.append(OwnedBus(bus["Name"], bus["Arn"], identity[0], identity[1], tags[bus["Arn"]]))
    return owned


def event_tags(ctx: Context, arn: str) -> dict[str, str] | None:
    """A bus's or rule's tags asked of EventBridge itself; None when it is gone (deleted since it was listed)."""
    return unless_gone(
        NOT_FOUND, lambda: tag_dict(ctx.client("events").list_tags_for_resource(ResourceARN=arn).get("Tags"))
    )


class EventBus(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "events.bus"
    service: ClassVar[str] = "events"
    id_attr: ClassVar[str] = "Name"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for bus in our_buses(ctx):
            live = self.live(
                ctx,
                bus.tags,
                name=bus.name,
                physical_id=bus.name,
                props={"name": bus.name},
                attrs={"Name": bus.name, "Arn": bus.arn},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        # A bus of the same name that is not ours makes this fail (ResourceAlreadyExistsException): never adopted.
        answer = ctx.client("events").create_event_bus(Name=props["name"], Tags=tag_list(ctx.tags_for(resource)))
        return {"Name": props["name"], "Arn": answer["EventBusArn"]}

    def delete(self, ctx: Context, live: LiveResource) -> None:
        events = ctx.client("events")
        self.ignore_missing(lambda: events.delete_event_bus(Name=live.physical_id))
