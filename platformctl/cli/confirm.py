"""What a person (or a pipeline) must agree to before apply or destroy changes anything.

Everything that can be refused is refused before any AWS write: not at a terminal without --auto-approve,
a --confirm-env that names another environment, a protected environment (`approval: required`) with no way
to type its name, a plan that would lose data without --allow-data-loss. Answers are read with `input()`,
and only when stdin is a terminal (`_interactive`, the one thing tests force).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from platformctl.errors import PlatformctlError

if TYPE_CHECKING:
    from platformctl.engine.planner import Plan
    from platformctl.specs import SpecSet


def _interactive() -> bool:
    return sys.stdin.isatty()


def require_confirmable(approved: bool, env: str) -> None:
    """Off a terminal, only --auto-approve (or --confirm-env) can confirm: refused before any AWS call."""
    from platformctl.commandline import command_line

    if not approved and not _interactive():
        raise PlatformctlError(
            "not running interactively, so nothing can be confirmed: review the plan with "
            f"`{command_line('diff', '--env', env)}`, then pass --auto-approve"
        )


def confirm(question: str, *, auto_approve: bool) -> None:
    """A y/N question; anything but y or yes cancels."""
    if auto_approve:
        return
    if not _interactive():
        raise PlatformctlError("not running interactively: review the plan, then pass --auto-approve")
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise PlatformctlError("cancelled: nothing was changed")


def needs_typed_name(specs: SpecSet, confirm_env: str | None) -> bool:
    """Protected environments need their name typed (or --confirm-env NAME in a pipeline).

    Checked before any AWS call; True when the name is still to be typed, once the plan is shown (type_env).
    """
    env = specs.env
    if confirm_env is not None:
        if confirm_env != env:
            raise PlatformctlError(f"--confirm-env {confirm_env} does not match --env {env}: nothing was changed")
        return False
    if not specs.approval_required:
        return False
    if not _interactive():
        raise PlatformctlError(
            f"environment '{env}' requires approval: type its name interactively, or pass --confirm-env {env}"
        )
    return True


def type_env(env: str, action: str) -> None:
    """A protected environment's confirmation, asked after its plan: the typed name (no y/N after it)."""
    typed = input(f"Environment '{env}' requires approval. Type its name to {action}: ").strip()
    if typed != env:
        raise PlatformctlError("the name did not match: nothing was changed")


def refuse_data_loss(plan: Plan, allowed: bool) -> None:
    """Deleting or replacing what still holds data (messages in a queue) needs --allow-data-loss."""
    losing = [s for s in plan.pending if s.data_loss]
    if not losing or allowed:
        return
    lines = "\n".join(f"  {s.kind} {s.id}: {s.data_loss}" for s in losing)
    raise PlatformctlError(
        f"{len(losing)} step{'s' if len(losing) != 1 else ''} would lose data:\n{lines}\n"
        "Nothing was changed. Drain what holds the data first, or pass --allow-data-loss to accept losing it."
    )
