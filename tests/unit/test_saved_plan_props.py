"""A saved plan carries what each create makes, and is refused when that changed since it was reviewed."""

from __future__ import annotations

import pytest

from platformctl.engine import planfile
from platformctl.engine.model import Ref, Step
from platformctl.engine.planner import Plan
from platformctl.errors import PlatformctlError


def plan_creating_a_queue(visibility_timeout: int) -> Plan:
    props = {"name": "shop-dev-order", "visibility_timeout": visibility_timeout, "kms_key": Ref("kms", "Arn")}
    step = Step("create", "sqs.queue", "queue.order", "messaging", "shop-dev-order", props=props)
    return Plan(env="dev", steps=[step])


def test_a_saved_create_is_refused_when_what_it_makes_changed_since(tmp_path) -> None:
    path = tmp_path / "plan.json"
    planfile.save(plan_creating_a_queue(30), path, platform="shop", layers=["messaging"])
    saved = planfile.load(path)
    assert saved.steps[0].props == {"name": "shop-dev-order", "visibility_timeout": 30, "kms_key": "${kms.Arn}"}
    planfile.check_matches(saved, plan_creating_a_queue(30), path)  # the same create: accepted
    with pytest.raises(PlatformctlError, match="create sqs.queue queue.order: props differ"):
        planfile.check_matches(saved, plan_creating_a_queue(45), path)
