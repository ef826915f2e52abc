"""The commands that look at a running environment and change nothing: `status` and `logs`.

`status` costs no call a no-op `diff` would not make (one read pass of the kinds; status.py turns it into
the report); `logs` reads the service's CloudWatch log group, once or following until Ctrl-C.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from platformctl.cli.app import Output, app, err, out
from platformctl.cli.interrupts import sigterm_as_ctrl_c
from platformctl.cli.options import (
    EnvOption,
    LocalOption,
    OutputOption,
    aws_for,
    load_specs_for,
    options_for,
    reconciler_for,
)
from platformctl.errors import PlatformctlError


@app.command()
def status(
    ctx: typer.Context,
    env: EnvOption,
    every_resource: Annotated[
        bool, typer.Option("--all", help="Also list every resource platformctl owns in the environment.")
    ] = False,
    local: LocalOption = False,
    output: OutputOption = Output.text,
) -> None:
    """How an environment is doing: endpoints, services and their rollouts, queue depths, alarms going off."""
    from platformctl.status import console_for_people, gather, print_report, report_json

    reconciler = reconciler_for(options_for(ctx, local), env)
    reconciler.account_id()  # credentials and endpoint, checked once and fast, before the kinds read
    report = gather(reconciler.ctx.platform, env, reconciler.read())
    if output is Output.json:
        out.print(json.dumps(report_json(report), indent=2, default=str), markup=False)
        return
    if not report.resources:
        from platformctl.commandline import command_line

        out.print(
            f"Nothing of {reconciler.ctx.platform} is live in {env}. "
            f"Create it with `{command_line('apply', '--env', env)}`.",
            markup=False,
        )
        return
    print_report(console_for_people(), report, every_resource=every_resource)


def _check_since(value: str) -> str:
    """A bad --since is a usage error, before any AWS call."""
    from datetime import UTC, datetime

    from platformctl.logs import parse_since

    try:
        parse_since(value, datetime.now(UTC))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


@app.command()
def logs(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(metavar="SERVICE", help="The service whose container logs to show.")],
    env: EnvOption,
    since: Annotated[
        str, typer.Option("--since", help="From when: 30s, 10m, 2h, 1d ago, or an ISO time.", callback=_check_since)
    ] = "10m",
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")] = False,
    filter_text: Annotated[
        str | None, typer.Option("--filter", help="Only lines containing this text (case-sensitive).")
    ] = None,
    output: OutputOption = Output.text,
    local: LocalOption = False,
    follow_for: Annotated[float | None, typer.Option("--follow-for", hidden=True, min=0)] = None,
) -> None:
    """A service's container logs from CloudWatch Logs, newest last, each line with its time and task id."""
    from datetime import UTC, datetime

    from platformctl import logs as service_logs
    from platformctl.naming import service_log_group

    options = options_for(ctx, local)
    specs = load_specs_for(options, env)
    if service not in specs.services:
        known = ", ".join(specs.services) or "none"
        raise PlatformctlError(f"no service '{service}' in {specs.platform.platform}: the services are {known}")
    group = service_log_group(specs.platform.platform, env, service)
    start = service_logs.parse_since(since, datetime.now(UTC))
    client = aws_for(options, specs).client("logs")

    def emit(event: service_logs.LogEvent) -> None:
        text = json.dumps(event.to_json()) if output is Output.json else event.line()
        out.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)

    if not follow:
        events = service_logs.read_events(client, group, start, filter_text)
        for event in events:
            emit(event)
        if not events and output is Output.text:
            err.print(f"No log lines from {service} in {env} since {since}.", markup=False)
        return
    try:
        with sigterm_as_ctrl_c():
            service_logs.follow(client, group, start, filter_text, emit, stop_after=follow_for)
    except KeyboardInterrupt:
        return  # Ctrl-C (or SIGTERM) is how a follow ends: exit 0
