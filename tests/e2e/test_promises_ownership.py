"""Ownership between two environments whose names share a prefix: `dev` and `dev-eu`.

Many kinds are listed by name prefix (IAM paths, log groups, task-definition families, queue names,
dashboards...), and `microservices-dev` is a prefix of every `microservices-dev-eu-…` name. An apply of
`dev` (with a change) and a destroy of `dev` must leave every `dev-eu` resource byte for byte as it was, and
`dev-eu` must still be in sync afterwards, as platformctl itself sees it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.helpers import Cli, copy_seed_specs, pending
from tests.e2e.test_ownership_and_secrets import _state, assert_same, not_ours, ours_count, snapshot

pytestmark = pytest.mark.e2e

DEV_LINE = "  dev:        {network: {nat: single}}"


def test_apply_and_destroy_of_dev_leave_dev_eu_byte_for_byte(endpoint: str, tmp_path: Path, capsys) -> None:
    cli = Cli(endpoint, copy_seed_specs(tmp_path), capsys)
    cli.edit("platform.yaml", DEV_LINE, f"{DEV_LINE}\n  dev-eu:     {{network: {{nat: single}}}}")
    for env in ("dev-eu", "dev"):
        applied = cli("apply", "--env", env, "--auto-approve")
        assert applied.code == 0, f"{env}: {applied.out}{applied.err}"

    before_snap = snapshot(endpoint)
    before = not_ours(before_snap)  # for (microservices, dev): dev-eu, and the default VPC moto made
    # dev-eu is really there, in the very categories listed by name prefix.
    for category, needle in (
        ("ecs.clusters", '"microservices-dev-eu"'),
        ("iam.roles", '"/platformctl/microservices/dev-eu/'),
        ("logs.groups", '"/aws/ecs/microservices/dev-eu/order"'),
        ("ecs.task_definitions", '"microservices-dev-eu-order"'),
        ("sqs.queues", "microservices-dev-eu-order"),
        ("cloudwatch.dashboards", '"microservices-dev-eu"'),
    ):
        assert needle in before.get(category, ""), f"dev-eu has nothing in {category}"
    assert ours_count(before_snap)["ecs.clusters"] == 1, "dev is there too"

    # A change to dev only: new task-definition revisions (the old ones deregistered), queue redrive, log
    # retention, cluster settings.
    cli.edit(
        "platform.yaml",
        DEV_LINE,
        "  dev:        {network: {nat: single}, logs: {retentionDays: 14}, cluster: {containerInsights: false},"
        " messaging: {dlqMaxReceives: 3}}",
    )
    cli.edit(
        "services/order.yaml",
        "  production: {count: 4,",
        "  dev: {image: 'public.ecr.aws/nginx/nginx:1.28'}\n  production: {count: 4,",
    )
    changes = pending(cli, "dev")
    assert {s["kind"] for s in changes} >= {"ecs.task_definition", "sqs.queue", "logs.log_group", "ecs.cluster"}
    assert pending(cli, "dev-eu") == [], "the change is dev's alone"
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert_same(before, not_ours(snapshot(endpoint)), "after dev's apply")
    assert pending(cli, "dev") == []
    assert pending(cli, "dev-eu") == []

    destroyed = cli("destroy", "--env", "dev", "--auto-approve")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    after_snap = snapshot(endpoint)
    assert_same(before, not_ours(after_snap), "after dev's destroy")
    left = [
        (category, json.dumps(e["item"], default=str)[:200])
        for category, entries in after_snap.items()
        for e in entries
        if e["ours"] and _state(category, e["item"]) not in ("deleted", "INACTIVE", "PendingDeletion")
    ]
    assert left == [], "dev is gone"
    assert pending(cli, "dev-eu") == [], "dev-eu is still complete and in sync"
