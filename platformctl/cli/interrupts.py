"""SIGTERM handled as Ctrl-C while a command must end cleanly (apply and destroy hold a lock, logs follows).

Python's default SIGTERM ends the process at once: `timeout`, a cancelled CI job or `docker stop` would leave
the environment's lock behind and say nothing of what was done.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Terminated(KeyboardInterrupt):
    """SIGTERM raised as Ctrl-C is, so it is handled alike; `signum` tells them apart (exit 143, not 130)."""

    signum = signal.SIGTERM


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """While apply or destroy runs, SIGTERM is Ctrl-C: the lock is released and the run says what it did.

    The executor turns both into "stop scheduling" while operations run (engine.executor._ctrl_c_stops_scheduling).
    Signal handlers can only be set from the main thread; elsewhere (tests driving the CLI) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(_signum: int, _frame: Any) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
