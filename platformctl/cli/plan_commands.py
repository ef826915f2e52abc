"""The commands that plan: `diff` shows a plan (and saves it), `show` the desired resources, `apply` and
`destroy` carry a plan out (their shared confirm-lock-execute flow is change.py).

A saved plan (`diff --out`, then `apply PLAN`) is untrusted input: it is validated before any AWS call and
never executed as it is; what runs is the plan recomputed now, if it makes exactly the saved changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from platformctl.cli.app import Output, app, out
from platformctl.cli.change import change
from platformctl.cli.options import (
    DEFAULT_PARALLELISM,
    AllowDataLossOption,
    AutoApproveOption,
    ConfirmEnvOption,
    EnvOption,
    LayerOption,
    LocalOption,
    OutputOption,
    ParallelismOption,
    chosen_layers,
    load_specs_for,
    options_for,
    reconciler_for,
)
from platformctl.errors import PlatformctlError

if TYPE_CHECKING:
    from platformctl.engine.planner import Plan
    from platformctl.engine.reconciler import Reconciler


@app.command()
def diff(
    ctx: typer.Context,
    env: EnvOption,
    layer: LayerOption = None,
    output: OutputOption = Output.text,
    out_file: Annotated[Path | None, typer.Option("--out", help="Save the plan to apply later exactly.")] = None,
    local: LocalOption = False,
) -> None:
    """Compare the specs with live AWS and print the plan. Exit 0 in sync, 2 changes pending, 1 error."""
    from platformctl.commandline import command_line
    from platformctl.engine import planfile
    from platformctl.render import plan_json, print_plan

    options = options_for(ctx, local)
    layers = chosen_layers(layer)
    reconciler = reconciler_for(options, env)
    reconciler.account_id()  # credentials and endpoint, checked once and fast, before the kinds read
    plan = reconciler.plan(layers)
    if out_file is not None:
        planfile.save(plan, out_file, platform=reconciler.ctx.platform, layers=layers)
    if output is Output.json:
        out.print(plan_json(plan, calls=reconciler.aws.counter.total), markup=False)
    else:
        print_plan(out, plan, title=f"platformctl diff: {reconciler.ctx.platform} / {env}")
        if out_file is not None:
            apply_it = command_line("apply", "--env", env, str(out_file))
            out.print(f"Plan saved to {out_file}: apply it with `{apply_it}`", markup=False)
    raise typer.Exit(2 if plan.pending else 0)


@app.command()
def show(
    ctx: typer.Context,
    env: EnvOption,
    ids: Annotated[list[str] | None, typer.Argument(metavar="[ID]...", help="Logical ids (default: all).")] = None,
    output: OutputOption = Output.text,
) -> None:
    """Print the desired resources with their props, as apply would make them. Makes no AWS call."""
    from platformctl import show as showing

    specs = load_specs_for(ctx.obj, env)
    resources = showing.desired(specs, ids or [])
    if output is Output.json:
        out.print(showing.resources_json(specs, resources), markup=False)
    else:
        showing.print_resources(out, specs, resources)


@app.command()
def apply(
    ctx: typer.Context,
    env: EnvOption,
    plan_file: Annotated[Path | None, typer.Argument(metavar="[PLAN]", help="A plan saved with diff --out.")] = None,
    layer: LayerOption = None,
    auto_approve: AutoApproveOption = False,
    confirm_env: ConfirmEnvOption = None,
    parallelism: ParallelismOption = DEFAULT_PARALLELISM,
    allow_data_loss: AllowDataLossOption = False,
    no_wait: Annotated[
        bool,
        typer.Option("--no-wait", help="Do not wait for the ECS deployments apply starts to complete."),
    ] = False,
    output: OutputOption = Output.text,
    local: LocalOption = False,
) -> None:
    """Show the plan, ask, then make live AWS match the specs."""
    reconciler = reconciler_for(options_for(ctx, local), env, parallelism)
    reconciler.wait_for_deployments = not no_wait
    # A saved plan is untrusted input: checked before any AWS call, and never executed as it is (_saved_plan).
    saved = _load_saved_plan(reconciler, plan_file, layer) if plan_file is not None else None

    def make_plan() -> Plan:
        if plan_file is not None and saved is not None:
            return _saved_plan(reconciler, saved, plan_file)
        return reconciler.plan(chosen_layers(layer))

    change(
        reconciler, "apply", make_plan, auto_approve, confirm_env, parallelism, output is Output.json, allow_data_loss
    )


def _load_saved_plan(reconciler: Reconciler, path: Path, layer: list[str] | None) -> Any:
    """The saved plan file, validated, and made for this platform and environment; no AWS call."""
    from platformctl.engine import planfile

    if layer:
        raise PlatformctlError(f"--layer cannot be used with a saved plan: {path} applies the layers it was made for")
    saved = planfile.load(path)
    if saved.env != reconciler.env or saved.platform != reconciler.ctx.platform:
        raise PlatformctlError(
            f"{path} was made for {saved.platform}/{saved.env}, not {reconciler.ctx.platform}/{reconciler.env}"
        )
    return saved


def _saved_plan(reconciler: Reconciler, saved: Any, path: Path) -> Plan:
    """The plan recomputed now from the specs and live AWS, if it makes exactly the changes the saved one shows.

    What runs is the recomputed plan, never the file's: an edited file can change nothing, and only what the
    kinds read as ours can be acted on. Data loss is judged from what is live now.
    """
    from platformctl.engine import planfile

    plan = reconciler.plan(saved.layers)
    planfile.check_matches(saved, plan, path)
    return plan


@app.command()
def destroy(
    ctx: typer.Context,
    env: EnvOption,
    layer: LayerOption = None,
    auto_approve: AutoApproveOption = False,
    confirm_env: ConfirmEnvOption = None,
    parallelism: ParallelismOption = DEFAULT_PARALLELISM,
    allow_data_loss: AllowDataLossOption = False,
    output: OutputOption = Output.text,
    local: LocalOption = False,
    platform: Annotated[
        str | None,
        typer.Option("--platform", help="Destroy another platform's resources (e.g. left behind by a rename)."),
    ] = None,
) -> None:
    """Delete what this platform owns in an environment, in reverse order (api → services → messaging → platform)."""
    reconciler = reconciler_for(options_for(ctx, local), env, parallelism, platform=platform)

    def make_plan() -> Plan:
        return reconciler.destroy_plan(chosen_layers(layer))

    change(
        reconciler, "destroy", make_plan, auto_approve, confirm_env, parallelism, output is Output.json, allow_data_loss
    )
