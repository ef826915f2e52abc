"""The target of each of our EventBridge rules: the owning service's queue.

Targets cannot be tagged, so ownership comes from the rule: the target with Id `queue` on one of our
rules is ours, its logical id is `<rule id>/target` and its layer is the rule's. Any other target on the
rule was added by someone else and is left alone.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Field, Listing, Owned
from platformctl.resources.events_bus import NOT_FOUND
from platformctl.resources.events_rule import our_rules

TARGET_ID = "queue"
TARGET_SUFFIX = "/target"


def target_logical_id(rule_logical_id: str) -> str:
    return f"{rule_logical_id}{TARGET_SUFFIX}"


class EventTarget(DeclarativeKind):
    kind: ClassVar[str] = "events.target"
    service: ClassVar[str] = "events"
    listing = Listing("list_targets_by_rule", "Targets", keep=lambda ctx, target: target.get("Id") == TARGET_ID)
    id_attr: ClassVar[str] = "TargetId"
    attrs: ClassVar[dict[str, str]] = {"TargetId": "Id", "Rule": "Rule"}
    fields: ClassVar[dict[str, Field]] = {
        "rule": Field("Rule"),
        "bus": Field("EventBusName"),
        "target_id": Field("Id"),
        "arn": Field("Arn", setter="put"),
    }
    create_call: ClassVar[str] = "put_targets"
    tags_param: ClassVar[str | None] = None  # targets cannot be tagged
    delete_call: ClassVar[str] = "remove_targets"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def owned(self, ctx: Context) -> list[Owned]:
        """Needs code: a target is ours through its rule, listed under each of our rules."""
        rules = our_rules(ctx)
        listed = ctx.map(
            lambda rule: self.listed_under(ctx, self.listing, Rule=rule.name, EventBusName=rule.item["EventBusName"]),
            rules,
        )
        return [
            # Inherits the rule's ownership tags, under its own logical id and the rule's layer.
            Owned(
                {**target, "Rule": rule.name, "EventBusName": rule.item["EventBusName"]},
                {**rule.tags, TAG_ID: target_logical_id(rule.logical_id), TAG_LAYER: rule.layer},
                TARGET_ID,
                target["Arn"],
                f"{rule.name} → {target['Arn'].rsplit(':', 1)[-1]}",
            )
            for rule, targets in zip(rules, listed, strict=True)
            for target in targets
        ]

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return _put_request(props)

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        _refuse_failed(resource.id, item)
        return {"TargetId": props["target_id"], "Rule": props["rule"]}

    def put(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        request = _put_request({**props, "rule": live.props["rule"], "bus": live.props["bus"]})
        _refuse_failed(live.id, self.call(ctx, "put_targets", **request))

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return {"Rule": live.props["rule"], "EventBusName": live.props["bus"], "Ids": [live.physical_id]}


def _put_request(props: dict[str, Any]) -> dict[str, Any]:
    """PutTargets is an upsert by Id."""
    return {
        "Rule": props["rule"],
        "EventBusName": props["bus"],
        "Targets": [{"Id": props["target_id"], "Arn": props["arn"]}],
    }


def _refuse_failed(logical_id: str, answer: dict[str, Any]) -> None:
    """PutTargets answers a refused entry in its answer, not as an exception."""
    for failed in answer.get("FailedEntries") or []:
        raise AwsCallError(logical_id, failed.get("ErrorCode", "PutTargetsFailed"), failed.get("ErrorMessage", ""))
