"""Targets, pass/fail, and the tables (terminal and Markdown) a reader needs: apply, then everything else.

Why the targets live here, in one list: they are the promises the README makes about speed, and a reader
should see each figure next to its target. A figure that could not be measured (an engine field not there
yet) is `n/a`, never a pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

PASS, FAIL, NA = "✓", "✗", "n/a"


@dataclass(frozen=True)
class Target:
    """`value(figures) <op> limit`, checked for the sizes listed (None: every size; () : not per size)."""

    key: str
    label: str
    limit: float
    op: str  # "<" or "<="
    sizes: tuple[int, ...] | None
    value: Callable[[dict[str, Any]], float | None]
    context: Callable[[dict[str, Any]], str] | None = None  # shown next to the verdict, e.g. the other bound

    def applies(self, count: int) -> bool:
        return self.sizes is None or count in self.sizes

    def text(self) -> str:
        return f"{self.op} {self.limit:g}"

    def ok(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value < self.limit if self.op == "<" else value <= self.limit


def _planner_worst(figures: dict[str, Any]) -> float | None:
    planner = figures.get("planner") or {}
    values = [planner.get("from_empty_cpu_s"), planner.get("noop_cpu_s")]
    return max(values) if None not in values else None


SIZE_TARGETS: tuple[Target, ...] = (
    Target("noop_calls", "no-op diff calls/resource", 0.5, "<=", None, lambda f: f["noop_diff"]["calls_per_resource"]),
    Target("noop_wall_3", "no-op diff wall s", 2.0, "<", (3,), lambda f: f["noop_diff"]["wall_s"]),
    Target("noop_wall_50", "no-op diff wall s", 4.0, "<", (50,), lambda f: f["noop_diff"]["wall_s"]),
    # The definition: the execution phase against its critical path, i.e. parallelism that works.
    Target(
        "apply_ratio",
        "apply execute s / critical-path bound",
        1.5,
        "<=",
        (3, 50),
        lambda f: f["apply"].get("execute_over_lower_bound"),
        lambda f: (
            f"execute / max(bound) {f['apply'].get('execute_over_best_bound')}, the bound that accounts for "
            f"{f['apply'].get('parallelism')} calls at once"
        ),
    ),
    Target("planner_cpu", "planner CPU s (worse plan)", 1.0, "<", (50,), _planner_worst),
)
HELP_TARGET = Target("help", "--help wall s", 0.3, "<", (), lambda s: s["help_s"])
VALIDATE_TARGET = Target("validate", "validate wall s (seed)", 0.6, "<", (), lambda s: s["validate_s"])


def checks(sizes: list[dict[str, Any]], startup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every target with its figure and verdict (ok: true / false / null when not measurable)."""
    found = []
    for figures in sizes:
        for target in SIZE_TARGETS:
            if target.applies(figures["services"]):
                value = target.value(figures)
                note = target.context(figures) if target.context else ""
                found.append(_check(target, value, figures["services"], note))
    if startup:
        judged = startup[startup["judged"]]
        for target in (HELP_TARGET, VALIDATE_TARGET):
            found.append(_check(target, target.value(judged), None, startup["judged"]))
    for figures in sizes:  # correctness seen on the way: these must hold whatever the speed
        n = figures["services"]
        found.append(_flag("no-op diff in sync after apply", n, figures["noop_diff"]["in_sync"]))
        found.append(_flag("one change: diff clean after apply", n, figures["change"]["clean_after"]))
        found.append(_flag("destroy leaves nothing", n, figures["destroy"]["left_behind"] == 0))
    return found


def _check(target: Target, value: float | None, count: int | None, note: str = "") -> dict[str, Any]:
    return {
        "key": target.key,
        "label": target.label,
        "services": count,
        "value": value,
        "target": target.text(),
        "ok": target.ok(value),
        **({"note": note} if note else {}),
    }


def _flag(label: str, count: int, ok: bool) -> dict[str, Any]:
    return {"key": "correctness", "label": label, "services": count, "value": ok, "target": "true", "ok": ok}


# ---- cells -------------------------------------------------------------------------------------------------


def _num(value: Any, digits: int = 2, unit: str = "") -> str:
    if value is None:
        return NA
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _mark(figures: dict[str, Any], key: str) -> str:
    """' ✓' / ' ✗' / ' (n/a)' after a figure that has a target at this size; '' when none applies."""
    for target in SIZE_TARGETS:
        if target.key.startswith(key) and target.applies(figures["services"]):
            ok = target.ok(target.value(figures))
            return f" {PASS}" if ok else f" {FAIL}" if ok is False else ""
    return ""


# (table, header): the apply table, then the other phases; both start with N.
APPLY, OTHERS = "apply", "diff, change, destroy, planner"
COLUMNS = (
    ("", "N"),
    (APPLY, "resources"),
    (APPLY, "apply wall s (whole command)"),
    (APPLY, "execute s"),
    (APPLY, "calls (writes): command / execute"),
    (APPLY, "peak in flight"),
    (APPLY, "critical path calls → bound"),
    (APPLY, "throughput bound"),
    (APPLY, "execute / critical bound ≤1.5 @3,50"),
    (APPLY, "execute / max(bound)"),
    (OTHERS, "no-op diff s <2 @3, <4 @50"),
    (OTHERS, "no-op calls"),
    (OTHERS, "calls / resource ≤0.5"),
    (OTHERS, "change: diff s, calls"),
    (OTHERS, "change: apply s, calls (writes)"),
    (OTHERS, "clean after"),
    (OTHERS, "destroy s, calls (writes)"),
    (OTHERS, "planner CPU s empty / no-op <1 @50"),
)
HEADERS = tuple(header for _, header in COLUMNS)


def section(name: str) -> list[int]:
    """Column indexes of one table, N first."""
    return [0] + [index for index, (table, _) in enumerate(COLUMNS) if table == name]


def row(figures: dict[str, Any]) -> list[str]:
    apply, noop, change, destroy = figures["apply"], figures["noop_diff"], figures["change"], figures["destroy"]
    planner = figures.get("planner") or {}
    critical = apply["critical_path"]
    engine = apply.get("engine") or {}
    return [
        str(figures["services"]),
        _num(figures.get("desired_resources")),
        _num(apply["wall_s"], 1),
        _num(apply.get("execute_s"), 2),
        f"{apply['api_calls']} ({apply['writes']}) / {_num(engine.get('api_calls'))} ({_num(engine.get('writes'))})",
        _num(apply["peak_in_flight"]),
        f"{_num(critical['calls'])} → {_num(critical['lower_bound_s'], 2, ' s')}",
        _num(apply.get("throughput_bound_s"), 2, " s"),
        _num(apply.get("execute_over_lower_bound")) + _mark(figures, "apply_ratio"),
        _num(apply.get("execute_over_best_bound")),
        _num(noop["wall_s"]) + _mark(figures, "noop_wall"),
        _num(noop["api_calls"]),
        _num(noop["calls_per_resource"]) + _mark(figures, "noop_calls"),
        f"{_num(change['diff']['wall_s'])}, {change['diff']['api_calls']}",
        f"{_num(change['apply']['wall_s'])}, {change['apply']['api_calls']} ({change['apply']['writes']})",
        PASS if change["clean_after"] else FAIL,
        f"{_num(destroy['wall_s'], 1)}, {destroy['api_calls']} ({destroy['writes']})",
        f"{_num(planner.get('from_empty_cpu_s'), 3)} / {_num(planner.get('noop_cpu_s'), 3)}"
        + _mark(figures, "planner_cpu"),
    ]


def startup_rows(startup: dict[str, Any]) -> list[list[str]]:
    rows = []
    for label, times in startup.items():
        if not isinstance(times, dict):
            continue
        judged = label == startup["judged"]
        help_mark = _verdict(HELP_TARGET, times["help_s"]) if judged else ""
        validate_mark = _verdict(VALIDATE_TARGET, times["validate_s"]) if judged else ""
        rows.append([label, f"{times['help_s']:.3f}{help_mark}", f"{times['validate_s']:.3f}{validate_mark}"])
    return rows


def _verdict(target: Target, value: float | None) -> str:
    ok = target.ok(value)
    return f" {PASS}" if ok else f" {FAIL}" if ok is False else f" ({NA})"


# ---- rendering ---------------------------------------------------------------------------------------------


def _size_table(title: str, rows: list[list[str]], columns: list[int]) -> Table:
    table = Table(title=title)
    for index in columns:
        table.add_column(HEADERS[index], justify="left" if index == 0 else "right", no_wrap=True)
    for cells in rows:
        table.add_row(*(cells[index] for index in columns))
    return table


def _width(rows: list[list[str]], index: int) -> int:
    """Characters a column takes with its header on one line: figure or header, plus padding and border."""
    return max([len(HEADERS[index]), *(len(cells[index]) for cells in rows)]) + 3


def _groups(rows: list[list[str]], columns: list[int], width: int) -> list[list[int]]:
    """`columns` (N first) packed into tables that fit `width`, each starting with N: one table when it fits."""
    groups: list[list[int]] = [[0]]
    used = 1 + _width(rows, 0)
    for index in columns[1:]:
        if used + _width(rows, index) > width and len(groups[-1]) > 1:
            groups.append([0])
            used = 1 + _width(rows, 0)
        groups[-1].append(index)
        used += _width(rows, index)
    return groups


def print_tables(console: Console, document: dict[str, Any]) -> None:
    """The size table (in parts, each with N, when the terminal is too narrow for it), start-up, verdicts."""
    config = document["config"]
    title = f"platformctl bench: env {config['env']}, {config['latency_ms']:g} ms per AWS call"
    rows = [row(figures) for figures in document["sizes"]]
    for name in (APPLY, OTHERS):
        groups = _groups(rows, section(name), console.width)
        for number, columns in enumerate(groups, 1):
            part = f" ({number}/{len(groups)})" if len(groups) > 1 else ""
            console.print(_size_table(f"{title}: {name}{part}", rows, columns))
    if document.get("startup"):
        startup = Table(title=f"start-up, best of {document['startup']['runs']} (once, not per N)")
        for name in ("command", "--help s (<0.3)", "validate seed s (<0.6)"):
            startup.add_column(name, justify="right")
        for cells in startup_rows(document["startup"]):
            startup.add_row(*cells)
        console.print(startup)
    for figures in document["sizes"]:
        for phase in ("apply", "destroy"):
            if figures[phase].get("missing_fields"):
                fields = ", ".join(figures[phase]["missing_fields"])
                console.print(f"N={figures['services']} {phase}: the engine did not report {fields}")
    failed = [c for c in document["checks"] if c["ok"] is False]
    unknown = [c for c in document["checks"] if c["ok"] is None]
    console.print(
        f"{sum(c['ok'] is True for c in document['checks'])} targets met, {len(failed)} missed, "
        f"{len(unknown)} not measurable"
    )
    for check in failed + unknown:
        where = f" (N={check['services']})" if check["services"] is not None else ""
        verdict = FAIL if check["ok"] is False else NA
        note = f"; {check['note']}" if check.get("note") else ""
        console.print(f"  {verdict} {check['label']}{where}: {check['value']} (target {check['target']}{note})")


LEGEND = (
    "- **apply wall s**: the whole `apply` command as a user waits for it, timed from outside: start-up, lock, "
    "reading live state, planning and execution.",
    "- **execute s**: the engine's execution phase alone (`report.seconds`), from the first operation started to "
    "the last finished.",
    "- **critical path bound**: critical-path calls × latency, the critical path being the longest chain of "
    "dependent AWS calls among the executed plan's operations (each operation's calls run one after another); "
    "no amount of parallelism can beat it.",
    "- **throughput bound**: the execution phase's AWS calls (the engine's `report.api_calls`) × latency / "
    "{parallelism}, the time to make every call with at most {parallelism} at once (the default `--parallelism`); "
    "where it exceeds 1.5 × the critical path bound, the 1.5 target cannot be met at that parallelism.",
    "- **execute / max(bound)**: the execution phase against the higher of the two bounds, i.e. how close the "
    "executor comes to the best possible given the {parallelism}-calls-at-once limit.",
)


def _markdown_table(rows: list[list[str]], columns: list[int]) -> list[str]:
    lines = [
        "| " + " | ".join(HEADERS[index] for index in columns) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(columns) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(cells[index].replace("|", "\\|") for index in columns) + " |" for cells in rows]
    return lines


def markdown(document: dict[str, Any]) -> str:
    """The same tables in Markdown, with the conditions they were measured under, for the README."""
    config, machine = document["config"], document["machine"]
    rows = [row(figures) for figures in document["sizes"]]
    parallelism = next((f["apply"].get("parallelism") for f in document["sizes"]), None) or 16
    lines = [
        "<!-- generated by `python -m bench`; do not edit by hand -->",
        f"Measured {machine['date']} on {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"moto {machine.get('moto', '?')}, load average {machine['load_avg_1_5_15'][0]:g} at the start, "
        f"env `{config['env']}`, {config['latency_ms']:g} ms added to every AWS call by the emulator harness.",
        "",
        f"Apply from empty, parallelism {parallelism}:",
        "",
        *_markdown_table(rows, section(APPLY)),
        "",
        *(line.format(parallelism=parallelism) for line in LEGEND),
        "",
        "No-op diff, one-field change, destroy, planner:",
        "",
        *_markdown_table(rows, section(OTHERS)),
    ]
    if document.get("startup"):
        lines += [
            "",
            f"Start-up, best of {document['startup']['runs']}:",
            "",
            "| command | `--help` s (<0.3) | `validate` seed s (<0.6) |",
            "|---|---:|---:|",
        ]
        lines += ["| " + " | ".join(cells) + " |" for cells in startup_rows(document["startup"])]
    lines += [
        "",
        "Calls and writes: command = every call the harness saw during the whole command (reads before the plan "
        "included; writes are non-read calls as the harness counts them), execute = the engine's execution phase "
        "(`report.api_calls`, `report.writes`). `n/a`: the engine did not report that figure.",
    ]
    return "\n".join(lines) + "\n"
