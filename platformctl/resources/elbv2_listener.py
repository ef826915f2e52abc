"""The load balancer's HTTP listener; its default action answers 404 for paths no rule routes.

Listeners are found under our load balancers (the list shared with the load balancer kind), then kept
only if they carry our tags themselves: a listener added by hand to our load balancer is not ours.

Listeners and their rules are read in one pass shared with the listener-rule kind (`_listener_pass`):
describe_listeners per load balancer, describe_rules per listener, then the tags of listeners and rules
together, from the tag index where it knows them and else from describe_tags, 20 ARNs a call (the
emulator's index has neither listeners nor rules). Rules are described before the listeners' tags say
whose they are, so a hand-made listener on our load balancer costs one describe_rules; in exchange the
tags of both kinds share their batches (every pass reads both kinds).

A default action other than a fixed response is read back in a shape that can never equal the desired
one, so it shows as drift and modify_listener puts the fixed response back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource
from platformctl.resources.base import Context
from platformctl.resources.declarative import Field, Owned
from platformctl.resources.elbv2_load_balancer import Elbv2Kind, elbv2_tags, our_load_balancers

_NOT_FOUND = "ListenerNotFound"


def default_actions(action: dict[str, Any]) -> list[dict[str, Any]]:
    """Desired `default_action` → the DefaultActions parameter of create/modify_listener."""
    config = {"StatusCode": str(action["status_code"]), "ContentType": action["content_type"]}
    if action.get("message_body"):
        config["MessageBody"] = action["message_body"]
    return [{"Type": "fixed-response", "FixedResponseConfig": config}]


def _default_action(actions: list[dict[str, Any]]) -> dict[str, Any]:
    """Live DefaultActions → desired shape; AWS omits an empty message body."""
    if len(actions) == 1 and actions[0].get("Type") == "fixed-response":
        config = actions[0].get("FixedResponseConfig") or {}
        return {
            "type": "fixed-response",
            "status_code": str(config.get("StatusCode", "")),
            "content_type": config.get("ContentType", ""),
            "message_body": config.get("MessageBody", ""),
        }
    return {"type": ",".join(a.get("Type", "?") for a in actions), "actions": actions}


@dataclass(frozen=True)
class _ListenerPass:
    listeners: list[Owned]
    rules: list[Owned]  # each item carries its listener's ARN as `ListenerArn`


def our_listeners(ctx: Context) -> list[Owned]:
    """Our listeners, fetched once per read pass for the listener and listener-rule kinds."""
    return _listener_pass(ctx).listeners


def rules_of_our_listeners(ctx: Context) -> list[Owned]:
    """The non-default rules of our listeners carrying our tags, fetched in the same pass as the listeners."""
    return _listener_pass(ctx).rules


def _listener_pass(ctx: Context) -> _ListenerPass:
    return ctx.cached(("elbv2", "our-listeners"), lambda: _fetch_listener_pass(ctx))


def _fetch_listener_pass(ctx: Context) -> _ListenerPass:
    elbv2 = ctx.client("elbv2")
    listeners: dict[str, dict[str, Any]] = {}
    for lb in our_load_balancers(ctx):
        try:
            for page in elbv2.get_paginator("describe_listeners").paginate(LoadBalancerArn=lb.arn):
                for listener in page.get("Listeners", []):
                    listeners[listener["ListenerArn"]] = listener
        except Exception as exc:
            if error_code(exc) != "LoadBalancerNotFound":
                raise  # else deleted since it was listed: its listeners went with it
    rules: dict[str, dict[str, Any]] = {}
    for listener_arn in listeners:
        try:
            for page in elbv2.get_paginator("describe_rules").paginate(ListenerArn=listener_arn):
                for rule in page.get("Rules", []):
                    if not rule.get("IsDefault"):  # the listener's default action, owned by the listener kind
                        rules[rule["RuleArn"]] = {**rule, "ListenerArn": listener_arn}
        except Exception as exc:
            if error_code(exc) != _NOT_FOUND:
                raise  # else deleted since it was listed: its rules went with it
    tags = elbv2_tags(ctx, [*listeners, *rules])
    owned = [
        Owned(listener, tags[arn], arn, arn, f"{listener['Protocol']}:{listener['Port']}")
        for arn, listener in listeners.items()
        if ctx.identity(tags.get(arn, {})) is not None
    ]
    ours = {listener.arn for listener in owned}
    listed = [
        Owned(rule, tags[arn], arn, arn, f"priority {int(rule['Priority'])}")
        for arn, rule in rules.items()
        # a rule on a listener that is not ours is not ours either
        if rule["ListenerArn"] in ours and ctx.identity(tags.get(arn, {})) is not None
    ]
    return _ListenerPass(owned, listed)


class Listener(Elbv2Kind):
    kind: ClassVar[str] = "elbv2.listener"
    shared_reads: ClassVar = ()
    id_attr: ClassVar[str] = "ListenerArn"
    fields: ClassVar[dict[str, Field]] = {
        "load_balancer": Field("LoadBalancerArn"),
        "port": Field("Port", setter="modify"),
        "protocol": Field("Protocol", setter="modify"),
        "default_action": Field(lambda item: _default_action(item.get("DefaultActions") or []), setter="modify"),
    }
    create_call: ClassVar[str] = "create_listener"
    create_result: ClassVar[str] = "Listeners.0"
    delete_call: ClassVar[str] = "delete_listener"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({_NOT_FOUND})

    def owned(self, ctx: Context) -> list[Owned]:
        """Needs code: listeners are listed under our load balancers, in one pass with their rules."""
        return our_listeners(ctx)

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"LoadBalancerArn": props["load_balancer"], **self._settings(props)}

    def modify(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """One call sets all three; sending unchanged values is harmless and keeps the request whole."""
        self.call(ctx, "modify_listener", ListenerArn=live.physical_id, **self._settings(props))

    def _settings(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "Port": int(props["port"]),
            "Protocol": props["protocol"],
            "DefaultActions": default_actions(props["default_action"]),
        }
