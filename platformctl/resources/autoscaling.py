"""Application Auto Scaling for ECS services: the scalable target (min/max tasks) and a CPU target-tracking policy.

Neither is tagged: ownership comes from the ECS service they scale, found through the shared listing of our
services and the natural key `service/<cluster>/<service>`. A target or policy on anyone else's service is
never read, so never touched. The target's logical id is `<service id>/scaling`, the policy's
`<service id>/cpu-policy`, both in the service's layer. Only the policy named `<service name>-cpu` is ours:
other policies on our service (added by hand while investigating load) are left alone.

Registering a target and putting a policy are upserts, so create and update are the same call. The first
target in an account makes AWS create its service-linked role, which can be briefly unusable: that
ValidationException is retried, as is a policy put before AWS sees its fresh target.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.naming import ownership_tags
from platformctl.resources.base import Context, ResourceKind
from platformctl.resources.ecs_service import (
    SCALABLE_DIMENSION,
    OwnedService,
    our_services,
    service_scalable_targets,
)
from platformctl.resources.waiting import aws_message as error_message
from platformctl.resources.waiting import retry_while

TARGET_SUFFIX = "/scaling"
POLICY_SUFFIX = "/cpu-policy"
CPU_METRIC = "ECSServiceAverageCPUUtilization"
_SERVICE = "application-autoscaling"
# IAM propagation takes seconds; terraform gives it 2 minutes (its propagationTimeout).
_FRESH_TIMEOUT = 120.0
# `ValidationException: Unable to assume IAM role: <arn>` while the role (or the service-linked role) propagates.
_ROLE_MESSAGE = re.compile(r"unable to assume (the )?(iam )?(service linked )?role", re.IGNORECASE)
# AWS says ObjectNotFoundException; the emulator says ValidationException "No scalable target/policy found".
_MISSING_MESSAGE = re.compile(r"no scal(able target|ing policy) found", re.IGNORECASE)


def target_logical_id(service_logical_id: str) -> str:
    return f"{service_logical_id}{TARGET_SUFFIX}"


def policy_logical_id(service_logical_id: str) -> str:
    return f"{service_logical_id}{POLICY_SUFFIX}"


def policy_name(service_name: str) -> str:
    """The name of the one policy on a service that is ours."""
    return f"{service_name}-cpu"


def _child_tags(ctx: Context, service: OwnedService, logical_id: str) -> dict[str, str]:
    """Ownership inherited from the service, under the child's own logical id and the service's layer."""
    return ownership_tags(ctx.platform, ctx.env, service.layer, logical_id)


def _missing(exc: BaseException) -> bool:
    code = error_code(exc)
    return code == "ObjectNotFoundException" or (
        code == "ValidationException" and bool(_MISSING_MESSAGE.search(error_message(exc)))
    )


def _role_not_ready(exc: BaseException) -> str | None:
    """What to wait for when Application Auto Scaling refuses a role it cannot assume yet, else None."""
    if error_code(exc) == "ValidationException" and _ROLE_MESSAGE.search(error_message(exc)):
        return "an IAM role to propagate to Application Auto Scaling"
    return None


def _ignore_missing(call: Any) -> None:
    try:
        call()
    except Exception as exc:
        if not _missing(exc):
            raise


class ScalableTarget(ResourceKind):
    kind: ClassVar[str] = "autoscaling.target"
    service: ClassVar[str] = _SERVICE
    id_attr: ClassVar[str] = "ResourceId"
    updatable: ClassVar[frozenset[str]] = frozenset({"min", "max"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"ObjectNotFoundException"})

    def read(self, ctx: Context) -> list[LiveResource]:
        services = {service.resource_id: service for service in our_services(ctx)}
        if not services:
            return []
        found: list[LiveResource] = []
        for resource_id, target in service_scalable_targets(ctx).items():
            service = services.get(resource_id)
            if service is None:
                continue
            live = self.live(
                ctx,
                _child_tags(ctx, service, target_logical_id(service.logical_id)),
                name=resource_id,
                physical_id=resource_id,
                props={"resource_id": resource_id, "min": target["MinCapacity"], "max": target["MaxCapacity"]},
                attrs={"ResourceId": resource_id},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        self._register(ctx, props)
        return {"ResourceId": props["resource_id"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        if (props["min"], props["max"]) != (live.props.get("min"), live.props.get("max")):
            self._register(ctx, props)
        return dict(live.attrs)

    def _register(self, ctx: Context, props: dict[str, Any]) -> None:
        client = ctx.client(_SERVICE)
        retry_while(
            ctx,
            _role_not_ready,
            lambda: client.register_scalable_target(
                ServiceNamespace="ecs",
                ResourceId=props["resource_id"],
                ScalableDimension=SCALABLE_DIMENSION,
                MinCapacity=int(props["min"]),
                MaxCapacity=int(props["max"]),
            ),
            _FRESH_TIMEOUT,
        )

    def delete(self, ctx: Context, live: LiveResource) -> None:
        client = ctx.client(_SERVICE)
        _ignore_missing(
            lambda: client.deregister_scalable_target(
                ServiceNamespace="ecs", ResourceId=live.physical_id, ScalableDimension=SCALABLE_DIMENSION
            )
        )


def _policy_props(policy: dict[str, Any]) -> dict[str, Any]:
    config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    return {
        "resource_id": policy["ResourceId"],
        "name": policy["PolicyName"],
        "target": float(config.get("TargetValue", 0.0)),
        # AWS fills in its 300 s default; the emulator echoes only what was sent.
        "scale_in_cooldown": int(config.get("ScaleInCooldown", 300)),
        "scale_out_cooldown": int(config.get("ScaleOutCooldown", 300)),
    }


class ScalingPolicy(ResourceKind):
    kind: ClassVar[str] = "autoscaling.policy"
    service: ClassVar[str] = _SERVICE
    id_attr: ClassVar[str] = "PolicyARN"
    updatable: ClassVar[frozenset[str]] = frozenset({"target", "scale_in_cooldown", "scale_out_cooldown"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"ObjectNotFoundException"})

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        target = props.get("target")
        if isinstance(target, int) and not isinstance(target, bool):
            return {**props, "target": float(target)}  # 60 in a spec and 60.0 from AWS are the same target
        return props

    def read(self, ctx: Context) -> list[LiveResource]:
        services = {service.resource_id: service for service in our_services(ctx)}
        if not services:
            return []
        found: list[LiveResource] = []
        paginator = ctx.client(_SERVICE).get_paginator("describe_scaling_policies")
        for page in paginator.paginate(ServiceNamespace="ecs"):
            for policy in page.get("ScalingPolicies", []):
                service = services.get(policy.get("ResourceId", ""))
                if (
                    service is None
                    or policy.get("ScalableDimension") != SCALABLE_DIMENSION
                    or policy.get("PolicyName") != policy_name(service.name)
                ):
                    continue
                live = self.live(
                    ctx,
                    _child_tags(ctx, service, policy_logical_id(service.logical_id)),
                    name=policy["PolicyName"],
                    physical_id=policy["PolicyARN"],
                    props=_policy_props(policy),
                    attrs={"PolicyARN": policy["PolicyARN"]},
                )
                if live:
                    found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        return {"PolicyARN": self._put(ctx, props)}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        wanted = {key: props[key] for key in self.updatable}
        if self.canonical(wanted) != self.canonical({key: live.props.get(key) for key in self.updatable}):
            return {"PolicyARN": self._put(ctx, props)}
        return dict(live.attrs)

    def _put(self, ctx: Context, props: dict[str, Any]) -> str:
        client = ctx.client(_SERVICE)
        answer = retry_while(
            ctx,
            # A target registered a moment ago may not be visible to the policy API yet.
            lambda exc: "the fresh scalable target to be visible" if _missing(exc) else _role_not_ready(exc),
            lambda: client.put_scaling_policy(
                PolicyName=props["name"],
                ServiceNamespace="ecs",
                ResourceId=props["resource_id"],
                ScalableDimension=SCALABLE_DIMENSION,
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": float(props["target"]),
                    "PredefinedMetricSpecification": {"PredefinedMetricType": CPU_METRIC},
                    "ScaleInCooldown": int(props["scale_in_cooldown"]),
                    "ScaleOutCooldown": int(props["scale_out_cooldown"]),
                },
            ),
            _FRESH_TIMEOUT,
        )
        return str(answer["PolicyARN"])

    def delete(self, ctx: Context, live: LiveResource) -> None:
        client = ctx.client(_SERVICE)
        _ignore_missing(
            lambda: client.delete_scaling_policy(
                PolicyName=live.props["name"],
                ServiceNamespace="ecs",
                ResourceId=live.props["resource_id"],
                ScalableDimension=SCALABLE_DIMENSION,
            )
        )
