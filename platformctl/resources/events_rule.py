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
from dataclasses import dataclass, field
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind, tag_list
from platformctl.resources.events_bus import NOT_FOUND, event_tags, our_buses
from platformctl.resources.tag_index import tags_for_arns


@dataclass(frozen=True)
class OwnedRule:
    """A rule on one of our buses carrying our tags for this platform and env."""

    name: str
    arn: str
    bus: str
    logical_id: str
    layer: str
    tags: dict[str, str] = field(default_factory=dict)
    description: dict[str, Any] = field(default_factory=dict)


def our_rules(ctx: Context) -> list[OwnedRule]:
    """Our rules, fetched once per read pass for the rule and target kinds."""
    return ctx.cached(("events", "our-rules"), lambda: _fetch_our_rules(ctx))


def _fetch_our_rules(ctx: Context) -> list[OwnedRule]:
    events = ctx.client("events")
    listed: list[tuple[str, dict[str, Any]]] = []
    for bus in our_buses(ctx):
        try:
            for page in events.get_paginator("list_rules").paginate(EventBusName=bus.name):
                listed.extend((bus.name, rule) for rule in page.get("Rules", []))
        except Exception as exc:
            if error_code(exc) not in NOT_FOUND:
                raise  # else the bus went away since it was listed
    tags = tags_for_arns(ctx, (rule["Arn"] for _, rule in listed), lambda arn: event_tags(ctx, arn))
    owned: list[OwnedRule] = []
    for bus_name, rule in listed:
        identity = ctx.identity(tags.get(rule["Arn"], {}))
        if identity is not None:
            owned.append(OwnedRule(rule["Name"], rule["Arn"], bus_name, *identity, tags[rule["Arn"]], rule))
    return owned


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


def _props(rule: OwnedRule) -> dict[str, Any]:
    text = rule.description.get("EventPattern")
    return {
        "name": rule.name,
        "bus": rule.bus,
        "pattern": canonical_pattern(json.loads(text) if text else {}),
        "state": rule.description.get("State", "ENABLED"),
        "description": rule.description.get("Description", ""),
    }


def _put_request(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": props["name"],
        "EventBusName": props["bus"],
        "EventPattern": json.dumps(props["pattern"], sort_keys=True),
        "State": props["state"],
        "Description": props.get("description") or "",
    }


class EventRule(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "events.rule"
    service: ClassVar[str] = "events"
    id_attr: ClassVar[str] = "Arn"
    updatable: ClassVar[frozenset[str]] = frozenset({"pattern", "state", "description"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        if isinstance(props.get("pattern"), dict):
            return {**props, "pattern": canonical_pattern(props["pattern"])}
        return props

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for rule in our_rules(ctx):
            live = self.live(
                ctx,
                rule.tags,
                name=rule.name,
                physical_id=rule.arn,
                props=_props(rule),
                attrs={"Name": rule.name, "Arn": rule.arn},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        events = ctx.client("events")
        name, bus = props["name"], props["bus"]
        try:
            existing = events.describe_rule(Name=name, EventBusName=bus)
        except Exception as exc:
            if error_code(exc) not in NOT_FOUND:
                raise
        else:
            owner = ctx.identity(event_tags(ctx, existing["Arn"]) or {})
            if owner is None or owner[0] != resource.id:
                raise AwsCallError(resource.id, "RuleExists", f"an event rule named {name} on {bus} is not ours")
        answer = events.put_rule(**_put_request(props), Tags=tag_list(ctx.tags_for(resource)))
        return {"Name": name, "Arn": answer["RuleArn"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        wanted, current = self.canonical(props), self.canonical(live.props)
        if any(wanted.get(key) != current.get(key) for key in self.updatable):
            # PutRule replaces the whole rule: send every field, not only the changed ones.
            ctx.client("events").put_rule(
                **_put_request({**props, "name": live.props["name"], "bus": live.props["bus"]})
            )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        events = ctx.client("events")
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
