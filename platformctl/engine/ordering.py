"""Turn plan steps into operations and the "must finish before" edges between them.

Creates and updates follow the desired graph (a resource after what it references). Deletes follow the live
graph in reverse (a resource after everything that still references it has been deleted or moved off it).
A replacement is a create plus a delete of the old resource, ordered by the kind: create first where old and
new can coexist, delete first where a unique name forbids it. A create that AWS would refuse while some live
resource the plan deletes still exists (the kind says which: same name, overlapping CIDR) waits for that
delete. And what stands on a dying resource goes only once everything that still served through it has
moved off: a removed zone's route table outlives the services' move out of that zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from platformctl.engine.model import LiveResource, Resource, Step, resolve
from platformctl.resources.base import ResourceKind


@dataclass(frozen=True)
class Operation:
    verb: str  # create | update | delete
    step: Step

    @property
    def key(self) -> tuple[str, str]:
        return (self.verb, self.step.id)

    def label(self) -> str:
        return f"{self.verb} {self.step.kind} {self.step.id}"


_VERBS = {
    "create": ("create",),
    "update": ("update",),
    "delete": ("delete",),
    "replace": ("create", "delete"),
}


def operations(steps: list[Step]) -> dict[tuple[str, str], Operation]:
    ops: dict[tuple[str, str], Operation] = {}
    for step in steps:
        for verb in _VERBS.get(step.action, ()):
            op = Operation(verb, step)
            ops[op.key] = op
    return ops


def dependencies(
    ops: dict[tuple[str, str], Operation],
    live: list[LiveResource],
    desired: Mapping[str, Resource] | None = None,
    kinds: Mapping[str, ResourceKind] | None = None,
) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """For each operation, the operations that must finish first (graphlib's predecessor mapping).

    `kinds` tells which creates conflict with live resources the plan deletes; without it none do.
    """
    preds: dict[tuple[str, str], set[tuple[str, str]]] = {key: set() for key in ops}
    # By kind and physical id, not identity: a step may hold a fuller copy (described) of what was read.
    step_of_live = {_key(op.step.live): op.step.id for op in ops.values() if op.step.live is not None}

    for key, op in ops.items():
        step = op.step
        if op.verb in ("create", "update") and step.desired is not None:
            for dep in step.desired.dependencies():
                preds[key] |= {k for k in (("create", dep), ("update", dep)) if k in ops}
        if step.action == "replace":
            if step.create_before_delete:
                if op.verb == "delete":
                    preds[key].add(("create", step.id))
            elif op.verb == "create":
                preds[key].add(("delete", step.id))

    for create, delete in _conflicting_deletes(ops, live, kinds or {}):
        preds[create].add(delete)

    # Deletes wait for everything that, in the live graph, still points at what they delete.
    dying_on_dying: list[tuple[tuple[str, str], tuple[str, str]]] = []
    for dependent, target in live_edges(live, desired):
        target_step = step_of_live.get(_key(target))
        dependent_step = step_of_live.get(_key(dependent))
        if target_step is None or dependent_step is None or ("delete", target_step) not in ops:
            continue
        for verb in ("delete", "update"):
            if (verb, dependent_step) in ops:
                preds[("delete", target_step)].add((verb, dependent_step))
        if ("delete", dependent_step) in ops:
            dying_on_dying.append((("delete", dependent_step), ("delete", target_step)))
    _outlive_the_moves(preds, dying_on_dying)
    return preds


def _conflicting_deletes(
    ops: dict[tuple[str, str], Operation], live: list[LiveResource], kinds: Mapping[str, ResourceKind]
) -> Iterator[tuple[tuple[str, str], tuple[str, str]]]:
    """(create, delete) pairs where AWS would refuse the create while the deleted resource still exists.

    The create's props are resolved against live attrs, except those of resources the plan creates anew:
    a subnet in a VPC about to be replaced conflicts with nothing in the old VPC.
    """
    dying: dict[str, list[tuple[Operation, LiveResource]]] = {}
    for op in ops.values():
        if op.verb == "delete" and op.step.live is not None:
            dying.setdefault(op.step.live.kind, []).append((op, op.step.live))
    outputs = {item.id: item.attrs for item in live if ("create", item.id) not in ops}
    for op in ops.values():
        kind = kinds.get(op.step.kind)
        if op.verb != "create" or op.step.desired is None or kind is None or op.step.kind not in dying:
            continue
        wanted = resolve(op.step.desired.props, outputs)
        for delete, old in dying[op.step.kind]:
            # A replacement's own two halves are already ordered by the kind (create_before_delete).
            if delete.step.id != op.step.id and kind.conflicts(wanted, old.props):
                yield op.key, delete.key


def _outlive_the_moves(
    preds: dict[tuple[str, str], set[tuple[str, str]]],
    dying_on_dying: list[tuple[tuple[str, str], tuple[str, str]]],
) -> None:
    """A delete of R, which stands on a T the plan deletes too, also waits for the updates T's delete waits for.

    Those updates move what still serves through T elsewhere (services and load balancers leaving a removed
    zone's subnet); until they are done, R (that zone's route table, its NAT gateway) still carries their
    traffic. Repeated until nothing changes, so it also holds along longer chains.
    """
    changed = True
    while changed:
        changed = False
        for dependent, target in dying_on_dying:
            moves = {key for key in preds[target] if key[0] == "update"} - preds[dependent]
            if moves:
                preds[dependent] |= moves
                changed = True


def _key(live: LiveResource) -> tuple[str, str]:
    return (live.kind, live.physical_id)


# Values that identify one resource and nothing else: ARNs, URLs, EC2-style ids. Names are left out on
# purpose: "order" is a service's name and also a container's, and must not make them depend on each other.
_IDENTIFIER = re.compile(r"^(arn:|https?://|[a-z]+-[0-9a-f]{8,}$)")


def live_edges(
    live: list[LiveResource], desired: Mapping[str, Resource] | None = None
) -> Iterator[tuple[LiveResource, LiveResource]]:
    """(dependent, target) pairs among live resources.

    A resource still in the specs depends on what its desired Refs name; any live resource also depends
    on whatever its live props identify (an ARN or id of another live resource), which catches what it
    still points at while an update moves it elsewhere, and what resources that left the specs stand on.
    """
    desired = desired or {}
    by_id = {item.id: item for item in live}
    owner: dict[str, LiveResource] = {}
    for item in live:
        for value in (item.physical_id, *item.attrs.values()):
            if isinstance(value, str) and _IDENTIFIER.match(value):
                owner.setdefault(value, item)
    for item in live:
        targets: dict[int, LiveResource] = {}
        wanted = desired.get(item.id)
        if wanted is not None and wanted.kind == item.kind:
            for dep in wanted.dependencies():
                if dep in by_id:
                    targets[id(by_id[dep])] = by_id[dep]
        for value in _strings(item.props):
            target = owner.get(value)
            if target is not None:
                targets[id(target)] = target
        for target in targets.values():
            if target is not item:
                yield item, target


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
