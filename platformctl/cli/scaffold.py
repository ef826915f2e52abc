"""`platformctl add-service`: a new service's spec file written with sensible defaults, then validated.

The writing is specs/scaffold.py's; here are only the flags and what to do next. The defaults are written
out rather than imported from there, so `--help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from platformctl.cli.app import app, out
from platformctl.cli.options import Options, load_specs_for


@app.command("add-service")
def add_service(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Service name: lowercase letters, digits and '-'.")],
    # specs/scaffold.py's DEFAULT_PORT, DEFAULT_IMAGE, DEFAULT_HEALTH, not imported so --help stays fast.
    port: Annotated[int, typer.Option(help="Container port.")] = 8080,
    image: Annotated[str, typer.Option(help="Container image.")] = "public.ecr.aws/nginx/nginx-unprivileged:1.27",
    health: Annotated[str, typer.Option(help="HTTP path the load balancer checks.")] = "/",
    cpu: Annotated[int, typer.Option(help="Fargate CPU units.")] = 256,
    memory: Annotated[int, typer.Option(help="Fargate memory (MiB), valid for the CPU.")] = 512,
    route: Annotated[list[str] | None, typer.Option("--route", help='API route, e.g. "ANY /x/{proxy+}".')] = None,
    publishes: Annotated[list[str] | None, typer.Option("--publishes", help="Event type it publishes.")] = None,
    subscribes: Annotated[
        list[str] | None, typer.Option("--subscribes", help="SERVICE:EVENT it subscribes to.")
    ] = None,
    calls: Annotated[list[str] | None, typer.Option("--calls", help="Service it calls.")] = None,
) -> None:
    """Write specs/services/NAME.yaml with sensible defaults, then validate the whole spec set."""
    from platformctl.commandline import command_line
    from platformctl.specs import scaffold_service

    options: Options = ctx.obj
    path = scaffold_service(
        options.specs_dir,
        name,
        port=port,
        image=image,
        health=health,
        cpu=cpu,
        memory=memory,
        routes=route or [],
        publishes=publishes or [],
        subscribes=subscribes or [],
        calls=calls or [],
    )
    specs = load_specs_for(options, None)
    first_env = specs.environments[0] if specs.environments else "dev"
    out.print(f"[green]✓[/green] wrote {path}; the spec set is valid.")
    out.print(f"Next: review it, then run `{command_line('diff', '--env', first_env)}`", markup=False)
