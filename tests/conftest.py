"""Shared fixtures: AWS credentials that can never reach a real account, and the moto server over HTTP."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator

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
from tests.seed import store_seed_secrets  # noqa: E402

install()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server on a free 127.0.0.1 port for the whole run; the endpoint URL."""
    from platformctl import local

    with local.running(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


@pytest.fixture
def endpoint(moto_server: str) -> str:
    """The moto server, emptied before the test so each test starts from an empty account (holding only the
    secrets the seed references)."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).close()
    store_seed_secrets(moto_server)  # as a user's account holds them before the first apply
    return moto_server
