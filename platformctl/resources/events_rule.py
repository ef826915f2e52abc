"""EventBridge rules on our bus: each service's `rules`, matching events by pattern for its queue.

Rules are found on our buses only: list_rules per bus gives name, pattern, state and description (the
latter left out when empty) in one listing, and their tags, from the shared tag index (`tag_index`, one
Tagging API read per pass; EventBridge's own tag call, one per rule, for a rule the index does not know
yet), decide whether each is ours. The list of our rules is shared (cached per read pass) with the target
kind.

PutRule is an upsert by name, so create first makes sure a rule of that name on the bus is not somebody
else's: it would otherwise be silently rewritten and claimed. Updating is PutRule again, without tags
(AWS keeps a rule's tags when PutRule updates it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource, Resource
from platformctl.resources import tag_index
from platformctl.resources.base import Context, unless_gone
from platformctl.resources.declarative import DeclarativeKind, Field, Listing, Owned
from platformctl.resources.events_bus import NOT_FOUND, event_tags, our_buses


def our_rules(ctx: Context) -> list[Owned]:
    """Our rules (each item carries its bus as `EventBusName`), fetched once per read pass for the rule and
    target kinds."""
    return EventRule().owned(ctx)


def canonical_pattern(value: Any, *, ordered: bool = False) -> Any:
    """Keys sorted at every level; lists of scalars sorted (any-of matches), lists of objects kept in order.

    The one list of scalars whose order means something, a `numeric` condition's operator/value pairs,
    keeps it.
    """
    if isinstance(value, dict):
        return {key: canonical_pattern(value[key], ordered=key == "numeric") for key in sorted(value)}
    if isinstance(value, list):
        items = [canonical_pattern(item) for item in value]
        if not ordered and all(isinstance(item, (str, int, float, bool)) or item is None for item in items):
            return sorted(items, key=lambda v: (type(v).__name__, v))
        return items
    return value


def _pattern(rule: dict[str, Any]) -> Any:
    text = rule.get("EventPattern")
    return canonical_pattern(json.loads(text) if text else {})


def _put_request(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": props["name"],
        "EventBusName": props["bus"],
        "EventPattern": json.dumps(props["pattern"], sort_keys=True),
        "State": props["state"],
        "Description": props.get("description") or "",
    }


class EventRule(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "events.rule"
    service: ClassVar[str] = "events"
    tagging: ClassVar[str | None] = "events"
    tags_from: ClassVar[str] = "index"
    tags_from_index: ClassVar[bool] = True
    listing = Listing("list_rules", "Rules")  # per bus of ours: see `listed`
    id_attr: ClassVar[str] = "Arn"
    name_source: ClassVar[str | None] = "Name"
    attrs: ClassVar[dict[str, str]] = {"Name": "Name", "Arn": "Arn"}
    # PutRule rewrites the whole rule: one setter for every field it can change.
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("Name"),
        "bus": Field("EventBusName"),
        "pattern": Field(_pattern, setter="put"),
        "state": Field(lambda rule: rule.get("State", "ENABLED"), setter="put"),
        "description": Field(lambda rule: rule.get("Description", ""), setter="put"),
    }
    create_call: ClassVar[str] = "put_rule"
    taken_code: ClassVar[str] = "RuleExists"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        if isinstance(props.get("pattern"), dict):
            return {**props, "pattern": canonical_pattern(props["pattern"])}
        return props

    def listed(self, ctx: Context) -> list[dict[str, Any]]:
        """Needs code: rules are listed per bus of ours (a bus gone since it was listed has none)."""
        return [
            {**rule, "EventBusName": bus.name}
            for bus in our_buses(ctx)
            for rule in self.listed_under(ctx, self.listing, EventBusName=bus.name)
        ]

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return _put_request(props)

    def existing(self, ctx: Context, props: dict[str, Any]) -> Iterable[tuple[dict[str, Any], dict[str, str]]]:
        """PutRule is an upsert by name: it would silently rewrite and claim somebody else's rule."""
        events = self.client(ctx)
        rule = unless_gone(NOT_FOUND, lambda: events.describe_rule(Name=props["name"], EventBusName=props["bus"]))
        return [(rule, event_tags(ctx, rule["Arn"]) or {})] if rule is not None else []

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        return {"Name": props["name"], "Arn": item["RuleArn"]}

    def put(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """PutRule replaces the whole rule, without tags (AWS keeps a rule's tags when PutRule updates it)."""
        self.call(ctx, "put_rule", **_put_request({**props, "name": live.props["name"], "bus": live.props["bus"]}))

    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Needs code: a rule with targets still attached is refused; they are removed first."""
        events = self.client(ctx)
        name, bus = live.props["name"], live.props["bus"]
        try:
            self.ignore_missing(lambda: events.delete_rule(Name=name, EventBusName=bus))
            return
        except Exception as exc:
            if error_code(exc) != "ValidationException":
                raise
        # Targets still attached (the target kind normally removes ours first; anything else dies with the rule).
        ids: list[str] = []
        for page in events.get_paginator("list_targets_by_rule").paginate(Rule=name, EventBusName=bus):
            ids.extend(target["Id"] for target in page.get("Targets", []))
        if ids:
            for start in range(0, len(ids), 10):  # remove_targets takes at most 10 ids
                events.remove_targets(Rule=name, EventBusName=bus, Ids=ids[start : start + 10])
        self.ignore_missing(lambda: events.delete_rule(Name=name, EventBusName=bus))
