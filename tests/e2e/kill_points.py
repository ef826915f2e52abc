"""SIGKILL a first apply at chosen points and recover each as a user would, on several emulators in turn.

Shared by the calm suite (`test_reliability.py`, ten points) and the realistic one
(`test_realistic_lifecycle.py`): one loop, so a fix to how a point is crashed, recovered or cleaned up
reaches both.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.helpers import Harness, copy_seed_specs

if TYPE_CHECKING:
    from tests.e2e.test_reliability import Started


def spread(writes: int, count: int) -> list[int]:
    """`count` crash points spread evenly over an apply's `writes` (the first and last write excluded)."""
    return [round(writes * i / (count + 1)) for i in range(1, count + 1)]


def recover_at_points(
    endpoints: list[str], points: list[int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Crash and recover at each point; fails listing every point that was not recovered, with why.

    The crashed apply is a process of its own (SIGKILL needs one); the recovery (refused, unlock, apply) runs
    in-process, so one at a time, here: the CLI's output, signal handlers and suggested command lines belong to
    the process. The emulators take turns, so while one point is recovered on one emulator the next point's
    apply is already running into its kill on another.
    """
    from tests.e2e.test_reliability import Platformctl, recover_from_crash, start_crash  # it imports this module

    todo = iter(points)
    crashing: deque[tuple[int, Platformctl, Started]] = deque()
    failures: dict[int, str] = {}

    def crash_next(endpoint: str) -> None:
        k = next(todo, None)
        if k is not None:
            cli = Platformctl(endpoint, copy_seed_specs(tmp_path / f"k{k}"), tmp_path / f"k{k}" / "runs", capsys)
            crashing.append((k, cli, start_crash(Harness(endpoint), cli, k)))

    try:
        for endpoint in endpoints:
            crash_next(endpoint)
        while crashing:
            k, cli, crashed = crashing.popleft()
            try:
                recover_from_crash(Harness(cli.endpoint), cli, crashed, k)
            except AssertionError as exc:
                failures[k] = str(exc)
            finally:
                cli.stop_leftovers()
            crash_next(cli.endpoint)
    finally:
        for _, cli, _ in crashing:  # only after an error: end the applies still running
            cli.stop_leftovers()
        for endpoint in endpoints:
            Harness(endpoint).calm()
    assert not failures, "\n\n".join(f"killed after write {k}:\n{why}" for k, why in sorted(failures.items()))
