"""Application Auto Scaling for ECS services: the scalable target (min/max tasks) and a CPU target-tracking policy.

Neither is tagged: ownership comes from the ECS service they scale, found through the shared listing of our
services and the natural key `service/<cluster>/<service>`. A target or policy on anyone else's service is
never read, so never touched. The target's logical id is `<service id>/scaling`, the policy's
`<service id>/cpu-policy`, both in the service's layer. Only the policy named `<service name>-cpu` is ours:
other policies on our service (added by hand while investigating load) are left alone.

Registering a target and putting a policy are upserts, so the create call is also the setter of every field
that changes in place. The first target in an account makes AWS create its service-linked role, which can be
briefly unusable: that ValidationException is retried (by its message: the same code also means a real
mistake), as is a policy put before AWS sees its fresh target.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.naming import ownership_tags
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Field, Listing, dig
from platformctl.resources.ecs_service import SCALABLE_DIMENSION, OwnedService, our_services, service_scalable_targets
from platformctl.resources.waiting import aws_message, retry_while

TARGET_SUFFIX = "/scaling"
POLICY_SUFFIX = "/cpu-policy"
CPU_METRIC = "ECSServiceAverageCPUUtilization"
_TRACKING = "TargetTrackingScalingPolicyConfiguration"
# What every request names: our services' desired count.
_DIMENSION = {"ServiceNamespace": "ecs", "ScalableDimension": SCALABLE_DIMENSION}
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


def _gone(exc: BaseException) -> bool:
    code = error_code(exc)
    return code == "ObjectNotFoundException" or (
        code == "ValidationException" and bool(_MISSING_MESSAGE.search(aws_message(exc)))
    )


class _ServiceScaling(DeclarativeKind):
    """What both kinds share: untagged, found through our ECS services, upserted, retried by message."""

    service: ClassVar[str] = "application-autoscaling"
    suffix: ClassVar[str]  # the logical id is the service's plus this
    tags_param: ClassVar[str | None] = None  # neither can be tagged
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"ObjectNotFoundException"})

    def listed(self, ctx: Context) -> list[dict[str, Any]]:
        """Needs code: with no service of ours there is nothing to list (a read of nothing costs no call)."""
        return super().listed(ctx) if our_services(ctx) else []

    def tagged(self, ctx: Context, items: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Needs code: untagged, so ours through the service it scales, in its layer under our own logical id."""
        services = {service.resource_id: service for service in our_services(ctx)}
        return [
            (item, ownership_tags(ctx.platform, ctx.env, service.layer, service.logical_id + self.suffix))
            for item in items
            if (service := services.get(item["ResourceId"])) is not None and self.scales_ours(item, service)
        ]

    def scales_ours(self, item: dict[str, Any], service: OwnedService) -> bool:
        """Whether `item`, found on our service, is the one we manage."""
        return True

    def upsert(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> dict[str, Any]:
        """The setter of every field that changes in place: the create call, an upsert, sent whole."""
        return dict(self.call(ctx, self.create_call, **self.create_request(ctx, props)))

    def call(self, ctx: Context, operation: str, **request: Any) -> Any:
        """Needs code: retried by message, as ValidationException is both a role still propagating and a mistake."""
        method = getattr(self.client(ctx), operation)
        return retry_while(ctx, self.transient, lambda: method(**request), _FRESH_TIMEOUT)

    def transient(self, exc: BaseException) -> str | None:
        """What to wait for when Application Auto Scaling refuses a role it cannot assume yet, else None."""
        if error_code(exc) == "ValidationException" and _ROLE_MESSAGE.search(aws_message(exc)):
            return "an IAM role to propagate to Application Auto Scaling"
        return None

    def ignore_missing(self, call: Callable[[], Any]) -> None:
        """Needs code: "already gone" is told by message too (the emulator's ValidationException)."""
        try:
            call()
        except Exception as exc:
            if not _gone(exc):
                raise


class ScalableTarget(_ServiceScaling):
    kind: ClassVar[str] = "autoscaling.target"
    suffix: ClassVar[str] = TARGET_SUFFIX
    id_attr: ClassVar[str] = "ResourceId"
    fields: ClassVar[dict[str, Field]] = {
        "resource_id": Field("ResourceId"),
        "min": Field("MinCapacity", setter="upsert"),
        "max": Field("MaxCapacity", setter="upsert"),
    }
    create_call: ClassVar[str] = "register_scalable_target"
    delete_call: ClassVar[str] = "deregister_scalable_target"

    def listed(self, ctx: Context) -> list[dict[str, Any]]:
        """Needs code: one read for our services' ids, shared with the service kind (whose count is whose)."""
        return list(service_scalable_targets(ctx).values())

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {
            **_DIMENSION,
            "ResourceId": props["resource_id"],
            "MinCapacity": int(props["min"]),
            "MaxCapacity": int(props["max"]),
        }

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """RegisterScalableTarget answers with an ARN only: the physical id is the natural key we sent."""
        return {"ResourceId": props["resource_id"]}

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return {**_DIMENSION, "ResourceId": live.physical_id}


def _tracking(key: str, default: float, convert: Callable[[Any], Any]) -> Field:
    """A setting of the policy's target tracking, changed in place by a put; `default` where none is listed."""
    return Field(lambda policy: convert(dig(policy, f"{_TRACKING}.{key}", default)), setter="upsert")


class ScalingPolicy(_ServiceScaling):
    kind: ClassVar[str] = "autoscaling.policy"
    suffix: ClassVar[str] = POLICY_SUFFIX
    listing = Listing(
        "describe_scaling_policies",
        "ScalingPolicies",
        request=lambda ctx: {"ServiceNamespace": "ecs"},
        keep=lambda ctx, policy: policy.get("ScalableDimension") == SCALABLE_DIMENSION,
    )
    id_attr: ClassVar[str] = "PolicyARN"
    name_source: ClassVar[str | None] = "PolicyName"
    fields: ClassVar[dict[str, Field]] = {
        "resource_id": Field("ResourceId"),
        "name": Field("PolicyName"),
        "target": _tracking("TargetValue", 0.0, float),
        # AWS fills in its 300 s default; the emulator echoes only what was sent.
        "scale_in_cooldown": _tracking("ScaleInCooldown", 300, int),
        "scale_out_cooldown": _tracking("ScaleOutCooldown", 300, int),
    }
    create_call: ClassVar[str] = "put_scaling_policy"
    delete_call: ClassVar[str] = "delete_scaling_policy"

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        target = props.get("target")
        if isinstance(target, int) and not isinstance(target, bool):
            return {**props, "target": float(target)}  # 60 in a spec and 60.0 from AWS are the same target
        return props

    def scales_ours(self, item: dict[str, Any], service: OwnedService) -> bool:
        """Only `<service name>-cpu`: other policies on our service were added by hand, and are left alone."""
        return item.get("PolicyName") == f"{service.name}-cpu"

    def transient(self, exc: BaseException) -> str | None:
        """Also a target registered a moment ago that the policy API does not see yet."""
        return "the fresh scalable target to be visible" if _gone(exc) else super().transient(exc)

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {
            **_DIMENSION,
            "PolicyName": props["name"],
            "ResourceId": props["resource_id"],
            "PolicyType": "TargetTrackingScaling",
            _TRACKING: {
                "TargetValue": float(props["target"]),
                "PredefinedMetricSpecification": {"PredefinedMetricType": CPU_METRIC},
                "ScaleInCooldown": int(props["scale_in_cooldown"]),
                "ScaleOutCooldown": int(props["scale_out_cooldown"]),
            },
        }

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        """Needs code: every field's setter is one put, whose answer is the ARN (the emulator's is new each put)."""
        return self.attrs_of(self.upsert(ctx, live, props)) if changes else dict(live.attrs)

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return {**_DIMENSION, "PolicyName": live.props["name"], "ResourceId": live.props["resource_id"]}
