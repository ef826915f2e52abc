"""Ordering around what AWS allows only once, and around what still serves, on the in-memory cloud.

A create that AWS would refuse while a live resource the plan deletes still exists waits for that delete
(the kind declares what must be unique). A delete of something standing on a dying resource waits for the
updates that move the dying resource's other dependents away.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from platformctl.engine.executor import execute
from platformctl.engine.model import UNKNOWN, Ref, Resource
from platformctl.engine.ordering import dependencies, operations
from platformctl.resources.base import Context, ResourceKind
from platformctl.resources.ec2_subnet import Subnet
from tests.unit.test_engine import FakeCloud, FakeKind, Gateway, Group, Member, Network, cloud, ctx, plan_for

__all__ = ["cloud", "ctx"]  # fixtures shared with test_engine.py


class Slot(FakeKind):
    """A name AWS gives out once per network, and refuses to give twice while the first holder exists."""

    kind = "fake.slot"
    unique_props: ClassVar = ("network", "name")

    def create(self, ctx: Context, resource: Resource, props: dict) -> dict:
        holders = [
            item
            for item in self.cloud.items.values()
            if item["kind"] == self.kind and (item["props"]["network"], item["props"]["name"]) == (
                props["network"],
                props["name"],
            )
        ]
        if holders:
            raise RuntimeError(f"{props['name']} is taken")
        return super().create(ctx, resource, props)


@pytest.fixture
def kinds(cloud: FakeCloud) -> dict[str, ResourceKind]:
    return {cls.kind: cls(cloud) for cls in (Network, Gateway, Group, Member, Slot)}


def network(logical_id: str) -> Resource:
    props = {"cidr": "10.0.0.0/16", "label": "x", "zones": []}
    return Resource("fake.network", logical_id, "platform", logical_id, props)


def slot(logical_id: str, name: str) -> Resource:
    return Resource("fake.slot", logical_id, "platform", logical_id, {"network": Ref("net", "Id"), "name": name})


def run(desired: list[Resource], kinds: dict, ctx: Context, **options: Any):
    plan = plan_for(desired, kinds, ctx)
    report = execute(plan, kinds, ctx, **options)
    assert report.ok, [(r.op.label(), r.error) for r in report.results if r.status != "done"]
    assert plan_for(desired, kinds, ctx).pending == []
    return plan


def test_a_create_waits_for_the_delete_of_the_live_resource_holding_its_unique_name(kinds, ctx, cloud) -> None:
    run([network("net"), slot("slot.old", "blue"), slot("slot.other", "green")], kinds, ctx)
    cloud.log.clear()
    cloud.delay = 0.05  # the delete takes a while: a create that did not wait would find the name taken

    # The name moves to another logical id: one run, the old holder goes first. A name held by no dying
    # resource (green stays, red is new) makes nothing wait.
    desired = [network("net"), slot("slot.new", "blue"), slot("slot.other", "green"), slot("slot.red", "red")]
    plan = plan_for(desired, kinds, ctx)
    preds = dependencies(operations(plan.pending), plan.live, plan.graph, kinds)
    assert preds[("create", "slot.new")] == {("delete", "slot.old")}
    assert preds[("create", "slot.red")] == set()
    run(desired, kinds, ctx)
    assert cloud.log.index(("delete", "slot.old")) < cloud.log.index(("create", "slot.new"))


def test_a_name_in_a_network_about_to_be_replaced_conflicts_with_nothing_in_the_old_one(kinds, ctx, cloud) -> None:
    run([network("net"), slot("slot.old", "blue")], kinds, ctx)
    replaced = network("net")
    replaced.props["cidr"] = "10.1.0.0/16"
    desired = [replaced, slot("slot.new", "blue")]
    plan = plan_for(desired, kinds, ctx)
    assert {s.id: s.action for s in plan.steps} == {"net": "replace", "slot.new": "create", "slot.old": "delete"}
    preds = dependencies(operations(plan.pending), plan.live, plan.graph, kinds)
    assert preds[("create", "slot.new")] == {("create", "net")}
    run(desired, kinds, ctx)


def test_subnets_conflict_when_their_cidrs_overlap_in_the_same_vpc() -> None:
    subnet = Subnet()
    live = {"vpc": "vpc-1", "cidr": "10.0.0.0/19", "az": "us-east-1a"}
    assert subnet.conflicts({"vpc": "vpc-1", "cidr": "10.0.16.0/20"}, live)  # inside: not equal, still refused
    assert subnet.conflicts({"vpc": "vpc-1", "cidr": "10.0.0.0/16"}, live)
    assert not subnet.conflicts({"vpc": "vpc-1", "cidr": "10.0.32.0/20"}, live)
    assert not subnet.conflicts({"vpc": "vpc-2", "cidr": "10.0.0.0/19"}, live)
    assert not subnet.conflicts({"vpc": UNKNOWN, "cidr": "10.0.0.0/19"}, live)


def zone(letter: str) -> list[Resource]:
    """A zone's network, and a gateway standing on it (its route table, as it were)."""
    return [
        network(f"net.{letter}"),
        Resource("fake.gateway", f"gw.{letter}", "platform", f"gw.{letter}", {"network": Ref(f"net.{letter}", "Id")}),
    ]


def member_in(letter: str) -> Resource:
    return Resource("fake.member", "m1", "services", "m1", {"groups": [], "network": Ref(f"net.{letter}", "Id")})


def test_what_stands_on_a_dying_resource_goes_only_after_its_users_moved_off(kinds, ctx, cloud) -> None:
    # Zone c: a network, a gateway on it, and a group on the gateway; m1 serves from zone c.
    on_gateway = Resource("fake.group", "grp.c", "platform", "grp.c", {"name": "g", "network": Ref("gw.c", "Id")})
    run([*zone("a"), *zone("c"), on_gateway, member_in("c")], kinds, ctx)
    cloud.log.clear()

    # Zone c goes and m1 moves to zone a. One operation at a time, so the log is the order they started in.
    run([*zone("a"), member_in("a")], kinds, ctx, parallelism=1)
    log = cloud.log
    assert log.index(("update", "m1")) < log.index(("delete", "gw.c")), log
    assert log.index(("update", "m1")) < log.index(("delete", "grp.c")), log  # two levels up, too
    assert log.index(("delete", "grp.c")) < log.index(("delete", "gw.c")) < log.index(("delete", "net.c"))
