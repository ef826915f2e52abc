"""The CLI habits people expect: --version, -h, flags that look like flags, shell completion, JSON problems.

None of these talks to AWS: they run the real CLI in-process (`cli.run`) or as the installed module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

import platformctl
from platformctl import cli
from tests.e2e.helpers import copy_seed_specs

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def every_command() -> list[list[str]]:
    """Every command path, the root and groups included (`[]`, `["diff"]`, `["local", "start"]`, ...)."""
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(cli.app), [])
    return paths


def test_version_prints_the_version_and_exits_0(capsys) -> None:
    code, out, err = run(capsys, "--version")
    assert (code, out.strip(), err) == (0, f"platformctl {platformctl.__version__}", "")


@pytest.mark.parametrize("command", every_command(), ids=lambda c: " ".join(c) or "platformctl")
def test_dash_h_is_help_everywhere_and_flags_show_no_value(capsys, command: list[str]) -> None:
    code, out, err = run(capsys, *command, "-h")
    assert code == 0, err
    assert "Usage: platformctl" in out and "--help" in out
    assert "<bool>" not in out, out  # a flag takes no value, so its help shows none


def test_a_flag_is_shown_as_a_flag_and_an_option_with_its_value(capsys) -> None:
    _, out, _ = run(capsys, "apply", "-h")
    rows = {line.split()[1]: line for line in out.splitlines() if line.startswith("│") and "--" in line}
    assert rows["--auto-approve"].split()[2] == "Do", rows["--auto-approve"]  # straight to the help text
    assert "<str>" in rows["--confirm-env"]


def test_shell_completion_can_be_shown_and_completes_commands_and_options() -> None:
    base = [sys.executable, "-m", "platformctl"]
    shown = subprocess.run([*base, "--show-completion", "bash"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "_PLATFORMCTL_COMPLETE=complete_bash" in shown.stdout

    def complete(words: str) -> list[str]:
        env = {**os.environ, "_PLATFORMCTL_COMPLETE": "complete_bash", "COMP_WORDS": words}
        env["COMP_CWORD"] = str(len(words.split()) - 1)
        done = subprocess.run(base, capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)
        return done.stdout.split()

    assert complete("platformctl di") == ["diff"]
    assert "--auto-approve" in complete("platformctl apply --au")


def test_validate_json_on_invalid_specs_lists_each_problem_on_stdout_and_exits_1(tmp_path, capsys) -> None:
    specs = copy_seed_specs(tmp_path)
    order = specs / "services" / "order.yaml"
    order.write_text(order.read_text().replace("cpu: 256", "cpu: 300"))
    platform = specs / "platform.yaml"
    platform.write_text(platform.read_text().replace("retentionDays: 30", "retentionDays: 31"))

    code, out, err = run(capsys, "--specs", str(specs), "validate", "-o", "json")
    assert code == 1
    document = json.loads(out)
    assert document["valid"] is False
    by_file = {Path(p["file"]).name: p for p in document["problems"]}
    assert set(by_file) == {"order.yaml", "platform.yaml"}
    assert (by_file["order.yaml"]["line"], by_file["order.yaml"]["path"]) == (5, "cpu")
    assert "300" in by_file["order.yaml"]["message"]
    assert by_file["platform.yaml"]["path"].endswith("retentionDays")
    assert all(set(p) == {"file", "line", "path", "message"} for p in document["problems"])
    assert "Traceback" not in err
