"""The nouns of the engine: desired resources, live resources, references between them, plans.

A desired Resource's props use the same shape its kind's reader gives live props, so the planner can diff
the two directly. Where a prop points at another resource, it holds a Ref, resolved to the live or newly
created value at plan or execution time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ref:
    """A reference to an attribute of another resource (by logical id), e.g. Ref("vpc", "VpcId")."""

    id: str
    attr: str

    def to_json(self) -> dict[str, str]:
        return {"$ref": self.id, "attr": self.attr}


class _Unknown:
    """A value that exists only after apply (the referenced resource is about to be created or replaced)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __deepcopy__(self, memo: dict) -> _Unknown:
        return self


UNKNOWN = _Unknown()


def walk_refs(value: Any) -> Iterator[Ref]:
    """Every Ref inside a props structure."""
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from walk_refs(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from walk_refs(item)


def resolve(value: Any, outputs: dict[str, dict[str, Any]]) -> Any:
    """Replace Refs with values from `outputs` (logical id → attrs); a missing one becomes UNKNOWN."""
    if isinstance(value, Ref):
        attrs = outputs.get(value.id)
        if attrs is None or value.attr not in attrs:
            return UNKNOWN
        return attrs[value.attr]
    if isinstance(value, dict):
        return {k: resolve(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, outputs) for v in value]
    return value


def resolve_known(value: Any, outputs: dict[str, dict[str, Any]]) -> Any:
    """Like `resolve`, but a Ref whose value is not live yet stays a Ref (shown as `${id.attr}`): for display,
    where naming the resource it will come from says more than "(known after apply)"."""
    if isinstance(value, Ref):
        attrs = outputs.get(value.id)
        return attrs[value.attr] if attrs is not None and value.attr in attrs else value
    if isinstance(value, dict):
        return {k: resolve_known(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_known(v, outputs) for v in value]
    return value


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


@dataclass
class Resource:
    """One desired resource: what the specs say should exist."""

    kind: str
    id: str
    layer: str
    name: str
    props: dict[str, Any]
    depends_on: tuple[str, ...] = ()
    # The user's tags (the platform's `tags`), desired state on every kind that AWS lets us tag.
    tags: dict[str, str] = field(default_factory=dict)

    def dependencies(self) -> set[str]:
        """Logical ids this resource needs to exist first: its Refs plus explicit depends_on."""
        return {ref.id for ref in walk_refs(self.props)} | set(self.depends_on)


@dataclass
class LiveResource:
    """One resource found in AWS carrying our ownership tags (or found through a tagged parent).

    `props` has the desired shape with physical values where desired props hold Refs; `attrs` are the
    values other resources may reference (ids, ARNs).
    """

    kind: str
    id: str
    layer: str
    name: str
    physical_id: str
    props: dict[str, Any]
    attrs: dict[str, Any] = field(default_factory=dict)
    # Facts that matter to the plan but are not props (e.g. messages waiting in a queue).
    facts: dict[str, Any] = field(default_factory=dict)
    # Set when the read took only a fingerprint of the props (`props_fingerprint`, recorded at create time by a
    # kind whose resources never change after creation); `props` is then empty. The planner compares
    # fingerprints and asks the kind to `describe` the resource only when they differ, to show what changed.
    fingerprint: str | None = None
    # The user tags it carries (ownership `platformctl:` and AWS's `aws:` tags left out), read with it; None
    # for a kind whose read cannot tell its own tags (it is found through a parent), never compared.
    tags: dict[str, str] | None = None


def props_fingerprint(props: dict[str, Any]) -> str:
    """A stable digest of props in a kind's canonical form: equal props, equal fingerprints."""
    text = json.dumps(props, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Change:
    """One field-level difference; `old`/`new` are display-ready values."""

    path: str
    old: Any
    new: Any
    # Set when the change is to an item of a keyed list (ResourceKind.keyed_lists), or to the order of its
    # items: the list's path, what its items are called and the item's key ("" for the order). Only for
    # display: a plan summarises "+3 widgets (...)" instead of listing every field of every item.
    item_of: str = ""
    noun: str = ""
    item: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "old": _jsonable(self.old), "new": _jsonable(self.new)}


ACTIONS = ("create", "update", "replace", "delete", "noop")


@dataclass
class Step:
    """What the plan does with one logical resource."""

    action: str
    kind: str
    id: str
    layer: str
    name: str
    changes: list[Change] = field(default_factory=list)
    reason: str = ""
    desired: Resource | None = None
    live: LiveResource | None = None
    # For a replacement: whether the new resource is created before the old one is deleted.
    create_before_delete: bool = False
    # For a delete or replacement: what is lost with the live resource (e.g. messages in a queue), or "".
    data_loss: str = ""
    # For a create or replacement: the props it is made with, so a reviewer sees what is created. References
    # are resolved where the value is live already; the others stay Refs, shown as `${id.attr}`.
    props: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "layer": self.layer,
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "changes": [c.to_json() for c in self.changes],
            "reason": self.reason,
            "data_loss": self.data_loss,
            "props": _jsonable(self.props),
        }


def jsonable(value: Any) -> Any:
    """`value` as JSON shows it: a Ref as `${id.attr}`, an unknown value as "(known after apply)"."""
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    if value is UNKNOWN:
        return "(known after apply)"
    if isinstance(value, Ref):
        return f"${{{value.id}.{value.attr}}}"
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
