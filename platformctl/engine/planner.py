"""Plan: compare the desired graph with live resources and decide, per logical id, what to do.

Resources are matched by logical id (the `platformctl:id` tag, or a parent's id plus a natural key for what
AWS cannot tag). Desired props are resolved against live attrs in dependency order: a reference to a
resource that is about to be created or replaced is unknown until apply, and an unknown value in a field
that cannot change in place forces a replacement there too, exactly as it will happen.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from platformctl.engine.model import (
    Change,
    LiveResource,
    Resource,
    Step,
    contains_unknown,
    props_fingerprint,
    resolve,
    resolve_known,
    walk_refs,
)
from platformctl.engine.neighbours import OtherPlatform
from platformctl.errors import PlatformctlError
from platformctl.naming import LAYERS
from platformctl.resources.base import KeyedList, ResourceKind

# Reads one live resource in full (ResourceKind.describe, bound to a context by the reconciler).
Describe = Callable[[LiveResource], LiveResource]
# Reads the user tags of live resources from their own services, in order (tagging.read_tags, bound likewise).
ConfirmTags = Callable[[list[LiveResource]], list[dict[str, str]]]
# A Change under this path is a user tag: always changed in place, by the kind's tagging calls.
TAGS = "tags"


@dataclass
class Plan:
    """Steps in a stable order (layer, dependency order, deletes last) and the live state they came from."""

    env: str
    steps: list[Step]
    live: list[LiveResource] = field(default_factory=list)
    # The specs' whole graph, also for what this plan deletes: it says what stands on what.
    graph: dict[str, Resource] = field(default_factory=dict)
    # Other platforms with resources in this account and region (a renamed platform's): only mentioned.
    other_platforms: list[OtherPlatform] = field(default_factory=list)

    @property
    def pending(self) -> list[Step]:
        return [s for s in self.steps if s.action != "noop"]

    def summary(self) -> dict[str, int]:
        counts = {action: 0 for action in ("create", "update", "replace", "delete", "noop")}
        for step in self.steps:
            counts[step.action] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "steps": [s.to_json() for s in self.steps],
            "summary": self.summary(),
            "other_platforms": [o.to_json() for o in self.other_platforms],
        }


def make_plan(
    env: str,
    desired: list[Resource],
    live: list[LiveResource],
    kinds: Mapping[str, ResourceKind],
    layers: Iterable[str] = LAYERS,
    describe: Describe | None = None,
    confirm_tags: ConfirmTags | None = None,
    unwanted_reason: str = "no longer in the specs",
) -> Plan:
    """Decide create / update / replace / delete / noop for every resource in `layers`.

    `unwanted_reason` is what a delete of a live resource the desired graph lacks says; destroy, which asked
    for every delete, passes "".

    `describe` reads one live resource in full; it is called only for a resource read as a fingerprint whose
    fingerprint differs from the desired props', so the plan can show field by field what changed.
    `confirm_tags` reads tags the lagging tag index gave, for the resources whose tags it says differ.
    """
    selected = set(layers)
    desired_by_id = {r.id: r for r in desired}
    live_by_id, duplicates = _index_live(live)
    if confirm_tags is not None:
        _confirm_index_tags(live_by_id, desired_by_id, kinds, confirm_tags)

    outputs: dict[str, dict[str, Any]] = {lr.id: lr.attrs for lr in live_by_id.values()}
    steps: dict[str, Step] = {}
    deleted_first: set[str] = set()  # replaced by deleting the old one before creating the new
    order = _dependency_order(desired_by_id)
    for logical_id in order:
        resource = desired_by_id[logical_id]
        current = live_by_id.get(logical_id)
        if current is not None and current.kind != resource.kind:
            current = None  # same id, different kind: the old one is deleted below, this one created
        kind = kinds[resource.kind]
        if current is not None and not _fingerprint_matches(current, resource, kind, outputs):
            current = _describe(describe, current)
        step = _compare(resource, current, kind, outputs, deleted_first)
        if step.action in ("create", "replace"):
            outputs.pop(logical_id, None)  # dependents see "(known after apply)"
        if step.action == "replace":
            # Old and new can coexist only if the kind allows it and nothing it stands on goes first.
            step.create_before_delete = kind.create_before_delete and not (resource.dependencies() & deleted_first)
            if not step.create_before_delete:
                deleted_first.add(logical_id)
        steps[logical_id] = step

    ordered = [steps[i] for i in order]
    for current in sorted(live_by_id.values(), key=lambda r: r.id):
        wanted = desired_by_id.get(current.id)
        if wanted is None and (refused := _undeletable(current, kinds)):
            ordered.append(_left_alone_step(current, refused))
        elif wanted is None or wanted.kind != current.kind:
            reason = unwanted_reason if wanted is None else f"kind changed to {wanted.kind}"
            ordered.append(_delete_step(current, reason, key=current.id if wanted is None else None))
    for dup in duplicates:
        ordered.append(_delete_step(dup, f"duplicate of {dup.id} (left by an interrupted run)"))

    kept = [s for s in ordered if s.layer in selected]
    _check_layer_dependencies(kept, ordered, desired_by_id, selected)
    mark_data_loss(kept, kinds)
    layer_rank = {name: i for i, name in enumerate(LAYERS)}
    kept.sort(key=lambda s: (layer_rank.get(s.layer, len(LAYERS)), s.action == "delete"))
    return Plan(env=env, steps=kept, live=live, graph=desired_by_id)


def _confirm_index_tags(
    live_by_id: dict[str, LiveResource],
    desired_by_id: dict[str, Resource],
    kinds: Mapping[str, ResourceKind],
    confirm_tags: ConfirmTags,
) -> None:
    """Where tags read from the tag index differ from the desired ones, ask the resource's own service.

    The index lags behind tag changes on AWS (a retag made a moment ago may not show yet), so it never
    decides on its own that a tag drifted. Costs nothing in sync: only differing resources are asked.
    """
    doubtful: list[LiveResource] = []
    for logical_id, current in live_by_id.items():
        wanted = desired_by_id.get(logical_id)
        kind = kinds.get(current.kind)
        if wanted is None or wanted.kind != current.kind or kind is None or current.tags is None:
            continue
        if kind.tags_from_index and current.tags != kind.desired_tags(wanted):
            doubtful.append(current)
    for current, tags in zip(doubtful, confirm_tags(doubtful) if doubtful else [], strict=True):
        live_by_id[current.id] = dataclasses.replace(current, tags=tags)


def diff_tags(live_tags: dict[str, str] | None, wanted: dict[str, str]) -> list[Change]:
    """User tags to set, change or remove, as Changes under `tags.<key>` (updatable on every taggable kind).

    Like Terraform: a tag added by hand to a resource we own is drift, and apply removes it.
    """
    current = live_tags or {}
    return [
        Change(path=f"{TAGS}.{key}", old=current.get(key), new=wanted.get(key))
        for key in sorted(set(current) | set(wanted))
        if current.get(key) != wanted.get(key)
    ]


def _fingerprint_matches(current: LiveResource, resource: Resource, kind: ResourceKind, outputs: Any) -> bool:
    """True unless `current` was read as a fingerprint that differs from the desired props' fingerprint."""
    if current.fingerprint is None:
        return True
    return props_fingerprint(kind.canonical(resolve(resource.props, outputs))) == current.fingerprint


def _describe(describe: Describe | None, summary: LiveResource) -> LiveResource:
    if describe is None:
        raise PlatformctlError(f"{summary.id}: read as a fingerprint, but the plan cannot describe it (engine bug)")
    full = describe(summary)
    if full.fingerprint is not None:
        raise PlatformctlError(f"{summary.id}: describing it gave a fingerprint again, not its props (engine bug)")
    return full


def mark_data_loss(steps: Iterable[Step], kinds: Mapping[str, ResourceKind]) -> None:
    """Set `data_loss` on each delete and replacement from its kind: what goes away with the live resource."""
    for step in steps:
        kind = kinds.get(step.kind)
        if step.action in ("delete", "replace") and step.live is not None and kind is not None:
            step.data_loss = kind.data_loss(step.live) or ""
        else:
            step.data_loss = ""


def _index_live(live: list[LiveResource]) -> tuple[dict[str, LiveResource], list[LiveResource]]:
    """One live resource per logical id; extra copies (a crash between create and record) are duplicates.

    Which copy is kept is decided by physical id, so the same cloud always gives the same plan.
    """
    by_id: dict[str, LiveResource] = {}
    duplicates: list[LiveResource] = []
    for item in sorted(live, key=lambda r: (r.id, r.physical_id)):
        if item.id in by_id:
            duplicates.append(item)
        else:
            by_id[item.id] = item
    return by_id, duplicates


def _dependency_order(desired_by_id: dict[str, Resource]) -> list[str]:
    """Logical ids, dependencies first; ties broken by id so the order is deterministic."""
    graph = {rid: {d for d in r.dependencies() if d in desired_by_id} for rid, r in desired_by_id.items()}
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as exc:
        raise PlatformctlError(f"the desired resources form a dependency cycle: {exc.args[1]}") from None
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order


def _compare(
    resource: Resource,
    current: LiveResource | None,
    kind: ResourceKind,
    outputs: dict[str, dict[str, Any]],
    deleted_first: set[str],
) -> Step:
    base: dict[str, Any] = dict(
        kind=resource.kind, id=resource.id, layer=resource.layer, name=resource.name, desired=resource
    )
    if current is None:
        return Step(action="create", props=resolve_known(resource.props, outputs), **base)
    wanted = resolve(resource.props, outputs)
    # A fingerprint still standing here matched the desired props' (make_plan describes the others).
    changes = [] if current.fingerprint is not None else diff_props(current.props, wanted, kind)
    if kind.tagging is not None and current.tags is not None:
        changes += diff_tags(current.tags, kind.desired_tags(resource))
    if not changes:
        return Step(action="noop", live=current, **base)
    forcing = sorted({_top_field(c.path) for c in changes} - kind.updatable - {TAGS})
    if forcing:
        reason = ", ".join(forcing) + (" forces" if len(forcing) == 1 else " force") + " replacement"
        props = resolve_known(resource.props, outputs)
        return Step(action="replace", changes=changes, reason=reason, live=current, props=props, **base)
    # An in-place update cannot let go of a resource that must be deleted before its successor exists.
    for top in sorted({_top_field(c.path) for c in changes}):
        held = sorted({ref.id for ref in walk_refs(resource.props.get(top))} & deleted_first)
        if held:
            reason = f"{top} refers to {held[0]}, which is replaced first"
            props = resolve_known(resource.props, outputs)
            return Step(action="replace", changes=changes, reason=reason, live=current, props=props, **base)
    return Step(action="update", changes=changes, live=current, **base)


def diff_props(live_props: dict[str, Any], wanted: dict[str, Any], kind: ResourceKind) -> list[Change]:
    """Field-level differences, after putting both sides in the kind's canonical form."""
    old = _canonical(kind.canonical(live_props), kind, wanted)
    new = _canonical(kind.canonical(wanted), kind, wanted)
    if old == new:
        return []  # the common case, and a cheap one: DeepDiff only runs to name what differs
    return sorted(_diff(old, new, "", "", kind.keyed_lists, None), key=lambda c: c.path)


# The outermost keyed item a change lies in: (the list's path, what its items are called, the item's key).
_Within = tuple[str, str, str] | None


def _diff(old: Any, new: Any, path: str, pattern: str, keyed: dict[str, KeyedList], within: _Within) -> list[Change]:
    """The differences under `path`: keyed lists (`pattern` matches ResourceKind.keyed_lists) item by item by
    key, everything else by DeepDiff, position by position."""
    if old == new:
        return []
    spec = keyed.get(pattern)
    if spec is not None and isinstance(old, list) and isinstance(new, list):
        old_items, new_items = _items_by_key(old, spec), _items_by_key(new, spec)
        if old_items is not None and new_items is not None:
            return _diff_keyed(old_items, new_items, path, pattern, keyed, spec, within)
    below = [p for p in keyed if p.startswith((f"{pattern}.", f"{pattern}["))] if pattern else list(keyed)
    if isinstance(old, dict) and isinstance(new, dict) and below:
        changes: list[Change] = []
        for key in sorted(set(old) | set(new), key=str):
            sub_path = f"{path}.{key}" if path else str(key)
            sub_pattern = f"{pattern}.{key}" if pattern else str(key)
            if key not in old or key not in new:
                changes.append(_change(sub_path, old.get(key), new.get(key), within))
            else:
                changes += _diff(old[key], new[key], sub_path, sub_pattern, keyed, within)
        return changes
    return _deep_diff(old, new, path, within)


def _diff_keyed(
    old: dict[str, Any],
    new: dict[str, Any],
    path: str,
    pattern: str,
    keyed: dict[str, KeyedList],
    spec: KeyedList,
    within: _Within,
) -> list[Change]:
    """Items added, removed or changed by key, and their order when the items both sides have moved."""
    changes: list[Change] = []
    for key in sorted(set(old) | set(new)):
        item_path = f"{path}[{key}]"
        item_within = within or (path, spec.noun, key)
        if key not in old or key not in new:
            changes.append(_change(item_path, old.get(key), new.get(key), item_within))
        else:
            changes += _diff(old[key], new[key], item_path, f"{pattern}[]", keyed, item_within)
    kept_old, kept_new = [k for k in old if k in new], [k for k in new if k in old]
    if kept_old != kept_new:  # a change at the list's own path: its items' keys in the old and new order
        changes.append(_change(path, kept_old, kept_new, within or (path, spec.noun, "")))
    return changes


def _items_by_key(items: list[Any], spec: KeyedList) -> dict[str, Any] | None:
    """The items by key in their order, or None when two share a key (then compared by position)."""
    by_key = {spec.key(item): item for item in items}
    return by_key if len(by_key) == len(items) else None


def _deep_diff(old: Any, new: Any, path: str, within: _Within) -> list[Change]:
    from deepdiff import DeepDiff  # imported on first difference; it is slow to import and to run

    tree = DeepDiff(old, new, view="tree", verbose_level=2)
    changes: list[Change] = []
    for group in tree.values():
        for level in group:
            sub = _format_path(level.path(output_format="list"))
            full = path + sub if not sub or not path or sub.startswith("[") else f"{path}.{sub}"
            changes.append(_change(full, _present(level.t1), _present(level.t2), within))
    return changes


def _change(path: str, old: Any, new: Any, within: _Within) -> Change:
    if within is None:
        return Change(path=path, old=old, new=new)
    item_of, noun, item = within
    return Change(path=path, old=old, new=new, item_of=item_of, noun=noun, item=item)


def _canonical(props: dict[str, Any], kind: ResourceKind, wanted: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in props.items():
        if key in kind.unreadable and not contains_unknown(wanted.get(key)):
            continue  # AWS cannot tell us; it changes only through a replaced reference
        if key in kind.unordered and isinstance(value, list):
            value = sorted(value, key=_sort_key)
        out[key] = value
    return out


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _present(value: Any) -> Any:
    return None if type(value).__name__ == "NotPresent" else value


def _format_path(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _top_field(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def _undeletable(current: LiveResource, kinds: Mapping[str, ResourceKind]) -> str | None:
    kind = kinds.get(current.kind)
    return kind.undeletable(current) if kind is not None else None


def _left_alone_step(current: LiveResource, reason: str) -> Step:
    """A live resource the specs no longer want but AWS will not delete yet: unchanged, saying why."""
    return Step(
        action="noop",
        kind=current.kind,
        id=f"{current.id}#{current.physical_id}",
        layer=current.layer if current.layer in LAYERS else "platform",
        name=current.name,
        reason=reason,
        live=current,
    )


def _delete_step(current: LiveResource, reason: str, key: str | None = None) -> Step:
    return Step(
        action="delete",
        kind=current.kind,
        id=key or f"{current.id}#{current.physical_id}",
        layer=current.layer if current.layer in LAYERS else "platform",
        name=current.name,
        reason=reason,
        live=current,
    )


def _check_layer_dependencies(
    kept: list[Step], everything: list[Step], desired_by_id: dict[str, Resource], selected: set[str]
) -> None:
    """With --layer, refuse a plan whose steps need work in a layer that was left out."""
    if selected >= set(LAYERS):
        return
    pending_elsewhere = {s.id: s for s in everything if s.layer not in selected and s.action != "noop"}
    for step in kept:
        if step.desired is None or step.action == "noop":
            continue
        for dep in sorted(step.desired.dependencies()):
            blocker = pending_elsewhere.get(dep)
            if blocker and blocker.action in ("create", "replace"):
                raise PlatformctlError(
                    f"layer '{step.layer}' needs {blocker.id} from layer '{blocker.layer}', which is not "
                    f"applied yet (would {blocker.action}): run `apply --layer {blocker.layer}` first, "
                    "or apply without --layer"
                )
