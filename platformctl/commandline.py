"""The command lines platformctl suggests (`Next: …`, `break the lock with: …`), ready to paste.

A hint copied from a run against the emulator must go to the emulator again, not to real AWS; one copied
from a run on other specs must read those specs. So every suggested command carries the global options
this run was given (`--specs`, `--local`, `--endpoint-url`, `--profile`, `--region`), as the user gave them,
shell-quoted. The CLI records them once per run (`use_global_options`); the engine's messages (the lock
holder, other platforms) build their hints here too, so no hint can forget them.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

PROGRAM = "platformctl"

# The global options of the run in progress; empty outside a CLI run (tests of the engine, the benchmark).
_global_options: tuple[str, ...] = ()


def use_global_options(arguments: Iterable[str]) -> None:
    """Record the global options (as arguments, e.g. `["--specs", "x", "--local"]`) hints must carry."""
    global _global_options
    _global_options = tuple(arguments)


def command_line(*arguments: str) -> str:
    """`platformctl <this run's global options> <arguments>`, shell-quoted."""
    return shlex.join([PROGRAM, *_global_options, *arguments])
