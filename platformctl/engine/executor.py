"""Run a plan's operations on a bounded thread pool, each as soon as what it needs is done.

A failed operation stops only what depends on it; independent branches go on. Ctrl-C (or SIGTERM) stops scheduling,
lets the calls already in flight finish, and reports what was done. Re-running apply converges because
the next plan starts again from live AWS.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from platformctl.aws import denied, denied_action, error_code
from platformctl.engine.model import LiveResource, contains_unknown, resolve
from platformctl.engine.ordering import Operation, dependencies, operations
from platformctl.engine.planner import TAGS, Plan
from platformctl.errors import PlatformctlError
from platformctl.resources import tagging
from platformctl.resources.base import Context, ResourceKind


@dataclass
class OpResult:
    op: Operation
    status: str  # done | failed | skipped
    seconds: float = 0.0
    error_code: str | None = None
    error: str | None = None
    calls: int = 0

    def to_json(self) -> dict[str, Any]:
        step = self.op.step
        return {
            "operation": self.op.verb,
            "kind": step.kind,
            "id": step.id,
            "name": step.name,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "calls": self.calls,
            "error_code": self.error_code,
            "error": self.error,
        }


@dataclass
class Report:
    results: list[OpResult] = field(default_factory=list)
    interrupted: bool = False
    # The signal that interrupted it: SIGINT (Ctrl-C) or SIGTERM; 0 when it was not interrupted.
    signal: int = 0
    peak_in_flight: int = 0
    # The lowest concurrency the executor narrowed to, and the throttled answers that made it narrow.
    lowest_parallelism: int = 0
    throttled: int = 0
    # The longest chain of dependent operations, weighted by the AWS calls each made (they run in sequence).
    critical_path_calls: int = 0
    critical_path: list[str] = field(default_factory=list)
    api_calls: int = 0
    writes: int = 0
    # Wall seconds from the first operation started to the last finished (reading and planning excluded).
    seconds: float = 0.0

    def by_status(self, status: str) -> list[OpResult]:
        return [r for r in self.results if r.status == status]

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(r.status == "done" for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "interrupted": self.interrupted,
            "done": len(self.by_status("done")),
            "failed": len(self.by_status("failed")),
            "skipped": len(self.by_status("skipped")),
            "seconds": round(self.seconds, 3),
            "api_calls": self.api_calls,
            "writes": self.writes,
            "peak_in_flight": self.peak_in_flight,
            "lowest_parallelism": self.lowest_parallelism,
            "throttled": self.throttled,
            "critical_path": {"calls": self.critical_path_calls, "operations": self.critical_path},
            "operations": [r.to_json() for r in self.results],
        }


# Progress callback: (event, operation, detail). "start": detail None; "finish": its OpResult; "wait": what
# the operation now waits for (`waiting for ...`, reported by the kind through `Context.waiting`), or None
# once it no longer waits.
Listener = Callable[[str, Operation, OpResult | str | None], None]


def execute(
    plan: Plan,
    kinds: Mapping[str, ResourceKind],
    ctx: Context,
    parallelism: int = 16,
    listener: Listener | None = None,
) -> Report:
    ops = operations(plan.pending)
    preds = dependencies(ops, plan.live, plan.graph, kinds)
    outputs: dict[str, dict[str, Any]] = {lr.id: dict(lr.attrs) for lr in plan.live}
    outputs_lock = threading.Lock()
    notify = listener or (lambda *_: None)

    counter = ctx.aws.counter
    calls_before, writes_before = counter.total, counter.writes
    began = time.monotonic()
    report = Report()
    running = 0
    running_lock = threading.Lock()

    def run(op: Operation) -> OpResult:
        nonlocal running
        with running_lock:
            running += 1
            report.peak_in_flight = max(report.peak_in_flight, running)
        try:
            return _run(op)
        finally:
            with running_lock:
                running -= 1

    def _run(op: Operation) -> OpResult:
        started = time.monotonic()
        notify("start", op, None)
        try:
            with counter.attributing(op.key), ctx.waits_reported_to(lambda what: notify("wait", op, what)):
                _perform(op, kinds[op.step.kind], ctx, outputs, outputs_lock)
            result = OpResult(op, "done", time.monotonic() - started)
        except Exception as exc:  # reported per operation; dependents are skipped
            result = OpResult(
                op,
                "failed",
                time.monotonic() - started,
                error_code=error_code(exc) or type(exc).__name__,
                error=_refusal(op, exc) if denied(exc) else _message(exc),
            )
        notify("finish", op, result)
        return result

    sorter = TopologicalSorter(preds)
    try:
        sorter.prepare()
    except CycleError as exc:
        loop = " → ".join(f"{verb} {logical_id}" for verb, logical_id in exc.args[1])
        raise PlatformctlError(f"cannot order the plan, its steps wait on each other: {loop}") from None
    finished: set[tuple[str, str]] = set()
    succeeded: set[tuple[str, str]] = set()
    limit = _AdaptiveLimit(parallelism, counter)
    # When more steps are ready than may run, the ones with the longest chain still behind them go first:
    # the critical path, not the alphabet, decides how long the apply takes.
    priority = _chain_lengths(preds)
    ready: list[tuple[str, str]] = []
    with (
        _ctrl_c_stops_scheduling() as interrupted,
        ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="apply") as pool,
    ):
        in_flight: dict[Future[OpResult], Operation] = {}
        while True:
            report.interrupted = interrupted.is_set()
            if not report.interrupted:
                ready = sorted({*ready, *sorter.get_ready()}, key=lambda k: (-priority[k], k))
                while ready and len(in_flight) < limit.current():
                    key = ready.pop(0)
                    in_flight[pool.submit(run, ops[key])] = ops[key]
            if not in_flight:
                break
            done, _ = wait(list(in_flight), timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                op = in_flight.pop(future)
                result = future.result()
                report.results.append(result)
                finished.add(op.key)
                limit.finished()
                if result.status == "done":
                    succeeded.add(op.key)
                    sorter.done(op.key)

    for key, op in ops.items():
        if key not in finished:
            blocked_by = sorted(f"{v} {i}" for v, i in preds[key] if (v, i) not in succeeded)
            why = "interrupted" if report.interrupted else "a dependency failed"
            detail = f"{why} ({', '.join(blocked_by)})" if blocked_by else why
            report.results.append(OpResult(op, "skipped", error=detail))
    report.signal = interrupted.signum if report.interrupted else 0
    report.seconds = time.monotonic() - began
    report.lowest_parallelism, report.throttled = limit.lowest, limit.throttled
    report.api_calls, report.writes = counter.total - calls_before, counter.writes - writes_before
    calls_by_op = {key: counter.by_step[key] for key in finished}
    for result in report.results:
        result.calls = counter.by_step[result.op.key]
    report.critical_path_calls, chain = critical_path(calls_by_op, preds)
    report.critical_path = [ops[key].label() for key in chain]
    return report


class _AdaptiveLimit:
    """How many operations may run at once: up to `parallelism`, halved whenever AWS throttles us.

    Additive increase, multiplicative decrease, as TCP does: each finished operation without new throttling
    raises the limit by one, back toward `parallelism`. botocore's adaptive retry mode slows each client's
    request rate as well; this keeps the number of steps waiting on those retries small.
    """

    def __init__(self, parallelism: int, counter: Any):
        self.ceiling = max(1, parallelism)
        self.limit = self.ceiling
        self.lowest = self.ceiling
        self._counter = counter
        self._seen = counter.throttled
        self.throttled = 0

    def current(self) -> int:
        now = self._counter.throttled
        if now > self._seen:
            self.throttled += now - self._seen
            self._seen = now
            self.limit = max(1, self.limit // 2)
            self.lowest = min(self.lowest, self.limit)
        return self.limit

    def finished(self) -> None:
        if self._counter.throttled == self._seen:
            self.limit = min(self.ceiling, self.limit + 1)


def _chain_lengths(preds: Mapping[tuple[str, str], set[tuple[str, str]]]) -> dict[tuple[str, str], int]:
    """For each operation, how many operations the longest chain starting at it holds (itself included)."""
    after: dict[tuple[str, str], set[tuple[str, str]]] = {key: set() for key in preds}
    for key, before in preds.items():
        for pred in before:
            after[pred].add(key)
    # A chain starting at an operation is a chain ending at it once every edge is turned around.
    return {key: length for key, (length, _) in _heaviest_chains(dict.fromkeys(after, 1), after).items()}


def critical_path(
    weights: Mapping[tuple[str, str], int], preds: Mapping[tuple[str, str], set[tuple[str, str]]]
) -> tuple[int, list[tuple[str, str]]]:
    """The heaviest chain of dependent operations: (its total weight, its operations in order).

    With weights in AWS calls, weight × latency is the least time the plan could take on any number of
    threads, since the calls of one chain must happen one after the other.
    """
    return max(_heaviest_chains(weights, preds).values(), default=(0, []), key=lambda chain: chain[0])


def _heaviest_chains(
    weights: Mapping[tuple[str, str], int], preds: Mapping[tuple[str, str], set[tuple[str, str]]]
) -> dict[tuple[str, str], tuple[int, list[tuple[str, str]]]]:
    """For each weighted operation, the heaviest chain of weighted operations ending at it."""
    graph = {key: [p for p in preds.get(key, ()) if p in weights] for key in weights}
    best: dict[tuple[str, str], tuple[int, list[tuple[str, str]]]] = {}
    for key in TopologicalSorter(graph).static_order():
        before = max((best[p] for p in graph[key]), default=(0, []), key=lambda chain: chain[0])
        best[key] = (before[0] + weights[key], [*before[1], key])
    return best


class _StopRequest(threading.Event):
    """Set by the first Ctrl-C (SIGINT) or SIGTERM; remembers which one, for the exit code (128 + its number)."""

    signum: int = 0

    def stop(self, signum: int, _frame: Any = None) -> None:
        if not self.is_set():
            self.signum = signum
        self.set()


# SIGTERM is how `timeout`, a cancelled CI job and `docker stop` ask a run to end: it is treated as Ctrl-C.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def _ctrl_c_stops_scheduling() -> Iterator[_StopRequest]:
    """While operations run, Ctrl-C or SIGTERM sets a flag instead of raising wherever the main thread is.

    The loop then starts nothing new, lets the calls in flight finish, and reports what was done: an
    exception in the middle of bookkeeping could lose track of a resource that was just created.
    """
    interrupted = _StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return
    previous = {signum: signal.signal(signum, interrupted.stop) for signum in STOP_SIGNALS}
    try:
        yield interrupted
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _perform(
    op: Operation,
    kind: ResourceKind,
    ctx: Context,
    outputs: dict[str, dict[str, Any]],
    lock: threading.Lock,
) -> None:
    step = op.step
    if op.verb == "delete":
        assert step.live is not None
        kind.delete(ctx, step.live)
        return
    assert step.desired is not None
    with lock:
        props = resolve(step.desired.props, outputs)
    if contains_unknown(props):
        raise RuntimeError(f"{step.id}: a referenced value is still unknown at {op.verb} time (engine bug)")
    if op.verb == "create":
        attrs = kind.create(ctx, step.desired, props)
    else:
        live: LiveResource = step.live  # type: ignore[assignment]
        # User tags go through the kind's tagging calls; the kind's own update sees only its props.
        field_changes = [c for c in step.changes if _top(c.path) != TAGS]
        if len(field_changes) < len(step.changes):
            tagging.retag(ctx, kind, live, kind.desired_tags(step.desired))
        updated = kind.update(ctx, step.desired, live, props, field_changes) if field_changes else None
        attrs = {**live.attrs, **(updated or {})}
    with lock:
        outputs[step.id] = attrs


def _top(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def _refusal(op: Operation, exc: BaseException) -> str:
    """`ecs:CreateService on svc.order (microservices-dev-order): <AWS's message>`: which permission the caller
    lacks, on what, in one line (`platformctl iam-policy` prints the policy that grants them all)."""
    step = op.step
    action = denied_action(exc) or "the call"
    named = f" ({step.name})" if step.name and step.name != step.id else ""
    return f"{action} on {step.id}{named}: {_message(exc)}"


def _message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        return str(response["Error"].get("Message") or exc)
    return str(exc) or type(exc).__name__
