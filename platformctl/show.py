"""`platformctl show`: the desired resources of an environment as apply would make them, read from the specs.

It makes no AWS call, on purpose: it answers "what do the specs ask for?" (a policy, a task definition, the
settings of a queue) in any checkout, without credentials, in a fraction of a second. What only AWS knows
stays symbolic: a reference to another resource's attribute is shown as `${id.attr}` (the id is that
resource's, so it can be looked up with `show` too), and the account id in ARNs as `<account-id>`.
`diff` / `apply` show the same props for what they create, with the references that are live resolved.
"""

from __future__ import annotations

import difflib
import json

from rich.console import Console
from rich.markup import escape

from platformctl.commandline import command_line
from platformctl.engine.model import Resource, jsonable
from platformctl.errors import PlatformctlError
from platformctl.layers import BuildContext, desired_resources
from platformctl.naming import LAYERS
from platformctl.props_view import props_lines
from platformctl.specs import SpecSet

ACCOUNT = "<account-id>"


def desired(specs: SpecSet, ids: list[str]) -> list[Resource]:
    """The desired resources with these logical ids (all when none), in the graph's order.

    An id the specs do not produce is an error naming the closest ones.
    """
    everything = desired_resources(BuildContext(specs, ACCOUNT))
    if not ids:
        return everything
    by_id = {r.id: r for r in everything}
    unknown = [i for i in dict.fromkeys(ids) if i not in by_id]
    if unknown:
        raise PlatformctlError(_unknown_message(unknown[0], list(by_id), specs.env or ""))
    wanted = set(ids)
    return [r for r in everything if r.id in wanted]


def resources_json(specs: SpecSet, resources: list[Resource]) -> str:
    document = {
        "platform": specs.platform.platform,
        "env": specs.env,
        "resources": [
            {
                "layer": r.layer,
                "kind": r.kind,
                "id": r.id,
                "name": r.name,
                "props": jsonable(r.props),
                "tags": dict(r.tags),
            }
            for r in resources
        ],
    }
    return json.dumps(document, indent=2)


def print_resources(console: Console, specs: SpecSet, resources: list[Resource]) -> None:
    """By layer, each resource's kind, id and name, then its props one per line."""
    console.print(f"[bold]platformctl show: {escape(specs.platform.platform)} / {escape(specs.env or '')}[/bold]")
    for layer in LAYERS:
        in_layer = [r for r in resources if r.layer == layer]
        if not in_layer:
            continue
        console.print(f"\n[bold]{layer}[/bold]")
        for resource in in_layer:
            line = f"  {escape(resource.kind)} {escape(resource.id)}"
            if resource.name and resource.name != resource.id:
                line += f"  [dim]{escape(resource.name)}[/dim]"
            console.print(line, highlight=False)
            for text in props_lines(resource.props):
                console.print(f"        {escape(text)}", highlight=False)
    console.print(
        f"\n{len(resources)} resource{'s' if len(resources) != 1 else ''}; references as ${{id.attr}}, "
        f"the account as {ACCOUNT}: no AWS call was made.",
        highlight=False,
    )


def _unknown_message(wanted: str, ids: list[str], env: str) -> str:
    near = difflib.get_close_matches(wanted, ids, n=5, cutoff=0.6)
    containing = [i for i in ids if wanted.lower() in i.lower() and i not in near]
    suggestions = (near + containing)[:5]
    hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
    return f"no resource '{wanted}' in {env}{hint}; `{command_line('show', '--env', env)}` lists every id"
