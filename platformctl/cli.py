"""The `platformctl` command line.

Exit codes follow diff(1) where it matters: 0 success / in sync, 2 changes pending (diff only), 1 error.
Bad input — specs, flags, plan files — is a message and exit 1, never a traceback, and makes no AWS write.
Heavy modules (boto3, the engine) are imported inside commands so `--help` and `validate` start fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from platformctl.errors import PlatformctlError

if TYPE_CHECKING:
    from platformctl.aws import Aws
    from platformctl.engine.planner import Plan
    from platformctl.engine.reconciler import Reconciler
    from platformctl.specs import SpecSet

app = typer.Typer(
    name="platformctl",
    help="Run a microservices platform on AWS from YAML. Live AWS is the only state: no state file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
local_app = typer.Typer(help="Run the local AWS emulator (moto server) on 127.0.0.1.", no_args_is_help=True)
app.add_typer(local_app, name="local")

# Off a terminal (pipes, CI logs) nothing is cut to 80 columns: ids and ARNs are what people copy.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 240)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Output(StrEnum):
    text = "text"
    json = "json"


@dataclass
class Options:
    specs_dir: Path
    local: bool
    endpoint_url: str | None
    region: str | None
    profile: str | None


EnvOption = Annotated[str, typer.Option("--env", "-e", help="Environment, one of those declared in platform.yaml.")]
LayerOption = Annotated[
    list[str] | None,
    typer.Option("--layer", "-l", help="Limit to a layer: platform, messaging, services, api. Repeatable."),
]
OutputOption = Annotated[Output, typer.Option("--output", "-o", help="text for people, json for pipelines.")]
DEFAULT_PARALLELISM = 16
ParallelismOption = Annotated[
    int,
    typer.Option(
        "--parallelism",
        min=1,
        max=64,
        help="Most AWS calls in flight at once; fewer steps run at once while AWS throttles.",
    ),
]
LocalOption = Annotated[bool, typer.Option("--local", help="Talk to the local emulator (same as the global --local).")]
AllowDataLossOption = Annotated[
    bool,
    typer.Option("--allow-data-loss", help="Also delete or replace what still holds data (e.g. queued messages)."),
]


@app.callback()
def _global(
    ctx: typer.Context,
    specs: Annotated[Path, typer.Option("--specs", help="Folder with platform.yaml and services/.")] = Path("specs"),
    local: Annotated[
        bool, typer.Option("--local", help="Talk to the local emulator (`platformctl local start`).")
    ] = False,
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", envvar="PLATFORMCTL_ENDPOINT_URL", help="Send AWS calls to this endpoint."),
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="Override the region in platform.yaml.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile to use.")] = None,
) -> None:
    """Global options go before the command: platformctl --specs other/specs --local diff --env qa"""
    ctx.obj = Options(specs, local, endpoint_url, region, profile)


def _options(ctx: typer.Context, local: bool) -> Options:
    options: Options = ctx.obj
    if local:
        options.local = True
    return options


# ---- helpers ---------------------------------------------------------------------------------------------
def _load(options: Options, env: str | None) -> SpecSet:
    from platformctl.specs import load_specs

    return load_specs(options.specs_dir, env)


def _aws(options: Options, specs: SpecSet, parallelism: int = DEFAULT_PARALLELISM) -> Aws:
    from platformctl.aws import Aws, AwsTarget

    endpoint = options.endpoint_url
    if options.local:
        from platformctl import local

        endpoint = local.endpoint_or_error()
    region = options.region or specs.platform.region
    return Aws(AwsTarget(region=region, profile=options.profile, endpoint_url=endpoint), max_in_flight=parallelism)


def _reconciler(options: Options, env: str, parallelism: int = DEFAULT_PARALLELISM) -> Reconciler:
    from platformctl.engine.reconciler import Reconciler

    specs = _load(options, env)
    return Reconciler(specs, _aws(options, specs, parallelism))


def _layers(layer: list[str] | None) -> list[str]:
    from platformctl.engine.reconciler import check_layers
    from platformctl.naming import LAYERS

    return check_layers(layer or LAYERS)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _require_confirmable(approved: bool) -> None:
    if not approved and not _interactive():
        raise PlatformctlError(
            "not running interactively, so nothing can be confirmed: review the plan with `platformctl diff`, "
            "then pass --auto-approve"
        )


def _confirm(question: str, *, auto_approve: bool) -> None:
    if auto_approve:
        return
    if not _interactive():
        raise PlatformctlError("not running interactively: review the plan, then pass --auto-approve")
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise PlatformctlError("cancelled: nothing was changed")


def _confirm_env(specs: SpecSet, confirm_env: str | None, action: str) -> None:
    """Protected environments need their name typed (or --confirm-env NAME in a pipeline)."""
    env = specs.env
    if confirm_env is not None:
        if confirm_env != env:
            raise PlatformctlError(f"--confirm-env {confirm_env} does not match --env {env}: nothing was changed")
        return
    if not specs.approval_required:
        return
    if not _interactive():
        raise PlatformctlError(
            f"environment '{env}' requires approval: type its name interactively, or pass --confirm-env {env}"
        )
    typed = input(f"Environment '{env}' requires approval. Type its name to {action}: ").strip()
    if typed != env:
        raise PlatformctlError("the name did not match: nothing was changed")


def _run_with_progress(reconciler: Reconciler, plan: Plan, parallelism: int, quiet: bool) -> Any:
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
    task = progress.add_task("applying", total=total)

    def listener(event: str, op: Any, result: Any) -> None:
        if event != "finish":
            return
        mark = {"done": "[green]✓[/green]", "failed": "[red]✗[/red]"}.get(result.status, "…")
        progress.console.print(f"{mark} {op.verb} {op.step.kind} {op.step.id} ({result.seconds:.1f}s)")
        progress.advance(task)

    with progress:
        return reconciler.apply(plan, parallelism=parallelism, listener=listener)


# ---- commands --------------------------------------------------------------------------------------------
@app.command()
def validate(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Check one environment (default: all).")] = None,
    output: OutputOption = Output.text,
) -> None:
    """Load and check every spec file. Makes no AWS call."""
    from platformctl.layers import BuildContext, desired_resources
    from platformctl.specs import load_specs

    options: Options = ctx.obj
    base = _load(options, None)
    envs = [env] if env else base.environments
    counts = {}
    for name in envs:
        specs = load_specs(options.specs_dir, name)
        counts[name] = len(desired_resources(BuildContext(specs)))
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
    from platformctl.engine import planfile
    from platformctl.render import plan_json, print_plan

    options = _options(ctx, local)
    layers = _layers(layer)
    reconciler = _reconciler(options, env)
    plan = reconciler.plan(layers)
    if out_file is not None:
        planfile.save(plan, out_file, platform=reconciler.ctx.platform, layers=layers)
    if output is Output.json:
        out.print(plan_json(plan, calls=reconciler.aws.counter.total), markup=False)
    else:
        print_plan(out, plan, title=f"platformctl diff: {reconciler.ctx.platform} / {env}")
        if out_file is not None:
            out.print(f"Plan saved to {out_file}: apply it with `platformctl apply --env {env} {out_file}`")
    raise typer.Exit(2 if plan.pending else 0)


@app.command()
def apply(
    ctx: typer.Context,
    env: EnvOption,
    plan_file: Annotated[Path | None, typer.Argument(metavar="[PLAN]", help="A plan saved with diff --out.")] = None,
    layer: LayerOption = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
    confirm_env: Annotated[
        str | None, typer.Option("--confirm-env", help="Confirm a protected environment by name (pipelines).")
    ] = None,
    parallelism: ParallelismOption = DEFAULT_PARALLELISM,
    allow_data_loss: AllowDataLossOption = False,
    output: OutputOption = Output.text,
    local: LocalOption = False,
) -> None:
    """Show the plan, ask, then make live AWS match the specs."""
    from platformctl.engine import planfile

    reconciler = _reconciler(_options(ctx, local), env, parallelism)

    def make_plan() -> Plan:
        if plan_file is not None:
            return _saved_plan(reconciler, plan_file, planfile)
        return reconciler.plan(_layers(layer))

    _change(
        reconciler, "apply", make_plan, auto_approve, confirm_env, parallelism, output is Output.json, allow_data_loss
    )


def _saved_plan(reconciler: Reconciler, path: Path, planfile: Any) -> Plan:
    from platformctl.engine.planner import mark_data_loss

    document = planfile.load(path)
    if document["env"] != reconciler.env or document["platform"] != reconciler.ctx.platform:
        raise PlatformctlError(
            f"{path} was made for {document['platform']}/{document['env']}, not "
            f"{reconciler.ctx.platform}/{reconciler.env}"
        )
    live = reconciler.read()
    if planfile.live_fingerprint(live) != document["live_fingerprint"]:
        raise PlatformctlError(
            f"live state changed since {path} was made: nothing was applied. Run diff again for a fresh plan."
        )
    plan: Plan = document["plan"]
    # Facts (messages in a queue) are not fingerprinted: judge data loss by what is live now, not then.
    now = {(r.kind, r.id, r.physical_id): r for r in live}
    for step in plan.steps:
        if step.live is not None:
            step.live = now.get((step.live.kind, step.live.id, step.live.physical_id), step.live)
    mark_data_loss(plan.steps, reconciler.kinds)
    return plan


@app.command()
def destroy(
    ctx: typer.Context,
    env: EnvOption,
    layer: LayerOption = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
    confirm_env: Annotated[
        str | None, typer.Option("--confirm-env", help="Confirm a protected environment by name (pipelines).")
    ] = None,
    parallelism: ParallelismOption = DEFAULT_PARALLELISM,
    allow_data_loss: AllowDataLossOption = False,
    output: OutputOption = Output.text,
    local: LocalOption = False,
) -> None:
    """Delete what this platform owns in an environment, in reverse order (api → services → messaging → platform)."""
    reconciler = _reconciler(_options(ctx, local), env, parallelism)

    def make_plan() -> Plan:
        return reconciler.destroy_plan(_layers(layer))

    _change(
        reconciler, "destroy", make_plan, auto_approve, confirm_env, parallelism, output is Output.json, allow_data_loss
    )


def _change(
    reconciler: Reconciler,
    command: str,
    make_plan: Callable[[], Plan],
    auto_approve: bool,
    confirm_env: str | None,
    parallelism: int,
    as_json: bool,
    allow_data_loss: bool = False,
) -> None:
    """apply and destroy alike: confirm what can be, lock, plan, show, ask, execute, report."""
    from platformctl.engine.lock import EnvironmentLock
    from platformctl.render import plan_json, print_report, summary_line

    env, platform = reconciler.env, reconciler.ctx.platform
    approved = auto_approve or confirm_env is not None
    # Refuse what cannot be confirmed before any AWS call, including taking the lock.
    _require_confirmable(approved)
    _confirm_env(reconciler.specs, confirm_env, command)
    try:
        with EnvironmentLock(reconciler.aws, platform, env, command=f"{command} --env {env}"):
            report, plan = _locked_change(
                reconciler, command, make_plan, approved, parallelism, as_json, allow_data_loss
            )
    except KeyboardInterrupt:
        # Only reachable before execution starts (while reading or planning): nothing was changed.
        err.print(f"Interrupted before anything was changed; the lock on {env} is released.")
        raise typer.Exit(130) from None
    if report is None:
        return
    if as_json:
        document = {"plan": json.loads(plan_json(plan)), "report": report.to_json()}
        out.print(json.dumps(document, indent=2, default=str), markup=False)
    else:
        print_report(err, report, command)
        if report.ok:
            out.print(f"Done: {summary_line(plan).removeprefix('Plan for ')}")
    if report.interrupted:
        raise typer.Exit(130)
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
) -> tuple[Any, Plan]:
    """Inside the lock: plan, show, refuse data loss, ask, execute. (None, plan) when there is nothing to do."""
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
    _refuse_data_loss(plan, allow_data_loss)
    _confirm(f"{command.capitalize()} these {len(plan.pending)} changes in {env}?", auto_approve=approved)
    return _run_with_progress(reconciler, plan, parallelism, quiet=as_json), plan


def _refuse_data_loss(plan: Plan, allowed: bool) -> None:
    """Deleting or replacing what still holds data (messages in a queue) needs --allow-data-loss."""
    losing = [s for s in plan.pending if s.data_loss]
    if not losing or allowed:
        return
    lines = "\n".join(f"  {s.kind} {s.id}: {s.data_loss}" for s in losing)
    raise PlatformctlError(
        f"{len(losing)} step{'s' if len(losing) != 1 else ''} would lose data:\n{lines}\n"
        "Nothing was changed. Drain what holds the data first, or pass --allow-data-loss to accept losing it."
    )


@app.command()
def status(ctx: typer.Context, env: EnvOption, local: LocalOption = False, output: OutputOption = Output.text) -> None:
    """What is live in an environment: outputs and every resource platformctl owns there."""
    from platformctl.render import services_table, status_table

    options = _options(ctx, local)
    reconciler = _reconciler(options, env)
    live = reconciler.read()
    outputs = _outputs(live)
    if output is Output.json:
        document = {
            "env": env,
            "outputs": outputs,
            "services": _services(live),
            "resources": [
                {"layer": r.layer, "kind": r.kind, "id": r.id, "name": r.name, "physical_id": r.physical_id}
                for r in live
            ],
        }
        out.print(json.dumps(document, indent=2, default=str), markup=False)
        return
    if not live:
        out.print(
            f"Nothing of {reconciler.ctx.platform} is live in {env}. Create it with `platformctl apply --env {env}`."
        )
        return
    out.print(f"[bold]{reconciler.ctx.platform} / {env}[/bold]: {len(live)} resources")
    for key, value in outputs.items():
        out.print(f"  {key}: {value}")
    services = _services(live)
    if services:
        out.print()
        out.print(services_table(services))
    out.print()
    out.print(status_table(live))


def _outputs(live: list[Any]) -> dict[str, Any]:
    """The values people look for first, picked from the attrs of what is live."""
    by_id = {r.id: r for r in live}
    wanted = {
        "api url": ("api", "ApiEndpoint"),
        "api custom domain": ("api.domain", "DomainName"),
        "api domain dns target": ("api.domain", "TargetDomainName"),
        "vpc": ("vpc", "VpcId"),
        "cluster": ("ecs.cluster", "ClusterArn"),
        "load balancer (internal)": ("alb", "DNSName"),
        "service discovery namespace": ("discovery.namespace", "NamespaceId"),
        "kms key": ("kms", "Arn"),
        "event bus": ("bus", "Name"),
    }
    found = {}
    for label, (logical_id, attr) in wanted.items():
        resource = by_id.get(logical_id)
        if resource is not None and resource.attrs.get(attr):
            found[label] = resource.attrs[attr]
    return found


def _services(live: list[Any]) -> list[dict[str, Any]]:
    """Each ECS service with its counts, plus its queue and topic, as `status` shows them."""
    by_id = {r.id: r for r in live}
    rows = []
    for r in sorted((r for r in live if r.kind == "ecs.service"), key=lambda r: r.name):
        name = r.name
        queue, topic = by_id.get(f"queue.{name}"), by_id.get(f"topic.{name}")
        rows.append(
            {
                "service": name,
                "status": r.facts.get("status"),
                "desired": r.facts.get("desired"),
                "running": r.facts.get("running"),
                "pending": r.facts.get("pending"),
                "queue": queue.attrs.get("QueueUrl") if queue else None,
                "topic": topic.attrs.get("TopicArn") if topic else None,
            }
        )
    return rows


@app.command("add-service")
def add_service(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Service name: lowercase letters, digits and '-'.")],
    port: Annotated[int, typer.Option(help="Container port.")] = 8080,
    image: Annotated[str, typer.Option(help="Container image.")] = "public.ecr.aws/nginx/nginx:1.27",
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
    from platformctl.specs import scaffold_service

    options: Options = ctx.obj
    path = scaffold_service(
        options.specs_dir,
        name,
        port=port,
        image=image,
        cpu=cpu,
        memory=memory,
        routes=route or [],
        publishes=publishes or [],
        subscribes=subscribes or [],
        calls=calls or [],
    )
    specs = _load(options, None)
    first_env = specs.environments[0] if specs.environments else "dev"
    out.print(f"[green]✓[/green] wrote {path}; the spec set is valid.")
    out.print(f"Next: review it, then run `platformctl diff --env {first_env}`")


@app.command()
def unlock(ctx: typer.Context, env: EnvOption, local: LocalOption = False) -> None:
    """Break the apply/destroy lock of an environment left by a run that was killed."""
    from platformctl.engine.lock import break_lock

    options = _options(ctx, local)
    specs = _load(options, env)
    holder = break_lock(_aws(options, specs), specs.platform.platform, env)
    if holder is None:
        out.print(f"No lock on {env}: nothing to do.")
    else:
        out.print(f"Broke the lock on {env} held by {holder.describe()}.")


# ---- local emulator --------------------------------------------------------------------------------------
@local_app.command("start")
def local_start(port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 5055) -> None:
    """Start the emulator in the background (reuses a running one)."""
    from platformctl import local

    emulator, started = local.start(port)
    verb = "started" if started else "already running"
    out.print(f"Local AWS emulator {verb} at {emulator.endpoint} (pid {emulator.pid}, log {emulator.log}).")
    out.print("Use it with --local, e.g. `platformctl --local diff --env dev`; stop it with `platformctl local stop`.")


@local_app.command("stop")
def local_stop() -> None:
    """Stop the emulator; everything in it is gone."""
    from platformctl import local

    stopped = local.stop()
    out.print(f"Stopped the local emulator (pid {stopped.pid})." if stopped else "The local emulator was not running.")


@local_app.command("status")
def local_status() -> None:
    """Is the emulator running, and where."""
    from platformctl import local

    running = local.current()
    if running is None:
        out.print("The local emulator is not running: `platformctl local start`.")
        raise typer.Exit(1)
    out.print(f"Running at {running.endpoint} (pid {running.pid}, log {running.log}).")


# ---- entry point -----------------------------------------------------------------------------------------
def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; usage errors are exit 1 (2 means "changes pending")."""
    try:
        result = app(args=argv, prog_name="platformctl", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err.print("Aborted: nothing more was changed.")
        return 1
    except typer.TyperException as exc:  # click's usage errors, as vendored by typer
        show = getattr(exc, "show", None)
        if show is not None:
            show(file=sys.stderr)
        else:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
        return 0 if type(exc).__name__ == "NoArgsIsHelpError" else 1
    except PlatformctlError as exc:
        err.print("[red]error:[/red] " + escape(str(exc)))
        return 1
    except Exception as exc:
        if type(exc).__module__.startswith(("botocore", "boto3", "urllib3")):
            # Credentials, endpoints, permissions: the user's to fix, so a message rather than a traceback.
            err.print(f"[red]error:[/red] AWS: {escape(type(exc).__name__)}: {escape(str(exc))}")
            return 1
        raise
    except KeyboardInterrupt:
        err.print("Interrupted.")
        return 130
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run())
