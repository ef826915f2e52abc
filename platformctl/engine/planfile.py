"""Saved plans (`diff --out PLAN`, `apply PLAN`): apply what was reviewed, or nothing.

A saved plan is untrusted input: anyone may have edited the file between `diff` and `apply`. So it is never
executed. `apply PLAN` validates it (`SavedPlan`: strict types, no unknown key), recomputes the plan from the
specs and live AWS for the same platform, environment and layers, and compares the two step by step
(`check_matches`). When they match it executes the *recomputed* plan; when they differ it refuses and
changes nothing. Editing the file can therefore change nothing, and what the kinds do not read as ours (our
tags, this platform and environment) can never be acted on, whatever the file says.

The file is JSON, version 2:

    {"format": "platformctl-plan", "version": 2, "platform": "microservices", "env": "dev",
     "layers": ["platform", "messaging", "services", "api"],
     "steps": [{"action": "update", "layer": ..., "kind": ..., "id": ..., "name": ...,
                "changes": [{"path": ..., "old": ..., "new": ...}], "reason": ..., "data_loss": ...}]}

`steps` are those `diff -o json` prints. Steps that change something are compared by action, kind, id, layer,
name, changes, reason and props; `data_loss` (messages in a queue at `diff` time) is a fact, not a decision, and is
judged again from what is live at `apply`. A file of another format version is refused by name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError
from pydantic_core import ErrorDetails

from platformctl.engine.model import Step
from platformctl.engine.planner import Plan
from platformctl.errors import PlatformctlError

FORMAT = "platformctl-plan"
VERSION = 2
# What a step is compared by; `data_loss` is left out (see the module docstring).
# `props` (what a create or replacement makes) too: a create whose props changed since is not what was reviewed.
COMPARED = ("action", "kind", "id", "layer", "name", "changes", "reason", "props")
Layer = Literal["platform", "messaging", "services", "api"]  # naming.LAYERS


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class SavedChange(_Strict):
    path: str
    old: JsonValue
    new: JsonValue


class SavedStep(_Strict):
    action: Literal["create", "update", "replace", "delete", "noop"]
    layer: Layer
    kind: str
    id: str
    name: str
    changes: list[SavedChange]
    reason: str
    data_loss: str
    props: dict[str, JsonValue] | None = None  # a create's or replacement's props, else null


class SavedPlan(_Strict):
    format: Literal["platformctl-plan"]
    version: Literal[2]
    platform: str
    env: str
    layers: list[Layer] = Field(min_length=1)
    steps: list[SavedStep]


def save(plan: Plan, path: Path, *, platform: str, layers: list[str]) -> None:
    document = {
        "format": FORMAT,
        "version": VERSION,
        "platform": platform,
        "env": plan.env,
        "layers": list(layers),
        "steps": [_step_json(step) for step in plan.steps],
    }
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


def load(path: Path) -> SavedPlan:
    """The validated saved plan; anything else is one clear error naming the file and the field."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PlatformctlError(f"{path}: not a readable plan file ({exc})") from None
    if not isinstance(document, dict) or not str(document.get("format", "")).startswith(FORMAT):
        raise PlatformctlError(f"{path}: not a platformctl plan file (expected format {FORMAT!r})")
    found = _version(document)
    if found is not None and found != VERSION:  # a missing version is reported with the other problems
        raise PlatformctlError(
            f"{path}: plan format version {found!r}, but this platformctl reads {VERSION}: "
            "make the plan again with `platformctl diff --out`"
        )
    try:
        return SavedPlan.model_validate(document)
    except ValidationError as exc:
        problems = exc.errors()
        lines = [f"  {_location(p['loc'])}: {p['msg']}{_got(p)}" for p in problems[:5]]
        if len(problems) > 5:
            lines.append(f"  … and {len(problems) - 5} more")
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise PlatformctlError(f"{path}: not a valid plan file: {count}\n" + "\n".join(lines)) from None


def check_matches(saved: SavedPlan, now: Plan, path: Path) -> None:
    """Refuse unless the plan recomputed now makes exactly the changes the saved one shows."""
    before = {(s.kind, s.id): s.model_dump(mode="json") for s in saved.steps if s.action != "noop"}
    after = {(s.kind, s.id): _step_json(s) for s in now.pending}
    differing = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if old is None or new is None or _canonical(old) != _canonical(new):
            differing.append(_describe(old, new))
    if not differing:
        return
    lines = [f"  {line}" for line in differing[:3]]
    if len(differing) > 3:
        lines.append(f"  … and {len(differing) - 3} more")
    raise PlatformctlError(
        f"the plan no longer matches {path}: the specs or live AWS changed since it was made, or the file was "
        f"edited. Nothing was applied; run diff again for a fresh plan.\n"
        f"{len(differing)} step{'s differ' if len(differing) != 1 else ' differs'}:\n" + "\n".join(lines)
    )


def _version(document: dict[str, Any]) -> Any:
    """The format version; version 1 files wrote it into `format` ("platformctl-plan/1")."""
    suffix = str(document["format"]).removeprefix(FORMAT).removeprefix("/")
    if "version" in document or not suffix:
        return document.get("version")
    return int(suffix) if suffix.isdigit() else suffix


def _location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _got(problem: ErrorDetails) -> str:
    if problem["type"] == "missing":
        return ""
    shown = json.dumps(problem.get("input"), default=str)
    return f" (got {shown})" if len(shown) <= 60 else ""


def _canonical(step: dict[str, Any]) -> str:
    return json.dumps({k: step[k] for k in COMPARED}, sort_keys=True, separators=(",", ":"))


def _describe(old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    if new is None:
        assert old is not None
        return f"{old['action']} {old['kind']} {old['id']}: in the saved plan, not in the plan now"
    if old is None:
        return f"{new['action']} {new['kind']} {new['id']}: in the plan now, not in the saved plan"
    fields = [k for k in COMPARED if old[k] != new[k]]
    text = f"{new['action']} {new['kind']} {new['id']}: {', '.join(fields)} differ"
    if "changes" in fields:
        text += f" (saved: {_changes_text(old)}; now: {_changes_text(new)})"
    if "action" in fields:
        text += f" (saved: {old['action']})"
    return text


def _step_json(step: Step) -> dict[str, Any]:
    """A step as `diff -o json` shows it, in plain JSON (tuples as lists, keys as text)."""
    return json.loads(json.dumps(step.to_json(), default=str))


def _changes_text(step: dict[str, Any]) -> str:
    shown = [f"{c['path']}: {json.dumps(c['old'])} → {json.dumps(c['new'])}" for c in step["changes"][:2]]
    more = len(step["changes"]) - len(shown)
    return "; ".join(shown) + (f"; … {more} more" if more > 0 else "") if shown else "none"
