"""How plans and reports look: text for people (rich), JSON for pipelines (status: platformctl.status).

Symbols follow the contract: `+` create, `~` update, `-/+` replace, `-` delete.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from platformctl.engine.executor import Report
from platformctl.engine.model import UNKNOWN, Change, Step
from platformctl.engine.planner import Plan
from platformctl.naming import LAYERS
from platformctl.props_view import props_lines

SYMBOL = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
COLOUR = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}
VERB = {"create": "to create", "update": "to update", "replace": "to replace", "delete": "to delete"}


def summary_line(plan: Plan) -> str:
    counts = plan.summary()
    if not plan.pending:
        return f"No changes: {plan.env} is in sync with the specs ({counts['noop']} resources)."
    parts = [f"{counts[a]} {VERB[a]}" for a in ("create", "update", "replace", "delete") if counts[a]]
    line = f"Plan for {plan.env}: " + ", ".join(parts) + f", {counts['noop']} unchanged."
    losing = sum(1 for s in plan.pending if s.data_loss)
    if losing:
        line += f" ⚠ {losing} {'step loses' if losing == 1 else 'steps lose'} data."
    return line


def print_plan(console: Console, plan: Plan, *, title: str | None = None) -> None:
    if title:
        console.print(f"[bold]{escape(title)}[/bold]")
    by_layer: dict[str, list[Step]] = {}
    for step in plan.pending:
        by_layer.setdefault(step.layer, []).append(step)
    for layer in [*LAYERS, *sorted(set(by_layer) - set(LAYERS))]:
        steps = by_layer.get(layer)
        if not steps:
            continue
        console.print(f"\n[bold]{layer}[/bold]")
        for step in steps:
            colour = COLOUR[step.action]
            line = f"  [{colour}]{SYMBOL[step.action]:>3} {escape(step.kind)} {escape(step.id)}[/{colour}]"
            if step.name and step.name != step.id:
                line += f"  [dim]{escape(step.name)}[/dim]"
            if step.reason:
                line += f"  [dim]({escape(step.reason)})[/dim]"
            if step.data_loss:
                line += f"  [bold red]⚠ data loss: {escape(step.data_loss)}[/bold red]"
            console.print(line, highlight=False)
            for text in change_lines(step.changes):
                console.print(f"        {escape(text)}", highlight=False)
            if step.props is not None and step.action in ("create", "replace"):
                if step.action == "replace":
                    console.print("        [dim]the new one:[/dim]", highlight=False)
                for text in props_lines(step.props):
                    console.print(f"        [dim]{escape(text)}[/dim]", highlight=False)
    console.print()
    console.print(summary_line(plan), highlight=False)
    for other in plan.other_platforms:
        console.print(f"[yellow]{escape(other.note())}[/yellow]", highlight=False)


def change_lines(changes: list[Change]) -> list[str]:
    """`path: old → new` per change; the items of a keyed list summarised on one line per list first
    (`body.widgets: +3 widgets (search: …)`), then what changed inside the items that changed."""
    lines: list[str] = []
    keyed: dict[str, list[Change]] = {}
    for change in changes:
        if change.item_of:
            keyed.setdefault(change.item_of, []).append(change)
    for item_of, group in keyed.items():
        lines.append(f"{item_of}: {_items_summary(item_of, group)}")
    for change in changes:
        whole_item = change.path == f"{change.item_of}[{change.item}]" or not change.item
        if not (change.item_of and whole_item):
            lines.append(f"{change.path}: {_show(change.old)} → {_show(change.new)}")
    return lines


def _items_summary(item_of: str, group: list[Change]) -> str:
    """`+2 widgets (a, b), ~1 widget (c), -1 widget (d), widgets reordered`."""
    noun = group[0].noun
    added = [c.item for c in group if c.path == f"{item_of}[{c.item}]" and c.old is None]
    removed = [c.item for c in group if c.path == f"{item_of}[{c.item}]" and c.new is None]
    changed = list(dict.fromkeys(c.item for c in group if c.item and c.item not in added + removed))
    parts = [
        f"{sign}{len(items)} {noun}{'s' if len(items) != 1 else ''} ({_names(items)})"
        for sign, items in (("+", added), ("~", changed), ("-", removed))
        if items
    ]
    if any(not c.item for c in group):
        parts.append(f"{noun}s reordered")
    return ", ".join(parts)


def _names(items: list[str], shown: int = 4) -> str:
    more = len(items) - shown
    return ", ".join(items[:shown]) + (f", … and {more} more" if more > 0 else "")


def plan_json(plan: Plan, calls: int | None = None) -> str:
    document: dict[str, Any] = plan.to_json()
    if calls is not None:
        document["api_calls"] = calls
    return json.dumps(document, indent=2, sort_keys=False, default=str)


def print_report(console: Console, report: Report, command: str = "apply") -> None:
    done, failed, skipped = (report.by_status(s) for s in ("done", "failed", "skipped"))
    for result in failed:
        step = result.op.step
        console.print(
            f"[red]✗ {result.op.verb} {escape(step.kind)} {escape(step.id)}: "
            f"{escape(result.error_code or '')}: {escape(result.error or '')}[/red]",
            highlight=False,
        )
    for result in skipped:
        step = result.op.step
        console.print(
            f"[yellow]… skipped {result.op.verb} {escape(step.id)}: {escape(result.error or '')}[/yellow]",
            highlight=False,
        )
    state = "interrupted" if report.interrupted else ("complete" if report.ok else "failed")
    console.print(
        f"{command.capitalize()} {state}: {len(done)} done, {len(failed)} failed, {len(skipped)} skipped.",
        highlight=False,
    )


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if value is UNKNOWN:
        return "(known after apply)"
    if isinstance(value, str):
        return json.dumps(value)
    text = json.dumps(Change("", value, None).to_json()["old"], sort_keys=True, default=repr)
    return text if len(text) <= 160 else text[:157] + "..."
