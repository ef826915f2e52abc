"""ECS services: one Fargate service per application service, private, behind Service Connect.

Services are found through our clusters (one describe per hundred clusters), then one list per cluster and
one describe per ten services, tags included. That listing is shared: the auto scaling kinds find their
targets and policies through it, keyed by the natural resource id `service/<cluster>/<service>`.

When a service is autoscaled, Application Auto Scaling owns its desired count: the count AWS reports then
moves with load and is not drift. `autoscaled` is read as "a scalable target is registered for the service"
(one describe per fifty services, shared with the scalable-target kind), so both sides of a diff agree.

AWS reports Service Connect settings only on deployments, and the emulator not at all; they are read when
present but never compared (`unreadable`): they change when the namespace they point at is replaced.

The emulator drops capacityProviderStrategy, deploymentConfiguration and healthCheckGracePeriodSeconds
given to create_service (AWS echoes them); create then applies whatever the answer lacks with
update_service, so a fresh service reads back as it was asked for either way.

Deleting scales the service to zero first (AWS refuses to delete a service with running tasks otherwise,
and `force` alone leaves them draining on their own schedule), then waits until it is INACTIVE: until then
its tasks still hold network interfaces in our subnets, and its name cannot be reused. A DRAINING service
(deleted by a run that was stopped while it waited) is gone for us, as terraform treats it: a create of its
name retries while AWS answers that it is still draining.

Create and update retry, by message, what AWS answers for a while after a dependency was made (terraform-
provider-aws's ecs service retries the same): a task, execution or service role IAM has not propagated yet,
the service-linked role of a fresh account, a target group whose listener rule is seconds old. Then they
wait for the deployment they started, as terraform's `wait_for_steady_state` and Copilot do: the step is
done when the PRIMARY deployment's rolloutState is COMPLETED; FAILED (the circuit breaker stopped it) fails
the step with the stopped tasks' reasons (`CannotPullContainerError: ...`), so a CI apply goes red when the
service did not come up. `apply --no-wait` skips that wait (`waiting.waits_for_deployments`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.resources.base import Context, tag_dict, unless_gone
from platformctl.resources.declarative import DeclarativeKind, Field, Listing, Owned, _top_field, dig
from platformctl.resources.ecs_cluster import our_clusters
from platformctl.resources.waiting import WaitFailed, aws_message, poll, retry_while, waits_for_deployments

SERVICE_BATCH = 10
TARGET_BATCH = 50
SCALABLE_DIMENSION = "ecs:service:DesiredCount"
_NOT_FOUND = frozenset({"ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException"})
# What ECS answers (InvalidParameterException) while something it was just given propagates, by a part of
# its message, and what that means we wait for. The same code also means a real mistake, which fails at once.
_PROPAGATING = (
    ("unable to assume the role", "a fresh IAM role to propagate to ECS"),
    ("verify that the ecs service role being passed has the proper permissions", "a fresh IAM role to propagate"),
    ("unable to assume the service linked role", "the ECS service-linked role to exist"),
    ("does not have an associated load balancer", "the target group's listener rule to reach ECS"),
)
_STILL_DRAINING = "still draining"
# AWS's propagation takes seconds; terraform gives it 2 minutes (its propagationTimeout).
PROPAGATION_TIMEOUT = 120.0
# An update that changes these starts a new deployment; desiredCount alone does not.
_DEPLOYING = frozenset(
    {
        "taskDefinition",
        "forceNewDeployment",
        "networkConfiguration",
        "loadBalancers",
        "serviceConnectConfiguration",
        "capacityProviderStrategy",
    }
)
# How many stopped tasks of a failed deployment are asked for their reasons (one describe_tasks).
_STOPPED_TASKS_SHOWN = 10


class OwnedService(Owned):
    """One of our ECS services (neither DRAINING nor INACTIVE), as described in one of our clusters."""

    @property
    def cluster_name(self) -> str:
        return str(self.item["clusterArn"]).rsplit("/", 1)[-1]

    @property
    def resource_id(self) -> str:
        """Application Auto Scaling's natural key for the service."""
        return f"service/{self.cluster_name}/{self.name}"


def _propagating(exc: BaseException) -> str | None:
    """What ECS is still waiting for when it refuses a create or update this way, else None (a real mistake)."""
    if error_code(exc) != "InvalidParameterException":
        return None
    message = aws_message(exc).lower()
    return next((waited for part, waited in _PROPAGATING if part in message), None)


def _draining(exc: BaseException) -> bool:
    return error_code(exc) == "InvalidParameterException" and _STILL_DRAINING in aws_message(exc).lower()


# A deleted service drains, then is INACTIVE; either way it is gone for us (its name frees once INACTIVE).
_GONE = frozenset({"INACTIVE", "DRAINING"})


# ---- shared listings ---------------------------------------------------------------------------------------
def our_services(ctx: Context) -> list[OwnedService]:
    """Our ECS services in our clusters, listed once per read pass for the service and auto scaling kinds."""
    return ctx.cached(
        ("ecs", "our-services"),
        lambda: [OwnedService(o.item, o.tags, o.physical_id, o.arn, o.name) for o in EcsService().owned(ctx)],
    )


def service_scalable_targets(ctx: Context) -> dict[str, dict[str, Any]]:
    """Scalable targets registered on our services' desired count, by resource id; fetched once per pass."""
    return ctx.cached(("application-autoscaling", "ecs-service-targets"), lambda: _fetch_targets(ctx))


def _fetch_targets(ctx: Context) -> dict[str, dict[str, Any]]:
    ids = sorted({service.resource_id for service in our_services(ctx)})
    if not ids:
        return {}
    paginator = ctx.client("application-autoscaling").get_paginator("describe_scalable_targets")
    targets: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), TARGET_BATCH):
        pages = paginator.paginate(
            ServiceNamespace="ecs", ResourceIds=ids[start : start + TARGET_BATCH], ScalableDimension=SCALABLE_DIMENSION
        )
        for page in pages:
            for target in page.get("ScalableTargets", []):
                targets[target["ResourceId"]] = target
    return targets


# ---- props ---------------------------------------------------------------------------------------------
def _strategy(entries: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [
        {"provider": s["capacityProvider"], "base": int(s.get("base") or 0), "weight": int(s.get("weight") or 0)}
        for s in entries or []
    ]


def _strategy_request(strategy: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"capacityProvider": s["provider"], "base": int(s.get("base") or 0), "weight": int(s.get("weight") or 0)}
        for s in strategy
    ]


def _breaker(breaker: dict[str, Any] | None) -> dict[str, bool]:
    return {"enable": bool((breaker or {}).get("enable")), "rollback": bool((breaker or {}).get("rollback"))}


def _deployment_configuration(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "deploymentCircuitBreaker": _breaker(props.get("circuit_breaker")),
        "minimumHealthyPercent": 100,
        "maximumPercent": 200,
    }


def _network_configuration(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "awsvpcConfiguration": {
            "subnets": list(props["subnets"]),
            "securityGroups": list(props["security_groups"]),
            "assignPublicIp": "DISABLED",
        }
    }


def _load_balancers(load_balancer: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not load_balancer:
        return []
    return [
        {
            "targetGroupArn": load_balancer["target_group"],
            "containerName": load_balancer["container"],
            "containerPort": int(load_balancer["port"]),
        }
    ]


def _service_connect_request(service_connect: dict[str, Any] | None) -> dict[str, Any]:
    if not service_connect:
        return {"enabled": False}
    return {
        "enabled": True,
        "namespace": service_connect["namespace"],
        "services": [
            {
                "portName": service_connect["port_name"],
                "discoveryName": service_connect["discovery_name"],
                "clientAliases": [{"port": int(service_connect["port"]), "dnsName": service_connect["dns_name"]}],
            }
        ],
    }


def _primary_deployment(service: dict[str, Any]) -> dict[str, Any]:
    deployments = service.get("deployments") or []
    return next((d for d in deployments if d.get("status") == "PRIMARY"), deployments[0] if deployments else {})


def _read_service_connect(service: dict[str, Any]) -> dict[str, Any] | None:
    """AWS puts Service Connect on each deployment; the primary one is what the service runs."""
    config = _primary_deployment(service).get("serviceConnectConfiguration") or service.get(
        "serviceConnectConfiguration"
    )
    if not config or not config.get("enabled"):
        return None
    entries = config.get("services") or [{}]
    entry = entries[0]
    alias = (entry.get("clientAliases") or [{}])[0]
    return {
        "namespace": config.get("namespace"),
        "port_name": entry.get("portName"),
        "discovery_name": entry.get("discoveryName"),
        "dns_name": alias.get("dnsName"),
        "port": alias.get("port"),
    }


def _read_load_balancer(lb: dict[str, Any] | None) -> dict[str, Any] | None:
    names = {"target_group": "targetGroupArn", "container": "containerName", "port": "containerPort"}
    return {prop: lb.get(key) for prop, key in names.items()} if lb else None


def _awsvpc(key: str) -> Callable[[dict[str, Any]], list[str]]:
    """The service's subnets or security groups, as a sorted list."""
    return lambda service: sorted(dig(service, f"networkConfiguration.awsvpcConfiguration.{key}") or [])


# How many of a service's events (newest first in describe_services) `status` shows.
RECENT_EVENTS = 3


def _facts(service: dict[str, Any]) -> dict[str, Any]:
    """What `status` shows, taken from the describe_services answer the read already has: no extra call."""
    primary = _primary_deployment(service)
    return {
        "running": service.get("runningCount", 0),
        "pending": service.get("pendingCount", 0),
        "desired": service.get("desiredCount", 0),
        "status": service.get("status"),
        "rollout": primary.get("rolloutState"),
        "rollout_reason": primary.get("rolloutStateReason"),
        "events": _recent_events(service.get("events") or []),
    }


def _recent_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest few service events, newest first, as {"at": datetime | None, "message": str}."""
    newest = sorted(events, key=_event_time, reverse=True)[:RECENT_EVENTS]
    return [{"at": e.get("createdAt"), "message": str(e.get("message") or "")} for e in newest]


def _event_time(event: dict[str, Any]) -> float:
    at = event.get("createdAt")
    return at.timestamp() if isinstance(at, datetime) else 0.0


class EcsService(DeclarativeKind):
    """Setters here name the part of one UpdateService request that a changed field sends (see `update`)."""

    kind: ClassVar[str] = "ecs.service"
    tagging: ClassVar[str | None] = "ecs"
    service: ClassVar[str] = "ecs"
    id_attr: ClassVar[str] = "ServiceArn"
    unordered: ClassVar[frozenset[str]] = frozenset({"subnets", "security_groups"})
    unreadable: ClassVar[frozenset[str]] = frozenset({"service_connect"})  # read when AWS reports it, never compared
    not_found_codes: ClassVar[frozenset[str]] = _NOT_FOUND
    listing = Listing("list_services", "serviceArns")  # per cluster of ours: see `listed`
    item_tags: ClassVar[str] = "tags"
    tag_pair: ClassVar[tuple[str, str]] = ("key", "value")
    tags_param: ClassVar[str | None] = "tags"
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("serviceName"),
        "cluster": Field("clusterArn"),
        "task_definition": Field("taskDefinition", setter="_task_definition"),
        "desired_count": Field(lambda service: service.get("desiredCount", 0), setter="_desired_count"),
        # Whether a scalable target owns the count (`read`). It changes nothing on the service itself (the
        # scalable-target kind does the work), but must not force a replacement.
        "autoscaled": Field(None, setter="_autoscaled"),
        "subnets": Field(_awsvpc("subnets"), setter="_network"),
        "security_groups": Field(_awsvpc("securityGroups"), setter="_network"),
        "capacity_strategy": Field("capacityProviderStrategy", _strategy, setter="_capacity"),
        "circuit_breaker": Field("deploymentConfiguration.deploymentCircuitBreaker", _breaker, setter="_deployment"),
        "load_balancer": Field("loadBalancers.0", _read_load_balancer, setter="_load_balancer"),
        "service_connect": Field(_read_service_connect, setter="_service_connect"),
        "health_grace_seconds": Field("healthCheckGracePeriodSeconds", lambda s: int(s or 0), setter="_grace"),
    }
    attrs: ClassVar[dict[str, str]] = {"ServiceArn": "serviceArn", "Name": "serviceName", "ClusterArn": "clusterArn"}
    name_source: ClassVar[str | None] = "serviceName"
    create_call: ClassVar[str] = "create_service"
    create_result: ClassVar[str | None] = "service"
    taken_code: ClassVar[str] = "ServiceExists"
    delete_call: ClassVar[str] = "delete_service"

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        out = dict(props)
        if out.get("autoscaled") is True:
            out.pop("desired_count", None)  # Application Auto Scaling owns it: its moves are not drift
        if "load_balancer" in out and out.get("load_balancer") is None:
            out.pop("health_grace_seconds", None)  # only means something with a load balancer; never sent without
        if isinstance(out.get("capacity_strategy"), list):
            out["capacity_strategy"] = [
                {"provider": s.get("provider"), "base": int(s.get("base") or 0), "weight": int(s.get("weight") or 0)}
                if isinstance(s, dict)
                else s
                for s in out["capacity_strategy"]
            ]
        return out

    # ---- read ------------------------------------------------------------------------------------------
    def listed(self, ctx: Context) -> list[dict[str, Any]]:
        """Needs code: services are listed per cluster of ours, then described ten at a time, tags included."""
        described = [
            service
            for cluster in our_clusters(ctx)
            for arns in [self.listed_under(ctx, self.listing, cluster=cluster.arn)]
            for start in range(0, len(arns), SERVICE_BATCH)
            for service in self.client(ctx).describe_services(
                cluster=cluster.arn, services=arns[start : start + SERVICE_BATCH], include=["TAGS"]
            )["services"]
        ]
        return [service for service in described if service.get("status") not in _GONE]

    def read(self, ctx: Context) -> list[LiveResource]:
        """Needs code: `autoscaled` comes from Application Auto Scaling's targets, not from the service."""
        services = our_services(ctx)
        targets = service_scalable_targets(ctx) if services else {}
        props = [{**self.props_of(s.item), "autoscaled": s.resource_id in targets} for s in services]
        return [self.to_live(ctx, service, p) for service, p in zip(services, props, strict=True)]

    def facts_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return _facts(item)

    # ---- create ----------------------------------------------------------------------------------------
    def existing(self, ctx: Context, props: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """CreateService answers an identical request with the existing service: never pass one off as ours. A
        draining one is going away (create waits until its name is free); a missing cluster: create says so."""
        request = {"cluster": props["cluster"], "services": [props["name"]], "include": ["TAGS"]}
        answer = unless_gone(self.not_found_codes, lambda: self.client(ctx).describe_services(**request))
        services = (answer or {}).get("services", [])
        return [(s, tag_dict(s.get("tags"), "key", "value")) for s in services if s.get("status") not in _GONE]

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "cluster": props["cluster"],
            "serviceName": props["name"],
            "desiredCount": int(props.get("desired_count") or 0),
            "enableExecuteCommand": False,
            "propagateTags": "SERVICE",
            **self._task_definition(props),
            **self._network(props),
            **self._deployment(props),
        }
        if props.get("capacity_strategy"):
            request["capacityProviderStrategy"] = _strategy_request(props["capacity_strategy"])
        if props.get("load_balancer"):
            request.update(self._load_balancer(props))
        if props.get("service_connect"):
            request.update(self._service_connect(props))
        return request

    def call(self, ctx: Context, operation: str, **request: Any) -> Any:
        """Needs code: ECS refuses a real mistake and what passes by itself (a fresh role, a draining name) with
        the same code; the latter is told by its message and retried, propagation for as long as terraform does."""
        started = time.monotonic()

        def transient(exc: BaseException) -> str | None:
            if _draining(exc):
                name = request.get("serviceName")
                return f"the deleted ECS service {name} to finish draining (its name is taken until then)"
            return _propagating(exc) if time.monotonic() - started <= PROPAGATION_TIMEOUT else None

        return retry_while(ctx, transient, lambda: getattr(self.client(ctx), operation)(**request))

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """Settings the create answer lacks (an emulator gap; AWS echoes them) are set by update_service, then
        the first deployment is waited for."""
        request, update = self.create_request(ctx, props), {}
        if "capacityProviderStrategy" in request and not item.get("capacityProviderStrategy"):
            update.update(self._capacity(props))
        if "deploymentConfiguration" not in item:
            update["deploymentConfiguration"] = request["deploymentConfiguration"]
        if "healthCheckGracePeriodSeconds" in request and "healthCheckGracePeriodSeconds" not in item:
            update["healthCheckGracePeriodSeconds"] = request["healthCheckGracePeriodSeconds"]
        if update:
            self.call(ctx, "update_service", cluster=item["clusterArn"], service=item["serviceArn"], **update)
        if waits_for_deployments(ctx):
            self.wait_for_rollout(ctx, resource.id, item["clusterArn"], item["serviceArn"])
        return self.attrs_of(item)

    # ---- update ----------------------------------------------------------------------------------------
    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        """Needs code: every change goes in one UpdateService (one deployment, one rollout wait), and Service
        Connect, unreadable, is resent whenever the read does not confirm it."""
        names = {_top_field(change.path) for change in changes}
        if _service_connect_request(props.get("service_connect")) != _service_connect_request(
            live.props.get("service_connect")
        ):
            names.add("service_connect")
        setters = dict.fromkeys(f.setter for name, f in self.fields.items() if name in names and f.setter)
        request = {key: value for setter in setters for key, value in getattr(self, setter)(props).items()}
        cluster = live.attrs["ClusterArn"]
        if request:
            self.call(ctx, "update_service", cluster=cluster, service=live.physical_id, **request)
            if waits_for_deployments(ctx) and _DEPLOYING & set(request):
                self.wait_for_rollout(ctx, resource.id, cluster, live.physical_id)
        return dict(live.attrs)

    def _task_definition(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"taskDefinition": props["task_definition"]}  # starts a deployment by itself

    def _desired_count(self, props: dict[str, Any]) -> dict[str, Any]:
        if props.get("autoscaled") or "desired_count" not in props:
            return {}  # Application Auto Scaling's to move
        return {"desiredCount": int(props["desired_count"])}

    def _autoscaled(self, props: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _network(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"networkConfiguration": _network_configuration(props)}

    def _capacity(self, props: dict[str, Any]) -> dict[str, Any]:
        # AWS accepts a new capacity provider strategy only together with a new deployment.
        strategy = _strategy_request(props.get("capacity_strategy") or [])
        return {"capacityProviderStrategy": strategy, "forceNewDeployment": True}

    def _deployment(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"deploymentConfiguration": _deployment_configuration(props)}

    def _load_balancer(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"loadBalancers": _load_balancers(props.get("load_balancer")), **self._grace(props)}

    def _grace(self, props: dict[str, Any]) -> dict[str, Any]:
        if not props.get("load_balancer"):
            return {}  # means nothing without a load balancer, and AWS refuses it then
        return {"healthCheckGracePeriodSeconds": int(props.get("health_grace_seconds") or 0)}

    def _service_connect(self, props: dict[str, Any]) -> dict[str, Any]:
        if "service_connect" not in props:
            return {}
        return {"serviceConnectConfiguration": _service_connect_request(props["service_connect"])}

    # ---- delete ----------------------------------------------------------------------------------------
    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Needs code: scaled to zero first: AWS refuses to delete a service with running tasks otherwise, and
        `force` alone leaves them draining on their own schedule."""
        service = {"cluster": live.attrs["ClusterArn"], "service": live.physical_id}
        self.ignore_missing(lambda: self.client(ctx).update_service(**service, desiredCount=0))
        super().delete(ctx, live)

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return {"cluster": live.attrs["ClusterArn"], "service": live.physical_id, "force": True}

    def after_delete(self, ctx: Context, live: LiveResource) -> None:
        """Until INACTIVE: until then its tasks hold network interfaces in our subnets, and its name is taken."""
        cluster, arn = live.attrs["ClusterArn"], live.physical_id

        def gone() -> tuple[bool | None, str]:
            answer = unless_gone(
                self.not_found_codes, lambda: self.client(ctx).describe_services(cluster=cluster, services=[arn])
            )
            services = (answer or {}).get("services", [])
            statuses = sorted({str(s.get("status")) for s in services if s.get("status") != "INACTIVE"})
            return (None, ", ".join(statuses)) if statuses else (True, "")

        poll(ctx, f"ECS service {live.name} ({live.id}) to drain and be deleted", gone)

    # ---- deployments -----------------------------------------------------------------------------------
    def wait_for_rollout(self, ctx: Context, logical_id: str, cluster: str, service_arn: str) -> None:
        """Until the service's PRIMARY deployment is COMPLETED; FAILED fails with the stopped tasks' reasons.

        Shown meanwhile as `waiting for <id> to roll out: 1/2 tasks running`. Bounded by the context's
        `wait_timeout` (AWS gives a deployment no limit of its own; the circuit breaker ends a hopeless one).
        """

        def rolled_out() -> tuple[bool | None, str]:
            services = self.client(ctx).describe_services(cluster=cluster, services=[service_arn])["services"]
            if not services:
                raise WaitFailed("ServiceNotFoundException", f"ECS service {service_arn} vanished during its rollout")
            service = services[0]
            primary = _primary_deployment(service)
            state = primary.get("rolloutState")
            if state == "FAILED":
                raise WaitFailed("DeploymentFailed", self._failure(ctx, service, primary))
            if state in (None, "COMPLETED"):  # no rolloutState: not an ECS-controlled deployment, nothing to wait for
                return True, ""
            running = primary.get("runningCount", 0)
            return None, f"{running}/{primary.get('desiredCount', service.get('desiredCount', 0))} tasks running"

        poll(ctx, f"{logical_id} to roll out", rolled_out)

    def _failure(self, ctx: Context, service: dict[str, Any], deployment: dict[str, Any]) -> str:
        """`deployment ecs-svc/1 of microservices-dev-order failed: <AWS's reason>; stopped task 1a2b: <its reason>`."""
        ecs, cluster, deployment_id = self.client(ctx), service["clusterArn"], deployment.get("id", "")
        reason = deployment.get("rolloutStateReason", "")
        text = f"deployment {deployment_id} of {service.get('serviceName')} failed: {reason}"
        stopped = ecs.list_tasks(cluster=cluster, startedBy=deployment_id, desiredStatus="STOPPED")
        arns = stopped.get("taskArns", [])[:_STOPPED_TASKS_SHOWN]
        tasks = ecs.describe_tasks(cluster=cluster, tasks=arns).get("tasks", []) if arns else []
        reasons: dict[str, str] = {}  # reason → the first task that stopped for it
        for task in tasks:
            container_reasons = [c.get("reason") for c in task.get("containers") or [] if c.get("reason")]
            for reason in [task.get("stoppedReason"), *container_reasons]:
                if reason:
                    reasons.setdefault(str(reason), task["taskArn"].rsplit("/", 1)[-1])
        for reason, task_id in reasons.items():
            text += f"; stopped task {task_id}: {reason}"
        return text
