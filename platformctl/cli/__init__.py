"""The `platformctl` command line, one room per command family.

- app.py: the typer app, its consoles and CLI habits (-h, flags shown as flags, completion);
- options.py: the global options and the shared per-command ones, and how they become specs, clients, an engine;
- validate_command.py, plan_commands.py (diff, show, apply, destroy), inspect_commands.py (status, logs),
  scaffold.py (add-service), lock_commands.py (unlock), policy_commands.py (iam-policy),
  local_commands.py (local start|stop|status);
- change.py, confirm.py, progress.py, interrupts.py: how apply and destroy change an environment safely;
- entry.py: run() and main(), every ending mapped to an exit code and one message.

The command modules are imported here (ROOMS), in the order `--help` lists their commands. Heavy modules (boto3, the
engine) are imported inside commands, so `--help` and `validate` start fast.
"""

from __future__ import annotations

from importlib import import_module

from platformctl.cli.app import app
from platformctl.cli.entry import main, run

# The global options first, then the commands in the order `--help` lists them (typer keeps registration order).
ROOMS = (
    "options",
    "validate_command",
    "plan_commands",
    "inspect_commands",
    "scaffold",
    "lock_commands",
    "policy_commands",
    "local_commands",
)
for _room in ROOMS:
    import_module(f"{__name__}.{_room}")

__all__ = ["app", "main", "run"]
