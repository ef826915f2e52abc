"""What keeps a VPC, subnet or security group from being deleted, and whether it will go by itself.

AWS refuses such a delete with DependencyViolation while anything still sits in the VPC or subnet, or still
uses the group, and does not say what. Much of it goes by itself: the network interfaces of ECS tasks, load
balancers, VPC links and NAT gateways are deleted by their service minutes after their owner, and what is
ours is being deleted by this same run. Those are waited for (bounded), and the wait says what it waits for
(`waiting for vpc vpc-123: 2 network interfaces of ECS tasks to go`). What is not ours and will not go by
itself (a subnet made by hand, an EC2 instance's interface, someone else's security group) is named at once
instead of being waited on for fifteen minutes: only its owner can remove it, and platformctl never touches
what is not ours.

One function finds the blockers of the three kinds; its reads are filtered server-side by the resource's
id and run only after AWS refused a delete, so a delete that goes through costs nothing more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from platformctl.aws import error_code
from platformctl.errors import PlatformctlError
from platformctl.naming import TAG_ENV, TAG_PLATFORM
from platformctl.resources.base import Context, tag_dict

_IN_USE = "DependencyViolation"
_IN = "is still in it"
# What a resource type (the kinds' TagSpecifications type) is called in messages.
_NOUNS = {"vpc": "vpc", "subnet": "subnet", "security-group": "security group"}
# How each relation of a blocker to the resource is undone: (for one, for several).
_REMEDIES = {
    "is still in it": ("delete it or move it out", "delete them or move them out"),
    "is still attached to it": ("detach it", "detach them"),
    "still uses it": ("detach the group from it", "detach the group from them"),
    "has a rule that references it": ("remove that rule", "remove those rules"),
}
# ENIs whose service deletes them after their owner (a Fargate task, an ALB...): (test, whose they are).
_MANAGED_INTERFACES: list[tuple[Callable[[dict[str, Any]], bool], str]] = [
    (lambda e: e.get("InterfaceType") in ("nat_gateway", "natGateway"), "NAT gateways"),
    (lambda e: e.get("Description", "").startswith("Interface for NAT Gateway"), "NAT gateways"),
    (lambda e: ":ecs:" in e.get("Description", "") or e.get("InterfaceType") in ("branch", "trunk"), "ECS tasks"),
    (lambda e: e.get("InterfaceType") == "lambda", "Lambda functions"),
    (lambda e: e.get("Description", "").startswith("AWS Lambda VPC ENI"), "Lambda functions"),
    (lambda e: e.get("InterfaceType") in ("load_balancer", "network_load_balancer", "gateway_load_balancer"),
     "load balancers"),
    (lambda e: e.get("RequesterId") == "amazon-elb" or e.get("Description", "").startswith("ELB "), "load balancers"),
    (lambda e: e.get("InterfaceType") == "api_gateway_managed", "API Gateway VPC links"),
    (lambda e: "vpc link" in e.get("Description", "").lower(), "API Gateway VPC links"),
    (lambda e: e.get("InterfaceType") == "vpc_endpoint", "VPC endpoints"),
    (lambda e: bool(e.get("RequesterManaged")), "AWS services"),
]


@dataclass(frozen=True)
class Blocker:
    """One thing in the way of a delete."""

    # Named in an error: "subnet subnet-abc (10.0.200.0/24, not created by platformctl)".
    label: str
    # How it stands in the way; a key of _REMEDIES.
    relation: str
    # Counted in the waiting text, singular and whose: ("network interface", "of ECS tasks").
    noun: str
    whose: str
    # Not ours, and nothing but its owner will remove it: waiting is pointless.
    stays: bool


class StillInUse(PlatformctlError):
    """A VPC, subnet or security group that something else keeps from being deleted; says what and what to do."""


def delete_when_free(ctx: Context, resource_type: str, physical_id: str, delete: Callable[[], Any]) -> None:
    """`delete()`; while AWS answers DependencyViolation, wait for what will go and fail at once on what will not.

    Bounded by `ctx.wait_timeout`; the error then names what was still there.
    """
    label = f"{_NOUNS[resource_type]} {physical_id}"
    last: list[Blocker] = []
    reported = False

    def attempt() -> None:
        nonlocal reported
        try:
            delete()
        except Exception as exc:
            if error_code(exc) != _IN_USE:
                raise
            last[:] = find_blockers(ctx, resource_type, physical_id)
            staying = [b for b in last if b.stays]
            if staying:
                raise StillInUse(f"{label} cannot be deleted: {_refusal(staying)}") from None
            ctx.waiting(f"waiting for {label}: {_summary(last)} to go" if last else f"waiting for AWS to free {label}")
            reported = True
            raise

    try:
        ctx.retry_on({_IN_USE}, attempt)
    except StillInUse:
        raise
    except Exception as exc:
        if error_code(exc) != _IN_USE:
            raise
        still = ", ".join(b.label for b in last) or "what AWS still counts as using it"
        what = f"{still} did not go; run apply or destroy again once it has"
        raise StillInUse(f"{label} cannot be deleted after waiting {ctx.wait_timeout:.0f} s: {what}") from None
    finally:
        if reported:
            ctx.waiting(None)


def find_blockers(ctx: Context, resource_type: str, physical_id: str) -> list[Blocker]:
    """Everything that can keep a `resource_type` ("vpc", "subnet", "security-group") from being deleted."""
    ec2 = ctx.client("ec2")

    def listed(operation: str, key: str, name: str, *, param: str = "Filters") -> list[dict[str, Any]]:
        """Every item of a describe filtered by `name` = the resource's id, all pages."""
        pages = ec2.get_paginator(operation).paginate(**{param: [{"Name": name, "Values": [physical_id]}]})
        return [item for page in pages for item in page[key]]

    if resource_type == "vpc":
        groups = listed("describe_security_groups", "SecurityGroups", "vpc-id")
        return [
            *_subnets(ctx, listed("describe_subnets", "Subnets", "vpc-id")),
            *_interfaces(ctx, listed("describe_network_interfaces", "NetworkInterfaces", "vpc-id"), _IN),
            *_security_groups(ctx, [g for g in groups if g["GroupName"] != "default"], _IN),
            *_endpoints(ctx, listed("describe_vpc_endpoints", "VpcEndpoints", "vpc-id")),
            *_internet_gateways(ctx, listed("describe_internet_gateways", "InternetGateways", "attachment.vpc-id")),
            *_nat_gateways(ctx, listed("describe_nat_gateways", "NatGateways", "vpc-id", param="Filter")),
            *_route_tables(ctx, listed("describe_route_tables", "RouteTables", "vpc-id")),
        ]
    if resource_type == "subnet":
        return _interfaces(ctx, listed("describe_network_interfaces", "NetworkInterfaces", "subnet-id"), _IN)
    if resource_type == "security-group":
        referencing = {
            group["GroupId"]: group
            for name in ("ip-permission.group-id", "egress.ip-permission.group-id")
            for group in listed("describe_security_groups", "SecurityGroups", name)
            if group["GroupId"] != physical_id  # a group's rules about itself go with it
        }
        return [
            *_interfaces(ctx, listed("describe_network_interfaces", "NetworkInterfaces", "group-id"), "still uses it"),
            *_security_groups(ctx, referencing.values(), "has a rule that references it"),
        ]
    raise ValueError(f"no blockers known for {resource_type}")


# ---- one function per thing that can be in the way ------------------------------------------------------
def _subnets(ctx: Context, subnets: Iterable[dict[str, Any]]) -> list[Blocker]:
    return [
        _owned_or_foreign(ctx, s.get("Tags"), "subnet", s["SubnetId"], s["CidrBlock"], _IN) for s in subnets
    ]


def _security_groups(ctx: Context, groups: Iterable[dict[str, Any]], relation: str) -> list[Blocker]:
    return [
        _owned_or_foreign(ctx, g.get("Tags"), "security group", g["GroupId"], g["GroupName"], relation) for g in groups
    ]


def _route_tables(ctx: Context, tables: Iterable[dict[str, Any]]) -> list[Blocker]:
    """Route tables other than the main one (AWS deletes that with the VPC)."""
    return [
        _owned_or_foreign(ctx, t.get("Tags"), "route table", t["RouteTableId"], "", _IN)
        for t in tables
        if not any(a.get("Main") for a in t.get("Associations", []))
    ]


def _internet_gateways(ctx: Context, gateways: Iterable[dict[str, Any]]) -> list[Blocker]:
    return [
        _owned_or_foreign(ctx, g.get("Tags"), "internet gateway", g["InternetGatewayId"], "", "is still attached to it")
        for g in gateways
    ]


def _nat_gateways(ctx: Context, gateways: Iterable[dict[str, Any]]) -> list[Blocker]:
    found = []
    for nat in gateways:
        state = nat.get("State")
        if state in ("deleted", "failed"):
            continue
        if state == "deleting":
            found.append(_going("NAT gateway", nat["NatGatewayId"], "being deleted"))
        else:
            found.append(_owned_or_foreign(ctx, nat.get("Tags"), "NAT gateway", nat["NatGatewayId"], "", _IN))
    return found


def _endpoints(ctx: Context, endpoints: Iterable[dict[str, Any]]) -> list[Blocker]:
    found = []
    for endpoint in endpoints:
        state = str(endpoint.get("State", "")).lower()
        if state in ("deleted", "rejected", "failed", "expired"):
            continue
        if state == "deleting":
            found.append(_going("VPC endpoint", endpoint["VpcEndpointId"], "being deleted"))
        else:
            found.append(
                _owned_or_foreign(
                    ctx, endpoint.get("Tags"), "VPC endpoint", endpoint["VpcEndpointId"],
                    endpoint.get("ServiceName", ""), _IN,
                )
            )
    return found


def _interfaces(ctx: Context, interfaces: Iterable[dict[str, Any]], relation: str) -> list[Blocker]:
    """ENIs: a managed one goes after its owner; one made by hand, or an EC2 instance's, stays."""
    found = []
    for eni in interfaces:
        eni_id = eni["NetworkInterfaceId"]
        if ctx.identity(tag_dict(eni.get("TagSet"))) is not None:
            found.append(_going("network interface", eni_id, "of this platform"))
            continue
        attachment = eni.get("Attachment") or {}
        instance = attachment.get("InstanceId")
        owner = _managed_owner(eni)
        if owner is not None and not (instance and not eni.get("RequesterManaged")):
            found.append(_going("network interface", eni_id, f"of {owner}"))
            continue
        described = f"“{eni['Description']}”" if eni.get("Description") else ""
        detail = f"attached to instance {instance}" if instance else described
        found.append(_foreign(eni.get("TagSet"), "network interface", eni_id, detail, relation))
    return found


def _managed_owner(eni: dict[str, Any]) -> str | None:
    """Whose service manages this ENI (and deletes it after its owner), or None when nothing will delete it."""
    return next((owner for test, owner in _MANAGED_INTERFACES if test(eni)), None)


# ---- building blockers and messages ------------------------------------------------------------------------
def _owned_or_foreign(
    ctx: Context, tags: list[dict[str, str]] | None, noun: str, physical_id: str, detail: str, relation: str
) -> Blocker:
    """Ours: deleted by this run (or it failed, and the error is there), so it will go. Anyone else's: it stays."""
    if ctx.identity(tag_dict(tags)) is not None:
        return _going(noun, physical_id, "of this platform")
    return _foreign(tags, noun, physical_id, detail, relation)


def _going(noun: str, physical_id: str, whose: str) -> Blocker:
    """Something that goes by itself (or by this run): waited for, counted in the waiting text."""
    return Blocker(label=f"{noun} {physical_id} ({whose})", relation="", noun=noun, whose=whose, stays=False)


def _foreign(tags: list[dict[str, str]] | None, noun: str, physical_id: str, detail: str, relation: str) -> Blocker:
    found = tag_dict(tags)
    if TAG_PLATFORM in found:
        whose = f"platformctl's, of platform {found[TAG_PLATFORM]} env {found.get(TAG_ENV, '?')}"
    else:
        whose = "not created by platformctl"
    described = ", ".join(part for part in (detail, whose) if part)
    return Blocker(
        label=f"{noun} {physical_id} ({described})", relation=relation, noun=noun, whose=whose, stays=True
    )


def _refusal(blockers: list[Blocker]) -> str:
    """`subnet subnet-abc (10.0.200.0/24, not created by platformctl) is still in it; delete it or move it out, ...`"""
    named = "; ".join(f"{b.label} {b.relation}" for b in blockers)
    relations = Counter(b.relation for b in blockers)
    remedies = [_REMEDIES[relation][0 if count == 1 else 1] for relation, count in relations.items()]
    return f"{named}; {', '.join(remedies)}, then run apply or destroy again"


def _summary(blockers: list[Blocker]) -> str:
    """`2 network interfaces of ECS tasks, 1 subnet of this platform`, in the order first found."""
    counts = Counter((b.noun, b.whose) for b in blockers)
    return ", ".join(f"{n} {noun}{'s' if n != 1 else ''} {whose}" for (noun, whose), n in counts.items())
