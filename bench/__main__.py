"""`python -m bench`: the benchmark's command line. See bench/__init__.py for what it measures and why.

Runs every size on one emulator (reset between sizes), prints progress to stderr and the table to stdout,
writes results.json and results.md. Exits 1 when a command fails (its output is shown and the scratch folder
kept for a look), 130 on Ctrl-C; a missed target is reported, not an error, since the figures depend on the
machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from bench import measure, report, scenario

DEFAULT_OUT = Path(__file__).resolve().parent / "results.json"

# Off a terminal (a log, a file) the table is never split or cut: it is as wide as it needs.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 1000)
err = Console(stderr=True, highlight=False)


def _sizes(text: str) -> list[int]:
    try:
        sizes = list(dict.fromkeys(int(part) for part in text.split(",") if part.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, e.g. 3,10,50 (got '{text}')") from None
    if not sizes or any(n < 1 or n > 999 for n in sizes):
        raise argparse.ArgumentTypeError(f"expected service counts from 1 to 999 (got '{text}')")
    return sizes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Benchmark platformctl on the local emulator with injected latency: apply from empty, no-op diff, "
            "a one-field change, destroy and planner CPU for generated platforms of N services, plus CLI "
            "start-up. Prints a table with targets and writes JSON and Markdown results."
        ),
    )
    parser.add_argument("--latency-ms", type=float, default=50.0, help="latency added to every AWS call (default: 50)")
    parser.add_argument(
        "--sizes", type=_sizes, default=[3, 10, 50], help="service counts to generate, e.g. 3,10,50 (default)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (specs, emulator log)")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="results JSON path; the Markdown table goes next to it with .md (default: bench/results.json)",
    )
    parser.add_argument("--skip-startup", action="store_true", help="do not time --help and validate")
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="instead: apply the seed under the realistic profile and compare its wall time with the longest "
        "chain of AWS's waits (bench/timeline.py); writes timeline.json and timeline.md",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        help="with --timeline: the fraction of AWS's durations the emulator takes (default: bench/timeline.py's SCALE)",
    )
    return parser.parse_args(argv)


def _say(count: int, message: str) -> None:
    err.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] [bold]N={count}[/bold] {escape(message)}")


def run(options: argparse.Namespace) -> dict[str, Any]:
    work = measure.scratch_dir()
    err.print(f"scratch folder {work}")
    document: dict[str, Any] = {
        "machine": measure.machine_info(),
        "config": {
            "latency_ms": options.latency_ms,
            "sizes": options.sizes,
            "env": scenario.ENV,
            "python": sys.executable,
        },
        "startup": None,
        "sizes": [],
    }
    keep = options.keep
    started = time.perf_counter()
    try:
        if not options.skip_startup:
            err.print("start-up: --help and validate, best of 5")
            document["startup"] = measure.startup_times()
        prepared = {count: scenario.prepare(count, work, _say) for count in options.sizes}
        err.print(f"starting the emulator with {options.latency_ms:g} ms latency")
        with measure.running_emulator(work / "emulator.log", options.latency_ms) as emulator:
            err.print("warming the emulator up (seed specs: apply + destroy, unmeasured)")
            document["config"]["warm_up_s"] = round(scenario.warm_up(emulator, work), 1)
            for count in options.sizes:
                size_started = time.perf_counter()
                specs, desired = prepared[count]
                figures = scenario.run_size(emulator, count, specs, desired, options.latency_ms / 1000, _say)
                figures["total_s"] = round(time.perf_counter() - size_started, 1)
                document["sizes"].append(figures)
                _say(count, f"done in {figures['total_s']:.0f} s")
    except measure.CommandFailed as exc:
        keep = True
        err.print(f"[red]✗ {escape(str(exc))}[/red]")
        if exc.stderr.strip():
            err.print(exc.stderr.rstrip(), markup=False)
        if exc.stdout.strip():
            err.print(exc.stdout.strip()[-4000:], markup=False)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted: nothing is left running")
        raise SystemExit(130) from None
    except BaseException:
        keep = True
        raise
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        elif work.exists():
            err.print(f"scratch folder kept for a look (specs, emulator.log): {work}")
    document["total_s"] = round(time.perf_counter() - started, 1)
    document["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    document["checks"] = report.checks(document["sizes"], document["startup"])
    return document


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    if options.timeline:
        from bench import timeline

        work = measure.scratch_dir()
        try:
            scale = timeline.SCALE if options.scale is None else options.scale
            return timeline.main(work, options.out, options.latency_ms, out, err, scale)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    document = run(options)
    report.print_tables(out, document)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown_path = options.out.with_suffix(".md")
    markdown_path.write_text(report.markdown(document), encoding="utf-8")
    err.print(f"wrote {options.out} and {markdown_path} in {document['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
