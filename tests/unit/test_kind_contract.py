"""The contract every registered kind keeps, checked on each one the same way (in-process moto).

For one resource of each kind in the seed's graph (every optional kind switched on: see
`test_updatable_pinned.everything`), with what it references created first as the engine would:

- created, it reads back equal to the desired props (the planner finds no difference: a fresh apply diffs
  clean), under its logical id, layer and name;
- its read stays within its call budget (reads are batched: a few calls per kind, not per resource);
- deleted, it is gone, and deleting it again is fine (a crash after the delete, or a person, got there first);
- the same resource made for another environment (a look-alike: the same names, somebody else's tags) is
  invisible to this environment's read.
"""

from __future__ import annotations

import graphlib
from collections import Counter

import pytest

from platformctl.engine.model import Resource, props_fingerprint, walk_refs
from platformctl.engine.planner import diff_props
from platformctl.resources.base import Context
from platformctl.resources.registry import registry
from tests.unit.kind_harness import KindDriver, moto_context
from tests.unit.test_updatable_pinned import everything  # noqa: F401  (the fixture: every kind in one graph)

# The seed's platform name: kinds find their resources by names made from it (`<platform>-<env>`, ...).
PLATFORM = "microservices"
# AWS calls a read of one kind may make when one resource of it exists. Most kinds list in one call and take
# their tags from the listing, the shared tag index (one call) or one batched tag call; the exceptions say why.
READ_BUDGET_DEFAULT = 3
READ_BUDGET: dict[str, int] = {
    # Found under their parents: the load balancers' listing, the index, then describe_listeners per load
    # balancer, describe_rules per listener and one describe_tags for what the index lacks (both kinds).
    "elbv2.listener": 5,
    "elbv2.listener_rule": 5,
    # Found on our buses: the buses' listing, the index, list_rules per bus, a tag call the index lacks;
    # targets add list_targets_by_rule per rule.
    "events.rule": 4,
    "events.target": 5,
    # Found under our services: clusters and services listed and described, then the autoscaling listing
    # (the service kind reads it to know whether its desired count is the autoscaler's).
    "autoscaling.policy": 5,
    "autoscaling.target": 5,
    "ecs.service": 5,
    # Rotation and policy have no batch read: one call each per key, after describe_key.
    "kms.key": 4,
    # Attributes and subscriptions have no batch read: one call each per topic.
    "sns.topic": 4,
    "sns.alert_subscription": 4,
    # Found through both ends: each topic's and queue's attributes (the seed's queue has a dead-letter queue).
    "sns.subscription": 9,
    # The queues' attributes, one call per queue (the seed's queue and its dead-letter queue).
    "sqs.queue_policy": 4,
}
# Kinds that refuse to make what is named for another environment (IAM paths, task-definition families): their
# look-alikes cannot be made from the seed's graph, so what the target references of theirs is made as ours, and
# their own look-alikes are tested in test_kinds_iam_taskdef.py.
ENV_NAMED = {"iam.role", "ecs.task_definition"}
# Kinds found through another resource by name rather than by a reference: it is made first too.
FOUND_THROUGH = {"cloudwatch.dashboard": "ecs.cluster"}


def _closure(resources: list[Resource], target: Resource) -> list[Resource]:
    """`target` and everything it references, directly or not, in an order that creates references first."""
    by_id = {r.id: r for r in resources}
    graph: dict[str, set[str]] = {}
    pending = [target.id, *[r.id for r in resources if r.kind == FOUND_THROUGH.get(target.kind)][:1]]
    while pending:
        current = pending.pop()
        if current in graph:
            continue
        graph[current] = {ref.id for ref in walk_refs(by_id[current].props)} | set(by_id[current].depends_on)
        pending.extend(graph[current])
    return [by_id[i] for i in graphlib.TopologicalSorter(graph).static_order()]


def _build(ctx: Context, resources: list[Resource], target: Resource) -> KindDriver:
    driver = KindDriver(ctx)
    kinds = registry()
    for resource in _closure(resources, target):
        # IAM refuses a role outside its env's path: the look-alike's roles are ours (a reference, not the test).
        maker = KindDriver(ours(ctx)) if resource.kind in ENV_NAMED and resource is not target else driver
        maker.outputs = driver.outputs
        maker.create(kinds[resource.kind], resource)
    return driver


def ours(ctx: Context) -> Context:
    """The seed's own environment on the same emulated account as `ctx`."""
    return Context(aws=ctx.aws, platform=PLATFORM, env="dev", poll_interval=0.01)


def _sample(resources: list[Resource], kind_name: str) -> Resource:
    return next(r for r in resources if r.kind == kind_name)


@pytest.mark.parametrize("kind_name", sorted(registry()))
def test_every_kind_keeps_the_contract(kind_name: str, everything: list[Resource]) -> None:  # noqa: F811
    kind = registry()[kind_name]
    resource = _sample(everything, kind_name)

    if kind_name not in ENV_NAMED:
        with moto_context(env="staging", platform=PLATFORM) as lookalike_ctx:
            _build(lookalike_ctx, everything, resource)
            assert kind.read(ours(lookalike_ctx)) == [], "another environment's resource is read as ours"

    with moto_context(platform=PLATFORM) as ctx:
        driver = _build(ctx, everything, resource)
        before = Counter(ctx.aws.counter.calls)
        found = driver.read(kind)
        calls = Counter(ctx.aws.counter.calls) - before
        assert list(found) == [resource.id]
        live = found[resource.id]
        assert (live.kind, live.layer) == (kind_name, resource.layer)
        assert live.physical_id == driver.outputs[resource.id][kind.id_attr]
        if live.fingerprint is not None:  # a revision is read as the fingerprint it was registered with
            assert live.fingerprint == props_fingerprint(kind.canonical(driver.resolved(resource)))
            live = kind.describe(ctx, live)
        assert diff_props(live.props, driver.resolved(resource), kind) == []
        assert calls.total() <= READ_BUDGET.get(kind_name, READ_BUDGET_DEFAULT), calls

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)
