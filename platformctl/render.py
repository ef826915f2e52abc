"""How plans, reports and status look: text for people (rich), JSON for pipelines.

Symbols follow the contract: `+` create, `~` update, `-/+` replace, `-` delete.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from platformctl.engine.executor import Report
from platformctl.engine.model import UNKNOWN, Change, LiveResource, Step
from platformctl.engine.planner import Plan
from platformctl.naming import LAYERS

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
            for change in step.changes:
                old, new = escape(_show(change.old)), escape(_show(change.new))
                console.print(f"        {escape(change.path)}: {old} → {new}", highlight=False)
    console.print()
    console.print(summary_line(plan), highlight=False)


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


def status_table(live: list[LiveResource]) -> Table:
    table = Table(show_header=True, header_style="bold", box=None)
    for column in ("layer", "kind", "id", "name", "physical id"):
        table.add_column(column)
    rank = {name: i for i, name in enumerate(LAYERS)}
    for r in sorted(live, key=lambda r: (rank.get(r.layer, 99), r.kind, r.id)):
        table.add_row(r.layer, r.kind, r.id, r.name, r.physical_id)
    return table


def services_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(show_header=True, header_style="bold", box=None)
    for column in ("service", "status", "desired", "running", "pending", "queue"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(
                str(row.get(c) if row.get(c) is not None else "-")
                for c in ("service", "status", "desired", "running", "pending", "queue")
            )
        )
    return table


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if value is UNKNOWN:
        return "(known after apply)"
    if isinstance(value, str):
        return json.dumps(value)
    text = json.dumps(Change("", value, None).to_json()["old"], sort_keys=True, default=repr)
    return text if len(text) <= 160 else text[:157] + "..."
