"""Drive one resource kind against in-process moto the way the engine does: create, read, update, delete.

Kind tests use it to prove the property the planner depends on: what `read` returns for a resource that
`create` made equals the desired props (with Refs resolved), so a fresh apply diffs clean.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError

from platformctl.aws import Aws, AwsTarget
from platformctl.engine.model import Change, LiveResource, Resource, props_fingerprint, resolve
from platformctl.engine.planner import diff_props
from platformctl.naming import ownership_tags
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind

PLATFORM = "shop"
ENV = "dev"


@contextmanager
def moto_context(region: str = "us-east-1", env: str = ENV, platform: str = PLATFORM) -> Iterator[Context]:
    """A Context talking to in-process moto, with instant polling."""
    import os

    from moto import mock_aws

    from platformctl.emulator import install

    install()  # the calls moto lacks, as in the local emulator; before moto first builds its URL map

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    from tests.seed import store_seed_secrets

    with mock_aws():
        store_seed_secrets(None, (region,))  # what the seed references, so a Reconciler can plan it here
        yield Context(aws=Aws(AwsTarget(region=region)), platform=platform, env=env, poll_interval=0.01)



@contextmanager
def realistic_context(short: float, at_once: tuple[str, ...] = ()) -> Iterator[Context]:
    """`moto_context` with the emulator's realistic profile on: every behaviour takes `short` seconds, but the
    tag index's lag and the behaviours named in `at_once` (what a test is not about) take none."""
    from platformctl import emulator_realistic

    durations = {
        **dict.fromkeys(emulator_realistic.AWS_SECONDS, short),
        **dict.fromkeys(("tag_index_create", "tag_index_delete", *at_once), 0),
    }
    emulator_realistic.configure(enabled=True, durations=durations)
    try:
        with moto_context() as context:
            yield context
    finally:
        emulator_realistic.reset()

class KindDriver:
    """Keeps the outputs (logical id → attrs) the engine would keep, so Refs resolve between creates."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.outputs: dict[str, dict[str, Any]] = {}

    def create(self, kind: ResourceKind, resource: Resource) -> dict[str, Any]:
        props = resolve(resource.props, self.outputs)
        attrs = kind.create(self.ctx, resource, props)
        self.outputs[resource.id] = attrs
        return attrs

    def read(self, kind: ResourceKind) -> dict[str, LiveResource]:
        self.ctx.clear_cache()
        return {live.id: live for live in kind.read(self.ctx)}

    def resolved(self, resource: Resource) -> dict[str, Any]:
        return resolve(resource.props, self.outputs)


def planned_changes(kind: ResourceKind, live: LiveResource, props: dict[str, Any]) -> list[Change]:
    """The field changes the planner hands `kind.update` for this live resource and these desired props.

    A kind's `update` acts on exactly these (each goes to its field's setter), so a test that calls
    `update` directly passes them as the engine would, never an empty list.
    """
    return diff_props(live.props, props, kind)


def update_as_planned(
    kind: ResourceKind, ctx: Context, resource: Resource, live: LiveResource, props: dict[str, Any]
) -> dict[str, Any]:
    """`kind.update` with the changes the planner would hand it (`planned_changes`)."""
    return kind.update(ctx, resource, live, props, planned_changes(kind, live, props))


# Kinds whose read keeps what AWS reports rather than the canonical form: they read equal to the desired props
# only as the planner compares them. The service's desired count is the autoscaler's to move, and its subnets
# and groups come back in AWS's order.
READ_AS_REPORTED = {"ecs.service"}


@pytest.fixture
def ctx() -> Iterator[Context]:
    """A fixture: in-process moto for one test (a module takes it with `ctx = kind_harness.ctx`)."""
    with moto_context() as context:
        yield context


@pytest.fixture
def empty_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixture: the tag index lags behind AWS and knows none of the resources yet."""
    monkeypatch.setattr(tag_index, "indexed_tags", lambda ctx: {})


def reads_as_desired(driver: KindDriver, kind: ResourceKind, resource: Resource, live: LiveResource) -> LiveResource:
    """`live` is `resource` as the planner will see it: its kind, id and layer; props read in the kind's
    canonical form and equal to the desired ones in it (but for what AWS cannot tell and the order of
    `unordered` lists), so no difference; the attrs the driver keeps for it. A revision read as a fingerprint
    (task definitions) matches the desired one's, and is described for its props, which are returned."""
    assert (live.kind, live.id, live.layer) == (kind.kind, resource.id, resource.layer)
    desired = driver.resolved(resource)
    if live.fingerprint is not None:
        assert live.fingerprint == props_fingerprint(kind.canonical(desired))
        live = kind.describe(driver.ctx, live)
    if kind.kind not in READ_AS_REPORTED:
        assert _as_compared(kind, live.props) == _as_compared(kind, kind.canonical(desired))
    assert diff_props(live.props, desired, kind) == []
    if resource.id in driver.outputs:  # what its create (or last update) reported
        assert live.attrs == driver.outputs[resource.id]
        assert live.physical_id == live.attrs[kind.id_attr]
    return live


def _as_compared(kind: ResourceKind, props: dict[str, Any]) -> dict[str, Any]:
    """`props` without what AWS cannot tell (`unreadable`), lists whose order means nothing (`unordered`) sorted."""
    readable = {k: v for k, v in props.items() if k not in kind.unreadable}
    return {k: sorted(v, key=repr) if k in kind.unordered else v for k, v in readable.items()}


def read_one(driver: KindDriver, kind: ResourceKind, resource: Resource) -> LiveResource:
    """The only resource of `kind` a fresh read finds is `resource`, and it reads as desired."""
    found = driver.read(kind)
    assert list(found) == [resource.id]
    return reads_as_desired(driver, kind, resource, found[resource.id])


def updated(
    driver: KindDriver, kind: ResourceKind, resource: Resource, *, new_attrs: bool = False, **changes: Any
) -> LiveResource:
    """Apply `changes` (fields the kind updates in place) to the desired props through `kind.update` as the
    engine would (resolved props, the planner's changes), then read back: the same resource (no replacement,
    nothing of the kind made or lost), as desired, and the attrs `update` reported are what a read finds.
    They are the attrs it had unless `new_attrs` (a kind whose update re-puts the resource under a new ARN)."""
    assert set(changes) <= kind.updatable
    found_before = driver.read(kind)
    before = found_before[resource.id]
    resource.props.update(changes)
    attrs = update_as_planned(kind, driver.ctx, resource, before, driver.resolved(resource))
    driver.outputs[resource.id] = {**before.attrs, **attrs}  # what the engine keeps for later Refs
    found = driver.read(kind)
    assert found.keys() == found_before.keys()
    after = reads_as_desired(driver, kind, resource, found[resource.id])
    assert attrs == after.attrs
    if not new_attrs:
        assert after.physical_id == before.physical_id
        assert attrs == before.attrs
    return after


def _counted_read(ctx: Context, kinds: tuple[ResourceKind, ...]) -> tuple[list[LiveResource], Counter[tuple[str, str]]]:
    ctx.clear_cache()
    before = Counter(ctx.aws.counter.calls)
    found = [live for kind in kinds for live in kind.read(ctx)]
    return found, Counter(ctx.aws.counter.calls) - before


def read_calls(ctx: Context, *kinds: ResourceKind) -> tuple[list[LiveResource], int]:
    """What one fresh read pass of `kinds` (one cache) finds, and how many AWS calls it made."""
    found, calls = _counted_read(ctx, kinds)
    return found, calls.total()


def read_calls_by_op(ctx: Context, *kinds: ResourceKind) -> tuple[list[LiveResource], dict[str, int]]:
    """`read_calls`, with the calls counted by operation."""
    found, calls = _counted_read(ctx, kinds)
    by_op: Counter[str] = Counter()
    for (_, operation), n in calls.items():
        by_op[operation] += n
    return found, dict(by_op)


def read_calls_by_action(ctx: Context, *kinds: ResourceKind) -> tuple[list[LiveResource], dict[tuple[str, str], int]]:
    """`read_calls`, with the calls counted by (service, operation)."""
    found, calls = _counted_read(ctx, kinds)
    return found, dict(calls)


def client_error(code: str, operation: str, message: str = "simulated") -> ClientError:
    """The error botocore raises for an AWS answer moto does not give (a stand-in client method raises it)."""
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def our_tags(logical_id: str, layer: str, env: str = ENV) -> dict[str, str]:
    """The ownership tags this platform puts on `logical_id` in `env`: a resource made with them is ours."""
    return ownership_tags(PLATFORM, env, layer, logical_id)


def other_env_tags(logical_id: str, layer: str) -> dict[str, str]:
    """Our platform's tags for another environment (prod): a look-alike dev must neither read nor touch."""
    return our_tags(logical_id, layer, env="prod")


def network(ctx: Context, zones: str = "abc", groups: tuple[str, ...] = ("sg0", "sg1")) -> dict[str, Any]:
    """A VPC with a subnet in each of `zones` and the security `groups`, made directly with boto3."""
    ec2 = ctx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{ctx.region}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(zones)
    ]
    group_ids = [ec2.create_security_group(GroupName=g, Description="test", VpcId=vpc)["GroupId"] for g in groups]
    return {"vpc": vpc, "subnets": subnets, "security_groups": group_ids}
