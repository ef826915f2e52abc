"""One pacing for every wait: a resource that becomes ready is noticed soon after, at every length of wait.

The waits run on a fake clock (the loop's `time.monotonic` and `time.sleep`), at the real default
`poll_interval` of 2 s, so the figures are the ones a user meets on AWS: a fresh IAM role that propagates in
a second, a NAT gateway of two minutes, a VPC link of five or ten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from platformctl.resources import waiting
from platformctl.resources.base import Context
from platformctl.resources.waiting import WaitTimedOut, poll, retry_while


class FakeClock:
    """Stands in for the `time` module inside the loop: sleeping moves the clock, nothing really waits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(waiting, "time", fake)
    return fake


@pytest.fixture
def ctx() -> Context:
    """The defaults apply runs with: polls paced from 2 s, 15 minutes at most."""
    return Context(aws=None, platform="shop", env="dev")  # type: ignore[arg-type]


class Resource:
    """Becomes ready `ready_after` seconds after the wait began; counts the looks."""

    def __init__(self, clock: FakeClock, ready_after: float):
        self.clock, self.ready_at, self.looks = clock, clock.now + ready_after, 0
        self.noticed_at: float | None = None

    def ready(self) -> bool:
        self.looks += 1
        if self.clock.now >= self.ready_at:
            self.noticed_at = self.clock.now
            return True
        return False

    @property
    def lag(self) -> float:
        assert self.noticed_at is not None
        return self.noticed_at - self.ready_at


def by_poll(ctx: Context, thing: Resource) -> None:
    poll(ctx, "it", lambda: (True if thing.ready() else None, "pending"))


def by_wait_until(ctx: Context, thing: Resource) -> None:
    ctx.wait_until("it", thing.ready)


def refused_until_ready(thing: Resource) -> Callable[[], str]:
    def call() -> str:
        if not thing.ready():
            raise ClientError({"Error": {"Code": "InvalidParameterException", "Message": "not yet"}}, "Op")
        return "created"

    return call


def by_retry_while(ctx: Context, thing: Resource) -> None:
    retry_while(ctx, lambda exc: "it", refused_until_ready(thing))


def by_retry_on(ctx: Context, thing: Resource) -> None:
    ctx.retry_on({"InvalidParameterException"}, refused_until_ready(thing))


WAYS = [by_poll, by_wait_until, by_retry_while, by_retry_on]
# (seconds AWS takes, the most the wait may notice it late): a propagation, a short retry, a namespace,
# a NAT gateway, a VPC link, a slow VPC link.
LAGS = [(1, 0.2), (5, 0.5), (30, 3.0), (120, 10.0), (300, 10.0), (600, 10.0)]


@pytest.mark.parametrize("way", WAYS, ids=lambda way: way.__name__)
@pytest.mark.parametrize(("seconds", "most_late"), LAGS)
def test_every_wait_notices_readiness_within_a_tenth_of_the_wait_and_at_most_ten_seconds_late(
    ctx: Context, clock: FakeClock, way: Callable[[Context, Resource], Any], seconds: float, most_late: float
) -> None:
    thing = Resource(clock, seconds)
    way(ctx, thing)
    assert thing.lag <= most_late + 1e-9


@pytest.mark.parametrize("way", WAYS, ids=lambda way: way.__name__)
def test_waits_stay_cheap_a_ten_minute_wait_costs_about_a_hundred_looks(
    ctx: Context, clock: FakeClock, way: Callable[[Context, Resource], Any]
) -> None:
    quick, slow = Resource(clock, 1), Resource(clock, 600)
    way(ctx, quick)
    way(ctx, slow)
    assert quick.looks <= 7  # 0.2 s apart: a second's propagation is a handful of calls
    assert slow.looks <= 110  # 60 a minute would be 600; the 10 s cap alone would be 60


def test_the_first_look_again_comes_at_once_and_the_pauses_then_grow(ctx: Context, clock: FakeClock) -> None:
    started, looks = clock.now, []

    def check() -> tuple[bool | None, str]:
        looks.append(clock.now - started)
        return (True if len(looks) == 40 else None), "pending"

    poll(ctx, "it", check)
    pauses = [later - earlier for earlier, later in zip(looks, looks[1:], strict=False)]
    assert looks[0] == 0 and pauses[0] == pytest.approx(0.2)
    assert pauses == sorted(pauses) and pauses[-1] > 1


def test_a_wait_that_never_ends_fails_in_time_naming_what_it_waited_for(ctx: Context, clock: FakeClock) -> None:
    started = clock.now
    with pytest.raises(WaitTimedOut) as timed_out:
        ctx.wait_until("VPC endpoint vpce-1 (endpoint.s3) to become available", lambda: None, timeout=120)
    assert 120 <= clock.now - started <= 121
    assert timed_out.value.response["Error"] == {
        "Code": "WaitTimedOut",
        "Message": "gave up waiting for VPC endpoint vpce-1 (endpoint.s3) to become available after 120 s",
    }
