"""Errors a user can act on.

Every PlatformctlError is printed as a message and exits 1, never as a traceback: the message is the
interface. Anything else that escapes is a bug in platformctl and is reported as one.
"""

from __future__ import annotations

from dataclasses import dataclass


class PlatformctlError(Exception):
    """A failure the user can act on; the CLI prints str(self) and exits 1."""


@dataclass(frozen=True)
class SpecIssue:
    """One problem in the specs, located precisely enough to jump to it in an editor."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class SpecError(PlatformctlError):
    """The specs are invalid; carries every issue found, not just the first."""

    def __init__(self, issues: list[SpecIssue]):
        self.issues = sorted(issues, key=lambda i: (i.file, i.line or 0, i.path))
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.issues)
        head = f"invalid specs: {count} problem{'s' if count != 1 else ''}"
        return "\n".join([head, *(f"  {issue}" for issue in self.issues)])


class UnknownEnvironment(SpecError):
    """Valid specs asked for an environment they do not declare: the caller's choice is wrong, not the specs
    (the CLI reports it as a usage error on --env). Still a SpecError with its one issue, for other callers."""

    def __init__(self, issue: SpecIssue, env: str, declared: list[str], suggestion: str = ""):
        super().__init__([issue])
        self.env, self.declared = env, declared
        self.usage = f"unknown environment '{env}'; declared: {', '.join(declared)}{suggestion}"


class AwsCallError(PlatformctlError):
    """An AWS call failed in a way retrying will not fix; names the resource and the AWS error code."""

    def __init__(self, logical_id: str, code: str, message: str):
        self.logical_id = logical_id
        self.code = code
        super().__init__(f"{logical_id}: {code}: {message}")
