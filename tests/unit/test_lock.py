"""The environment lock (engine/lock.py) on in-process moto: a run releases only the lock it holds."""

from __future__ import annotations

from platformctl.engine.lock import EnvironmentLock, break_lock, read_holder
from tests.unit.kind_harness import ENV, PLATFORM, moto_context


def test_a_run_whose_lock_was_broken_does_not_release_the_next_holders_lock() -> None:
    with moto_context() as ctx:
        first = EnvironmentLock(ctx.aws, PLATFORM, ENV, command="apply --env dev")
        first.__enter__()
        # The first run looked dead: someone broke its lock, and a second run took the environment.
        assert break_lock(ctx.aws, PLATFORM, ENV) == first.holder
        with EnvironmentLock(ctx.aws, PLATFORM, ENV, command="destroy --env dev") as second:
            first.__exit__(None, None, None)  # the first run was alive after all, and ends now
            assert read_holder(ctx.aws, PLATFORM, ENV) == second.holder  # the second run still holds it
        assert read_holder(ctx.aws, PLATFORM, ENV) is None  # and releases it when it ends
