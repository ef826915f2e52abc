"""The target of each of our EventBridge rules: the owning service's queue.

Targets cannot be tagged, so ownership comes from the rule: the target with Id `queue` on one of our
rules is ours, its logical id is `<rule id>/target` and its layer is the rule's. Any other target on the
rule was added by someone else and is left alone.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.base import Context, ResourceKind
from platformctl.resources.events_bus import NOT_FOUND
from platformctl.resources.events_rule import OwnedRule, our_rules

TARGET_ID = "queue"
TARGET_SUFFIX = "/target"


def target_logical_id(rule_logical_id: str) -> str:
    return f"{rule_logical_id}{TARGET_SUFFIX}"


class EventTarget(ResourceKind):
    kind: ClassVar[str] = "events.target"
    service: ClassVar[str] = "events"
    id_attr: ClassVar[str] = "TargetId"
    updatable: ClassVar[frozenset[str]] = frozenset({"arn"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for rule in our_rules(ctx):
            for target in self._targets(ctx, rule):
                if target.get("Id") != TARGET_ID:
                    continue
                # Inherits the rule's ownership tags, under its own logical id and the rule's layer.
                tags = {**rule.tags, TAG_ID: target_logical_id(rule.logical_id), TAG_LAYER: rule.layer}
                live = self.live(
                    ctx,
                    tags,
                    name=f"{rule.name} → {target['Arn'].rsplit(':', 1)[-1]}",
                    physical_id=TARGET_ID,
                    props={"rule": rule.name, "bus": rule.bus, "target_id": TARGET_ID, "arn": target["Arn"]},
                    attrs={"TargetId": TARGET_ID, "Rule": rule.name},
                )
                if live:
                    found.append(live)
        return found

    def _targets(self, ctx: Context, rule: OwnedRule) -> list[dict[str, Any]]:
        targets: list[dict[str, Any]] = []
        try:
            pages = ctx.client("events").get_paginator("list_targets_by_rule")
            for page in pages.paginate(Rule=rule.name, EventBusName=rule.bus):
                targets.extend(page.get("Targets", []))
        except Exception as exc:
            if error_code(exc) in NOT_FOUND:
                return []  # the rule went away since it was listed
            raise
        return targets

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        self._put(ctx, resource.id, props)
        return {"TargetId": props["target_id"], "Rule": props["rule"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        if props["arn"] != live.props.get("arn"):
            self._put(ctx, resource.id, {**props, "rule": live.props["rule"], "bus": live.props["bus"]})
        return dict(live.attrs)

    def _put(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> None:
        """PutTargets is an upsert by Id; a refused entry comes back in the answer, not as an exception."""
        answer = ctx.client("events").put_targets(
            Rule=props["rule"],
            EventBusName=props["bus"],
            Targets=[{"Id": props["target_id"], "Arn": props["arn"]}],
        )
        for failed in answer.get("FailedEntries") or []:
            raise AwsCallError(logical_id, failed.get("ErrorCode", "PutTargetsFailed"), failed.get("ErrorMessage", ""))

    def delete(self, ctx: Context, live: LiveResource) -> None:
        events = ctx.client("events")
        rule, bus = live.props["rule"], live.props["bus"]
        self.ignore_missing(lambda: events.remove_targets(Rule=rule, EventBusName=bus, Ids=[live.physical_id]))
