"""The lifecycle and the SIGKILL recovery again, under the emulator's realistic profile.

The same stories as `test_lifecycle.py::test_platform_layer_lifecycle` (apply from empty → diff clean → a
change → drift put back → destroy → nothing of ours left, what is not ours untouched) and
`test_reliability.py::test_apply_killed_at_ten_points_is_recovered_by_unlock_and_apply`, on an emulator
where NAT gateways, the ALB, the VPC link and the namespace take time, the tag index lags, fresh roles are
refused, rollouts run, names drain and ENIs outlive their owners. Every duration is AWS's figure × SCALE:
small enough that the suite stays within its time (a 5-minute VPC link takes 1.5 s), large enough that every
behaviour is met (each lasts longer than platformctl's first polls).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from platformctl import local
from tests.e2e.helpers import Cli, Harness, copy_seed_specs, our_live_arns
from tests.e2e.kill_points import recover_at_points, spread
from tests.e2e.test_lifecycle import test_platform_layer_lifecycle as platform_layer_lifecycle
from tests.e2e.test_reliability import APPLY, Platformctl

pytestmark = pytest.mark.e2e

SCALE = 0.005
# Ten crash points, as in the calm suite, spread over the first apply's writes: they land in each phase of it
# (the network and its NAT gateways, the ALB and namespace, the services and their rollouts, the API). Each
# costs a crashed and a recovering apply that wait out the scaled NAT gateway, ALB, VPC link and rollouts; at
# SCALE the ten take about a minute on 2 cores. REALISTIC_CRASH_POINTS=N runs another number.
CRASH_POINTS = int(os.environ.get("REALISTIC_CRASH_POINTS", "10"))
LANES = 2


@pytest.fixture(scope="module")
def realistic_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """This module's realistic emulators (behind the Harness, as the kill switch needs)."""
    logs = tmp_path_factory.mktemp("realistic")
    with ExitStack() as stack:
        yield [
            stack.enter_context(local.running(logs / f"realistic{lane}.log", realistic=True, realistic_scale=SCALE))
            for lane in range(LANES)
        ]


@pytest.fixture
def realistic(realistic_servers: list[str]) -> Iterator[Harness]:
    harness = Harness(realistic_servers[0])
    harness.fresh()
    yield harness
    harness.calm()


def test_the_platform_lifecycle_holds_under_the_realistic_profile(
    realistic: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(realistic.endpoint, copy_seed_specs(tmp_path), capsys)
    platform_layer_lifecycle(cli, realistic.endpoint)


def test_apply_killed_at_ten_points_under_the_realistic_profile_is_recovered(
    realistic_servers: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = Harness(realistic_servers[0])
    first.fresh()
    measure = tmp_path / "measure"
    applied = Platformctl(first.endpoint, copy_seed_specs(measure), measure / "runs", capsys)(*APPLY)
    assert applied.code == 0, str(applied)
    recover_at_points(realistic_servers, spread(first.stats()["writes"], CRASH_POINTS), tmp_path, capsys)


def test_apply_and_destroy_at_once_after_a_run_while_the_index_lags_write_nothing_twice_and_leave_nothing(
    realistic: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second apply right after the first, then a destroy, while the tag index has learnt of nothing."""
    lagging = {"tag_index_create": 600, "tag_index_delete": 600}
    realistic.configure(realistic={"durations": lagging})
    try:
        cli = Cli(realistic.endpoint, copy_seed_specs(tmp_path), capsys)
        first = cli("apply", "--env", "dev", "--auto-approve")
        assert first.code == 0, first.out + first.err
        realistic.reset_counters()
        again = cli("apply", "--env", "dev", "--auto-approve")
        assert again.code == 0, again.out + again.err
        assert realistic.stats()["writes"] == 2, realistic.stats()["calls"]  # the lock taken and released: no create
        destroyed = cli("destroy", "--env", "dev", "--auto-approve")
        assert destroyed.code == 0, destroyed.out + destroyed.err
        assert our_live_arns(realistic.endpoint, "microservices", "dev") == []
    finally:
        realistic.configure(realistic={"durations": dict.fromkeys(lagging)})  # back to AWS's figures × SCALE
