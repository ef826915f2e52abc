"""Waiting for AWS to catch up: polls and retries that back off, say what they wait for, and give up in time.

Real AWS is asynchronous and eventually consistent: a fresh IAM role is refused for seconds, a VPC link is
PENDING for minutes, an ECS deployment runs until its tasks are healthy. Every such wait here is

- fast at first, patient later, and never far behind: the first look comes a tenth of the context's
  `poll_interval` after the first answer (0.2 s at its 2 s default); after that each pause is a tenth of
  the time already waited (LAG_SHARE), never less than that first pause and never more than 5 ×
  `poll_interval` (10 s). So what is ready in a second is seen within a fraction of one; what AWS makes
  take minutes is seen at most a tenth of its wait (or 10 s) late; a five-minute wait costs about 70 calls;
- said: from the first time it is not done, `waiting for <what>` goes to the progress display through
  `Context.waiting` (the text may change while it waits, e.g. a rollout's task count);
- bounded: after `timeout` seconds (the context's `wait_timeout` unless a kind knows AWS's own figure) the
  step fails with `WaitTimedOut` naming what it waited for and AWS's last answer, or, for a retried call,
  with the call's last refusal.

A refusal of the caller (aws.DENIED_CODES: a missing permission, expired credentials) is never retried.
`keep_trying` is the one loop: `poll` and `retry_while` here, and `Context.wait_until` / `Context.retry_on`
(the single-code retries the kinds have used from the start), all pace, report and give up through it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from platformctl.aws import denied

if TYPE_CHECKING:  # base.Context's own waits call keep_trying: a run-time import would be a cycle
    from platformctl.resources.base import Context

T = TypeVar("T")

FIRST_POLL = 0.1  # × poll_interval: the first pause, and the shortest
LAG_SHARE = 0.1  # each later pause: this share of the time already waited...
LONGEST_POLL = 5.0  # × poll_interval: ...and never longer than this


class WaitFailed(Exception):
    """A wait ended in a way AWS says will not change (a FAILED deployment or VPC link), or ran out of time.

    Carries an AWS-style error (`response`), so the failed step reports `code` and `message` like any
    refused call: `✗ create ecs.service svc.order: DeploymentFailed: ...`.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}}


class WaitTimedOut(WaitFailed):
    def __init__(self, what: str, seconds: float, last_answer: str = ""):
        message = f"gave up waiting for {what} after {seconds:.0f} s"
        super().__init__("WaitTimedOut", message + (f"; AWS's last answer: {last_answer}" if last_answer else ""))


def pause_after(waited: float, poll_interval: float) -> float:
    """How long to pause before the next look, `waited` seconds into a wait (see the module's docstring).

    Pausing a share of the time already waited bounds the lag (ready → noticed) to that share of the wait,
    while the number of looks grows only with the logarithm of the wait's length.
    """
    return min(max(FIRST_POLL * poll_interval, LAG_SHARE * waited), LONGEST_POLL * poll_interval)


@dataclass(frozen=True)
class NotYet:
    """An attempt that has not succeeded yet: what to say while waiting, and what to raise once time is up."""

    waiting_for: str | None  # `waiting for ...` for the progress display; None says nothing
    out_of_time: BaseException


def keep_trying(ctx: Context, attempt: Callable[[], T | NotYet], timeout: float | None = None) -> T:
    """`attempt()` until it returns something other than NotYet: the one polling loop of platformctl.

    An exception `attempt` raises ends the wait at once (a real mistake, a FAILED state). Otherwise each
    NotYet's text is reported when it changes, the pause follows `pause_after`, and after `timeout` seconds
    (the context's `wait_timeout` by default) the last NotYet's `out_of_time` is raised.
    """
    limit = timeout or ctx.wait_timeout
    started = time.monotonic()
    shown: str | None = None
    try:
        while True:
            outcome = attempt()
            if not isinstance(outcome, NotYet):
                return outcome
            waited = time.monotonic() - started
            if waited >= limit:
                raise outcome.out_of_time
            if outcome.waiting_for != shown:
                ctx.waiting(outcome.waiting_for)
                shown = outcome.waiting_for
            time.sleep(min(pause_after(waited, ctx.poll_interval), limit - waited))
    finally:
        if shown is not None:
            ctx.waiting(None)


def poll(
    ctx: Context,
    what: str,
    check: Callable[[], tuple[T | None, str]],
    timeout: float | None = None,
) -> T:
    """Call `check` until it returns a result; it returns (result or None, AWS's answer in words).

    While not done, `waiting for <what>` is reported, followed by the answer when it says more (`: 1/2 tasks
    running`). `check` may raise WaitFailed to end the wait at once.
    """
    limit = timeout or ctx.wait_timeout

    def attempt() -> T | NotYet:
        result, answer = check()
        if result is not None:
            return result
        text = f"waiting for {what}" + (f": {answer}" if answer else "")
        return NotYet(text, WaitTimedOut(what, limit, answer or "(none)"))

    return keep_trying(ctx, attempt, limit)


def retry_while(
    ctx: Context,
    transient: Callable[[BaseException], str | None],
    call: Callable[[], T],
    timeout: float | None = None,
) -> T:
    """`call()`, retried while it fails in a way `transient` recognises (it then says what we wait for).

    `transient(exc)` returns None for a real mistake (it fails at once) or the thing to wait for (`the fresh
    IAM role to propagate`). After `timeout` the last refusal itself is raised: it is AWS's last answer.
    """

    def attempt() -> T | NotYet:
        try:
            return call()
        except Exception as exc:
            what = None if denied(exc) else transient(exc)
            if what is None:
                raise
            return NotYet(f"waiting for {what}", exc)

    return keep_trying(ctx, attempt, timeout)


def aws_message(exc: BaseException) -> str:
    """The message AWS gave with an error ('' when it is not an AWS error)."""
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message") or "")
    return ""


def waits_for_deployments(ctx: Context) -> bool:
    """Whether apply waits for ECS deployments to complete (`apply --no-wait` turns it off).

    Set on the run's Context by the Reconciler (`Reconciler.wait_for_deployments`); a Context made
    elsewhere (kind tests) waits, as apply does by default.
    """
    return ctx.wait_for_deployments
