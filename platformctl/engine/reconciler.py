"""The engine, top to bottom: specs → desired graph → live state → plan → ordered, parallel execution.

This is the only place the steps are put together; the CLI calls it, and so do tests and the benchmark.
It knows no resource kind by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from platformctl.aws import Aws
from platformctl.engine.executor import Listener, Report, execute
from platformctl.engine.live import read_live
from platformctl.engine.model import LiveResource, Resource
from platformctl.engine.planner import Plan, make_plan
from platformctl.errors import PlatformctlError
from platformctl.layers import BuildContext, desired_resources
from platformctl.naming import LAYERS
from platformctl.resources.base import Context, ResourceKind
from platformctl.resources.registry import registry
from platformctl.specs import SpecSet


@dataclass
class Reconciler:
    specs: SpecSet
    aws: Aws
    poll_interval: float = 2.0
    kinds: dict[str, ResourceKind] = field(default_factory=registry)

    def __post_init__(self) -> None:
        if self.specs.env is None:
            raise ValueError("a Reconciler works on one environment: load the specs with an env")
        self.ctx = Context(
            aws=self.aws,
            platform=self.specs.platform.platform,
            env=self.specs.env,
            extra_tags=dict(self.specs.platform.tags),
            poll_interval=self.poll_interval,
        )
        self._account_id: str | None = None

    @property
    def env(self) -> str:
        return self.ctx.env

    def account_id(self) -> str:
        if self._account_id is None:
            self._account_id = self.aws.client("sts").get_caller_identity()["Account"]
        return self._account_id

    def desired(self) -> list[Resource]:
        return desired_resources(BuildContext(self.specs, self.account_id()))

    def read(self) -> list[LiveResource]:
        return read_live(self.kinds, self.ctx)

    def desired_and_live(self) -> tuple[list[Resource], list[LiveResource]]:
        """Both sides of a plan. They do not wait on each other: the desired graph (which needs the account id,
        one call) is built while every kind is read."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="desired") as pool:
            desired = pool.submit(self.desired)
            live = self.read()
            return desired.result(), live

    def plan(self, layers: Iterable[str] = LAYERS) -> Plan:
        """What `apply` would do to make the selected layers match the specs."""
        selected = check_layers(layers)
        desired, live = self.desired_and_live()
        return make_plan(self.env, desired, live, self.kinds, selected, describe=self.describe)

    def describe(self, live: LiveResource) -> LiveResource:
        """The full props of a resource read as a fingerprint (only asked for where it differs)."""
        return self.kinds[live.kind].describe(self.ctx, live)

    def destroy_plan(self, layers: Iterable[str] = LAYERS) -> Plan:
        """Delete everything we own in the selected layers, refusing while a later layer still stands."""
        selected = check_layers(layers)
        everything, live = self.desired_and_live()
        # Latest layer first: that is the one to destroy next.
        standing = sorted({r.layer for r in live if r.layer not in selected}, key=LAYERS.index, reverse=True)
        for layer in selected:
            later = [s for s in standing if LAYERS.index(s) > LAYERS.index(layer)]
            if later:
                raise PlatformctlError(
                    f"cannot destroy layer '{layer}': layer '{later[0]}' still stands on it with live "
                    f"resources; destroy --layer {later[0]} first, or destroy without --layer"
                )
        keep = [r for r in everything if r.layer not in selected]
        plan = make_plan(self.env, keep, live, self.kinds, selected)
        plan.graph = {r.id: r for r in everything}  # deletes are ordered by what the specs say stands on what
        return plan

    def apply(self, plan: Plan, parallelism: int = 16, listener: Listener | None = None) -> Report:
        return execute(plan, self.kinds, self.ctx, parallelism=parallelism, listener=listener)


def check_layers(layers: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(layers))
    unknown = [name for name in chosen if name not in LAYERS]
    if unknown:
        raise PlatformctlError(f"unknown layer '{unknown[0]}': expected one of {', '.join(LAYERS)}")
    return chosen
