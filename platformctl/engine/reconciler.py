"""The engine, top to bottom: specs → desired graph → live state → plan → ordered, parallel execution.

This is the only place the steps are put together; the CLI calls it, and so do tests and the benchmark.
It knows no resource kind by name.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from platformctl import vpc_endpoints
from platformctl.aws import Aws
from platformctl.engine.executor import Listener, Report, execute
from platformctl.engine.live import read_live
from platformctl.engine.model import LiveResource, Resource
from platformctl.engine.neighbours import other_platforms
from platformctl.engine.planner import Plan, make_plan
from platformctl.errors import PlatformctlError, SpecError
from platformctl.layers import BuildContext, desired_resources
from platformctl.naming import LAYERS
from platformctl.resources import tagging
from platformctl.resources.base import Context, ResourceKind
from platformctl.resources.registry import registry
from platformctl.secret_refs import MissingSecrets, missing_secrets_error, resolve_secret_arns, secret_names
from platformctl.specs import SpecSet
from platformctl.vpc_endpoints import EndpointService, EndpointServicesMissing
from platformctl.zones import Zone, ZoneChoiceError, located, read_zones


@dataclass
class Reconciler:
    specs: SpecSet
    aws: Aws
    poll_interval: float = 2.0
    kinds: dict[str, ResourceKind] = field(default_factory=registry)
    # Whether apply waits for the ECS deployments it starts to complete (`apply --no-wait` turns it off).
    wait_for_deployments: bool = True

    def __post_init__(self) -> None:
        if self.specs.env is None:
            raise ValueError("a Reconciler works on one environment: load the specs with an env")
        region = self.specs.platform.region
        if self.aws.target.region != region:
            # The desired graph (ARNs, zones) would describe one region while the clients change another.
            raise ValueError(
                f"the AWS target's region {self.aws.target.region} is not the specs' {region}: "
                "load the specs with region= instead"
            )
        home = self.specs.home_region
        self.ctx = Context(
            aws=self.aws,
            platform=self.specs.platform.platform,
            env=self.specs.env,
            extra_tags=dict(self.specs.platform.tags),
            poll_interval=self.poll_interval,
            home_region=home if home and home != region else None,
        )
        self._zones: tuple[Zone, ...] | None = None
        self._zones_lock = threading.Lock()
        self._endpoint_services: dict[tuple[str, str], EndpointService] | None = None
        self._secret_arns: dict[str, str] | None = None
        self._secrets_lock = threading.Lock()

    @property
    def env(self) -> str:
        return self.ctx.env

    def account_id(self) -> str:
        """The account of the credentials; the CLI asks it first, so bad credentials fail fast (Aws.account_id)."""
        return self.aws.account_id()

    def offered_zones(self) -> tuple[Zone, ...]:
        """The account's availability zones in the region: one DescribeAvailabilityZones, asked once per run."""
        with self._zones_lock:
            if self._zones is None:
                self._zones = read_zones(self.aws)
            return self._zones

    def secret_arns(self) -> dict[str, str]:
        """The complete ARN of each Secrets Manager secret the services name: DescribeSecret once per distinct
        name, at once, asked once per run. A name no secret has is a spec error at its line (secret_refs)."""
        with self._secrets_lock:
            if self._secret_arns is None:
                names = secret_names(self.specs.services)
                try:
                    self._secret_arns = resolve_secret_arns(
                        self.aws.client("secretsmanager"), names, self.specs.platform.region, self.ctx.map
                    )
                except MissingSecrets as exc:
                    raise missing_secrets_error(exc, self.specs) from None
            return self._secret_arns

    def endpoint_services(self) -> dict[tuple[str, str], EndpointService]:
        """The region's names of the VPC endpoint services the platform needs (none unless `nat: none`), asked
        once per run; a service the region does not offer is EndpointServicesMissing."""
        with self._zones_lock:
            if self._endpoint_services is None:
                wanted = vpc_endpoints.needed(self.specs.platform.network.nat)
                region = self.specs.platform.region
                self._endpoint_services = vpc_endpoints.read_endpoint_services(self.aws, region, wanted)
            return self._endpoint_services

    def build_context(self, strict_zones: bool = True) -> BuildContext:
        """What the layers build from: the specs, the account, its partition, its zones and the secrets' ARNs.

        With `strict_zones`, zones the account cannot give (too few, a pinned one it lacks or that cannot host
        the platform) and secrets it does not have are spec errors at their lines, before anything is written.
        Destroy is not strict: it must work whatever the zones became, so it falls back to the pinned or
        letter-derived names, and it looks up no secret (a delete needs no ARN of one).
        """
        # The partition comes from the same GetCallerIdentity answer as the account: no second call.
        ctx = BuildContext(self.specs, self.account_id(), self.aws.partition(), self.offered_zones())
        problems: list[SpecError] = []
        try:
            ctx.zones  # noqa: B018 - chosen (and checked) here, once, not halfway through a layer
        except ZoneChoiceError as exc:
            if strict_zones:
                problems.append(located(exc, self.specs))
            ctx = replace(ctx, offered_zones=None)
        if strict_zones:
            try:
                ctx = replace(ctx, secret_arns=self.secret_arns())
            except SpecError as exc:
                problems.append(exc)
            try:  # a platform without NAT: the region's names of the endpoint services (one listing)
                ctx = replace(ctx, endpoint_services=self.endpoint_services())
            except EndpointServicesMissing as exc:
                problems.append(located(exc, self.specs))
        if problems:
            raise SpecError([issue for problem in problems for issue in problem.issues])
        return ctx

    def check_zones(self) -> list[str]:
        """The zones the platform will use; the CLI asks before taking the lock, so a bad choice writes nothing."""
        return self.build_context().zones

    def desired(self, strict_zones: bool = True) -> list[Resource]:
        return desired_resources(self.build_context(strict_zones))

    def read(self) -> list[LiveResource]:
        return read_live(self.kinds, self.ctx)

    def desired_and_live(self, strict_zones: bool = True) -> tuple[list[Resource], list[LiveResource]]:
        """Both sides of a plan. They do not wait on each other: the desired graph (which needs the account id
        and the zones, one call each) is built while every kind is read."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="desired") as pool:
            desired = pool.submit(self.desired, strict_zones)
            live = self.read()
            return desired.result(), live

    def plan(self, layers: Iterable[str] = LAYERS) -> Plan:
        """What `apply` would do to make the selected layers match the specs."""
        selected = check_layers(layers)
        desired, live = self.desired_and_live()
        plan = make_plan(
            self.env, desired, live, self.kinds, selected, describe=self.describe, confirm_tags=self.confirm_tags
        )
        plan.other_platforms = other_platforms(self.ctx, self.kinds)  # from what the read's tag index counted
        return plan

    def describe(self, live: LiveResource) -> LiveResource:
        """The full props of a resource read as a fingerprint (only asked for where it differs)."""
        return self.kinds[live.kind].describe(self.ctx, live)

    def confirm_tags(self, live: list[LiveResource]) -> list[dict[str, str]]:
        """The user tags of `live` resources asked of their own services, in parallel (see make_plan)."""
        return self.ctx.map(lambda r: tagging.read_tags(self.ctx, self.kinds[r.kind], r), live)

    def destroy_plan(self, layers: Iterable[str] = LAYERS) -> Plan:
        """Delete everything we own in the selected layers, refusing while a later layer still stands."""
        selected = check_layers(layers)
        everything, live = self.desired_and_live(strict_zones=False)
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
        # Every delete is one the user asked for: "no longer in the specs" would be untrue.
        # What stays is compared too (its steps are dropped): destroy looks no secret up, so a task definition
        # that stays may differ from its fingerprint and needs describing rather than an engine error.
        plan = make_plan(self.env, keep, live, self.kinds, selected, describe=self.describe, unwanted_reason="")
        plan.graph = {r.id: r for r in everything}  # deletes are ordered by what the specs say stands on what
        return plan

    def apply(self, plan: Plan, parallelism: int = 16, listener: Listener | None = None) -> Report:
        # Read by the ECS service kind through resources/waiting.waits_for_deployments.
        self.ctx.wait_for_deployments = self.wait_for_deployments
        return execute(plan, self.kinds, self.ctx, parallelism=parallelism, listener=listener)


def check_layers(layers: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(layers))
    unknown = [name for name in chosen if name not in LAYERS]
    if unknown:
        raise PlatformctlError(f"unknown layer '{unknown[0]}': expected one of {', '.join(LAYERS)}")
    return chosen
