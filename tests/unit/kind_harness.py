"""Drive one resource kind against in-process moto the way the engine does: create, read, update, delete.

Kind tests use it to prove the property the planner depends on: what `read` returns for a resource that
`create` made equals the desired props (with Refs resolved), so a fresh apply diffs clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from platformctl.aws import Aws, AwsTarget
from platformctl.engine.model import Change, LiveResource, Resource, resolve
from platformctl.engine.planner import diff_props
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
