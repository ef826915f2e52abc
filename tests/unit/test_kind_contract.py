"""The contract every registered kind keeps, checked on each one the same way (in-process moto).

The seed's graph with every optional kind switched on (see `test_updatable_pinned.everything`) is made once
for the module, references first as the engine would, in one emulated AWS holding two accounts: ours, and
a look-alike's (the same graph made for another environment: the same names, somebody else's tags). Then,
for each kind, dependents before what they depend on:

- every resource of the kind reads back equal to its desired props (the planner finds no difference: a fresh
  apply diffs clean), under its logical id, layer and name, and nothing else of the kind is read (but for a
  read that tells of a dependent an earlier test deleted: READS_ITS_DEPENDENTS);
- the read stays within its call budget (reads are batched: a few calls per kind, not per resource, but
  where AWS has no batch read);
- the look-alike's resources of the kind are invisible to our environment's read of its account;
- one of its resources, once what depends on it is gone, is deleted: it is gone, the others are not, and
  deleting it again is fine (a crash after the delete, or a person, got there first).
"""

from __future__ import annotations

import graphlib
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from platformctl.aws import Aws, AwsTarget
from platformctl.engine.model import LiveResource, Resource, walk_refs
from platformctl.resources.base import Context
from platformctl.resources.registry import registry
from tests.unit.kind_harness import KindDriver, moto_context, reads_as_desired
from tests.unit.test_updatable_pinned import everything  # noqa: F401  (the fixture: every kind in one graph)

# The seed's platform name: kinds find their resources by names made from it (`<platform>-<env>`, ...).
PLATFORM = "microservices"
# The look-alike's account: moto keeps one state per account, so the same names can be made twice.
LOOKALIKE_ACCOUNT = "111111111111"
# AWS calls a read of one kind may make: most kinds list in one call and take their tags from the listing, the
# shared tag index (one call) or one batched tag call, however many resources there are. The exceptions say
# why, as (calls for the kind, calls per live resource of each kind named).
READ_BUDGET_DEFAULT = 3
READ_BUDGET: dict[str, tuple[int, dict[str, int]]] = {
    # Found under their parents: the load balancers' listing, the index and one describe_tags for what the
    # index lacks, then describe_listeners per load balancer and describe_rules per listener (both kinds).
    "elbv2.listener": (3, {"elbv2.load_balancer": 1, "elbv2.listener": 1}),
    "elbv2.listener_rule": (3, {"elbv2.load_balancer": 1, "elbv2.listener": 1}),
    # Attributes (the deregistration delay) have no batch read: one call per target group.
    "elbv2.target_group": (2, {"elbv2.target_group": 1}),
    # Found on our buses: the buses' listing, the index, list_rules per bus, a tag call per rule the index
    # lacks; targets add list_targets_by_rule per rule.
    "events.rule": (2, {"events.bus": 1, "events.rule": 1}),
    "events.target": (2, {"events.bus": 1, "events.rule": 2}),
    # Found under our services: clusters and services listed and described, then the autoscaling listing
    # (the service kind reads it to know whether its desired count is the autoscaler's).
    "autoscaling.policy": (5, {}),
    "autoscaling.target": (5, {}),
    "ecs.service": (5, {}),
    # The index, then describe_key, rotation and policy, which have no batch read: three calls per key.
    "kms.key": (1, {"kms.key": 3}),
    # DNS support and hostnames are one describe_vpc_attribute call each per VPC.
    "ec2.vpc": (1, {"ec2.vpc": 2}),
    # Attributes have no batch read: one call per topic; alert subscriptions add the alerts topic's listing.
    "sns.topic": (2, {"sns.topic": 1}),
    "sns.alert_subscription": (3, {"sns.topic": 1}),
    # Found through both ends: each topic's and queue's attributes, then each subscription's.
    "sns.subscription": (4, {"sns.topic": 1, "sqs.queue": 1, "sns.subscription": 1}),
    # The queues' attributes, one call per queue (a policy is read from its queue's).
    "sqs.queue": (2, {"sqs.queue": 1}),
    "sqs.queue_policy": (2, {"sqs.queue": 1}),
}
# Kinds that refuse to make what is named for another environment (IAM paths, task-definition families): the
# look-alike's are made as ours (what its other resources reference), so theirs are not checked for invisibility
# here; their own look-alikes are tested in test_kinds_iam_taskdef.py.
ENV_NAMED = {"iam.role", "ecs.task_definition"}
# Kinds whose read tells of a dependent of another kind (a service's desired count is the autoscaler's when it
# has a scalable target): one that lost such a dependent to an earlier test reads as it now is, not as desired.
READS_ITS_DEPENDENTS = {"ecs.service": "autoscaling.target"}
# The order the kinds are checked in: a kind before every kind it references (directly or not), so that each
# test finds its kind's resources all there, the earlier tests having deleted only what depends on them.
# `test_the_kinds_are_checked_dependents_first` holds it to the graph.
DEPENDENTS_FIRST = (
    *("cloudwatch.dashboard", "cloudwatch.alarm"),
    *("apigw.api_mapping", "apigw.domain", "apigw.stage", "apigw.route", "apigw.authorizer", "apigw.integration"),
    *("apigw.vpc_link", "apigw.api"),
    *("autoscaling.policy", "autoscaling.target", "ecs.service", "elbv2.listener_rule", "elbv2.target_group"),
    *("ecs.task_definition", "iam.role"),
    *("events.target", "sns.subscription", "sqs.queue_policy", "events.rule", "events.bus"),
    *("sns.alert_subscription", "sqs.queue", "sns.topic"),
    *("logs.log_group", "servicediscovery.namespace", "ecs.cluster", "elbv2.listener", "elbv2.load_balancer"),
    *("ec2.vpc_endpoint", "ec2.security_group_rule", "ec2.security_group", "ec2.route_table", "ec2.nat_gateway"),
    *("ec2.eip", "ec2.subnet", "ec2.internet_gateway", "ec2.vpc", "kms.alias", "kms.key"),
)


def _references(resource: Resource) -> set[str]:
    """What `resource` needs made first and deleted last: what it references, and what it depends on."""
    return {ref.id for ref in walk_refs(resource.props)} | set(resource.depends_on)


def _creation_order(resources: list[Resource]) -> list[Resource]:
    """`resources` in an order that creates references first."""
    by_id = {r.id: r for r in resources}
    return [by_id[i] for i in graphlib.TopologicalSorter({r.id: _references(r) for r in resources}).static_order()]


@contextmanager
def _in_account(account: str) -> Iterator[None]:
    """In-process moto answers every call inside the block from `account` (moto's MOTO_ACCOUNT_ID)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(os.environ, "MOTO_ACCOUNT_ID", account)
        yield


@dataclass
class World:
    """The graph made in our account (`driver`) and in the look-alike's, which `ours_there` sees as our
    environment does; what the tests deleted so far of ours."""

    graph: list[Resource]
    driver: KindDriver
    ours_there: Context
    deleted: set[str] = field(default_factory=set)

    def live(self, kind_name: str) -> list[Resource]:
        """Our resources of `kind_name` still there, in the graph's order."""
        return [r for r in self.graph if r.kind == kind_name and r.id not in self.deleted]

    def lost_a_dependent_it_reads(self, resource: Resource) -> bool:
        """Whether a test deleted a dependent of `resource` that its kind's read tells of (READS_ITS_DEPENDENTS)."""
        kind_name = READS_ITS_DEPENDENTS.get(resource.kind)
        return any(r.kind == kind_name and resource.id in _references(r) for r in self.graph if r.id in self.deleted)

    def delete(self, resource: Resource) -> LiveResource:
        """Delete `resource` of ours once what still depends on it (directly or not) is deleted, dependents
        before what they depend on; the live resource it was deleted as."""
        kinds = registry()
        doomed = {resource.id}
        order = _creation_order(self.graph)
        for candidate in order:  # what a resource references comes before it
            if _references(candidate) & doomed:
                doomed.add(candidate.id)
        deleted_as: dict[str, LiveResource] = {}
        for gone in reversed([r for r in order if r.id in doomed and r.id not in self.deleted]):
            kind = kinds[gone.kind]
            deleted_as[gone.id] = self.driver.read(kind)[gone.id]
            kind.delete(self.driver.ctx, deleted_as[gone.id])
            self.deleted.add(gone.id)
        return deleted_as[resource.id]


@pytest.fixture(scope="module")
def world(everything: list[Resource]) -> Iterator[World]:  # noqa: F811
    """`everything` made in our account and in the look-alike's, once for the module."""
    kinds = registry()
    with moto_context(platform=PLATFORM) as ours:
        driver = KindDriver(ours)
        for resource in _creation_order(everything):
            driver.create(kinds[resource.kind], resource)
        our_account = ours.aws.account_id()
        with _in_account(LOOKALIKE_ACCOUNT):
            aws = Aws(AwsTarget(region=ours.region))
            theirs = KindDriver(Context(aws=aws, platform=PLATFORM, env="staging", poll_interval=0.01))
            ours_there = KindDriver(Context(aws=aws, platform=PLATFORM, env="dev", poll_interval=0.01))
            ours_there.outputs = theirs.outputs
            for resource in _creation_order(everything):
                (ours_there if resource.kind in ENV_NAMED else theirs).create(kinds[resource.kind], resource)
            assert aws.account_id() == LOOKALIKE_ACCOUNT != our_account  # two states, not one
        yield World(graph=everything, driver=driver, ours_there=ours_there.ctx)


def _budget(kind_name: str, world: World) -> int:
    fixed, per_resource = READ_BUDGET.get(kind_name, (READ_BUDGET_DEFAULT, {}))
    return fixed + sum(calls * len(world.live(of)) for of, calls in per_resource.items())


def test_the_kinds_are_checked_dependents_first(everything: list[Resource]) -> None:  # noqa: F811
    assert sorted(DEPENDENTS_FIRST) == sorted(registry()), "a kind came or went: place it in DEPENDENTS_FIRST"
    kind_of = {r.id: r.kind for r in everything}
    rank = {kind_name: i for i, kind_name in enumerate(DEPENDENTS_FIRST)}
    late = sorted(
        f"{r.kind} ({r.id}) references {kind_of[ref]} ({ref})"
        for r in everything
        for ref in _references(r)
        if rank[r.kind] > rank[kind_of[ref]]
    )
    assert late == [], "DEPENDENTS_FIRST must list a kind before the kinds it references"


def _checking_order() -> list[str]:
    """Every registered kind in DEPENDENTS_FIRST's order; a kind it lacks first (and that test fails)."""
    return sorted(registry(), key=lambda k: DEPENDENTS_FIRST.index(k) if k in DEPENDENTS_FIRST else -1)


@pytest.mark.parametrize("kind_name", _checking_order())
def test_every_kind_keeps_the_contract(kind_name: str, world: World) -> None:
    kind = registry()[kind_name]
    driver = world.driver
    if kind_name not in ENV_NAMED:
        with _in_account(LOOKALIKE_ACCOUNT):
            assert KindDriver(world.ours_there).read(kind) == {}, "another environment's resource is read as ours"

    ours = world.live(kind_name)
    assert ours, "an earlier test deleted all of the kind: DEPENDENTS_FIRST is out of order"
    before = Counter(driver.ctx.aws.counter.calls)
    found = driver.read(kind)
    calls = Counter(driver.ctx.aws.counter.calls) - before
    assert sorted(found) == sorted(r.id for r in ours)
    for resource in ours:
        if not world.lost_a_dependent_it_reads(resource):
            reads_as_desired(driver, kind, resource, found[resource.id])
    assert calls.total() <= _budget(kind_name, world), calls

    target = ours[0]
    live = world.delete(target)
    assert sorted(driver.read(kind)) == sorted(r.id for r in world.live(kind_name))
    kind.delete(driver.ctx, live)
