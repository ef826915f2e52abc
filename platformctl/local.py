"""The local AWS emulator: moto's server, run in the background on 127.0.0.1.

It is what a newcomer runs the demo on and what end-to-end tests talk to over real HTTP. Its pid and port
live in a small file in `.platformctl/` of the current directory (or $PLATFORMCTL_HOME) so `--local` can find
it; that file is about the emulator process only, never about infrastructure state. Per directory, not per
user: two clones of the project each start, use and stop their own emulator, and never the other's.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl.errors import PlatformctlError

DEFAULT_PORT = 5055
HOST = "127.0.0.1"


def home() -> Path:
    """The emulator's folder: $PLATFORMCTL_HOME, else `.platformctl/` here (git-ignored), one per checkout."""
    configured = os.environ.get("PLATFORMCTL_HOME")
    return Path(configured) if configured else Path.cwd() / ".platformctl"


def _state_file() -> Path:
    return home() / "local-emulator.json"


@dataclass(frozen=True)
class Emulator:
    pid: int
    port: int
    log: str

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def answers(endpoint: str, timeout: float = 1.0) -> bool:
    """True when a moto server answers at `endpoint` (its dashboard page: cheap, unlike data.json)."""
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=timeout) as response:
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


def spawn(
    port: int,
    log_path: Path,
    harness: bool = False,
    latency_ms: float = 0,
    fault_rate: float = 0,
    realistic: bool = False,
    realistic_scale: float | None = None,
) -> subprocess.Popen:
    """Start the emulator (moto's server, completed) on 127.0.0.1:`port`; the caller decides how long it lives.

    `realistic` turns on AWS's delays and refusals (platformctl.emulator_realistic), scaled by `realistic_scale`
    (its default when None); it runs behind the Harness, whose /_harness/config tunes it.
    """
    harness = harness or realistic
    try:
        import moto.server  # noqa: F401
    except ImportError:
        raise PlatformctlError("the local emulator needs moto's server: pip install 'platformctl[local]'") from None
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child process
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "platformctl.emulator",
            "-H",
            HOST,
            "-p",
            str(port),
            *(["--harness", "--latency-ms", str(latency_ms), "--fault-rate", str(fault_rate)] if harness else []),
            *(["--realistic"] if realistic else []),
            *(["--realistic-scale", str(realistic_scale)] if realistic and realistic_scale is not None else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


@contextmanager
def running(
    log_path: Path,
    harness: bool = False,
    latency_ms: float = 0,
    realistic: bool = False,
    realistic_scale: float | None = None,
) -> Iterator[str]:
    """An emulator of its own on a free 127.0.0.1 port (its endpoint), for as long as the block runs.

    For the tests and the benchmark: unlike `start`, nothing is recorded for `--local` to find.
    """
    port = free_port()
    process = spawn(
        port, log_path, harness=harness, latency_ms=latency_ms, realistic=realistic, realistic_scale=realistic_scale
    )
    try:
        endpoint = f"http://{HOST}:{port}"
        wait_until_answering(endpoint, process)
        yield endpoint
    finally:
        _end(process)


def _end(process: subprocess.Popen) -> None:
    """Stop an emulator this process spawned (its own session: nothing else is signalled)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass(frozen=True)
class HarnessControl:
    """The control endpoints of an emulator started with the Harness (see platformctl.emulator.Harness)."""

    endpoint: str

    def configure(self, **config: Any) -> dict[str, Any]:
        """Any of latency (seconds), fault_rate, kill_pid, kill_after_writes, deny (operations answered 403, see
        emulator.Harness); the whole configuration back."""
        return self._request("/_harness/config", config)

    def stats(self) -> dict[str, Any]:
        """total, writes, faults, peak_in_flight, latency, fault_rate, and calls by "service:Action"."""
        return self._request("/_harness/stats", method="GET")

    def reset_counters(self) -> None:
        self._request("/_harness/reset", {})

    def reset_account(self) -> None:
        """Empty every moto backend: an account as on the first day."""
        self._request("/moto-api/reset", {})

    def _request(self, path: str, body: dict[str, Any] | None = None, method: str = "POST") -> Any:
        data = json.dumps(body).encode() if method == "POST" else None
        request = urllib.request.Request(f"{self.endpoint}{path}", data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
        except urllib.error.HTTPError as refused:
            if refused.code != 400:
                raise
            raise HarnessRefused(json.loads(refused.read() or b"{}").get("error") or str(refused)) from None
        return json.loads(raw) if raw and path.startswith("/_harness/") else None


class HarnessRefused(ValueError):
    """The Harness refused a configuration (HTTP 400): an unknown setting or a value that makes no sense."""


def wait_until_answering(endpoint: str, process: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(endpoint):
            return
        if process is not None and process.poll() is not None:
            raise PlatformctlError(f"the local emulator exited at start (code {process.returncode})")
        time.sleep(0.1)
    raise PlatformctlError(f"the local emulator did not answer at {endpoint} within {timeout:.0f}s")


def current() -> Emulator | None:
    """The running emulator we started, if it still answers."""
    try:
        data = json.loads(_state_file().read_text())
        emulator = Emulator(**data)
    except (OSError, ValueError, TypeError):
        return None
    return emulator if _alive(emulator.pid) and answers(emulator.endpoint) else None


def start(
    port: int | None = None, realistic: bool = False, realistic_scale: float | None = None
) -> tuple[Emulator, bool]:
    """(emulator, started_now). Reuses this folder's running emulator unless another `port` is asked for.

    A different port is refused rather than silently ignored: `--local` talks to one emulator per folder,
    and the user asking for port N must not go on believing it is there. `realistic` (see spawn) on a
    running emulator turns the profile on there, if it was started with one; else it is refused the same way.
    """
    running = current()
    if running is not None:
        if port is not None and port != running.port:
            raise PlatformctlError(
                f"the local emulator is already running on port {running.port} (pid {running.pid}), not {port}: "
                f"stop it with `platformctl local stop`, then start it again with --port {port}"
            )
        if realistic:
            _make_realistic(running, realistic_scale)
        return running, False
    port = DEFAULT_PORT if port is None else port
    if _port_taken(port):
        raise PlatformctlError(f"port {port} on {HOST} is in use{_user_of(port)}; choose another with --port")
    log_path = home() / "local-emulator.log"
    process = spawn(port, log_path, realistic=realistic, realistic_scale=realistic_scale)
    emulator = Emulator(pid=process.pid, port=port, log=str(log_path))
    wait_until_answering(emulator.endpoint, process)
    _state_file().write_text(json.dumps(emulator.__dict__))
    return emulator, True


def _make_realistic(emulator: Emulator, scale: float | None) -> None:
    """Turn the realistic profile on in a running emulator that has the Harness; refuse one without it."""
    settings: dict[str, Any] = {"enabled": True, **({"scale": scale} if scale is not None else {})}
    try:
        HarnessControl(emulator.endpoint).configure(realistic=settings)
    except HarnessRefused as refused:
        raise PlatformctlError(f"the local emulator refused the realistic settings: {refused}") from None
    except (OSError, ValueError):
        raise PlatformctlError(
            f"the local emulator is already running on port {emulator.port} without the realistic profile: stop it "
            "with `platformctl local stop`, then start it again with --realistic"
        ) from None


def stop() -> Emulator | None:
    """Stop the emulator we started; returns what was stopped (None if nothing ran)."""
    try:
        emulator = Emulator(**json.loads(_state_file().read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if _alive(emulator.pid):
        os.killpg(emulator.pid, signal.SIGTERM)
        for _ in range(50):
            if not _alive(emulator.pid):
                break
            time.sleep(0.1)
    _state_file().unlink(missing_ok=True)
    return emulator


def endpoint_or_error() -> str:
    running = current()
    if running is None:
        raise PlatformctlError(
            f"the local emulator is not running for this folder ({home()}): start it with `platformctl local "
            "start`, or run platformctl from the folder you started it in"
        )
    return running.endpoint


def _user_of(port: int) -> str:
    """Who may hold `port`: an emulator an older platformctl recorded in ~/.platformctl, named, or a guess.

    Releases before the per-folder `.platformctl/` kept one file for every checkout there; an emulator they
    started is invisible to `local stop` now, so the port error must say what holds the port.
    """
    try:
        legacy = Emulator(**json.loads((Path.home() / ".platformctl" / "local-emulator.json").read_text()))
    except (OSError, ValueError, TypeError, RuntimeError):  # RuntimeError: no home directory
        return " (by another program, or the emulator of another folder)"
    if legacy.port != port or not _alive(legacy.pid):
        return " (by another program, or the emulator of another folder)"
    return f" by the local emulator an earlier platformctl started (pid {legacy.pid}; stop it with `kill {legacy.pid}`)"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped) is not alive for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) == 0
