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
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list
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


@dataclass(frozen=True)
class OwnedService:
    """An ECS service (not INACTIVE) carrying our tags for this platform and env, in one of our clusters."""

    arn: str
    name: str
    cluster_arn: str
    cluster_name: str
    logical_id: str
    layer: str
    description: dict[str, Any]

    @property
    def resource_id(self) -> str:
        """Application Auto Scaling's natural key for the service."""
        return service_resource_id(self.cluster_name, self.name)


def service_resource_id(cluster_name: str, service_name: str) -> str:
    return f"service/{cluster_name}/{service_name}"


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
    """Our ECS services in our clusters, fetched once per read pass for the service and auto scaling kinds."""
    return ctx.cached(("ecs", "our-services"), lambda: _fetch_our_services(ctx))


def _fetch_our_services(ctx: Context) -> list[OwnedService]:
    ecs = ctx.client("ecs")
    owned: list[OwnedService] = []
    for cluster in our_clusters(ctx):
        arns: list[str] = []
        try:
            for page in ecs.get_paginator("list_services").paginate(cluster=cluster.arn):
                arns.extend(page.get("serviceArns", []))
        except Exception as exc:
            if error_code(exc) == "ClusterNotFoundException":
                continue  # deleted since it was listed
            raise
        for start in range(0, len(arns), SERVICE_BATCH):
            answer = ecs.describe_services(
                cluster=cluster.arn, services=arns[start : start + SERVICE_BATCH], include=["TAGS"]
            )
            for service in answer.get("services", []):
                if service.get("status") in _GONE:
                    continue
                identity = ctx.identity(tag_dict(service.get("tags"), "key", "value"))
                if identity is None:
                    continue
                owned.append(
                    OwnedService(
                        arn=service["serviceArn"],
                        name=service["serviceName"],
                        cluster_arn=cluster.arn,
                        cluster_name=cluster.name,
                        logical_id=identity[0],
                        layer=identity[1],
                        description=service,
                    )
                )
    return owned


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


def _deployment_configuration(props: dict[str, Any]) -> dict[str, Any]:
    breaker = props.get("circuit_breaker") or {}
    return {
        "deploymentCircuitBreaker": {"enable": bool(breaker.get("enable")), "rollback": bool(breaker.get("rollback"))},
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


def _read_load_balancer(service: dict[str, Any]) -> dict[str, Any] | None:
    balancers = service.get("loadBalancers") or []
    if not balancers:
        return None
    lb = balancers[0]
    return {
        "target_group": lb.get("targetGroupArn"),
        "container": lb.get("containerName"),
        "port": lb.get("containerPort"),
    }


def _props(service: dict[str, Any], autoscaled: bool) -> dict[str, Any]:
    network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    breaker = (service.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker") or {}
    return {
        "name": service["serviceName"],
        "cluster": service["clusterArn"],
        "task_definition": service.get("taskDefinition"),
        "desired_count": service.get("desiredCount", 0),
        "autoscaled": autoscaled,
        "subnets": sorted(network.get("subnets") or []),
        "security_groups": sorted(network.get("securityGroups") or []),
        "capacity_strategy": _strategy(service.get("capacityProviderStrategy")),
        "circuit_breaker": {"enable": bool(breaker.get("enable")), "rollback": bool(breaker.get("rollback"))},
        "load_balancer": _read_load_balancer(service),
        "service_connect": _read_service_connect(service),
        "health_grace_seconds": int(service.get("healthCheckGracePeriodSeconds") or 0),
    }


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


def _attrs(service: dict[str, Any]) -> dict[str, Any]:
    return {"ServiceArn": service["serviceArn"], "Name": service["serviceName"], "ClusterArn": service["clusterArn"]}


class EcsService(ResourceKind):
    kind: ClassVar[str] = "ecs.service"
    tagging: ClassVar[str | None] = "ecs"
    service: ClassVar[str] = "ecs"
    id_attr: ClassVar[str] = "ServiceArn"
    # `autoscaled` changes nothing on the service itself (the scalable-target kind does the work), but it must
    # not force a replacement when a service starts or stops being autoscaled.
    updatable: ClassVar[frozenset[str]] = frozenset(
        {
            "task_definition",
            "desired_count",
            "autoscaled",
            "capacity_strategy",
            "circuit_breaker",
            "subnets",
            "security_groups",
            "load_balancer",
            "service_connect",
            "health_grace_seconds",
        }
    )
    unordered: ClassVar[frozenset[str]] = frozenset({"subnets", "security_groups"})
    unreadable: ClassVar[frozenset[str]] = frozenset({"service_connect"})
    not_found_codes: ClassVar[frozenset[str]] = _NOT_FOUND

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

    def read(self, ctx: Context) -> list[LiveResource]:
        services = our_services(ctx)
        if not services:
            return []
        targets = service_scalable_targets(ctx)
        found: list[LiveResource] = []
        for owned in services:
            description = owned.description
            live = self.live(
                ctx,
                tag_dict(description.get("tags"), "key", "value"),
                name=owned.name,
                physical_id=owned.arn,
                props=_props(description, owned.resource_id in targets),
                attrs=_attrs(description),
                facts=_facts(description),
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        ecs = ctx.client("ecs")
        cluster, name = props["cluster"], props["name"]
        self._refuse_look_alike(ctx, resource, cluster, name)
        request: dict[str, Any] = {
            "cluster": cluster,
            "serviceName": name,
            "taskDefinition": props["task_definition"],
            "desiredCount": int(props.get("desired_count") or 0),
            "networkConfiguration": _network_configuration(props),
            "deploymentConfiguration": _deployment_configuration(props),
            "enableExecuteCommand": False,
            "propagateTags": "SERVICE",
            "tags": tag_list(ctx.tags_for(resource), "key", "value"),
        }
        if props.get("capacity_strategy"):
            request["capacityProviderStrategy"] = _strategy_request(props["capacity_strategy"])
        if props.get("load_balancer"):
            request["loadBalancers"] = _load_balancers(props["load_balancer"])
            request["healthCheckGracePeriodSeconds"] = int(props.get("health_grace_seconds") or 0)
        if props.get("service_connect"):
            request["serviceConnectConfiguration"] = _service_connect_request(props["service_connect"])
        service = self._create_when_ready(ctx, name, lambda: ecs.create_service(**request)["service"])
        self._apply_dropped_settings(ctx, service, request)
        if waits_for_deployments(ctx):
            wait_for_rollout(ctx, resource.id, service["clusterArn"], service["serviceArn"])
        return _attrs(service)

    def _create_when_ready(self, ctx: Context, name: str, create: Any) -> dict[str, Any]:
        """CreateService, retried while a dependency propagates (bounded as terraform does), and while a
        deleted service of the same name still drains (AWS frees the name once it is INACTIVE)."""
        started = time.monotonic()

        def transient(exc: BaseException) -> str | None:
            if _draining(exc):
                return f"the deleted ECS service {name} to finish draining (its name is taken until then)"
            if time.monotonic() - started > PROPAGATION_TIMEOUT:
                return None
            return _propagating(exc)

        return retry_while(ctx, transient, create)

    def _refuse_look_alike(self, ctx: Context, resource: Resource, cluster: str, name: str) -> None:
        """CreateService answers an identical request with the existing service: never pass one off as ours."""
        try:
            existing = ctx.client("ecs").describe_services(cluster=cluster, services=[name], include=["TAGS"])
        except Exception as exc:
            if error_code(exc) == "ClusterNotFoundException":
                return  # create_service gives the precise error
            raise
        for service in existing.get("services", []):
            if service.get("status") in _GONE:
                continue  # going away: create waits until its name is free
            owner = ctx.identity(tag_dict(service.get("tags"), "key", "value"))
            if owner is None or owner[0] != resource.id:
                raise AwsCallError(
                    resource.id, "ServiceExists", f"an ECS service named {name} exists in {cluster} and is not ours"
                )

    def _apply_dropped_settings(self, ctx: Context, service: dict[str, Any], request: dict[str, Any]) -> None:
        """Settings the create answer does not echo (an emulator gap; AWS echoes them) are set by update_service."""
        update: dict[str, Any] = {}
        if "capacityProviderStrategy" in request and not service.get("capacityProviderStrategy"):
            update["capacityProviderStrategy"] = request["capacityProviderStrategy"]
            update["forceNewDeployment"] = True
        if "deploymentConfiguration" not in service:
            update["deploymentConfiguration"] = request["deploymentConfiguration"]
        if "healthCheckGracePeriodSeconds" in request and "healthCheckGracePeriodSeconds" not in service:
            update["healthCheckGracePeriodSeconds"] = request["healthCheckGracePeriodSeconds"]
        if update:
            ctx.client("ecs").update_service(cluster=service["clusterArn"], service=service["serviceArn"], **update)

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        old = live.props
        request: dict[str, Any] = {}
        if props["task_definition"] != old.get("task_definition"):
            request["taskDefinition"] = props["task_definition"]  # starts a deployment by itself
        if (
            not props.get("autoscaled")
            and "desired_count" in props
            and props["desired_count"] != old.get("desired_count")
        ):
            request["desiredCount"] = int(props["desired_count"])
        wanted_strategy = _strategy_request(props.get("capacity_strategy") or [])
        if wanted_strategy != _strategy_request(old.get("capacity_strategy") or []):
            # AWS accepts a new capacity provider strategy only together with a new deployment.
            request["capacityProviderStrategy"] = wanted_strategy
            request["forceNewDeployment"] = True
        if _deployment_configuration(props) != _deployment_configuration(old):
            request["deploymentConfiguration"] = _deployment_configuration(props)
        if sorted(props["subnets"]) != sorted(old.get("subnets") or []) or sorted(props["security_groups"]) != sorted(
            old.get("security_groups") or []
        ):
            request["networkConfiguration"] = _network_configuration(props)
        lb_changed = _load_balancers(props.get("load_balancer")) != _load_balancers(old.get("load_balancer"))
        if lb_changed:
            request["loadBalancers"] = _load_balancers(props.get("load_balancer"))
        if props.get("load_balancer") and (
            lb_changed or int(props.get("health_grace_seconds") or 0) != int(old.get("health_grace_seconds") or 0)
        ):
            request["healthCheckGracePeriodSeconds"] = int(props.get("health_grace_seconds") or 0)
        if "service_connect" in props and _service_connect_request(props["service_connect"]) != (
            _service_connect_request(old.get("service_connect"))
        ):
            # Unread by the emulator: an unread live value means "resend", which is harmless.
            request["serviceConnectConfiguration"] = _service_connect_request(props["service_connect"])
        if request:
            ecs = ctx.client("ecs")
            retry_while(
                ctx,
                _propagating,
                lambda: ecs.update_service(cluster=live.attrs["ClusterArn"], service=live.physical_id, **request),
                PROPAGATION_TIMEOUT,
            )
            if waits_for_deployments(ctx) and _DEPLOYING & set(request):
                wait_for_rollout(ctx, resource.id, live.attrs["ClusterArn"], live.physical_id)
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ecs = ctx.client("ecs")
        cluster, arn = live.attrs["ClusterArn"], live.physical_id
        self.ignore_missing(lambda: ecs.update_service(cluster=cluster, service=arn, desiredCount=0))
        self.ignore_missing(lambda: ecs.delete_service(cluster=cluster, service=arn, force=True))

        def gone() -> tuple[bool | None, str]:
            try:
                services = ecs.describe_services(cluster=cluster, services=[arn])["services"]
            except Exception as exc:
                if error_code(exc) in _NOT_FOUND:
                    return True, ""
                raise
            statuses = sorted({str(s.get("status")) for s in services if s.get("status") != "INACTIVE"})
            return (None, ", ".join(statuses)) if statuses else (True, "")

        poll(ctx, f"ECS service {live.name} ({live.id}) to drain and be deleted", gone)


def wait_for_rollout(ctx: Context, logical_id: str, cluster: str, service_arn: str) -> None:
    """Until the service's PRIMARY deployment is COMPLETED; FAILED fails with the stopped tasks' reasons.

    Shown meanwhile as `waiting for <id> to roll out: 1/2 tasks running`. Bounded by the context's
    `wait_timeout` (AWS gives a deployment no limit of its own; the circuit breaker ends a hopeless one).
    """
    ecs = ctx.client("ecs")

    def rolled_out() -> tuple[bool | None, str]:
        services = ecs.describe_services(cluster=cluster, services=[service_arn])["services"]
        if not services:
            raise WaitFailed("ServiceNotFoundException", f"ECS service {service_arn} vanished during its rollout")
        service = services[0]
        primary = _primary_deployment(service)
        state = primary.get("rolloutState")
        if state == "FAILED":
            raise WaitFailed("DeploymentFailed", _failure(ctx, service, primary))
        if state in (None, "COMPLETED"):  # no rolloutState: not an ECS-controlled deployment, nothing to wait for
            return True, ""
        running, desired = primary.get("runningCount", 0), primary.get("desiredCount", service.get("desiredCount", 0))
        return None, f"{running}/{desired} tasks running"

    poll(ctx, f"{logical_id} to roll out", rolled_out)


def _failure(ctx: Context, service: dict[str, Any], deployment: dict[str, Any]) -> str:
    """`deployment ecs-svc/1 of microservices-dev-order failed: <AWS's reason>; stopped task 1a2b: <its reason>`."""
    ecs = ctx.client("ecs")
    deployment_id = deployment.get("id", "")
    reason = deployment.get("rolloutStateReason", "")
    text = f"deployment {deployment_id} of {service.get('serviceName')} failed: {reason}"
    arns = ecs.list_tasks(cluster=service["clusterArn"], startedBy=deployment_id, desiredStatus="STOPPED").get(
        "taskArns", []
    )[:_STOPPED_TASKS_SHOWN]
    tasks = ecs.describe_tasks(cluster=service["clusterArn"], tasks=arns).get("tasks", []) if arns else []
    reasons: dict[str, str] = {}  # reason → the first task that stopped for it
    for task in tasks:
        container_reasons = [c.get("reason") for c in task.get("containers") or [] if c.get("reason")]
        for reason in [task.get("stoppedReason"), *container_reasons]:
            if reason:
                reasons.setdefault(str(reason), task["taskArn"].rsplit("/", 1)[-1])
    for reason, task_id in reasons.items():
        text += f"; stopped task {task_id}: {reason}"
    return text
