"""Waiting for AWS to catch up: polls and retries that back off, say what they wait for, and give up in time.

Real AWS is asynchronous and eventually consistent: a fresh IAM role is refused for seconds, a VPC link is
PENDING for minutes, an ECS deployment runs until its tasks are healthy. Every such wait here is

- fast at first and patient later: the first poll comes after a tenth of the context's `poll_interval`
  (0.2 s at its 2 s default), each next one 1.5 times later, never more than 5 × `poll_interval` (10 s)
  apart; so a resource that is ready in a second is noticed within a fraction of it, and a ten-minute
  wait costs a few dozen calls, not hundreds;
- said: from the first time it is not done, `waiting for <what>` goes to the progress display through
  `Context.waiting` (the text may change while it waits, e.g. a rollout's task count);
- bounded: after `timeout` seconds (the context's `wait_timeout` unless a kind knows AWS's own figure) the
  step fails with `WaitTimedOut`, naming what it waited for and AWS's last answer.

A refusal of the caller (aws.DENIED_CODES: a missing permission, expired credentials) is never retried.
This module is kept apart from `base.Context.wait_until` / `retry_on`, whose single-code retries it extends
with retry by message (ECS and Application Auto Scaling answer a not-yet-propagated role with the same
code as a real mistake) and with a changing waiting text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from platformctl.aws import denied
from platformctl.resources.base import Context

T = TypeVar("T")

FIRST_POLL = 0.1  # × poll_interval
BACKOFF = 1.5
LONGEST_POLL = 5.0  # × poll_interval


class WaitFailed(Exception):
    """A wait ended in a way AWS says will not change (a FAILED deployment or VPC link), or ran out of time.

    Carries an AWS-style error (`response`), so the failed step reports `code` and `message` like any
    refused call: `✗ create ecs.service svc.order: DeploymentFailed: ...`.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}}


class WaitTimedOut(WaitFailed):
    def __init__(self, what: str, seconds: float, last_answer: str):
        message = f"gave up waiting for {what} after {seconds:.0f} s; AWS's last answer: {last_answer}"
        super().__init__("WaitTimedOut", message)


def delays(ctx: Context) -> Iterator[float]:
    """The pauses between polls: short at first, growing by half each time, capped."""
    delay, longest = ctx.poll_interval * FIRST_POLL, ctx.poll_interval * LONGEST_POLL
    while True:
        yield delay
        delay = min(delay * BACKOFF, longest)


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
    deadline = time.monotonic() + limit
    shown: str | None = None
    pauses = delays(ctx)
    try:
        while True:
            result, answer = check()
            if result is not None:
                return result
            if time.monotonic() > deadline:
                raise WaitTimedOut(what, limit, answer or "(none)")
            text = f"waiting for {what}" + (f": {answer}" if answer else "")
            if text != shown:
                ctx.waiting(text)
                shown = text
            time.sleep(next(pauses))
    finally:
        if shown is not None:
            ctx.waiting(None)


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
    deadline = time.monotonic() + (timeout or ctx.wait_timeout)
    shown: str | None = None
    pauses = delays(ctx)
    try:
        while True:
            try:
                return call()
            except Exception as exc:
                what = None if denied(exc) else transient(exc)
                if what is None or time.monotonic() > deadline:
                    raise
            text = f"waiting for {what}"
            if text != shown:
                ctx.waiting(text)
                shown = text
            time.sleep(next(pauses))
    finally:
        if shown is not None:
            ctx.waiting(None)


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
