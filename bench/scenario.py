"""One spec size, start to finish: generate, validate, apply, no-op diff, planner, one change, destroy.

Why this order: it is a platform's life in miniature, and each phase starts from the state the previous one
left, exactly as a user meets it. The planner is timed while the platform stands (so the no-op plan compares
against real live state) and before the change, so both plans are of the same platform.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import measure, specgen
from bench.measure import Emulator, Measured
from tests.seed import store_seed_secrets

ENV = "dev"
PARALLELISM = 16  # apply's and destroy's default --parallelism: what the benchmark runs with
Progress = Callable[[int, str], None]


def _get(document: dict[str, Any] | None, *path: str) -> Any:
    """document[path...] or None: the report fields are still being added to the engine, so read them softly."""
    value: Any = document
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _steps(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    steps = _get(document, "steps")
    return steps if isinstance(steps, list) else []


def _pending(document: dict[str, Any] | None) -> list[str]:
    return [f"{s.get('action')} {s.get('kind')} {s.get('id')}" for s in _steps(document) if s.get("action") != "noop"]


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def _apply_figures(result: Measured, latency_s: float, parallelism: int = PARALLELISM) -> dict[str, Any]:
    """The figures of one apply (or destroy): the whole command from outside, and the engine's execution phase.

    Two floors for the execution phase (`report.seconds`): the critical path (the longest chain of dependent
    AWS calls among the executed plan's operations, each operation's calls one after another) × latency, which
    no parallelism can beat; and the throughput bound, every execution-phase call (`report.api_calls`) made
    `parallelism` at once. The higher of the two is the best the executor can do.
    """
    document = result.run.json()
    report = _get(document, "report")
    critical_calls = _get(report, "critical_path", "calls")
    critical_calls = critical_calls if isinstance(critical_calls, int) else None
    lower_bound = round(critical_calls * latency_s, 3) if critical_calls is not None else None
    execute_s = _get(report, "seconds")
    execute_s = float(execute_s) if isinstance(execute_s, int | float) else None
    engine_calls = _get(report, "api_calls")
    engine_calls = engine_calls if isinstance(engine_calls, int) else None
    # The engine's own count, not the harness's: the harness also counts the reads before the plan.
    throughput_bound = round(engine_calls * latency_s / parallelism, 3) if engine_calls is not None else None
    bounds = [b for b in (lower_bound, throughput_bound) if b is not None]
    best_bound = max(bounds) if len(bounds) == 2 else None
    missing = [
        name
        for name, value in (
            ("report", report),
            ("report.seconds", execute_s),
            ("report.api_calls", engine_calls),
            ("report.writes", _get(report, "writes")),
            ("report.peak_in_flight", _get(report, "peak_in_flight")),
            ("report.critical_path.calls", critical_calls),
            ("report.critical_path.operations", _get(report, "critical_path", "operations")),
        )
        if value is None
    ]
    return {
        **result.summary(),
        "plan_summary": _get(document, "plan", "summary"),
        "engine": {
            "ok": _get(report, "ok"),
            "seconds": execute_s,
            "api_calls": engine_calls,
            "writes": _get(report, "writes"),
            "peak_in_flight": _get(report, "peak_in_flight"),
            "lowest_parallelism": _get(report, "lowest_parallelism"),
            "throttled": _get(report, "throttled"),
        },
        "critical_path": {
            "calls": critical_calls,
            "operations": _get(report, "critical_path", "operations"),
            "lower_bound_s": lower_bound,
        },
        "parallelism": parallelism,
        # The execution phase alone (first operation started to last finished), as the engine reports it.
        "execute_s": execute_s,
        "throughput_bound_s": throughput_bound,
        "best_bound_s": best_bound,
        "execute_over_lower_bound": _ratio(execute_s, lower_bound),
        "execute_over_best_bound": _ratio(execute_s, best_bound),
        # The whole command (start-up, lock, reads, plan, execution) against the execution's critical path.
        "wall_over_lower_bound": _ratio(result.run.wall, lower_bound),
        "missing_fields": missing,
    }


def _diff_figures(result: Measured) -> dict[str, Any]:
    document = result.run.json()
    steps = _steps(document)
    return {
        **result.summary(),
        "in_sync": result.run.code == 0,
        "resources": len(steps),
        "summary": _get(document, "summary"),
        "engine_api_calls": _get(document, "api_calls"),
        "calls_per_resource": _ratio(result.calls, len(steps)),
        "pending": _pending(document),
        "calls_by_action": dict(sorted(result.stats.get("calls", {}).items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def warm_up(emulator: Emulator, work: Path) -> float:
    """Apply and destroy the seed specs once, unmeasured, at zero latency; returns the seconds it took.

    moto builds each service's backend on its first request, which costs seconds (about 5 s for the first
    `diff` on a fresh emulator, against 1.4 s after). Real AWS has no such warm-up, so without this the
    first size measured would carry it and look several times slower than it is.
    """
    started = time.perf_counter()
    specs = work / "warm-up-specs"
    shutil.copytree(specgen.SEED_SPECS, specs)
    emulator.configure(latency=0.0)
    store_seed_secrets(emulator.endpoint)  # a plan looks up the secrets the seed names
    measure.platformctl(specs, emulator.endpoint, "apply", "--env", ENV, "--auto-approve", "-o", "json")
    measure.platformctl(specs, emulator.endpoint, "destroy", "--env", ENV, "--auto-approve", "-o", "json")
    emulator.reset_account()
    return time.perf_counter() - started


def prepare(count: int, work: Path, say: Progress) -> tuple[Path, int | None]:
    """Generate the spec set for `count` services and validate it with the CLI (CommandFailed if invalid).

    Returns the folder and the number of desired resources in ENV. Done for every size before the emulator
    starts, so a generator mistake fails in seconds, not after minutes of applying the smaller sizes.
    """
    specs = specgen.generate(work / f"specs-{count}", count)
    say(count, f"generated {count} services in {specs}; validating")
    validated = measure.platformctl(specs, None, "validate", "-o", "json")
    return specs, _get(validated.json(), "environments", ENV)


def run_size(
    emulator: Emulator, count: int, specs: Path, desired: int | None, latency_s: float, say: Progress
) -> dict[str, Any]:
    """Every phase for the `count` services in `specs` on an emptied emulator; raises measure.CommandFailed."""
    emulator.reset_account()
    emulator.configure(latency=latency_s)
    figures: dict[str, Any] = {"services": count, "desired_resources": desired, "specs_dir": str(specs)}

    say(count, "apply from empty")
    applied = measure.measured(emulator, specs, "apply", "--env", ENV, "--auto-approve", "-o", "json")
    figures["apply"] = _apply_figures(applied, latency_s)
    say(count, f"apply: {applied.run.wall:.1f} s, {applied.calls} calls ({applied.writes} writes)")

    say(count, "no-op diff")
    noop = measure.measured(emulator, specs, "diff", "--env", ENV, "-o", "json", ok=(0, 2))
    figures["noop_diff"] = _diff_figures(noop)
    say(count, f"no-op diff: {noop.run.wall:.2f} s, {noop.calls} calls, in sync: {noop.run.code == 0}")

    say(count, "planner CPU (latency 0)")
    emulator.configure(latency=0.0)
    try:
        figures["planner"] = measure.planner_cpu(specs, ENV, emulator.endpoint)
    finally:
        emulator.configure(latency=latency_s)
    say(
        count,
        f"planner: {figures['planner']['from_empty_cpu_s']:.3f} s from empty, "
        f"{figures['planner']['noop_cpu_s']:.3f} s no-op",
    )

    what = specgen.change_one_field(specs)
    say(count, f"one-field change ({what}): diff")
    changed = measure.measured(emulator, specs, "diff", "--env", ENV, "-o", "json", ok=(0, 2))
    say(count, "one-field change: apply")
    change_applied = measure.measured(emulator, specs, "apply", "--env", ENV, "--auto-approve", "-o", "json")
    after = measure.platformctl(specs, emulator.endpoint, "diff", "--env", ENV, "-o", "json", ok=(0, 2))
    figures["change"] = {
        "what": what,
        "diff": _diff_figures(changed),
        "apply": _apply_figures(change_applied, latency_s),
        "clean_after": after.code == 0,
        "pending_after": _pending(after.json()),
    }
    say(count, f"one-field change: apply {change_applied.run.wall:.2f} s, clean after: {after.code == 0}")

    say(count, "destroy")
    destroyed = measure.measured(emulator, specs, "destroy", "--env", ENV, "--auto-approve", "-o", "json")
    status = measure.platformctl(specs, emulator.endpoint, "status", "--env", ENV, "-o", "json")
    left = _get(status.json(), "resources")
    figures["destroy"] = {
        **_apply_figures(destroyed, latency_s),
        "left_behind": len(left) if left is not None else None,
    }
    say(count, f"destroy: {destroyed.run.wall:.1f} s, {destroyed.calls} calls, left behind: {len(left or [])}")
    return figures
