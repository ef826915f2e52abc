"""The options every command shares, and the one way a command turns them into specs, clients and an engine.

Global options (`--specs`, `--local`, `--endpoint-url`, `--region`, `--profile`) go before the command and
land in `Options` on the typer context; the per-command options that mean the same everywhere (`--env`,
`--layer`, `--output`, `--parallelism`, `--local`, `--allow-data-loss`) are declared once here. Which global
options were typed is kept, so every hinted command line repeats them (commandline.py). Heavy modules are
imported inside the functions: `--help` and `validate` start fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platformctl.cli.app import Output, app, out

if TYPE_CHECKING:
    from platformctl.aws import Aws
    from platformctl.engine.reconciler import Reconciler
    from platformctl.specs import SpecSet


@dataclass
class Options:
    specs_dir: Path
    local: bool
    endpoint_url: str | None
    region: str | None
    profile: str | None
    # Which of them were typed on the command line (not defaults, not environment variables).
    typed: frozenset[str] = frozenset()

    def as_arguments(self) -> list[str]:
        """The global options as the user gave them: what every hinted command line repeats (commandline.py)."""
        arguments = ["--specs", str(self.specs_dir)] if "specs" in self.typed else []
        if self.local:
            arguments.append("--local")
        for name, flag, value in (
            ("endpoint_url", "--endpoint-url", self.endpoint_url),
            ("profile", "--profile", self.profile),
            ("region", "--region", self.region),
        ):
            if name in self.typed and value is not None:
                arguments += [flag, value]
        return arguments


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
AutoApproveOption = Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")]
ConfirmEnvOption = Annotated[
    str | None, typer.Option("--confirm-env", help="Confirm a protected environment by name (pipelines).")
]


def _check_region(value: str | None) -> str | None:
    """A bad --region is a usage error, judged by the same rule as platform.yaml's `region`."""
    from platformctl.specs.models import region_problem

    problem = region_problem(value) if value is not None else None
    if problem:
        raise typer.BadParameter(problem)
    return value


def _print_version(value: bool) -> None:
    if value:
        from platformctl import __version__

        out.print(f"platformctl {__version__}", markup=False)
        raise typer.Exit()


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
    region: Annotated[
        str | None,
        typer.Option("--region", help="Override the region in platform.yaml.", callback=_check_region),
    ] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile to use.")] = None,
    version: Annotated[
        bool, typer.Option("--version", help="Show the version and exit.", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    """Global options go before the command: platformctl --specs other/specs --local diff --env qa"""
    from platformctl import commandline

    typed = frozenset(
        name
        for name in ("specs", "endpoint_url", "region", "profile")
        if getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"
    )
    ctx.obj = Options(specs, local, endpoint_url, region, profile, typed)
    commandline.use_global_options(ctx.obj.as_arguments())


def options_for(ctx: typer.Context, local: bool = False) -> Options:
    """The global options, with a command's own `--local` (`diff --local`) folded in: its hints need it too."""
    from platformctl import commandline

    options: Options = ctx.obj
    if local:
        options.local = True
        commandline.use_global_options(options.as_arguments())
    return options


def load_specs_for(options: Options, env: str | None) -> SpecSet:
    """The specs; a --env that valid specs do not declare is a usage error on --env, not a spec error."""
    from platformctl.errors import UnknownEnvironment
    from platformctl.specs import load_specs

    try:
        return load_specs(options.specs_dir, env, region=options.region)
    except UnknownEnvironment as exc:
        raise typer.BadParameter(exc.usage, param_hint="'--env'") from None


def aws_for(options: Options, specs: SpecSet, parallelism: int = DEFAULT_PARALLELISM) -> Aws:
    """The AWS clients the options point at: --local's emulator, --endpoint-url, or AWS itself."""
    from platformctl.aws import Aws, AwsTarget

    endpoint = options.endpoint_url
    if options.local:
        from platformctl import local

        endpoint = local.endpoint_or_error()
    # The specs carry the one effective region (--region already applied by the loader): the clients, the
    # lock and the desired graph can never disagree on it.
    region = specs.platform.region
    return Aws(AwsTarget(region=region, profile=options.profile, endpoint_url=endpoint), max_in_flight=parallelism)


def reconciler_for(
    options: Options, env: str, parallelism: int = DEFAULT_PARALLELISM, platform: str | None = None
) -> Reconciler:
    """The engine for `env`; with `platform`, for that platform's resources, in the shape of these specs."""
    from platformctl.engine.reconciler import Reconciler

    specs = load_specs_for(options, env)
    if platform is not None:
        from platformctl.engine.neighbours import as_platform

        specs = as_platform(specs, platform)
    return Reconciler(specs, aws_for(options, specs, parallelism))


def chosen_layers(layer: list[str] | None) -> list[str]:
    """The layers a --layer list names (all of them by default), checked and in build order."""
    from platformctl.engine.reconciler import check_layers
    from platformctl.naming import LAYERS

    return check_layers(layer or LAYERS)
