"""The live progress of apply and destroy on stderr: a bar, one line per finished operation, and what waits.

stdout stays for the plan and JSON; a log without a live display (CI) still gets every line, since each
finished operation and each new "waiting for ..." text is printed once as well as shown on the bar.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from platformctl.cli.app import err

if TYPE_CHECKING:
    from platformctl.engine.planner import Plan
    from platformctl.engine.reconciler import Reconciler


def run_with_progress(
    reconciler: Reconciler, plan: Plan, parallelism: int, quiet: bool, doing: str = "applying"
) -> Any:
    """Execute `plan` with a progress bar titled `doing` ("applying", "destroying") on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from platformctl.engine.ordering import operations

    total = len(operations(plan.pending))
    if quiet:
        return reconciler.apply(plan, parallelism=parallelism)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    task = progress.add_task(doing, total=total)
    # What each operation waits for, newest last: the bar shows the newest, and `doing` while none waits.
    # Each new waiting text is also printed once, so a log without a live display shows it too.
    waits: dict[Any, str] = {}
    waits_lock = threading.Lock()

    def show_wait(op: Any, what: str | None) -> None:
        with waits_lock:
            new = bool(what) and waits.get(op.key) != what
            waits.pop(op.key, None)
            if what:
                waits[op.key] = what
            latest = next(reversed(waits.values()), None)
        if new:
            progress.console.print(f"… {op.verb} {op.step.kind} {op.step.id}: {what}", markup=False, highlight=False)
        progress.update(task, description=escape(latest) if latest else doing)

    def listener(event: str, op: Any, result: Any) -> None:
        if event == "wait":
            show_wait(op, result)
        if event != "finish":
            return
        show_wait(op, None)
        mark = {"done": "[green]✓[/green]", "failed": "[red]✗[/red]"}.get(result.status, "…")
        progress.console.print(f"{mark} {op.verb} {op.step.kind} {op.step.id} ({result.seconds:.1f}s)")
        progress.advance(task)

    with progress:
        return reconciler.apply(plan, parallelism=parallelism, listener=listener)
