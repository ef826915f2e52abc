"""Target groups: where the load balancer sends a service's traffic (Fargate tasks register by IP).

describe_target_groups carries no tags; they come from the shared tag index, or for a group the index does
not know yet from ELBv2's describe_tags, 20 ARNs a call (`elbv2_tags`, shared with the load balancer kind).
Our target groups with their tags are fetched once per read pass (`our_target_groups`) so the listener-rule
and ECS service kinds can find theirs without listing again.

CreateTargetGroup answers with the existing target group when one of the same name and settings exists, so
a hand-made look-alike would silently pass for ours: create checks the name first and refuses one that is
not ours. A target group still referenced by a listener rule or an ECS service is refused deletion
(`ResourceInUse`) until that detaches, which the same apply is usually doing in parallel: delete retries.

The deregistration delay is an attribute, not in describe_target_groups' answer: `read` asks each of our
groups' attributes (one call a group, in parallel; ELBv2 has no batch for them). AWS gives a new group 300 s,
which every rollout behind the ALB would wait out; create sets the spec's value (30 s by default) right after.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.resources.base import Context, unless_gone
from platformctl.resources.declarative import Field, Listing, Owned
from platformctl.resources.elbv2_load_balancer import Elbv2Kind, describe_tags

NOT_FOUND = "TargetGroupNotFound"
DEREGISTRATION_DELAY = "deregistration_delay.timeout_seconds"
# What AWS gives a new target group (ELBv2 API reference, TargetGroupAttribute).
AWS_DEFAULT_DEREGISTRATION_DELAY = 300


def our_target_groups(ctx: Context) -> list[Owned]:
    """Our target groups, fetched once per read pass for every kind that needs them."""
    return TargetGroup().owned(ctx)


class TargetGroup(Elbv2Kind):
    kind: ClassVar[str] = "elbv2.target_group"
    listing = Listing("describe_target_groups", "TargetGroups")
    id_attr: ClassVar[str] = "TargetGroupArn"
    name_source: ClassVar[str | None] = "TargetGroupName"
    attrs: ClassVar[dict[str, str]] = {"TargetGroupArn": "TargetGroupArn", "Name": "TargetGroupName"}
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("TargetGroupName"),
        "vpc": Field("VpcId"),
        "port": Field("Port"),
        "protocol": Field("Protocol"),
        "target_type": Field("TargetType"),
        "health_path": Field(lambda group: group.get("HealthCheckPath") or "", setter="modify"),
        "matcher": Field(lambda group: (group.get("Matcher") or {}).get("HttpCode", ""), setter="modify"),
        # Read into the item by `read` (`Attributes`); CreateTargetGroup takes no attributes.
        "deregistration_delay": Field(
            lambda group: _delay(group.get("Attributes")),
            setter="set_deregistration_delay",
            initial=AWS_DEFAULT_DEREGISTRATION_DELAY,
        ),
    }
    create_call: ClassVar[str] = "create_target_group"
    create_result: ClassVar[str] = "TargetGroups.0"
    delete_call: ClassVar[str] = "delete_target_group"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({NOT_FOUND})
    # Still referenced by a listener rule or a service that the same apply is detaching.
    busy_codes: ClassVar[frozenset[str]] = frozenset({"ResourceInUse"})
    taken_code: ClassVar[str] = "DuplicateTargetGroupName"
    # The services layer puts a hash of port/protocol/target type in the name, so a replacement has a new
    # name and can exist beside the old group while the rule and the service move over.
    create_before_delete: ClassVar[bool] = True

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "Name": props["name"],
            "VpcId": props["vpc"],
            "Port": int(props["port"]),
            "Protocol": props["protocol"],
            "TargetType": props["target_type"],
            "HealthCheckPath": props["health_path"],
            "Matcher": {"HttpCode": props["matcher"]},
        }

    def read(self, ctx: Context) -> list[LiveResource]:
        """Our groups with their attributes; a group deleted between listing and asking is not live."""
        owned = self.owned(ctx)
        elbv2 = self.client(ctx)

        def attributes(group: Owned) -> list[dict[str, str]] | None:
            answer = unless_gone(
                self.not_found_codes,
                lambda: elbv2.describe_target_group_attributes(TargetGroupArn=group.physical_id),
            )
            return None if answer is None else answer.get("Attributes") or []

        return [
            self.to_live(ctx, group, self.props_of({**group.item, "Attributes": found}))
            for group, found in zip(owned, ctx.map(attributes, owned), strict=True)
            if found is not None
        ]

    def set_deregistration_delay(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        attribute = {"Key": DEREGISTRATION_DELAY, "Value": str(int(props["deregistration_delay"]))}
        self.call(ctx, "modify_target_group_attributes", TargetGroupArn=live.physical_id, Attributes=[attribute])

    def existing(self, ctx: Context, props: dict[str, Any]) -> Iterable[tuple[dict[str, Any], dict[str, str]]]:
        """CreateTargetGroup answers with a same-named group of the same settings instead of failing."""
        elbv2 = self.client(ctx)
        answer = unless_gone(self.not_found_codes, lambda: elbv2.describe_target_groups(Names=[props["name"]]))
        for group in (answer or {}).get("TargetGroups") or []:
            yield group, describe_tags(ctx, [group["TargetGroupArn"]]).get(group["TargetGroupArn"], {})

    def modify(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """One call sets both health-check fields; sending an unchanged one is harmless."""
        request = {"HealthCheckPath": props["health_path"], "Matcher": {"HttpCode": props["matcher"]}}
        self.call(ctx, "modify_target_group", TargetGroupArn=live.physical_id, **request)


def _delay(attributes: list[dict[str, str]] | None) -> int | None:
    """The deregistration delay in seconds from a group's attributes (None: not read)."""
    for attribute in attributes or []:
        if attribute.get("Key") == DEREGISTRATION_DELAY:
            return int(attribute["Value"])
    return None
