"""The CLI split into rooms (platformctl/cli/) keeps what people and scripts rely on: the installed
`platformctl` entry point, `--help` listing the commands in the order they are used, and `--help` and
`validate` starting without loading the AWS libraries (the benchmark times both).
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from platformctl import cli
from tests.e2e.helpers import copy_seed_specs

ROOT = Path(__file__).resolve().parents[2]
# Every command a person uses, first to last: check the specs, plan, change, look, add, recover, grant, local.
COMMANDS_IN_HELP = [
    "validate", "diff", "show", "apply", "destroy", "status", "logs", "add-service", "unlock", "iam-policy", "local",
]  # fmt: skip
HEAVY = ("boto3", "botocore", "moto", "platformctl.engine.reconciler", "platformctl.engine.executor")
LOADED_AFTER_RUN = """
import json, sys
from platformctl.cli import run
code = run(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.startswith({heavy!r}))
print(json.dumps({{"code": code, "heavy": heavy}}))
"""


def test_the_installed_platformctl_command_is_the_cli_main() -> None:
    [script] = entry_points(group="console_scripts", name="platformctl")
    assert script.load() is cli.main


def test_help_lists_the_commands_in_the_order_they_are_used(capsys) -> None:
    capsys.readouterr()
    assert cli.run(["--help"]) == 0
    listed = [
        line.split()[1]
        for line in capsys.readouterr().out.split("Commands")[1].splitlines()
        if line.startswith("│ ") and line[2] != " "  # a command's first line; its wrapped help is indented
    ]
    assert listed == COMMANDS_IN_HELP


@pytest.mark.parametrize("args", [["--help"], ["validate"], ["diff", "--help"]], ids=" ".join)
def test_help_and_validate_start_without_the_aws_libraries(tmp_path: Path, args: list[str]) -> None:
    specs = copy_seed_specs(tmp_path)
    script = LOADED_AFTER_RUN.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", script, "--specs", str(specs), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result == {"code": 0, "heavy": []}
