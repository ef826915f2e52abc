"""Props as a reviewer reads them: one line per field, policies one line per statement, long values folded.

A plan that only said `+ iam.role role.order.task` would ask for approval of a policy nobody has seen. So
`diff`, `apply` and `show` print what a resource is made with. The text is for people; `-o json` carries
every prop as it is (references as `${id.attr}`). Only references to secrets are ever in props, never values.
"""

from __future__ import annotations

import json
from typing import Any

from platformctl.engine.model import UNKNOWN, Ref

# A value longer than this is cut, saying how much more there is (`-o json` shows it whole).
FOLD_AT = 160


def props_lines(props: dict[str, Any]) -> list[str]:
    """`field: value` lines for every prop that has a value, nested mappings as dotted fields.

    A policy document (a mapping with `Statement`) becomes a `field:` line followed by one line per
    statement, e.g. `  Allow sns:Publish on arn:aws:sns:…:shop-dev-order-events (PublishOwnEvents)`.
    """
    lines: list[str] = []
    _field_lines(lines, "", props)
    return lines


def statement_text(statement: Any) -> str:
    """One IAM policy statement in words: effect, actions, resources, principal, conditions, Sid."""
    if not isinstance(statement, dict):
        return _fold(_scalar(statement))
    parts = [str(statement.get("Effect", "?"))]
    if "Action" in statement:
        parts.append(_joined(statement["Action"]))
    if "NotAction" in statement:
        parts.append("every action but " + _joined(statement["NotAction"]))
    if "Resource" in statement:
        parts.append("on " + _joined(statement["Resource"]))
    if "NotResource" in statement:
        parts.append("on everything but " + _joined(statement["NotResource"]))
    if "Principal" in statement:
        parts.append("by " + _principal(statement["Principal"]))
    if "NotPrincipal" in statement:
        parts.append("by anyone but " + _principal(statement["NotPrincipal"]))
    if isinstance(statement.get("Condition"), dict):
        parts.append("when " + "; ".join(_conditions(statement["Condition"])))
    if statement.get("Sid"):
        parts.append(f"({statement['Sid']})")
    return " ".join(parts)


def _field_lines(lines: list[str], prefix: str, value: dict[str, Any]) -> None:
    for key, item in value.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if item is None or item == {} or item == []:
            continue  # unset: nothing to review
        if _is_policy(item):
            lines.append(f"{path}:")
            statements = item["Statement"] if isinstance(item["Statement"], list) else [item["Statement"]]
            lines.extend(f"  {statement_text(s)}" for s in statements)
        elif isinstance(item, dict):
            _field_lines(lines, path, item)
        elif isinstance(item, list) and all(isinstance(v, dict) for v in item):
            lines.append(f"{path}: {len(item)} item{'s' if len(item) != 1 else ''}")
            lines.extend(f"  {_value(v)}" for v in item)  # one line each: items are what is reviewed
        else:
            lines.append(f"{path}: {_value(item)}")


def _is_policy(value: Any) -> bool:
    return isinstance(value, dict) and "Statement" in value


def _value(value: Any) -> str:
    if isinstance(value, list) and all(_is_simple(v) for v in value):
        return _fold(", ".join(_scalar(v) for v in value))
    if isinstance(value, (dict, list)):
        return _fold(json.dumps(_plain(value), sort_keys=False, default=str))
    return _fold(_scalar(value))


def _is_simple(value: Any) -> bool:
    return value is None or value is UNKNOWN or isinstance(value, (str, int, float, bool, Ref))


def _scalar(value: Any) -> str:
    if value is UNKNOWN:
        return "(known after apply)"
    if isinstance(value, Ref):
        return f"${{{value.id}.{value.attr}}}"
    if isinstance(value, str):
        return value if value and value.strip() == value else json.dumps(value)
    return json.dumps(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is UNKNOWN or isinstance(value, Ref):
        return _scalar(value)
    return value


def _fold(text: str) -> str:
    if len(text) <= FOLD_AT:
        return text
    return f"{text[:FOLD_AT]}… ({len(text) - FOLD_AT} more characters; -o json shows all)"


def _joined(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return ", ".join(_scalar(v) for v in items)


def _principal(principal: Any) -> str:
    if principal == "*":
        return "anyone"
    if isinstance(principal, dict):
        return "; ".join(f"{kind.lower()} {_joined(who)}" for kind, who in principal.items())
    return _scalar(principal)


def _conditions(condition: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for operator, tests in condition.items():
        if isinstance(tests, dict):
            out.extend(f"{key} {operator} {_joined(values)}" for key, values in tests.items())
        else:
            out.append(f"{operator} {_scalar(tests)}")
    return out
