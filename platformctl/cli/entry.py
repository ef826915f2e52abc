"""The entry point: run the app and turn every way it can end into an exit code and, at most, one message.

Exit codes follow diff(1) where it matters: 0 success / in sync, 2 changes pending (diff only), 1 error, so
click's usage errors (its 2) become 1. Bad input is a message, never a traceback; so are AWS errors the user
fixes (credentials, endpoints, permissions). Ctrl-C is 130 and SIGTERM 143, as shells report them.
"""

from __future__ import annotations

import functools
import signal
import sys
from typing import Any

import typer
from rich.markup import escape

from platformctl.cli.app import app, err
from platformctl.errors import PlatformctlError


@functools.cache
def _command() -> Any:
    """The click command typer builds from the app: built once per process (it takes about 0.1 s), not once a
    run, for the programs that run several commands in one process (the tests, the benchmark)."""
    return typer.main.get_command(app)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; usage errors are exit 1 (2 means "changes pending")."""
    from platformctl import commandline

    try:
        result = _command()(args=argv, prog_name="platformctl", standalone_mode=False)
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
    except KeyboardInterrupt as exc:
        err.print("Interrupted.")
        return 128 + getattr(exc, "signum", signal.SIGINT)  # 130 for Ctrl-C, 143 for SIGTERM
    finally:
        commandline.use_global_options(())  # hints made outside a run (tests, bench) carry none
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run())
