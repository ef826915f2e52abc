"""The suite runs on its own copy of the seed platform, never on the checkout's `specs/`.

`specs/` is the user's to change (`platformctl add-service x` is the README's first step after the demo); a
`make test` that fails after that tells them platformctl is broken when it is not.
"""

from __future__ import annotations

import importlib
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

from platformctl.specs import scaffold_service
from tests.seed import SEED_SPECS

ROOT = Path(__file__).resolve().parents[2]


def test_the_seed_tests_still_pass_after_the_user_adds_a_service_to_specs(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    for folder in ("tests", "bench"):  # links copied as links: the corpus has one to a device
        shutil.copytree(ROOT / folder, checkout / folder, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(SEED_SPECS, checkout / "specs")
    scaffold_service(checkout / "specs", "x")  # what `platformctl add-service x` writes into the user's specs/

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "tests/unit/test_specs_loading.py", "tests/unit/test_services_layer.py"],
        cwd=checkout, capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "failed" not in run.stdout


def test_no_test_or_benchmark_module_points_at_the_checkouts_specs() -> None:
    checkout_specs = ROOT / "specs"
    modules = [
        importlib.import_module(f"{package}.{info.name}")
        for package in ("tests", "tests.unit", "tests.e2e", "bench")
        for info in pkgutil.iter_modules(importlib.import_module(package).__path__)
        if not info.ispkg
    ]
    into_specs = [
        f"{module.__name__}.{name} = {value}"
        for module in modules
        for name, value in vars(module).items()
        if isinstance(value, Path) and value.resolve().is_relative_to(checkout_specs)
    ]
    assert len(modules) > 10 and into_specs == []


def test_the_seed_fixture_is_the_three_service_platform_every_environment_loads() -> None:
    from tests.unit.spec_helpers import load

    assert not SEED_SPECS.resolve().is_relative_to(ROOT / "specs")
    for env in ("dev", "staging", "production"):
        assert sorted(load(SEED_SPECS, env).services) == ["order", "payment", "user"]
