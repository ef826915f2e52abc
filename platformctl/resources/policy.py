"""IAM-style policy documents (key policies, queue policies, role policies) in one canonical form.

AWS gives a policy back as JSON text with its own key order, and accepts a one-item list or a bare string
interchangeably; comparing canonical forms is what keeps `diff` quiet after an apply.
"""

from __future__ import annotations

import json
from typing import Any


def normalize_policy(doc: dict[str, Any] | str | None) -> dict[str, Any]:
    """The canonical form of an IAM-style policy document, applied to desired and live alike.

    Dict keys are sorted recursively; a list of strings is sorted and deduplicated, and collapsed to a
    bare string when it holds one (AWS accepts both spellings and returns whichever was written); a bare
    `Statement` object becomes a list of one. Lists of objects keep their order (statement order is how
    people read a policy, and reordering them is not a change worth an update).
    """
    if doc is None:
        return {}
    if isinstance(doc, str):
        doc = json.loads(doc) if doc.strip() else {}
    normalized = _normalize(doc)
    if isinstance(normalized, dict) and isinstance(normalized.get("Statement"), dict):
        normalized["Statement"] = [normalized["Statement"]]
    return normalized


def _normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _normalize(value[key]) for key in sorted(value)}
    if isinstance(value, (list, tuple)):
        items = [_normalize(item) for item in value]
        if all(isinstance(item, str) for item in items):
            unique = sorted(set(items))
            return unique[0] if len(unique) == 1 else unique
        return items
    return value
