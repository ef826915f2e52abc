"""`platformctl unlock`: the way out when a killed apply or destroy left its environment locked.

The lock itself (engine/lock.py) is taken by apply and destroy in change.py; breaking it is a deliberate act
a person takes, so it is its own command, and it says whose lock it broke.
"""

from __future__ import annotations

import typer

from platformctl.cli.app import app, out
from platformctl.cli.options import EnvOption, LocalOption, aws_for, load_specs_for, options_for


@app.command()
def unlock(ctx: typer.Context, env: EnvOption, local: LocalOption = False) -> None:
    """Break the apply/destroy lock of an environment left by a run that was killed."""
    from platformctl.engine.lock import break_lock

    options = options_for(ctx, local)
    specs = load_specs_for(options, env)
    aws = aws_for(options, specs)
    aws.account_id()  # credentials and endpoint, checked once and fast
    holder = break_lock(aws, specs.platform.platform, env)
    if holder is None:
        out.print(f"No lock on {env}: nothing to do.")
    else:
        out.print(f"Broke the lock on {env} held by {holder.describe()}.")
