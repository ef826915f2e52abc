"""Reliability of the real CLI against moto behind the Harness (latency, faults, kill switch).

A run that is signalled (SIGKILL, SIGSTOP, Ctrl-C, SIGTERM) is a process of its own (`python -m platformctl`);
every other run (the recoveries, the refused ones, diff) goes in-process through `cli.run`, which exits and
prints the same, without paying an interpreter start and boto3's import each time.

- AWS answering 503 to one call in ten: apply still converges, with no resource created twice.
- `apply` SIGKILLed at ten points of a first apply: the stale lock is refused by name, `unlock` breaks it,
  and the next `apply` converges to exactly the specs (no duplicate, no orphan).
- Two runs at once: the second `apply` and a `destroy` are refused naming the holder; only the first changes
  anything, and its lock is gone when it ends.
- Ctrl-C during apply: it stops, says what was done, releases the lock, and the next apply converges.
- SIGTERM (`timeout`, a cancelled CI job, `docker stop`) is handled as Ctrl-C is, and exits 143.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from platformctl import cli as platformctl_cli
from platformctl import local
from tests.e2e.helpers import Cli, Harness, client, copy_seed_specs, fresh_harness
from tests.e2e.kill_points import recover_at_points, spread

pytestmark = pytest.mark.e2e

# What the seed's dev platform is: a literal, so a change to the layers shows here on purpose.
SEED_RESOURCES = 97

ROOT = Path(__file__).resolve().parents[2]
PLATFORM, ENV, REGION = "microservices", "dev", "us-east-1"
LOCK = f"/platformctl/{PLATFORM}/{ENV}/lock"
CRASH_POINTS = 10
TIMEOUT = 120  # seconds any one CLI run may take before the test fails instead of hanging


# ---- the Harness emulator --------------------------------------------------------------------------------
LANES = 2  # two emulators: one point is recovered on one while the next is crashed on the other


@pytest.fixture(scope="module")
def harness_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """This module's own moto servers behind the Harness, each on a free 127.0.0.1 port (started at once)."""
    logs = tmp_path_factory.mktemp("harness")
    with ExitStack() as stack:
        with ThreadPoolExecutor(max_workers=LANES) as starting:
            endpoints = list(
                starting.map(
                    lambda lane: stack.enter_context(local.running(logs / f"harness{lane}.log", harness=True)),
                    range(LANES),
                )
            )
        yield endpoints


@pytest.fixture(scope="module")
def harness_server(harness_servers: list[str]) -> str:
    return harness_servers[0]


@pytest.fixture
def harness(harness_server: str) -> Iterator[Harness]:
    yield from fresh_harness(harness_server)


# ---- the CLI as a subprocess -----------------------------------------------------------------------------
def _env() -> dict[str, str]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    for name in ("AWS_PROFILE", "PLATFORMCTL_ENDPOINT_URL"):
        env.pop(name, None)
    return env


@dataclass
class Run:
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out[-3000:]}\n--- stderr\n{self.err[-3000:]}"


@contextmanager
def _ctrl_c_as_in_a_terminal() -> Iterator[None]:
    """A process started here gets Ctrl-C as one started from a terminal does.

    A test run started in the background by a non-interactive shell (`make test &`, some CI runners) has SIGINT
    ignored, and a child inherits that: Python then, as POSIX asks, leaves it ignored, so a Ctrl-C sent while the
    CLI reads live would never reach it. Default for the fork only; the runner's own setting comes back after.
    """
    main_thread = threading.current_thread() is threading.main_thread()  # where signal handlers can be set
    ignored = main_thread and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


class Started:
    """A CLI run in the background; its output goes to files so a full pipe can never block it."""

    def __init__(self, argv: list[str], logs: Path):
        logs.mkdir(parents=True, exist_ok=True)
        self._out, self._err = logs / "stdout", logs / "stderr"
        with self._out.open("w") as out, self._err.open("w") as err, _ctrl_c_as_in_a_terminal():
            self.process = subprocess.Popen(
                argv, cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=err, text=True
            )
        self.pid = self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self) -> Run:
        try:
            code = self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        return Run(code, self._out.read_text(), self._err.read_text())


class Platformctl:
    """`platformctl --specs <copy of the seed> --endpoint-url <harness> ...`: `start` runs it as a process of its
    own (`python -m platformctl`, from the repo root) to be signalled; a call runs it in-process and waits."""

    def __init__(self, endpoint: str, specs: Path, logs: Path, capsys: pytest.CaptureFixture[str]):
        self.endpoint, self.specs, self.logs = endpoint, specs, logs
        self.started: list[Started] = []
        self._in_process = Cli(endpoint, specs, capsys)

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "platformctl", "--specs", str(self.specs), "--endpoint-url", self.endpoint, *args]

    def start(self, *args: str) -> Started:
        started = Started(self.argv(*args), self.logs / f"run{len(self.started) + 1}")
        self.started.append(started)
        return started

    def stop_leftovers(self) -> None:
        """After a failed test: end any run it started and left going (only those, by their own handles)."""
        for started in self.started:
            if started.running():
                started.process.send_signal(signal.SIGCONT)  # in case it was held with SIGSTOP
                started.process.kill()
                started.process.wait(timeout=30)

    def __call__(self, *args: str) -> Run:
        result = self._in_process(*args)
        return Run(result.code, result.out, result.err)


@pytest.fixture
def cli(harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Platformctl]:
    platformctl = Platformctl(harness.endpoint, copy_seed_specs(tmp_path), tmp_path / "runs", capsys)
    yield platformctl
    platformctl.stop_leftovers()


APPLY = ("apply", "--env", ENV, "--auto-approve")
DIFF = ("diff", "--env", ENV)


# ---- what a user would check -----------------------------------------------------------------------------
def poll(condition: Callable[[], Any], what: str, timeout: float = 60.0, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def lock_holder_pid(endpoint: str) -> int | None:
    """The pid the environment's lock names as its holder, None when nobody holds it."""
    ssm = client(endpoint, "ssm")
    try:
        return int(json.loads(ssm.get_parameter(Name=LOCK)["Parameter"]["Value"])["pid"])
    except ssm.exceptions.ParameterNotFound:
        return None


def lock_exists(endpoint: str) -> bool:
    ssm = client(endpoint, "ssm")
    try:
        ssm.get_parameter(Name=LOCK)
    except ssm.exceptions.ParameterNotFound:
        return False
    return True


def assert_live_is_exactly_the_specs(endpoint: str, specs: Path) -> list[str]:
    """Every resource carrying our tags has a logical id the specs want, each exactly once, and none is missing.

    Read twice: through platformctl's own readers (every kind), and independently through the Resource Groups
    Tagging API (the kinds it knows), so a reader that skipped a copy could not hide a duplicate. Returns what
    `diff` would still change (from the same read): empty when in sync.
    """
    from platformctl.aws import Aws, AwsTarget
    from platformctl.engine.reconciler import Reconciler
    from platformctl.specs import load_specs

    reconciler = Reconciler(load_specs(specs, ENV), Aws(AwsTarget(region=REGION, endpoint_url=endpoint)))
    desired = {r.id for r in reconciler.desired()}
    plan = reconciler.plan()  # reads live with reconciler.read(), every copy of everything we own
    live = Counter(r.id for r in plan.live)
    assert sorted(i for i, n in live.items() if n > 1) == [], "duplicates"
    assert sorted(set(live) - desired) == [], "orphans: live, ours, not in the specs"
    assert sorted(desired - set(live)) == [], "missing"
    assert len(desired) == SEED_RESOURCES  # the seed platform, so an empty spec set cannot pass this

    tagged: Counter[str] = Counter()
    pages = client(endpoint, "resourcegroupstaggingapi").get_paginator("get_resources")
    filters = [{"Key": "platformctl:platform", "Values": [PLATFORM]}, {"Key": "platformctl:env", "Values": [ENV]}]
    for page in pages.paginate(TagFilters=filters):
        for mapping in page["ResourceTagMappingList"]:
            tags = {t["Key"]: t["Value"] for t in mapping["Tags"]}
            tagged[tags.get("platformctl:id", f"<untagged {mapping['ResourceARN']}>")] += 1
    assert len(tagged) > 40
    assert sorted(i for i, n in tagged.items() if n > 1) == [], "duplicates (tagging API)"
    assert sorted(set(tagged) - desired) == [], "orphans (tagging API)"
    return [f"{step.action} {step.id}" for step in plan.pending]


def assert_in_sync(cli: Platformctl) -> None:
    diff = cli(*DIFF)
    assert diff.code == 0, str(diff)
    assert "No changes" in diff.out, str(diff)


@pytest.fixture(scope="module")
def first_apply_writes(harness_server: str, tmp_path_factory: pytest.TempPathFactory) -> int:
    """The writes one uninterrupted first apply of the seed platform makes (lock taken and released included)."""
    h = Harness(harness_server)
    h.fresh()
    specs = copy_seed_specs(tmp_path_factory.mktemp("measure"))
    # In-process (the writes are the server's count, the same from any client); its output, if it fails, is in
    # the set-up's captured output.
    assert platformctl_cli.run(["--specs", str(specs), "--endpoint-url", harness_server, *APPLY]) == 0
    writes = h.stats()["writes"]
    assert writes > SEED_RESOURCES, writes  # a create per resource, and the lock
    return writes


# ---- 1. faults -------------------------------------------------------------------------------------------
def test_apply_converges_while_aws_answers_503_to_one_call_in_ten(harness: Harness, cli: Platformctl) -> None:
    harness.configure(fault_rate=0.1)

    applied = cli(*APPLY)
    assert applied.code == 0, str(applied)
    assert f"Apply complete: {SEED_RESOURCES} done, 0 failed, 0 skipped." in applied.err, str(applied)
    assert_in_sync(cli)

    harness.calm()
    stats = harness.stats()
    assert stats["faults"] > 10, stats  # the faults really happened, and were retried through
    assert_live_is_exactly_the_specs(harness.endpoint, cli.specs)


# ---- 2. crashes ------------------------------------------------------------------------------------------
def start_crash(harness: Harness, cli: Platformctl, kill_after: int) -> Started:
    """From an empty account: a first apply, in a process of its own, that the Harness SIGKILLs after `kill_after`
    writes; `recover_from_crash` waits for it."""
    harness.fresh()
    crashed = cli.start(*APPLY)
    # Armed before the run's first write: that comes only after start-up, loading the specs and reading live.
    harness.configure(kill_pid=crashed.pid, kill_after_writes=kill_after)
    return crashed


def recover_from_crash(harness: Harness, cli: Platformctl, crashed: Started, kill_after: int) -> None:
    """The apply `start_crash` started dies by SIGKILL; recover as a user would: refused, unlock, apply."""
    killed = crashed.wait()
    assert killed.code == -signal.SIGKILL, str(killed)
    assert harness.stats()["writes"] >= kill_after

    refused = cli(*APPLY)
    assert refused.code == 1, str(refused)
    assert "locked by" in refused.err and f"pid {crashed.pid}" in refused.err, str(refused)
    unlock = f"platformctl --specs {cli.specs} --endpoint-url {cli.endpoint} unlock --env dev"  # as the run was given
    assert unlock in refused.err, str(refused)
    assert "Traceback" not in refused.err, str(refused)

    unlocked = cli("unlock", "--env", ENV)
    assert unlocked.code == 0, str(unlocked)
    assert f"pid {crashed.pid}" in unlocked.out, str(unlocked)
    assert not lock_exists(harness.endpoint)

    recovered = cli(*APPLY)
    assert recovered.code == 0, str(recovered)
    assert "Apply complete" in recovered.err and "0 failed" in recovered.err, str(recovered)
    # What `diff` would print, from one read (diff's exit code is exactly "is this list empty"): nothing left.
    assert assert_live_is_exactly_the_specs(harness.endpoint, cli.specs) == []


def test_apply_killed_at_ten_points_is_recovered_by_unlock_and_apply(
    first_apply_writes: int, harness_servers: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ten crash points spread evenly over the first apply's writes (write 1 is taking the lock).
    points = spread(first_apply_writes, CRASH_POINTS)
    assert len(set(points)) == CRASH_POINTS and points[0] > 1 and points[-1] < first_apply_writes
    recover_at_points(harness_servers, points, tmp_path, capsys)


# ---- 3. concurrency --------------------------------------------------------------------------------------
def test_a_second_apply_and_a_destroy_are_refused_while_an_apply_runs(
    first_apply_writes: int, harness: Harness, cli: Platformctl
) -> None:
    harness.configure(latency=0.05)  # real control-plane calls take tens of ms: the apply runs for seconds
    first = cli.start(*APPLY)
    poll(lambda: lock_exists(harness.endpoint) or not first.running(), "the first apply to take the lock")
    assert first.running(), str(first.wait())
    # Hold A mid-run while B and C try, so a busy machine cannot let A finish first and turn C into a real destroy.
    first.process.send_signal(signal.SIGSTOP)
    try:
        holder = f"locked by {getpass.getuser()}@{socket.gethostname()} (pid {first.pid}"
        second = cli(*APPLY)
        destroy = cli("destroy", "--env", ENV, "--auto-approve")
        assert lock_exists(harness.endpoint)  # still A's: nobody broke or took it
    finally:
        first.process.send_signal(signal.SIGCONT)
    for refused in (second, destroy):
        assert refused.code == 1, str(refused)
        assert holder in refused.err, str(refused)
        unlock = f"platformctl --specs {cli.specs} --endpoint-url {cli.endpoint} unlock --env dev"
        assert unlock in refused.err, str(refused)
        assert "Traceback" not in refused.err, str(refused)

    done = first.wait()
    assert done.code == 0, str(done)
    assert f"Apply complete: {SEED_RESOURCES} done, 0 failed, 0 skipped." in done.err, str(done)
    assert not lock_exists(harness.endpoint)

    # Exactly one run changed things: the other two each tried to take the lock, and that was all they wrote.
    stats = harness.stats()
    assert stats["calls"].get("ssm:PutParameter") == 3, stats["calls"]
    assert stats["calls"].get("ssm:DeleteParameter") == 1, stats["calls"]
    assert stats["writes"] == first_apply_writes + 2, stats
    harness.calm()
    assert assert_live_is_exactly_the_specs(harness.endpoint, cli.specs) == []  # and nothing left for diff to do


# ---- 4. Ctrl-C -------------------------------------------------------------------------------------------
def test_ctrl_c_during_apply_stops_it_releases_the_lock_and_the_next_apply_converges(
    harness: Harness, cli: Platformctl
) -> None:
    interrupt_during_apply(harness, cli, signal.SIGINT)


def interrupt_during_apply(harness: Harness, cli: Platformctl, signum: int) -> None:
    """Send `signum` while apply creates: it stops, says what it did, releases the lock, exits 128 + signum."""
    harness.configure(latency=0.05)
    running = cli.start(*APPLY)
    poll(lambda: harness.stats()["writes"] >= 10 or not running.running(), "the apply to make 10 writes")
    assert running.running(), str(running.wait())
    running.process.send_signal(signum)
    stopped = running.wait()
    harness.calm()

    assert stopped.code == 128 + signum, str(stopped)  # handled: not killed by the signal, and not a success
    assert "Traceback" not in stopped.err, str(stopped)
    shown_done = re.findall(r"^✓ create (.+) \(\d+\.\ds\)$", stopped.err, re.MULTILINE)
    assert shown_done, str(stopped)  # what was done is on screen
    assert re.search(r"Apply interrupted: \d+ done, 0 failed, \d+ skipped\.", stopped.err), str(stopped)
    assert not lock_exists(harness.endpoint), "the interrupted run left its lock behind"

    again = cli(*APPLY)
    assert again.code == 0, str(again)
    rest = re.search(r"Apply complete: (\d+) done, 0 failed, 0 skipped\.", again.err)
    assert rest, str(again)
    # The interrupt really stopped the first run part-way, and what it showed as done was not done twice.
    remaining = int(rest.group(1))
    assert remaining == SEED_RESOURCES - len(set(shown_done)) and 0 < remaining < SEED_RESOURCES, str(again)
    assert_in_sync(cli)
    assert_live_is_exactly_the_specs(harness.endpoint, cli.specs)


def test_ctrl_c_while_apply_is_still_reading_says_it_was_interrupted(harness: Harness, cli: Platformctl) -> None:
    stopped = interrupt_while_reading(harness, cli, signal.SIGINT)
    assert "interrupted before anything was changed" in stopped.err.lower(), str(stopped)


def interrupt_while_reading(harness: Harness, cli: Platformctl, signum: int) -> Run:
    """Send `signum` while apply reads live, before the first create: it changes nothing, releases the lock."""
    harness.configure(latency=0.2)  # a wide window between taking the lock and the first create
    running = cli.start(*APPLY)
    # Past taking the lock (write 1) and well into reading live, before the first create: the lock names this
    # run's pid (the calls counted are then this run's, not another client's), and a dozen reads followed it.
    poll(lambda: lock_holder_pid(harness.endpoint) == running.pid or not running.running(), "the apply's lock")
    taken = harness.stats()["total"]  # our own looks at the lock count too: read on from here
    poll(lambda: harness.stats()["total"] >= taken + 12 or not running.running(), "the apply to read live")
    if not (running.running() and harness.stats()["writes"] == 1):
        pytest.fail(f"missed the window between taking the lock and the first create: {harness.stats()}")
    running.process.send_signal(signum)
    stopped = running.wait()
    harness.calm()
    # Handled (exit 128 + signum, not killed by it), nothing created, lock released (its put and its delete).
    if stopped.code != 128 + signum or "Traceback" in stopped.err or lock_exists(harness.endpoint):
        pytest.fail(str(stopped))
    if harness.stats()["writes"] != 2:
        pytest.fail(f"expected only the lock's put and delete: {harness.stats()}")
    return stopped


# ---- 5. SIGTERM (`timeout`, a cancelled CI job, `docker stop`) -------------------------------------------
def test_sigterm_during_apply_stops_it_releases_the_lock_and_the_next_apply_converges(
    harness: Harness, cli: Platformctl
) -> None:
    interrupt_during_apply(harness, cli, signal.SIGTERM)  # exit 143


def test_sigterm_while_apply_is_still_reading_releases_the_lock_and_changes_nothing(
    harness: Harness, cli: Platformctl
) -> None:
    stopped = interrupt_while_reading(harness, cli, signal.SIGTERM)  # exit 143
    assert "Interrupted by SIGTERM before anything was changed; the lock on dev is released." in stopped.err
    again = cli(*APPLY)  # not refused by a lock left behind
    assert again.code == 0, str(again)
    assert f"Apply complete: {SEED_RESOURCES} done, 0 failed, 0 skipped." in again.err, str(again)
    assert_in_sync(cli)
