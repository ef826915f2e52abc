"""The environment's EventBridge bus, `<platform>-<env>`, which the services' rules listen on.

list_event_buses carries no tags but filters by name prefix server-side (our buses are named
`<platform>-<env>`): the listing says which buses exist, and the shared tag index (`tag_index`, one Tagging
API read per pass) says whose they are. A bus the index does not know yet has its tags asked of EventBridge,
one call each; the tags decide. The list of our buses is shared (cached per read pass) with the rule kind,
which finds its rules on them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import Resource
from platformctl.resources import tag_index
from platformctl.resources.base import Context, tag_dict, unless_gone
from platformctl.resources.declarative import DeclarativeKind, Field, Listing, Owned

NOT_FOUND = frozenset({"ResourceNotFoundException"})


def our_buses(ctx: Context) -> list[Owned]:
    """Our event buses, fetched once per read pass for the bus, rule and target kinds."""
    return EventBus().owned(ctx)


def event_tags(ctx: Context, arn: str) -> dict[str, str] | None:
    """A bus's or rule's tags asked of EventBridge itself; None when it is gone (deleted since it was listed)."""
    return unless_gone(
        NOT_FOUND, lambda: tag_dict(ctx.client("events").list_tags_for_resource(ResourceARN=arn).get("Tags"))
    )


class EventBus(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "events.bus"
    service: ClassVar[str] = "events"
    tagging: ClassVar[str | None] = "events"
    tags_from: ClassVar[str] = "index"
    tags_from_index: ClassVar[bool] = True
    # Our buses are named `<platform>-<env>`; boto3 has no paginator for list_event_buses.
    listing = Listing(
        "list_event_buses", "EventBuses", lambda ctx: {"NamePrefix": f"{ctx.platform}-{ctx.env}"}, pages="token"
    )
    id_attr: ClassVar[str] = "Name"
    arn_source: ClassVar[str | None] = "Arn"
    attrs: ClassVar[dict[str, str]] = {"Name": "Name", "Arn": "Arn"}
    fields: ClassVar[dict[str, Field]] = {"name": Field("Name")}
    # A bus of the same name that is not ours makes the create fail (ResourceAlreadyExistsException).
    create_call: ClassVar[str] = "create_event_bus"
    delete_call: ClassVar[str] = "delete_event_bus"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"Name": props["name"]}

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        return {"Name": props["name"], "Arn": item["EventBusArn"]}
