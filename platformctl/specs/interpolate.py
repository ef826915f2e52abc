"""`${VAR}` substitution in spec values.

Secrets-adjacent settings (a custom domain, a certificate ARN) differ per account and must not be committed,
so specs may pull them from the environment. Substitution happens per YAML scalar, after parsing, so a value
can never inject YAML structure and every failure keeps the line of the scalar it came from.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# `$${` is the escape for a literal `${`; it is matched first so `$${X}` never substitutes.
_TOKEN = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)\}|\$\{")
_BODY = re.compile(rf"^(?P<name>{_NAME})(?::-(?P<default>.*))?$", re.DOTALL)


class InterpolationError(ValueError):
    """A `${...}` reference that cannot be resolved; the message is shown to the user as is."""


def has_reference(text: str) -> bool:
    """Whether `text` needs interpolating; lets the YAML reader keep untouched scalars exactly as typed."""
    return "${" in text


def interpolate(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace `${VAR}` and `${VAR:-default}` in `text` from `environ` (default: the process environment).

    An unset variable without a default is an error rather than an empty string: silently deploying with a
    blank value is how a typo in a variable name turns into an outage.
    """
    env = os.environ if environ is None else environ
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if token == "$${":
            out.append("${")
            continue
        body = match.group("body")
        if body is None:
            raise InterpolationError("unterminated '${' (write '$${' for a literal '${')")
        parsed = _BODY.match(body)
        if parsed is None:
            raise InterpolationError(
                f"expected ${{NAME}} or ${{NAME:-default}} with NAME of letters, digits and '_' (got '{token}')"
            )
        name, default = parsed.group("name"), parsed.group("default")
        if name in env:
            out.append(env[name])
        elif default is not None:
            out.append(default)
        else:
            raise InterpolationError(f"environment variable {name} is not set (set it, or write ${{{name}:-default}})")
    out.append(text[pos:])
    return "".join(out)
