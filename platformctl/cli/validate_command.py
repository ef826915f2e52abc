"""`platformctl validate`: every spec file loaded and checked, and the desired graph built for each environment.

It makes no AWS call and imports no AWS library, so an editor or a pre-commit hook can run it on every save;
with `--output json` its problems are one object each (file, line, field, message) for annotations.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from platformctl.cli.app import Output, app, out
from platformctl.cli.options import Options, OutputOption, load_specs_for


@app.command()
def validate(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Check one environment (default: all).")] = None,
    output: OutputOption = Output.text,
) -> None:
    """Load and check every spec file. Makes no AWS call."""
    from dataclasses import asdict

    from platformctl.errors import SpecError
    from platformctl.layers import BuildContext, desired_resources

    options: Options = ctx.obj
    try:
        base = load_specs_for(options, None)
        envs = [env] if env else base.environments
        counts = {name: len(desired_resources(BuildContext(load_specs_for(options, name)))) for name in envs}
    except SpecError as exc:
        if output is not Output.json:
            raise
        # The same problems as the text, one object each, on stdout: what an editor or a CI annotation reads.
        out.print_json(json.dumps({"valid": False, "problems": [asdict(issue) for issue in exc.issues]}))
        raise typer.Exit(1) from None
    if output is Output.json:
        out.print_json(
            json.dumps(
                {
                    "valid": True,
                    "platform": base.platform.platform,
                    "services": list(base.services),
                    "environments": counts,
                }
            )
        )
        return
    out.print(
        f"[green]✓[/green] {options.specs_dir} is valid: platform [bold]{base.platform.platform}[/bold], "
        f"{len(base.services)} services ({', '.join(base.services) or 'none'})"
    )
    for name, count in counts.items():
        out.print(f"  {name}: {count} resources")
