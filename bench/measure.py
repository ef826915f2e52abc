"""Running things and measuring them: the emulator with its harness, the CLI as a subprocess, the planner.

Why from outside: a user waits for the whole process, start-up and imports included, so commands are timed
with the wall clock around a subprocess of the real CLI. AWS calls are counted by the emulator's harness (the
WSGI layer in front of moto), not by platformctl itself, so a call the engine forgets to count still shows.
Only the planner is timed in-process, with CPU time, because there the question is how much work the planner
does, not how long the network takes.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from platformctl import local
from tests.seed import SEED_SPECS

REPO = Path(__file__).resolve().parents[1]
CLI_TIMEOUT_S = 1800  # a 50-service apply takes about a minute; a hang must still end the run

# Fake credentials: nothing the benchmark starts can reach a real account.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def cli_environ() -> dict[str, str]:
    """The process environment for the CLI: fake credentials, no profile, no endpoint from the shell."""
    environ = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    environ.pop("PLATFORMCTL_ENDPOINT_URL", None)
    environ.update(AWS_ENV)
    return environ


class CommandFailed(RuntimeError):
    """A CLI run ended with an exit code the benchmark did not expect; carries its output for the user."""

    def __init__(self, args: Sequence[str], code: int, stdout: str, stderr: str):
        self.args_run, self.code, self.stdout, self.stderr = list(args), code, stdout, stderr
        super().__init__(f"`{' '.join(args)}` exited {code}")


@dataclass
class Run:
    """One finished CLI run: exit code, wall seconds (from outside), output."""

    args: list[str]
    code: int
    wall: float
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any] | None:
        """stdout as JSON, or None when it is not (so a changed output format is reported, not a crash)."""
        try:
            document = json.loads(self.stdout)
        except ValueError:
            return None
        return document if isinstance(document, dict) else None


def run(args: Sequence[str], ok: Sequence[int] = (0,), timeout: float = CLI_TIMEOUT_S) -> Run:
    """Run `args`, timed by the wall clock; raise CommandFailed on an exit code outside `ok`."""
    started = time.perf_counter()
    process = subprocess.run(
        list(args),
        capture_output=True,
        text=True,
        env=cli_environ(),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )
    wall = time.perf_counter() - started
    if process.returncode not in ok:
        raise CommandFailed(args, process.returncode, process.stdout, process.stderr)
    return Run(list(args), process.returncode, wall, process.stdout, process.stderr)


def platformctl(specs: Path, endpoint: str | None, *args: str, ok: Sequence[int] = (0,)) -> Run:
    """`python -m platformctl --specs SPECS [--endpoint-url URL] ARGS`, the real CLI in a fresh process."""
    prefix = [sys.executable, "-m", "platformctl", "--specs", str(specs)]
    if endpoint is not None:
        prefix += ["--endpoint-url", endpoint]
    return run([*prefix, *args], ok=ok)


# ---- the emulator and its harness -------------------------------------------------------------------------


# The emulator as the benchmark drives it: its endpoint and the Harness's controls.
Emulator = local.HarnessControl


@contextmanager
def running_emulator(log: Path, latency_ms: float) -> Iterator[Emulator]:
    """moto behind the Harness on a free 127.0.0.1 port, for the life of a `with` block (Ctrl-C included)."""
    with local.running(log, harness=True, latency_ms=latency_ms) as endpoint:
        yield Emulator(endpoint)


@dataclass
class Measured:
    """A CLI run plus what the harness counted during it (counters reset just before it)."""

    run: Run
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def calls(self) -> int:
        return int(self.stats.get("total", 0))

    @property
    def writes(self) -> int:
        return int(self.stats.get("writes", 0))

    def summary(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.run.wall, 3),
            "exit_code": self.run.code,
            "api_calls": self.calls,
            "writes": self.writes,
            "faults": self.stats.get("faults"),
            "peak_in_flight": self.stats.get("peak_in_flight"),
        }


def measured(emulator: Emulator, specs: Path, *args: str, ok: Sequence[int] = (0,)) -> Measured:
    emulator.reset_counters()
    result = platformctl(specs, emulator.endpoint, *args, ok=ok)
    return Measured(result, emulator.stats())


# ---- the planner, in-process --------------------------------------------------------------------------------


def planner_cpu(specs_dir: Path, env: str, endpoint: str, repeat: int = 3) -> dict[str, Any]:
    """CPU seconds of planning alone: building the desired graph + make_plan, from empty and against live.

    Live state is read once, outside the timing (with the harness at zero latency, the caller's job), so the
    figure is the planner's own work. Best of `repeat`, as the first run also pays for lazy imports.
    """
    os.environ.update(AWS_ENV)
    from platformctl.aws import Aws, AwsTarget
    from platformctl.engine.planner import make_plan
    from platformctl.engine.reconciler import Reconciler
    from platformctl.layers import BuildContext, desired_resources
    from platformctl.specs import load_specs

    specs = load_specs(specs_dir, env)
    reconciler = Reconciler(specs, Aws(AwsTarget(region=specs.platform.region, endpoint_url=endpoint)))
    account = reconciler.account_id()
    live = reconciler.read()

    def timed(live_state: list[Any]) -> tuple[float, Any]:
        best, plan = float("inf"), None
        for _ in range(repeat):
            started = time.process_time()
            desired = desired_resources(BuildContext(specs, account))
            plan = make_plan(env, desired, live_state, reconciler.kinds)
            best = min(best, time.process_time() - started)
        return best, plan

    empty_s, empty_plan = timed([])
    noop_s, noop_plan = timed(live)
    return {
        "desired_resources": len(desired_resources(BuildContext(specs, account))),
        "live_resources": len(live),
        "from_empty_cpu_s": round(empty_s, 4),
        "from_empty_summary": empty_plan.summary(),
        "noop_cpu_s": round(noop_s, 4),
        "noop_summary": noop_plan.summary(),
        "repeat": repeat,
    }


# ---- start-up ------------------------------------------------------------------------------------------------


def best_wall(args: Sequence[str], runs: int = 5) -> float:
    return min(run(args).wall for _ in range(runs))


def startup_times(runs: int = 5) -> dict[str, Any]:
    """Best-of-`runs` wall time of `--help` and `validate` (seed specs), by module and by console script."""
    seed = str(SEED_SPECS)
    commands: dict[str, list[str]] = {"python -m platformctl": [sys.executable, "-m", "platformctl"]}
    script = Path(sys.executable).parent / "platformctl"
    if script.is_file() and os.access(script, os.X_OK):
        commands["platformctl (console script)"] = [str(script)]
    results: dict[str, Any] = {}
    for label, command in commands.items():
        results[label] = {
            "help_s": round(best_wall([*command, "--help"], runs), 3),
            "validate_s": round(best_wall([*command, "--specs", seed, "validate"], runs), 3),
        }
    # What users run decides the target: the console script when it is installed.
    results["judged"] = "platformctl (console script)" if len(commands) > 1 else "python -m platformctl"
    results["runs"] = runs
    return results


# ---- about the machine ---------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """What the figures depend on: cores, Python, OS, moto, and the commit measured (dirty when edited)."""
    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        # Other work on the machine (a test run, another emulator) slows everything measured here.
        "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        from importlib.metadata import version

        info["moto"] = version("moto")
        info["platformctl"] = version("platformctl")
    except Exception:  # informational only: a missing distribution must not stop the benchmark
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "platformctl"], cwd=REPO, capture_output=True, text=True, timeout=10
        )
        info["git_commit"] = commit.stdout.strip() or None
        info["git_dirty"] = bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="platformctl-bench-"))
