"""`platformctl local`: one emulator per folder, and a `--port` that is never silently ignored.

Real emulators on free ports; the user's home and the folders the commands run in are temporary directories,
so nothing here can touch an emulator a developer has running.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from platformctl import cli, local
from tests.e2e.helpers import CliResult


def run(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    capsys.readouterr()
    code = cli.run(list(args))
    captured = capsys.readouterr()
    return CliResult(code, captured.out, " ".join(captured.err.split()))  # error lines unwrapped


def endpoint(port: int) -> str:
    return f"http://{local.HOST}:{port}"


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Folders to run `local` commands in (a list the test fills); whatever they recorded is ended afterwards."""
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))
    monkeypatch.delenv("PLATFORMCTL_HOME", raising=False)
    started: list[Path] = []
    yield started
    for state in [tmp_path / "user-home" / ".platformctl", *(f / ".platformctl" for f in started)]:
        try:
            pid = json.loads((state / "local-emulator.json").read_text())["pid"]
        except (OSError, ValueError, KeyError):
            continue
        if local._alive(pid):
            os.killpg(pid, signal.SIGKILL)


def test_start_on_another_port_while_one_runs_is_refused_naming_the_running_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], folders: list[Path]
) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    folders.append(checkout)
    monkeypatch.chdir(checkout)
    first, second = local.free_port(), local.free_port()

    assert run(capsys, "local", "start", "--port", str(first)).code == 0
    refused = run(capsys, "local", "start", "--port", str(second))

    assert refused.code == 1
    assert f"already running on port {first}" in refused.err and "platformctl local stop" in refused.err
    assert "Traceback" not in refused.err
    assert not local.answers(endpoint(second))
    again = run(capsys, "local", "start")  # no --port: this folder's emulator, wherever it runs
    assert again.code == 0 and f"already running at {endpoint(first)}" in " ".join(again.out.split())
    assert local.endpoint_or_error() == endpoint(first)
    assert run(capsys, "local", "stop").code == 0
    assert not local.answers(endpoint(first))


def test_two_checkouts_each_start_use_and_stop_their_own_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], folders: list[Path]
) -> None:
    clone_a, clone_b = tmp_path / "clone-a", tmp_path / "clone-b"
    ports = {clone_a: local.free_port(), clone_b: local.free_port()}
    for clone, port in ports.items():
        clone.mkdir()
        folders.append(clone)
        monkeypatch.chdir(clone)
        started = run(capsys, "local", "start", "--port", str(port))
        assert started.code == 0, started.err
        assert (clone / ".platformctl" / "local-emulator.json").is_file()

    for clone, port in ports.items():  # `--local` in each clone finds that clone's emulator
        monkeypatch.chdir(clone)
        assert local.endpoint_or_error() == endpoint(port)
        assert endpoint(port) in run(capsys, "local", "status").out

    monkeypatch.chdir(clone_b)
    assert run(capsys, "local", "stop").code == 0
    assert not local.answers(endpoint(ports[clone_b]))
    assert local.answers(endpoint(ports[clone_a])), "stopping clone B's emulator stopped clone A's"

    monkeypatch.chdir(clone_a)
    status = run(capsys, "local", "status")
    assert status.code == 0 and endpoint(ports[clone_a]) in status.out
    assert run(capsys, "local", "stop").code == 0
    assert not local.answers(endpoint(ports[clone_a]))


def test_a_port_held_by_an_emulator_an_earlier_release_started_says_how_to_stop_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], folders: list[Path]
) -> None:
    port = local.free_port()
    process = local.spawn(port, tmp_path / "legacy.log")
    try:
        local.wait_until_answering(endpoint(port), process)
        legacy = tmp_path / "user-home" / ".platformctl" / "local-emulator.json"  # where releases before kept it
        legacy.parent.mkdir(parents=True)
        legacy.write_text(json.dumps({"pid": process.pid, "port": port, "log": str(tmp_path / "legacy.log")}))
        checkout = tmp_path / "checkout"
        checkout.mkdir()
        monkeypatch.chdir(checkout)

        refused = run(capsys, "local", "start", "--port", str(port))

        assert refused.code == 1
        assert f"port {port}" in refused.err and f"kill {process.pid}" in refused.err
    finally:
        local._end(process)
