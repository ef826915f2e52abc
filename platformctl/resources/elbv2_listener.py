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
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.resources.base import Context, ResourceKind, tag_list
from platformctl.resources.elbv2_load_balancer import elbv2_tags, our_load_balancers

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
class OwnedListener:
    """A listener carrying our tags, on one of our load balancers."""

    arn: str
    load_balancer_arn: str
    tags: dict[str, str]
    description: dict[str, Any]


@dataclass(frozen=True)
class ListedRule:
    """A non-default rule of one of our listeners, with its own tags (whoever's they say it is)."""

    arn: str
    listener_arn: str
    tags: dict[str, str]
    description: dict[str, Any]


@dataclass(frozen=True)
class _ListenerPass:
    listeners: list[OwnedListener]
    rules: list[ListedRule]


def our_listeners(ctx: Context) -> list[OwnedListener]:
    """Our listeners, fetched once per read pass for the listener and listener-rule kinds."""
    return _listener_pass(ctx).listeners


def rules_of_our_listeners(ctx: Context) -> list[ListedRule]:
    """The non-default rules of our listeners with their tags, fetched in the same pass as the listeners."""
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
    rules: dict[str, tuple[str, dict[str, Any]]] = {}
    for listener_arn in listeners:
        try:
            for page in elbv2.get_paginator("describe_rules").paginate(ListenerArn=listener_arn):
                for rule in page.get("Rules", []):
                    if not rule.get("IsDefault"):  # the listener's default action, owned by the listener kind
                        rules[rule["RuleArn"]] = (listener_arn, rule)
        except Exception as exc:
            if error_code(exc) != _NOT_FOUND:
                raise  # else deleted since it was listed: its rules went with it
    tags = elbv2_tags(ctx, [*listeners, *rules])
    owned: list[OwnedListener] = []
    for arn, listener in listeners.items():
        listener_tags = tags.get(arn, {})
        if ctx.identity(listener_tags) is not None:
            owned.append(OwnedListener(arn, listener["LoadBalancerArn"], listener_tags, listener))
    ours = {listener.arn for listener in owned}
    listed = [
        ListedRule(arn, listener_arn, tags.get(arn, {}), rule)
        for arn, (listener_arn, rule) in rules.items()
        if listener_arn in ours  # a rule on a listener that is not ours is not ours either
    ]
    return _ListenerPass(owned, listed)


class Listener(ResourceKind):
    kind: ClassVar[str] = "elbv2.listener"
    service: ClassVar[str] = "elbv2"
    id_attr: ClassVar[str] = "ListenerArn"
    updatable: ClassVar[frozenset[str]] = frozenset({"port", "protocol", "default_action"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({_NOT_FOUND})

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for owned in our_listeners(ctx):
            listener = owned.description
            live = self.live(
                ctx,
                owned.tags,
                name=f"{listener['Protocol']}:{listener['Port']}",
                physical_id=owned.arn,
                props={
                    "load_balancer": listener["LoadBalancerArn"],
                    "port": listener["Port"],
                    "protocol": listener["Protocol"],
                    "default_action": _default_action(listener.get("DefaultActions") or []),
                },
                attrs={"ListenerArn": owned.arn},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        listener = ctx.client("elbv2").create_listener(
            LoadBalancerArn=props["load_balancer"],
            Port=int(props["port"]),
            Protocol=props["protocol"],
            DefaultActions=default_actions(props["default_action"]),
            Tags=tag_list(ctx.tags_for(resource)),
        )["Listeners"][0]
        return {"ListenerArn": listener["ListenerArn"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        # One call sets all three; sending unchanged values is harmless and keeps the request whole.
        ctx.client("elbv2").modify_listener(
            ListenerArn=live.physical_id,
            Port=int(props["port"]),
            Protocol=props["protocol"],
            DefaultActions=default_actions(props["default_action"]),
        )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        elbv2 = ctx.client("elbv2")
        self.ignore_missing(lambda: elbv2.delete_listener(ListenerArn=live.physical_id))
