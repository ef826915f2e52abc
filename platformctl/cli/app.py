"""The typer app every command registers on, its consoles, and the habits people expect of a CLI.

One place for what is the same for every command: `-h` is `--help` everywhere, a flag shows no value in
`--help`, shell completion is on, tracebacks are never pretty-printed (run() maps errors to messages), and
the two consoles: stdout for results people copy or pipe, stderr for progress and messages.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console

# -h is --help everywhere; subcommands inherit the setting.
HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    name="platformctl",
    help="Run a microservices platform on AWS from YAML. Live AWS is the only state: no state file.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings=HELP_OPTIONS,
)

# Off a terminal (pipes, CI logs) nothing is cut to 80 columns: ids and ARNs are what people copy.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 240)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Output(StrEnum):
    text = "text"
    json = "json"


def _show_flags_as_flags() -> None:
    """typer (0.2x) labels every flag `<bool>` in --help (`--local <bool>`), as if it took a value: a flag
    shows no type, as in every other CLI. One wrapper of typer's label, so typer's own flags (--help) too."""
    from typer.core import TyperOption

    label = getattr(TyperOption, "display_type_rich", None)
    if label is None or getattr(label, "flags_as_flags", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if self.is_flag and not self.count else label(self, ctx)

    display_type_rich.flags_as_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_show_flags_as_flags()
