"""Saved plans (`diff --out PLAN`, `apply PLAN`): apply exactly what was reviewed, or nothing.

The file holds the steps with their desired resources and the live resources they were computed from, plus
a fingerprint of that live state. `apply PLAN` re-reads live AWS and refuses when the fingerprint differs:
a plan reviewed against one cloud is never applied to another.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from platformctl.engine.model import UNKNOWN, Change, LiveResource, Ref, Resource, Step
from platformctl.engine.planner import Plan
from platformctl.errors import PlatformctlError

FORMAT = "platformctl-plan/1"


def live_fingerprint(live: list[LiveResource]) -> str:
    """A hash of live ids and props; volatile facts (such as queue depth) are left out."""
    rows = sorted(
        (r.kind, r.id, r.physical_id, r.fingerprint or "", json.dumps(r.props, sort_keys=True, default=str))
        for r in live
    )
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def save(plan: Plan, path: Path, *, platform: str, layers: list[str], destroy: bool = False) -> None:
    document = {
        "format": FORMAT,
        "platform": platform,
        "env": plan.env,
        "layers": layers,
        "destroy": destroy,
        "live_fingerprint": live_fingerprint(plan.live),
        "live": [_live_json(r) for r in plan.live],
        "steps": [_step_json(s) for s in plan.steps],
        "graph": [_resource_json(r) for r in plan.graph.values()],
    }
    path.write_text(json.dumps(_encode(document), indent=1, sort_keys=True) + "\n")


def load(path: Path) -> dict[str, Any]:
    """The saved document with Steps and LiveResources rebuilt; raises a clear error for a bad file."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PlatformctlError(f"{path}: not a readable plan file ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise PlatformctlError(f"{path}: not a platformctl plan file (expected format {FORMAT})")
    document = _decode(document)
    live = [LiveResource(**r) for r in document["live"]]
    by_key = {(r.kind, r.id, r.physical_id): r for r in live}
    steps = []
    for raw in document["steps"]:
        desired = _resource(raw["desired"]) if raw["desired"] else None
        current = by_key.get(tuple(raw["live"])) if raw["live"] else None
        changes = [Change(**c) for c in raw["changes"]]
        steps.append(Step(**{**raw, "desired": desired, "live": current, "changes": changes}))
    graph = {r.id: r for r in map(_resource, document.get("graph", []))}
    document["plan"] = Plan(env=document["env"], steps=steps, live=live, graph=graph)
    return document


def _live_json(r: LiveResource) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "id": r.id,
        "layer": r.layer,
        "name": r.name,
        "physical_id": r.physical_id,
        "props": r.props,
        "attrs": r.attrs,
        "facts": r.facts,
        "fingerprint": r.fingerprint,
    }


def _resource_json(d: Resource) -> dict[str, Any]:
    return {
        "kind": d.kind,
        "id": d.id,
        "layer": d.layer,
        "name": d.name,
        "props": d.props,
        "depends_on": list(d.depends_on),
    }


def _resource(raw: dict[str, Any]) -> Resource:
    return Resource(**{**raw, "depends_on": tuple(raw["depends_on"])})


def _step_json(s: Step) -> dict[str, Any]:
    desired = _resource_json(s.desired) if s.desired is not None else None
    return {
        "action": s.action,
        "kind": s.kind,
        "id": s.id,
        "layer": s.layer,
        "name": s.name,
        "reason": s.reason,
        "create_before_delete": s.create_before_delete,
        "data_loss": s.data_loss,
        "changes": [{"path": c.path, "old": c.old, "new": c.new} for c in s.changes],
        "desired": desired,
        "live": [s.live.kind, s.live.id, s.live.physical_id] if s.live else None,
    }


def _encode(value: Any) -> Any:
    if isinstance(value, Ref):
        return {"$ref": value.id, "attr": value.attr}
    if value is UNKNOWN:
        return {"$unknown": True}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$ref", "attr"}:
            return Ref(value["$ref"], value["attr"])
        if value == {"$unknown": True}:
            return UNKNOWN
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
