"""Helpers for spec tests: a private copy of the seed specs, textual edits, and issue lookup.

Tests edit real seed files rather than building specs from scratch so they keep exercising the files users
actually start from, and so every expected line number can be computed from the edited text.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from platformctl.errors import SpecError, SpecIssue
from platformctl.specs import SpecSet, load_specs
from tests.seed import SEED_SPECS

SEED = SEED_SPECS


def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed specs under tmp_path."""
    target = tmp_path / "specs"
    shutil.copytree(SEED, target)
    return target


def edit(specs: Path, rel: str, old: str, new: str) -> Path:
    """Replace the single occurrence of `old` in specs/rel; fails loudly if the seed changed under the test."""
    path = specs / rel
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
    path.write_text(text.replace(old, new))
    return path


def write(specs: Path, rel: str, text: str | bytes) -> Path:
    path = specs / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def line_of(specs: Path, rel: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `needle`."""
    hits = [i for i, line in enumerate((specs / rel).read_text().splitlines(), 1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not found {nth} times in {rel}"
    return hits[nth - 1]


def load(specs: Path, env: str | None = None, environ: dict[str, str] | None = None) -> SpecSet:
    return load_specs(specs, env, environ=environ or {})


def issues(specs: Path, env: str | None = None, environ: dict[str, str] | None = None) -> list[SpecIssue]:
    with pytest.raises(SpecError) as caught:
        load(specs, env, environ)
    return caught.value.issues


def only_issue(specs: Path, env: str | None = None, environ: dict[str, str] | None = None) -> SpecIssue:
    found = issues(specs, env, environ)
    assert len(found) == 1, "\n".join(str(i) for i in found)
    return found[0]


def assert_issue(
    issue: SpecIssue, rel: str, line: int | None, path: str | None = None, message: str | None = None
) -> None:
    """Check file, line, and (when given) the exact path and a message fragment."""
    assert issue.file.endswith(rel), issue
    assert issue.line == line, issue
    if path is not None:
        assert issue.path == path, issue
    if message is not None:
        assert message in issue.message, issue
