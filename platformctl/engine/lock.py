"""One apply or destroy per environment at a time, enforced in AWS itself.

The lock is an SSM parameter created only if absent (`Overwrite=False` fails with ParameterAlreadyExists),
so it works across machines and needs nothing to exist beforehand. A run killed with SIGKILL leaves it
behind on purpose: only a person can know the holder is gone, so breaking it is an explicit command.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from platformctl.aws import Aws, error_code
from platformctl.commandline import command_line
from platformctl.errors import PlatformctlError
from platformctl.naming import TAG_ENV, TAG_PLATFORM


def lock_name(platform: str, env: str) -> str:
    return f"/platformctl/{platform}/{env}/lock"


@dataclass(frozen=True)
class LockHolder:
    user: str
    host: str
    pid: int
    command: str
    started: str
    token: str

    @classmethod
    def here(cls, command: str) -> LockHolder:
        return cls(
            user=getpass.getuser(),
            host=socket.gethostname(),
            pid=os.getpid(),
            command=command,
            started=datetime.now(UTC).isoformat(timespec="seconds"),
            token=uuid.uuid4().hex,
        )

    def describe(self) -> str:
        run = f"`platformctl {self.command}`"
        return f"{self.user}@{self.host} (pid {self.pid}, {run}, started {self.started})"


class LockHeld(PlatformctlError):
    pass


class EnvironmentLock:
    """Context manager: acquire on enter, release on exit (also on Ctrl-C and errors)."""

    def __init__(self, aws: Aws, platform: str, env: str, command: str):
        self.aws, self.platform, self.env = aws, platform, env
        self.name = lock_name(platform, env)
        self.holder = LockHolder.here(command)

    def __enter__(self) -> EnvironmentLock:
        try:
            return self._acquire()
        except KeyboardInterrupt:
            # The put may have gone through before the interrupt: a lock nobody holds must not stay.
            self.__exit__(None, None, None)
            raise

    def _acquire(self) -> EnvironmentLock:
        ssm = self.aws.client("ssm")
        try:
            ssm.put_parameter(
                Name=self.name,
                Value=json.dumps(self.holder.__dict__),
                Type="String",
                Overwrite=False,
                Description="platformctl run lock; break with `platformctl unlock`",
                Tags=[
                    {"Key": TAG_PLATFORM, "Value": self.platform},
                    {"Key": TAG_ENV, "Value": self.env},
                    {"Key": "platformctl:lock", "Value": "true"},
                ],
            )
        except Exception as exc:
            if error_code(exc) != "ParameterAlreadyExists":
                raise
            holder = read_holder(self.aws, self.platform, self.env)
            who = holder.describe() if holder else "an unknown holder"
            raise LockHeld(
                f"environment '{self.env}' is locked by {who}.\n"
                f"If that run is still going, wait for it. If it was killed, break the lock with:\n"
                f"  {command_line('unlock', '--env', self.env)}"
            ) from None
        return self

    def __exit__(self, *exc_info: Any) -> None:
        current = read_holder(self.aws, self.platform, self.env)
        if current is not None and current.token == self.holder.token:
            _delete(self.aws, self.name)


def read_holder(aws: Aws, platform: str, env: str) -> LockHolder | None:
    try:
        value = aws.client("ssm").get_parameter(Name=lock_name(platform, env))["Parameter"]["Value"]
    except Exception as exc:
        if error_code(exc) == "ParameterNotFound":
            return None
        raise
    try:
        return LockHolder(**json.loads(value))
    except (ValueError, TypeError):
        return LockHolder("?", "?", 0, "?", "?", token="")


def break_lock(aws: Aws, platform: str, env: str) -> LockHolder | None:
    """Remove the lock whoever holds it; returns the holder it removed (None if there was no lock)."""
    holder = read_holder(aws, platform, env)
    if holder is not None:
        _delete(aws, lock_name(platform, env))
    return holder


def _delete(aws: Aws, name: str) -> None:
    try:
        aws.client("ssm").delete_parameter(Name=name)
    except Exception as exc:
        if error_code(exc) != "ParameterNotFound":
            raise
