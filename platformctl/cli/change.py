"""apply and destroy alike: confirm what can be, lock, plan, show, ask, execute, report.

The two commands differ only in how they make their plan; everything that protects an environment while it
changes lives here once: refusals before any AWS call, the environment lock, the plan shown before the
question, data loss refused unless allowed, SIGTERM handled as Ctrl-C, and the exit codes (0 done, 1 failed,
130/143 interrupted).
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from platformctl.cli import confirm
from platformctl.cli.app import err, out
from platformctl.cli.interrupts import sigterm_as_ctrl_c
from platformctl.cli.progress import run_with_progress

if TYPE_CHECKING:
    from platformctl.engine.planner import Plan
    from platformctl.engine.reconciler import Reconciler


def change(
    reconciler: Reconciler,
    command: str,
    make_plan: Callable[[], Plan],
    auto_approve: bool,
    confirm_env: str | None,
    parallelism: int,
    as_json: bool,
    allow_data_loss: bool = False,
) -> None:
    """Run `command` ("apply" or "destroy") on the plan `make_plan` gives, inside the environment's lock."""
    from platformctl.engine.lock import EnvironmentLock
    from platformctl.render import plan_json, print_report

    env, platform = reconciler.env, reconciler.ctx.platform
    approved = auto_approve or confirm_env is not None
    # Refuse what cannot be confirmed before any AWS call, including taking the lock.
    confirm.require_confirmable(approved, env)
    name_to_type = confirm.needs_typed_name(reconciler.specs, confirm_env)
    reconciler.account_id()  # credentials and endpoint, checked once and fast, before the lock
    if command == "apply":
        reconciler.check_zones()  # zones the account cannot give are refused before the lock is written
    try:
        with (
            sigterm_as_ctrl_c(),
            EnvironmentLock(reconciler.aws, platform, env, command=f"{command} --env {env}"),
        ):
            report, plan = _locked_change(
                reconciler, command, make_plan, approved, parallelism, as_json, allow_data_loss, name_to_type
            )
    except KeyboardInterrupt as exc:
        # Only reachable before execution starts (while reading or planning): nothing was changed.
        signum = getattr(exc, "signum", signal.SIGINT)
        by = " by SIGTERM" if signum == signal.SIGTERM else ""
        err.print(f"Interrupted{by} before anything was changed; the lock on {env} is released.")
        raise typer.Exit(128 + signum) from None
    if report is None:
        return
    if as_json:
        document = {"plan": json.loads(plan_json(plan)), "report": report.to_json()}
        out.print(json.dumps(document, indent=2, default=str), markup=False)
    else:
        print_report(err, report, command)  # its last line is the one closing summary
    if report.interrupted:
        raise typer.Exit(128 + (report.signal or signal.SIGINT))  # 130 for Ctrl-C, 143 for SIGTERM
    if not report.ok:
        raise typer.Exit(1)


def _locked_change(
    reconciler: Reconciler,
    command: str,
    make_plan: Callable[[], Plan],
    approved: bool,
    parallelism: int,
    as_json: bool,
    allow_data_loss: bool,
    name_to_type: bool = False,
) -> tuple[Any, Plan]:
    """Inside the lock: plan, show, refuse data loss, ask, execute. (None, plan) when there is nothing to do.

    A protected environment asks for its name here, after its plan: that is the whole confirmation.
    """
    from platformctl.render import plan_json, print_plan

    env, platform = reconciler.env, reconciler.ctx.platform
    plan = make_plan()
    if as_json and not plan.pending:
        out.print(plan_json(plan), markup=False)
        return None, plan
    if not as_json:
        print_plan(out, plan, title=f"platformctl {command}: {platform} / {env}")
    if not plan.pending:
        if command == "destroy":
            out.print(f"Nothing of {platform} is left in {env}.")
        return None, plan
    confirm.refuse_data_loss(plan, allow_data_loss)
    if name_to_type:
        confirm.type_env(env, command)
    else:
        confirm.confirm(f"{command.capitalize()} these {len(plan.pending)} changes in {env}?", auto_approve=approved)
    doing = "destroying" if command == "destroy" else "applying"
    return run_with_progress(reconciler, plan, parallelism, quiet=as_json, doing=doing), plan
