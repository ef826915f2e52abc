"""Shared fixtures: AWS credentials that can never reach a real account, and the moto server over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

# Fake credentials for every test, so nothing here can ever talk to a real account.
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("PLATFORMCTL_ENDPOINT_URL", None)

# In-process moto gets the calls it lacks before any test builds its URL map (the emulator does the same).
from platformctl.emulator import install  # noqa: E402

install()

if TYPE_CHECKING:
    from tests.e2e.helpers import Harness


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server on a free 127.0.0.1 port for the whole run, behind the Harness (calm: no latency, no
    faults; the modules that count calls, deny or kill use its controls, and calm it again); the endpoint URL."""
    from platformctl import local

    with local.running(tmp_path_factory.mktemp("moto") / "moto.log", harness=True) as endpoint:
        yield endpoint


@pytest.fixture
def endpoint(moto_server: str) -> str:
    """The moto server, emptied before the test so each test starts from an empty account (holding only the
    secrets the seed references)."""
    from tests.e2e.helpers import reset

    reset(moto_server)
    return moto_server


@pytest.fixture(scope="module")
def shared_seed(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One applied seed platform the tests of a module take turns on (`tests.e2e.helpers.SharedSeed`)."""
    from tests.e2e.helpers import SharedSeed

    return SharedSeed(moto_server, tmp_path_factory)


@pytest.fixture
def harness(moto_server: str) -> Iterator[Harness]:
    """The session's emulator through its Harness, over an empty account with zeroed counters; calm again
    (no latency, faults, kill switch or denials) afterwards. Modules with emulators of their own override it."""
    from tests.e2e.helpers import fresh_harness

    yield from fresh_harness(moto_server)
