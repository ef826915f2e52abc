"""Delete ordering and replacements, end to end: the order `apply -o json` reports is the order AWS saw.

The report lists operations as they finish, and an operation starts only once everything it waits on has
finished, so "A is listed before B" means A was done before B began whenever B waits on A.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.helpers import Cli, applied_seed, pending

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(endpoint: str, tmp_path, capsys) -> Cli:
    return applied_seed(endpoint, tmp_path, capsys)


def applied_in_order(cli: Cli) -> list[tuple[str, str]]:
    """`apply -o json` of the pending change: (operation, logical id) of each done operation, in finish order."""
    result = cli("apply", "--env", "dev", "--auto-approve", "-o", "json")
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)["report"]
    assert report["ok"] and report["failed"] == report["skipped"] == 0, report
    return [(op["operation"], op["id"]) for op in report["operations"] if op["status"] == "done"]


def assert_before(done: list[tuple[str, str]], first: tuple[str, str], then: tuple[str, str]) -> None:
    assert first in done and then in done, (first, then, done)
    assert done.index(first) < done.index(then), f"{' '.join(first)} must finish before {' '.join(then)} starts"


def test_removing_a_service_deletes_what_stands_on_each_thing_before_it(cli: Cli) -> None:
    (cli.specs / "services" / "payment.yaml").unlink()
    order = cli.specs / "services" / "order.yaml"
    lines = [ln for ln in order.read_text().splitlines() if "from: payment" not in ln]
    order.write_text("\n".join(lines).replace("calls: [user, payment]", "calls: [user]") + "\n")

    done = applied_in_order(cli)
    deleted = [i for verb, i in done if verb == "delete"]
    rules = [i for i in deleted if i.startswith("alb.rule.payment.")]
    assert rules, deleted
    # The ECS service and the listener rules let go of the target group before it goes.
    assert_before(done, ("delete", "svc.payment"), ("delete", "tg.payment"))
    for rule in rules:
        assert_before(done, ("delete", rule), ("delete", "tg.payment"))
    # The queue's policy and the subscriptions delivering to it go before the queue, the queue before its DLQ.
    assert_before(done, ("delete", "queue.payment/policy"), ("delete", "queue.payment"))
    assert_before(done, ("delete", "topic.order/queue.payment"), ("delete", "queue.payment"))
    assert_before(done, ("delete", "queue.payment"), ("delete", "queue.payment.dlq"))
    # order's subscription to payment's topic goes before the topic.
    assert_before(done, ("delete", "topic.payment/queue.order"), ("delete", "topic.payment"))
    # The service stops using its task definition and its roles before they go.
    assert_before(done, ("delete", "svc.payment"), ("delete", "taskdef.payment"))
    assert pending(cli) == []


def test_replacements_complete_in_one_apply_in_the_order_their_names_allow(cli: Cli) -> None:
    cli.edit("services/user.yaml", "port: 8080", "port: 9090")
    steps = {s["id"]: s for s in pending(cli)}
    assert steps["tg.user"]["action"] == "replace" and steps["sg.service.user.ingress.alb"]["action"] == "replace"

    done = applied_in_order(cli)
    # A target group's name carries its port: the successor is made first, the listener rule and the service
    # move over to it in place, and only then does the old one go.
    assert_before(done, ("create", "tg.user"), ("update", "alb.rule.user.users"))
    assert_before(done, ("create", "tg.user"), ("update", "svc.user"))
    assert_before(done, ("update", "alb.rule.user.users"), ("delete", "tg.user"))
    assert_before(done, ("update", "svc.user"), ("delete", "tg.user"))
    # Security-group rules cannot coexist with their successors (AWS refuses a duplicate permission): the
    # old rule is revoked before the new one is authorized.
    for rule in ("alb", "order", "payment"):
        logical_id = f"sg.service.user.ingress.{rule}"
        assert_before(done, ("delete", logical_id), ("create", logical_id))
    # One apply was enough.
    assert pending(cli) == []
    assert cli("diff", "--env", "dev").code == 0
