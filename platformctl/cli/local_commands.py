"""`platformctl local start|stop|status`: the local AWS emulator (a moto server) this folder runs.

A sub-app of its own: these commands talk to no AWS and take none of the environment options; the emulator
they start is what the global `--local` points every other command at (platformctl/local.py keeps its pid,
port and log per folder).
"""

from __future__ import annotations

from typing import Annotated

import typer

from platformctl.cli.app import HELP_OPTIONS, app, out

local_app = typer.Typer(
    help=(
        "Run the local AWS emulator (moto server) on 127.0.0.1, one per folder: its pid, port and log are kept in"
        " ./.platformctl/ (or $PLATFORMCTL_HOME), so run `local` commands and `--local` from the folder you"
        " started it in (the checkout's root). Two clones each run their own, on different ports."
    ),
    no_args_is_help=True,
    context_settings=HELP_OPTIONS,
)
app.add_typer(local_app, name="local")


@local_app.command("start")
def local_start(
    port: Annotated[
        int | None,
        typer.Option(help="Port on 127.0.0.1 (default 5055, or the port this folder's emulator runs on)."),
    ] = None,
    realistic: Annotated[
        bool,
        typer.Option(
            "--realistic",
            help="Behave like a real AWS account: slow creates (NAT, ALB, VPC link, Cloud Map), a lagging tag index,"
            " IAM propagation, lingering ENIs, draining ECS services, timed rollouts; durations are AWS's, scaled.",
        ),
    ] = False,
    realistic_scale: Annotated[
        float | None,
        typer.Option(
            "--realistic-scale",
            min=0.0,
            envvar="PLATFORMCTL_REALISTIC_SCALE",
            help="With --realistic: the share of AWS's durations the emulator takes (default 0.05: a 2-minute NAT"
            " gateway takes 6 s).",
        ),
    ] = None,
) -> None:
    """Start this folder's emulator in the background (reuses it if running; another --port is refused)."""
    from platformctl import local

    emulator, started = local.start(port, realistic=realistic, realistic_scale=realistic_scale)
    verb = "started" if started else "already running"
    out.print(f"Local AWS emulator {verb} at {emulator.endpoint} (pid {emulator.pid}, log {emulator.log}).")
    if realistic:
        out.print("Realistic profile on: AWS's delays and refusals, scaled (see README, `local start --realistic`).")
    out.print("Use it with --local, e.g. `platformctl --local diff --env dev`; stop it with `platformctl local stop`.")


@local_app.command("stop")
def local_stop() -> None:
    """Stop this folder's emulator; everything in it is gone."""
    from platformctl import local

    stopped = local.stop()
    out.print(f"Stopped the local emulator (pid {stopped.pid})." if stopped else "The local emulator was not running.")


@local_app.command("status")
def local_status() -> None:
    """Is this folder's emulator running, and where."""
    from platformctl import local

    running = local.current()
    if running is None:
        out.print(f"The local emulator is not running for this folder ({local.home()}): `platformctl local start`.")
        raise typer.Exit(1)
    out.print(f"Running at {running.endpoint} (pid {running.pid}, log {running.log}).")
