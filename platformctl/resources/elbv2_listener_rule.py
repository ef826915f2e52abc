"""Listener rules: route a service's URL paths on the shared listener to its target group.

Rules are found under our listeners, themselves found under our load balancers (the listing shared with
the load balancer kind); a listener added by hand to our load balancer is not ours, nor are its rules. The
rules come from the listener kind's pass (`rules_of_our_listeners`): one describe_rules per listener, and
the rules' own tags read in the same batches of 20 as the listeners' (where the tag index does not know
them). The default rule is the listener's default action, which the listener kind owns, so it is skipped.

A rule is read back in the desired shape: path patterns only and a single forward. Anything else found on
it (another condition, a weighted forward, a fixed response) is spelled into `paths` / `target_group` in a
way that can never equal a desired value, so it shows as drift and modify_rule puts the rule back.

Priorities are unique per listener. A priority held by a rule being deleted or moved in the same apply is
refused (`PriorityInUse`) until that finishes, so create and priority changes retry for a while. Two rules
swapping priorities cannot both wait for the other; that ends in the error after the timeout.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.resources.base import Context
from platformctl.resources.declarative import Field, Owned
from platformctl.resources.elbv2_listener import rules_of_our_listeners
from platformctl.resources.elbv2_load_balancer import Elbv2Kind

NOT_FOUND = "RuleNotFound"
_PRIORITY_IN_USE = {"PriorityInUse"}
# Long enough for a concurrent delete or move of the rule holding a priority, short enough to fail a swap.
_PRIORITY_TIMEOUT = 120.0


def conditions(paths: list[str]) -> list[dict[str, Any]]:
    """Desired `paths` → the Conditions parameter of create_rule / modify_rule."""
    return [{"Field": "path-pattern", "PathPatternConfig": {"Values": sorted(paths)}}]


def actions(target_group: str) -> list[dict[str, Any]]:
    """Desired `target_group` → the Actions parameter of create_rule / modify_rule."""
    return [{"Type": "forward", "TargetGroupArn": target_group}]


def _paths(live_conditions: list[dict[str, Any]]) -> list[str]:
    """Live Conditions → sorted path patterns; any other condition becomes a `field:config` entry (drift)."""
    paths: list[str] = []
    for condition in live_conditions:
        if condition.get("Field") == "path-pattern":
            config = condition.get("PathPatternConfig") or {}
            paths.extend(config.get("Values") or condition.get("Values") or [])
        else:
            rest = {k: v for k, v in condition.items() if k != "Field"}
            paths.append(f"{condition.get('Field')}:{json.dumps(rest, sort_keys=True)}")
    return sorted(set(paths))


def _target_group(live_actions: list[dict[str, Any]]) -> str:
    """Live Actions → the one forwarded-to target group ARN, else a description no ARN equals (drift)."""
    if len(live_actions) == 1 and live_actions[0].get("Type") == "forward":
        action = live_actions[0]
        if action.get("TargetGroupArn"):
            return action["TargetGroupArn"]
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        if len(groups) == 1:
            return groups[0]["TargetGroupArn"]
    return "+".join(a.get("Type", "?") for a in live_actions) or "(no action)"


class ListenerRule(Elbv2Kind):
    kind: ClassVar[str] = "elbv2.listener_rule"
    shared_reads: ClassVar = ()
    id_attr: ClassVar[str] = "RuleArn"
    fields: ClassVar[dict[str, Field]] = {
        "listener": Field("ListenerArn"),
        "priority": Field("Priority", int, setter="set_priority"),
        "paths": Field(lambda rule: _paths(rule.get("Conditions") or []), setter="modify"),
        "target_group": Field(lambda rule: _target_group(rule.get("Actions") or []), setter="modify"),
    }
    unordered: ClassVar[frozenset[str]] = frozenset({"paths"})
    create_call: ClassVar[str] = "create_rule"
    create_result: ClassVar[str] = "Rules.0"
    delete_call: ClassVar[str] = "delete_rule"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({NOT_FOUND})
    # A priority held by a rule being deleted or moved in the same apply is refused until that finishes.
    retry_codes: ClassVar[frozenset[str]] = frozenset({"PriorityInUse"})
    retry_timeout: ClassVar[float] = _PRIORITY_TIMEOUT

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        paths = props.get("paths")
        if isinstance(paths, list) and all(isinstance(p, str) for p in paths):
            return {**props, "paths": sorted(paths)}
        return props

    def owned(self, ctx: Context) -> list[Owned]:
        """Needs code: rules are listed under our listeners, in the listener kind's pass."""
        return rules_of_our_listeners(ctx)

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "ListenerArn": props["listener"],
            "Priority": int(props["priority"]),
            "Conditions": conditions(props["paths"]),
            "Actions": actions(props["target_group"]),
        }

    def set_priority(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        priorities = [{"RuleArn": live.physical_id, "Priority": int(props["priority"])}]
        self.call(ctx, "set_rule_priorities", RulePriorities=priorities)

    def modify(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """One call sets both; AWS replaces the whole condition and action lists."""
        request = {"Conditions": conditions(props["paths"]), "Actions": actions(props["target_group"])}
        self.call(ctx, "modify_rule", RuleArn=live.physical_id, **request)
