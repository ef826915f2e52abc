"""A renamed platform leaves the old one's resources alone, says so, and `destroy --platform` removes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.helpers import applied_seed, our_live_arns

pytestmark = pytest.mark.e2e


def test_renaming_the_platform_notes_the_old_one_deletes_nothing_and_destroy_platform_removes_it(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    left_behind = our_live_arns(endpoint, "microservices", "dev")
    assert left_behind
    cli.edit("platform.yaml", "platform: microservices", "platform: renamed")

    plan = json.loads(cli("diff", "--env", "dev", "-o", "json").out)
    assert {s["action"] for s in plan["steps"]} == {"create"}, "nothing of the old platform is deleted"
    [other] = plan["other_platforms"]
    assert (other["platform"], other["env"], other["region"]) == ("microservices", "dev", "us-east-1")
    assert other["resources"] > 0
    text = cli("diff", "--env", "dev")
    assert text.code == 2
    assert (
        f"Note: platform 'microservices' still has {other['resources']} resources in us-east-1 (env dev) that "
        "these specs do not describe; platformctl leaves them alone. If you renamed the platform, remove them "
        f"with: platformctl --specs {cli.specs} --endpoint-url {endpoint} destroy --env dev --platform microservices"
    ) in " ".join(text.out.split())
    assert our_live_arns(endpoint, "microservices", "dev") == left_behind

    destroyed = cli("destroy", "--env", "dev", "--platform", "microservices", "--auto-approve")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert "platformctl destroy: microservices / dev" in destroyed.out
    assert our_live_arns(endpoint, "microservices", "dev") == []
    assert json.loads(cli("diff", "--env", "dev", "-o", "json").out)["other_platforms"] == []

    bad = cli("destroy", "--env", "dev", "--platform", "Not_A_Name", "--auto-approve")
    assert bad.code == 1
    assert "--platform: 'Not_A_Name' is not a platform name" in bad.err
    assert "Traceback" not in bad.err
