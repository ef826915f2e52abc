"""`platformctl iam-policy`: the least-privilege IAM policy platformctl needs for these specs.

Printed from permissions.py (built from the kinds' declared calls); it makes no AWS call, so it can be
reviewed and attached before the first `diff` has the rights to run.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from platformctl.cli.app import Output, app, out
from platformctl.cli.options import OutputOption, load_specs_for


class PolicyMode(StrEnum):
    diff = "diff"
    apply = "apply"


@app.command("iam-policy")
def iam_policy(
    ctx: typer.Context,
    mode: Annotated[
        PolicyMode,
        typer.Option("--for", help="diff: read-only (diff, status, logs); apply: also apply, destroy and unlock."),
    ] = PolicyMode.apply,
    account: Annotated[
        str, typer.Option("--account", help="The account id to put in resource ARNs (default: any, `*`).")
    ] = "*",
    output: OutputOption = Output.text,
) -> None:
    """Print the least-privilege IAM policy platformctl needs for these specs. Makes no AWS call."""
    import json

    from platformctl.permissions import Scope, policy
    from platformctl.resources.registry import registry

    specs = load_specs_for(ctx.obj, None)
    document = policy(registry(), Scope(specs.platform.platform, specs.platform.region, account), mode.value)
    if output is Output.json:
        out.print(json.dumps(document, indent=2), markup=False, highlight=False, emoji=False, soft_wrap=True)
        return
    out.print(
        f"IAM policy for `platformctl {mode.value}` on platform {specs.platform.platform} in {specs.platform.region}"
        " (-o json prints the document to attach):",
        markup=False,
        highlight=False,
    )
    for statement in document["Statement"]:
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        out.print(f"\n{statement['Sid']}:", markup=False, highlight=False, emoji=False)
        out.print(f"  actions: {', '.join(listed)}", markup=False, highlight=False, emoji=False)
        out.print(f"  on: {', '.join(resources)}", markup=False, highlight=False, emoji=False)
        if "Condition" in statement:
            out.print(f"  when: {json.dumps(statement['Condition'])}", markup=False, highlight=False, emoji=False)
