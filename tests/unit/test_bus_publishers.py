"""`publishesToBus`: a service that declares it may put events on the platform bus, and nothing else may."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from platformctl.engine.model import Ref
from platformctl.layers import BuildContext, desired_resources
from platformctl.specs import load_specs
from tests.unit.spec_helpers import SEED, assert_issue, edit, line_of, only_issue, seed_copy

PAY = "services/payment.yaml"


def task_statements(specs_dir: Path, service: str) -> list[dict[str, Any]]:
    resources = {r.id: r for r in desired_resources(BuildContext(load_specs(specs_dir, "dev", environ={}), "1" * 12))}
    return [s for p in resources[f"role.{service}.task"].props["policies"].values() for s in p["Statement"]]


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_only_the_service_that_declares_it_may_put_events_and_only_on_the_platform_bus() -> None:
    assert load_specs(SEED, "dev", environ={}).services["payment"].publishes_to_bus  # the seed's publisher
    [grant] = [s for s in task_statements(SEED, "payment") if any(a.startswith("events:") for a in actions(s))]
    assert actions(grant) == ["events:PutEvents"] and grant["Resource"] == Ref("bus", "Arn")
    for other in ("order", "user"):  # no publishesToBus: nothing on EventBridge at all
        assert not [s for s in task_statements(SEED, other) if any(a.startswith("events:") for a in actions(s))]


def test_a_service_that_only_puts_events_on_the_bus_gets_that_and_no_key(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    (specs / "services" / "audit.yaml").write_text(
        "service: audit\nimage: public.ecr.aws/nginx/nginx:1.27\npublishesToBus: true\n"
    )
    [grant] = task_statements(specs, "audit")  # the bus is not encrypted with the platform key
    assert (actions(grant), grant["Resource"]) == (["events:PutEvents"], Ref("bus", "Arn"))


def test_publishing_to_the_bus_needs_the_bus(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "platform.yaml", "  eventBus: true", "  eventBus: false")
    issue = only_issue(specs)
    assert_issue(
        issue,
        PAY,
        line_of(specs, PAY, "publishesToBus:"),
        "publishesToBus",
        "publishing to the bus needs the event bus: set messaging.eventBus: true",
    )
