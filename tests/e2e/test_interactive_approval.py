"""A protected environment (`approval: required`, the seed's production) at a terminal: its name must be typed.

The real CLI reads the answers with `input()` from stdin, as at a terminal; only the "is this a terminal"
check is forced, since pytest's stdin is not one.
"""

from __future__ import annotations

import io
import sys

import pytest

from tests.e2e.helpers import Cli, client, copy_seed_specs, our_live_arns

pytestmark = pytest.mark.e2e


def test_a_wrong_name_changes_nothing_and_the_right_one_applies(endpoint: str, tmp_path, capsys, monkeypatch) -> None:
    cli = Cli(endpoint, copy_seed_specs(tmp_path), capsys)
    monkeypatch.setattr("platformctl.cli.confirm._interactive", lambda: True)

    def typed(*answers: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{answer}\n" for answer in answers)))

    def nothing_written() -> bool:
        no_lock = client(endpoint, "ssm").describe_parameters()["Parameters"] == []
        return no_lock and our_live_arns(endpoint, "microservices", "production") == []

    for wrong in ("prod", "dev", "Production"):
        typed(wrong)
        refused = cli("apply", "--env", "production", "--auto-approve")  # --auto-approve does not skip the name
        assert refused.code == 1, refused.err
        assert "Environment 'production' requires approval. Type its name to apply:" in refused.out
        assert "the name did not match: nothing was changed" in refused.err
        assert nothing_written()

    typed("")  # just Enter: the name is the confirmation, so nothing typed is a refusal
    cancelled = cli("apply", "--env", "production")
    assert cancelled.code == 1 and "the name did not match: nothing was changed" in cancelled.err, cancelled.err
    assert nothing_written()

    typed("production")  # the name alone confirms: no y/N after it
    applied = cli("apply", "--env", "production")
    assert applied.code == 0, applied.err
    assert "[y/N]" not in applied.out
    assert "Apply complete" in applied.err
    assert cli("diff", "--env", "production").code == 0
    assert len(our_live_arns(endpoint, "microservices", "production")) > 20
