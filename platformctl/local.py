"""The local AWS emulator: moto's server, run in the background on 127.0.0.1.

It is what a newcomer runs the demo on and what end-to-end tests talk to over real HTTP. Its pid and port
live in a small file under ~/.platformctl (or $PLATFORMCTL_HOME) so `--local` can find it; that file is
about the emulator process only, never about infrastructure state.
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
    return Path(os.environ.get("PLATFORMCTL_HOME", Path.home() / ".platformctl"))


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
    port: int, log_path: Path, harness: bool = False, latency_ms: float = 0, fault_rate: float = 0
) -> subprocess.Popen:
    """Start the emulator (moto's server, completed) on 127.0.0.1:`port`; the caller decides how long it lives."""
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
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


@contextmanager
def running(log_path: Path, harness: bool = False, latency_ms: float = 0) -> Iterator[str]:
    """An emulator of its own on a free 127.0.0.1 port (its endpoint), for as long as the block runs.

    For the tests and the benchmark: unlike `start`, nothing is recorded for `--local` to find.
    """
    port = free_port()
    process = spawn(port, log_path, harness=harness, latency_ms=latency_ms)
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
        """Any of latency (seconds), fault_rate, kill_pid, kill_after_writes; the whole configuration back."""
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
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
        return json.loads(raw) if raw and path.startswith("/_harness/") else None


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


def start(port: int = DEFAULT_PORT) -> tuple[Emulator, bool]:
    """(emulator, started_now); reuses one that is already running."""
    running = current()
    if running is not None:
        return running, False
    if _port_taken(port):
        raise PlatformctlError(f"port {port} on {HOST} is in use; choose another with --port")
    log_path = home() / "local-emulator.log"
    process = spawn(port, log_path)
    emulator = Emulator(pid=process.pid, port=port, log=str(log_path))
    wait_until_answering(emulator.endpoint, process)
    _state_file().write_text(json.dumps(emulator.__dict__))
    return emulator, True


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
        raise PlatformctlError("the local emulator is not running: start it with `platformctl local start`")
    return running.endpoint


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
