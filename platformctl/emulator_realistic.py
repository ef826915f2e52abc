"""The emulator's realistic profile: moto made as slow, lagging and stubborn as AWS is, on a shorter clock.

moto answers at once and forgives everything; a real account does not, and infrastructure tools break on
the difference. With the profile on (`platformctl local start --realistic`, or `configure(enabled=True)`
in-process), the emulator shows the behaviours below. Each has a name, the AWS figure it scales (seconds),
and lasts `figure × scale` (scale 0.05 by default: a two-minute NAT gateway takes six seconds), unless
`durations` sets its seconds outright. All are set per emulator through POST /_harness/config
(`{"realistic": {"enabled": true, "scale": 0.01, "durations": {"nat_create": 0.5}}}`).

Behaviour (its AWS figure in seconds, and where that figure comes from):

- `tag_index_create` (30) / `tag_index_delete` (60): GetResources lists a new resource only after this long,
  and keeps listing a deleted one, with its last tags, this long. The Resource Groups Tagging API index is
  eventually consistent: seconds, minutes on a busy account.
- `nat_create` (120) / `nat_delete` (60): NAT gateway `pending` → `available`, `deleting` → `deleted` (its
  subnet is busy meanwhile). AWS: typically 1-2 minutes (VPC user guide; Terraform's 10-minute waiter).
- `vpc_link_create` (300): API Gateway VPC link `PENDING` → `AVAILABLE`. AWS: "can take up to 10 minutes".
- `namespace_create` (60): Cloud Map namespace creation is an operation, GetOperation `SUBMITTED` →
  `PENDING` → `SUCCESS`; the namespace is not found (GetNamespace, ListNamespaces) until then. AWS: ~1 min.
- `namespace_delete` (60): DeleteNamespace is an operation too: the namespace stays (listed, readable, its
  name taken: a create of that name answers `NamespaceAlreadyExists`, one in its VPC `ConflictingDomainExists`)
  until the operation succeeds; deleting it again meanwhile answers `DuplicateRequest` with the operation's id.
- `ecs_cluster_create` (10): ECS cluster `PROVISIONING` → `ACTIVE` (rare, documented cluster status).
- `load_balancer_create` (180): ALB `provisioning` → `active`. AWS: ~3 minutes.
- `iam_role_propagation` (10): a fresh role is refused: ECS CreateService/UpdateService (task, execution or
  service role) answer `InvalidParameterException: ECS was unable to assume the role ...`, Application Auto
  Scaling RegisterScalableTarget (RoleARN) `ValidationException: Unable to assume IAM role: ...`. IAM is
  eventually consistent (IAM user guide, "Changes that I make are not always immediately visible").
- `ecs_service_linked_role` (15): the first CreateCluster of an account without AWSServiceRoleForECS fails
  `InvalidParameterException: Unable to assume the service linked role...` until this has passed.
- `listener_rule_association` (5): CreateService/UpdateService naming a target group no listener forwards
  to, or only since this long, fail `... does not have an associated load balancer.` (terraform-provider-aws
  retries both messages).
- `eni_release` (120): after an ECS service (after its draining), a VPC link or a load balancer is deleted,
  its subnets and security groups answer `DependencyViolation`. ENIs are released asynchronously (minutes).
- `ecs_service_draining` (60): a deleted service is `DRAINING` before `INACTIVE`; no new service takes its
  name meanwhile (`Unable to Start a service that is still Draining.`), nor that of an `ACTIVE` one
  (`Creation of service was not idempotent.`). AWS: tasks stop (stopTimeout 30 s) and deregister.
- `sqs_name_reuse` (60): CreateQueue of a just-deleted name answers `QueueDeletedRecently`. AWS: "you must
  wait 60 seconds after deleting a queue" (SQS DeleteQueue).
- `ecs_rollout` (60): a new service, task definition or forced deployment is `IN_PROGRESS`, then
  `COMPLETED`; an update behind a load balancer also waits out the target group's deregistration delay
  (300 s by default on AWS, scaled alike). AWS: a Fargate task starts and passes health checks in about a
  minute; a rollout behind an ALB lasts at least the deregistration delay (ECS deployment docs).

Throttling is a rate, not a duration, and is not scaled (calls are not fewer for a shorter clock): each
bucket below is a token bucket per account and region (`burst` calls at once, refilled at `per_second`), set
through `throttling` (`{"ecs_describe_services": {"burst": 5, "per_second": 2}}`); a call finding its bucket
empty is refused as AWS refuses it, and botocore retries it (both are among its throttling errors):

- `ecs_describe_services` (burst 100, 20 per second): ECS DescribeServices answers `ThrottlingException: Rate
  exceeded` (HTTP 400). ECS throttles per account and Region with token buckets (ECS API reference, "Request
  throttling": service read actions).
- `apigateway` (burst 40, 10 per second): every API Gateway (v1 and v2) management call answers
  `TooManyRequestsException` (HTTP 429). API Gateway quotas: management API calls per account.

Service Connect: a service created or updated with `serviceConnectConfiguration` registers a Cloud Map
service per entry (named by `discoveryName`, else `portName`) in the namespace; those outlive the ECS
service, and a namespace with services cannot be deleted (`ResourceInUse`). A deployment whose image
reference contains `broken` ends `FAILED` (circuit breaker) with stopped tasks carrying `CannotPullContainerError:
...`; one containing `crashing` with `Essential container in task exited`.

State lives on moto's own objects (a phase with its end time), so a moto reset forgets it, and with the
profile off (the default) the emulator behaves exactly as before. Times are monotonic seconds.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

AWS_SECONDS: dict[str, float] = {
    "tag_index_create": 30,
    "tag_index_delete": 60,
    "nat_create": 120,
    "nat_delete": 60,
    "vpc_link_create": 300,
    "namespace_create": 60,
    "namespace_delete": 60,
    "ecs_cluster_create": 10,
    "load_balancer_create": 180,
    "iam_role_propagation": 10,
    "ecs_service_linked_role": 15,
    "listener_rule_association": 5,
    "eni_release": 120,
    "ecs_service_draining": 60,
    "sqs_name_reuse": 60,
    "ecs_rollout": 60,
}
DEFAULT_SCALE = 0.05
# Throttling buckets: calls at once, and calls per second after (not scaled: see the module's docstring).
AWS_RATES: dict[str, dict[str, float]] = {
    "ecs_describe_services": {"burst": 100, "per_second": 20},
    "apigateway": {"burst": 40, "per_second": 10},
}
BROKEN_IMAGE_MARKERS = {
    "broken": "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
    "{image}: not found",
    "crashing": "Essential container in task exited",
}


@dataclass
class Profile:
    """Whether the realistic behaviours are on, and how long each lasts."""

    enabled: bool = False
    scale: float = DEFAULT_SCALE
    durations: dict[str, float] = field(default_factory=dict)
    throttling: dict[str, dict[str, float]] = field(default_factory=dict)

    def seconds(self, behaviour: str) -> float:
        """How long `behaviour` lasts here: its own setting, else AWS's figure scaled."""
        if behaviour in self.durations:
            return float(self.durations[behaviour])
        return AWS_SECONDS[behaviour] * self.scale

    def scaled(self, aws_seconds: float) -> float:
        return aws_seconds * self.scale

    def rate(self, bucket: str) -> dict[str, float]:
        """A throttling bucket's `burst` and `per_second`: its own setting, else AWS's figures."""
        return {**AWS_RATES[bucket], **self.throttling.get(bucket, {})}

    def as_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "scale": self.scale,
            "durations": {name: self.seconds(name) for name in AWS_SECONDS},
            "throttling": {name: self.rate(name) for name in AWS_RATES},
            "throttled": dict(_THROTTLED),
        }


PROFILE = Profile()
_lock = threading.RLock()
_installed = False
# Token buckets by (bucket, account, region): [tokens left, when last refilled]; calls refused, by bucket.
_BUCKETS: dict[tuple[str, str, str], list[float]] = {}
_THROTTLED: dict[str, int] = {}
SETTINGS = ("enabled", "scale", "durations", "throttling")


def configure(
    enabled: bool | None = None,
    scale: float | None = None,
    durations: dict[str, float | None] | None = None,
    throttling: dict[str, dict[str, float] | None] | None = None,
) -> dict[str, Any]:
    """Change the profile (installing its patches on first use); the whole profile back.

    `durations` sets behaviours' seconds by name and keeps the other names' settings; a name set to None
    goes back to its default (AWS's figure × scale), and an empty mapping clears every setting, so all
    follow the scale again. `throttling` does the same for buckets (`{"burst": ..., "per_second": ...}`).
    A name or value that makes no sense is refused (ValueError naming it) before anything changes.
    """
    if enabled is not None and not isinstance(enabled, bool):
        raise ValueError(f"realistic.enabled must be true or false, not {enabled!r}")
    if scale is not None:
        _number("realistic.scale", scale)
    for name, value in _named("durations", durations, AWS_SECONDS).items():
        if value is not None:
            _number(f"realistic.durations.{name}", value)
    for name, value in _named("throttling", throttling, AWS_RATES).items():
        if value is not None:
            _bucket_setting(f"realistic.throttling.{name}", value)
    install()
    with _lock:
        if enabled is not None:
            PROFILE.enabled = enabled
        if scale is not None:
            PROFILE.scale = float(scale)
        _merge(PROFILE.durations, durations, float)
        _merge(PROFILE.throttling, throttling, lambda rate: {key: float(value) for key, value in rate.items()})
        _BUCKETS.clear()  # buckets start full under new rates
        return PROFILE.as_dict()


def _number(where: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < float("inf"):
        raise ValueError(f"{where} must be a number ≥ 0, not {value!r}")


def _named(setting: str, given: Any, known: dict[str, Any]) -> dict[str, Any]:
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise ValueError(f"realistic.{setting} must be a mapping of names to values, not {given!r}")
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValueError(
            f"unknown realistic {setting} name(s): {', '.join(map(str, unknown))} (known: {', '.join(known)})"
        )
    return given


def _bucket_setting(where: str, value: Any) -> None:
    if not isinstance(value, dict) or not value or set(value) - {"burst", "per_second"}:
        raise ValueError(f"{where} must be a mapping with `burst` and/or `per_second`, not {value!r}")
    for key, number in value.items():
        _number(f"{where}.{key}", number)
        if number <= 0:
            raise ValueError(f"{where}.{key} must be above 0, not {number!r}")


def _merge(settings: dict[str, Any], given: dict[str, Any] | None, convert: Any) -> None:
    """Set each given name (None: back to its default); an empty mapping clears every setting."""
    if given is None:
        return
    if not given:
        settings.clear()
    for name, value in given.items():
        if value is None:
            settings.pop(name, None)
        else:
            settings[name] = convert(value)


def reset() -> None:
    """Profile off, default scale, no per-behaviour settings, full buckets (patches stay, inert)."""
    with _lock:
        PROFILE.enabled, PROFILE.scale = False, DEFAULT_SCALE
        PROFILE.durations.clear()
        PROFILE.throttling.clear()
        _BUCKETS.clear()
        _THROTTLED.clear()


def _on() -> bool:
    return PROFILE.enabled


# ---- phases: a value an attribute shows until its time is up ------------------------------------------------


def _hold(obj: Any, name: str, phases: list[tuple[Any, float]]) -> None:
    """`obj` shows each (value, seconds) of `phases` in turn for `name`, from now on."""
    at, timeline = time.monotonic(), []
    for value, seconds in phases:
        at += seconds
        timeline.append((value, at))
    obj.__dict__.setdefault("_realistic_phases", {})[name] = timeline


def _phase(obj: Any, name: str) -> Any:
    """The value `name` is held at now, or None when no phase is running."""
    now = time.monotonic()
    for value, until in obj.__dict__.get("_realistic_phases", {}).get(name, ()):
        if now < until:
            return value
    return None


def _timed_attribute(cls: type, name: str) -> None:
    """`cls.<name>` reads its current phase while one runs, else what moto last set."""
    if isinstance(cls.__dict__.get(name), property):
        return
    stored = f"_realistic_base_{name}"

    def read(self: Any) -> Any:
        held = _phase(self, name)
        if held is not None:
            return held
        return self.__dict__.get(stored, self.__dict__.get(name))

    def write(self: Any, value: Any) -> None:
        self.__dict__[stored] = value

    setattr(cls, name, property(read, write))


def _wrap(owner: type, name: str, make: Any) -> None:
    setattr(owner, name, make(getattr(owner, name)))


def install() -> None:
    """Patch moto once (idempotent); every patch does nothing while the profile is off."""
    global _installed
    with _lock:
        if _installed:
            return
        for patch in (
            _tag_index_lags,
            _nat_gateways_take_time,
            _vpc_links_take_time,
            _namespaces_are_created_by_an_operation,
            _load_balancers_provision,
            _fresh_roles_are_not_usable_yet,
            _ecs_behaves_as_on_aws,
            _enis_outlive_their_owners,
            _sqs_names_are_not_reusable_at_once,
            _namespaces_with_services_are_in_use,
            _namespaces_are_deleted_by_an_operation,
            _busy_apis_throttle,
        ):
            patch()
        _installed = True


# ---- tag index lag ----------------------------------------------------------------------------------------------


def _tag_index_lags() -> None:
    """GetResources sees what the index saw: new resources late, deleted ones for a while longer.

    The index is observed after every write (so a resource's creation time is known) and on every read.
    """
    from moto.core.resource_tagging import make_tag_matcher, match_resource_type
    from moto.core.responses import BaseResponse
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend, resourcegroupstaggingapi_backends

    every_resource = ResourceGroupsTaggingAPIBackend._get_resources_generator

    def snapshot(backend: Any) -> dict[str, Any]:
        """Every tagged resource by ARN (no other request runs meanwhile: emulator._one_request_at_a_time)."""
        return {resource.arn: resource for resource in every_resource(backend)}

    def observe(backend: Any) -> None:
        now = time.monotonic()
        present = snapshot(backend)
        state = backend.__dict__.setdefault("_realistic_index", {"seen": {}, "last": {}, "gone": {}})
        for arn in present:
            if arn not in state["seen"]:
                state["seen"][arn] = now
                state["gone"].pop(arn, None)
        for arn in [arn for arn in state["seen"] if arn not in present]:
            del state["seen"][arn]
            state["gone"][arn] = (state["last"][arn], now)
        state["last"] = present

    def lagging(
        self: Any,
        tag_filters: list[dict[str, Any]] | None = None,
        resource_type_filters: list[str] | None = None,
        resource_arn_list: list[str] | None = None,
    ) -> Any:
        if not _on():
            yield from every_resource(self, tag_filters, resource_type_filters, resource_arn_list)
            return
        with _lock:
            observe(self)
            state, now = self._realistic_index, time.monotonic()
            known = now - PROFILE.seconds("tag_index_create")
            forgotten = now - PROFILE.seconds("tag_index_delete")
            listed = [state["last"][arn] for arn, seen in state["seen"].items() if seen <= known]
            listed += [resource for resource, gone in state["gone"].values() if gone > forgotten]
        matches = make_tag_matcher(tag_filters)
        for resource in listed:
            if (
                match_resource_type(resource.resource_type, resource_type_filters)
                and matches(resource.tags)
                and (not resource_arn_list or resource.arn in resource_arn_list)
            ):
                yield resource

    call_action = BaseResponse.call_action

    def observing(self: Any) -> Any:
        answer = call_action(self)
        if _on():
            try:
                read = self._get_action().startswith(("Describe", "List", "Get", "BatchGet", "Search"))
                index = None if read else resourcegroupstaggingapi_backends[self.current_account][self.region]
            except Exception:  # noqa: BLE001 - a call the index cannot place (no region, REST path): not indexed
                index = None
            if index is not None:
                with _lock:
                    observe(index)
        return answer

    ResourceGroupsTaggingAPIBackend._get_resources_generator = lagging
    BaseResponse.call_action = observing


# ---- asynchronous creates and deletes -------------------------------------------------------------------------


def _nat_gateways_take_time() -> None:
    """NAT gateways `pending` → `available`, `deleting` → `deleted` (the subnet stays busy while deleting)."""
    from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend

    _timed_attribute(NatGateway, "state")

    def creating(create: Any) -> Any:
        def create_nat_gateway(self: Any, *args: Any, **kwargs: Any) -> Any:
            gateway = create(self, *args, **kwargs)
            if _on():
                _hold(gateway, "state", [("pending", PROFILE.seconds("nat_create"))])
            return gateway

        return create_nat_gateway

    def deleting(delete: Any) -> Any:
        def delete_nat_gateway(self: Any, nat_gateway_id: str) -> Any:
            gateway = delete(self, nat_gateway_id)
            if _on():
                _hold(gateway, "state", [("deleting", PROFILE.seconds("nat_delete"))])
                _linger(self, f"NAT gateway {nat_gateway_id}", [gateway.subnet_id], PROFILE.seconds("nat_delete"))
            return gateway

        return delete_nat_gateway

    _wrap(NatGatewayBackend, "create_nat_gateway", creating)
    _wrap(NatGatewayBackend, "delete_nat_gateway", deleting)


def _vpc_links_take_time() -> None:
    """VPC links `PENDING` → `AVAILABLE`; a deleted one leaves its ENIs behind for a while."""
    from moto.apigatewayv2.models import ApiGatewayV2Backend, VpcLink
    from moto.ec2.models import ec2_backends

    def creating(create: Any) -> Any:
        def create_vpc_link(self: Any, *args: Any, **kwargs: Any) -> Any:
            link = create(self, *args, **kwargs)
            if _on():
                _hold(link, "status", [("PENDING", PROFILE.seconds("vpc_link_create"))])
            return link

        return create_vpc_link

    def deleting(delete: Any) -> Any:
        def delete_vpc_link(self: Any, vpc_link_id: str) -> Any:
            link = self.vpc_links.get(vpc_link_id)
            answer = delete(self, vpc_link_id)
            if _on() and link is not None:
                ec2 = ec2_backends[self.account_id][self.region_name]
                owned = [*link.subnet_ids, *link.sg_ids]
                _linger(ec2, f"VPC link {vpc_link_id}", owned, PROFILE.seconds("eni_release"))
            return answer

        return delete_vpc_link

    def showing_status(to_json: Any) -> Any:
        def with_status(self: Any) -> dict[str, Any]:
            answer = to_json(self)
            answer["vpcLinkStatus"] = _phase(self, "status") or answer.get("vpcLinkStatus", "AVAILABLE")
            return answer

        return with_status

    _wrap(ApiGatewayV2Backend, "create_vpc_link", creating)
    _wrap(ApiGatewayV2Backend, "delete_vpc_link", deleting)
    _wrap(VpcLink, "to_json", showing_status)


def _namespaces_are_created_by_an_operation() -> None:
    """Cloud Map namespace creation is an operation, SUBMITTED → PENDING → SUCCESS; till then no namespace."""
    from moto.servicediscovery.exceptions import NamespaceNotFound
    from moto.servicediscovery.models import Operation, ServiceDiscoveryBackend

    _timed_attribute(Operation, "status")

    def creating(create: Any) -> Any:
        def create_namespace(self: Any, *args: Any, **kwargs: Any) -> str:
            operation_id = create(self, *args, **kwargs)
            if _on():
                seconds = PROFILE.seconds("namespace_create")
                operation = self.operations[operation_id]
                _hold(operation, "status", [("SUBMITTED", seconds * 0.2), ("PENDING", seconds * 0.8)])
                _hold(self.namespaces[operation.targets["NAMESPACE"]], "creating", [(True, seconds)])
            return operation_id

        return create_namespace

    def get_namespace(get: Any) -> Any:
        def finished_only(self: Any, namespace_id: str) -> Any:
            namespace = get(self, namespace_id)
            if _phase(namespace, "creating"):
                raise NamespaceNotFound(namespace_id)
            return namespace

        return finished_only

    def list_namespaces(listing: Any) -> Any:
        def finished_only(self: Any) -> Any:
            return [namespace for namespace in listing(self) if not _phase(namespace, "creating")]

        return finished_only

    for name in ("create_private_dns_namespace", "create_public_dns_namespace", "create_http_namespace"):
        _wrap(ServiceDiscoveryBackend, name, creating)
    _wrap(ServiceDiscoveryBackend, "get_namespace", get_namespace)
    _wrap(ServiceDiscoveryBackend, "list_namespaces", list_namespaces)


def _load_balancers_provision() -> None:
    """ALBs `provisioning` → `active`; a deleted one leaves its ENIs; listeners reach target groups late."""
    from moto.ec2.models import ec2_backends
    from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

    _timed_attribute(FakeLoadBalancer, "state")

    def creating(create: Any) -> Any:
        def create_load_balancer(self: Any, *args: Any, **kwargs: Any) -> Any:
            balancer = create(self, *args, **kwargs)
            if _on():
                _hold(balancer, "state", [("provisioning", PROFILE.seconds("load_balancer_create"))])
            return balancer

        return create_load_balancer

    def deleting(delete: Any) -> Any:
        def delete_load_balancer(self: Any, arn: str) -> Any:
            balancer = self.load_balancers.get(arn)
            answer = delete(self, arn)
            if _on() and balancer is not None:
                subnets = [getattr(subnet, "id", subnet) for subnet in balancer.subnets]
                ec2 = ec2_backends[self.account_id][self.region_name]
                _linger(ec2, f"load balancer {balancer.name}", [*subnets, *(balancer.security_groups or [])],
                        PROFILE.seconds("eni_release"))
            return answer

        return delete_load_balancer

    def associating(method: Any) -> Any:
        def with_association_delay(self: Any, *args: Any, **kwargs: Any) -> Any:
            before = {arn for arn, group in self.target_groups.items() if group.load_balancer_arns}
            answer = method(self, *args, **kwargs)
            if _on():
                for arn, group in self.target_groups.items():
                    if group.load_balancer_arns and arn not in before:
                        _hold(group, "associating", [(True, PROFILE.seconds("listener_rule_association"))])
            return answer

        return with_association_delay

    _wrap(ELBv2Backend, "create_load_balancer", creating)
    _wrap(ELBv2Backend, "delete_load_balancer", deleting)
    _wrap(ELBv2Backend, "create_listener", associating)
    _wrap(ELBv2Backend, "create_rule", associating)


# ---- propagation ------------------------------------------------------------------------------------------------


def _fresh_roles_are_not_usable_yet() -> None:
    """A new IAM role propagates for a while; Application Auto Scaling refuses it meanwhile (ECS: see below)."""
    from moto.applicationautoscaling.exceptions import AWSValidationException
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
    from moto.iam.models import IAMBackend

    def creating(create: Any) -> Any:
        def create_role(self: Any, *args: Any, **kwargs: Any) -> Any:
            role = create(self, *args, **kwargs)
            if _on():
                _hold(role, "propagating", [(True, PROFILE.seconds("iam_role_propagation"))])
            return role

        return create_role

    def registering(register: Any) -> Any:
        def register_scalable_target(self: Any) -> Any:
            role_arn = self._get_param("RoleARN")
            if _on() and role_arn and _role_is_fresh(self.current_account, self.region, role_arn):
                raise AWSValidationException(f"Unable to assume IAM role: {role_arn}")
            return register(self)

        return register_scalable_target

    _wrap(IAMBackend, "create_role", creating)
    _wrap(ApplicationAutoScalingResponse, "register_scalable_target", registering)


def _role_is_fresh(account: str, region: str, role_arn: str) -> bool:
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    try:
        role = iam_backends[account][get_partition(region)].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - an unknown role is not ours to judge here
        return False
    return bool(_phase(role, "propagating"))


# ---- ECS --------------------------------------------------------------------------------------------------------


def _ecs_behaves_as_on_aws() -> None:
    """Clusters provision, services drain, names stay taken, rollouts take time or fail, roles and
    target groups must have propagated, Service Connect registers Cloud Map services."""
    from moto.ecs.exceptions import InvalidParameterException
    from moto.ecs.models import Cluster, Service
    from moto.ecs.responses import EC2ContainerServiceResponse
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    _timed_attribute(Cluster, "status")
    _timed_attribute(Service, "status")

    def create_cluster(create: Any) -> Any:
        def needing_the_service_linked_role(self: Any) -> Any:
            if _on():
                iam = iam_backends[self.current_account][get_partition(self.region)]
                if not any(role.name == "AWSServiceRoleForECS" for role in iam.roles.values()):
                    ready = iam.__dict__.setdefault(
                        "_realistic_ecs_slr_ready_at", time.monotonic() + PROFILE.seconds("ecs_service_linked_role")
                    )
                    if time.monotonic() < ready:
                        raise InvalidParameterException(
                            "Unable to assume the service linked role. Please verify that the ECS service linked "
                            "role exists."
                        )
            answer = create(self)
            if _on():
                cluster = self.ecs_backend.clusters.get(self._get_param("clusterName") or "default")
                if cluster is not None:
                    _hold(cluster, "status", [("PROVISIONING", PROFILE.seconds("ecs_cluster_create"))])
            return answer

        return needing_the_service_linked_role

    def refuse_unready_dependencies(self: Any, task_definition: str | None, role: str | None,
                                    load_balancers: list[dict[str, Any]]) -> None:
        roles: list[str | None] = [role] if role else []
        if task_definition:
            definition = self.ecs_backend.describe_task_definition(task_definition)
            roles += [getattr(definition, "task_role_arn", None), getattr(definition, "execution_role_arn", None)]
        for arn in filter(None, roles):
            if _role_is_fresh(self.current_account, self.region, arn):
                raise InvalidParameterException(
                    f"ECS was unable to assume the role '{arn}' that was provided for this task. Please verify that "
                    "the role being passed has the proper trust relationship and permissions and that your IAM user "
                    "has permissions to pass this role."
                )
        from moto.elbv2.models import elbv2_backends

        groups = elbv2_backends[self.current_account][self.region].target_groups
        for balancer in load_balancers or []:
            group = groups.get(balancer.get("targetGroupArn", ""))
            if group is not None and (not group.load_balancer_arns or _phase(group, "associating")):
                raise InvalidParameterException(
                    f"The target group with targetGroupArn {group.arn} does not have an associated load balancer."
                )

    def create_service(create: Any) -> Any:
        def as_on_aws(self: Any) -> Any:
            if not _on():
                return create(self)
            cluster = self.ecs_backend._get_cluster(self._get_param("cluster", "default"))
            name = self._get_param("serviceName")
            existing = self.ecs_backend.services.get(f"{cluster.name}:{name}")
            if existing is not None and existing.status == "ACTIVE":
                raise InvalidParameterException("Creation of service was not idempotent.")
            if existing is not None and existing.status == "DRAINING":
                raise InvalidParameterException("Unable to Start a service that is still Draining.")
            refuse_unready_dependencies(
                self, self._get_param("taskDefinition"), self._get_param("role"), self._get_param("loadBalancers")
            )
            answer = create(self)
            service = self.ecs_backend.services[f"{cluster.name}:{name}"]
            _start_rollout(self.ecs_backend, service, replacing=False)
            _register_service_connect(self, self._get_param("serviceConnectConfiguration"))
            return answer

        return as_on_aws

    def update_service(update: Any) -> Any:
        def as_on_aws(self: Any) -> Any:
            if not _on():
                return update(self)
            service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("service"))
            before = service.task_definition
            new_definition = self._get_param("taskDefinition")
            balancers = self._get_param("loadBalancers") or (service.load_balancers if new_definition else [])
            forced = self._get_param("forceNewDeployment")
            service_connect = self._get_param("serviceConnectConfiguration")
            refuse_unready_dependencies(self, new_definition, None, balancers)
            answer = update(self)
            if service.task_definition != before or forced:
                _start_rollout(self.ecs_backend, service)
            _register_service_connect(self, service_connect)
            return answer

        return as_on_aws

    def delete_service(delete: Any) -> Any:
        def draining(self: Any) -> Any:
            answer = delete(self)
            if _on():
                cluster, name = self._get_param("cluster", "default"), self._get_param("service")
                service = self.ecs_backend._get_service(cluster, name)
                drain = PROFILE.seconds("ecs_service_draining")
                _hold(service, "status", [("DRAINING", drain)])
                network = (service.network_configuration or {}).get("awsvpcConfiguration") or {}
                from moto.ec2.models import ec2_backends

                _linger(ec2_backends[self.current_account][self.region], f"ECS service {service.name}",
                        [*network.get("subnets", []), *network.get("securityGroups", [])],
                        drain + PROFILE.seconds("eni_release"))
            return answer

        return draining

    def settling(read: Any) -> Any:
        def after_settling(self: Any) -> Any:
            if _on():
                for service in list(self.ecs_backend.services.values()):
                    _settle_rollout(self.ecs_backend, service)
            return read(self)

        return after_settling

    _wrap(EC2ContainerServiceResponse, "create_cluster", create_cluster)
    _wrap(EC2ContainerServiceResponse, "create_service", create_service)
    _wrap(EC2ContainerServiceResponse, "update_service", update_service)
    _wrap(EC2ContainerServiceResponse, "delete_service", delete_service)
    for read in ("describe_services", "list_tasks", "describe_tasks", "list_services"):
        _wrap(EC2ContainerServiceResponse, read, settling)


def _start_rollout(backend: Any, service: Any, replacing: bool = True) -> None:
    """A new PRIMARY deployment, IN_PROGRESS; the previous one (when `replacing`) stays ACTIVE, its tasks
    running, until the new one ends."""
    from moto.core.utils import utcnow
    from moto.moto_api._internal import mock_random

    if service.deployment_controller.get("type", "ECS") != "ECS" or not service.task_definition:
        return
    deployment_id = f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"
    previous = [dict(d, status="ACTIVE") for d in service.deployments if d.get("status") in ("PRIMARY", "ACTIVE")]
    previous = previous if replacing else []
    seconds = PROFILE.seconds("ecs_rollout")
    if previous and service.load_balancers:  # old tasks drain from the target group before the rollout ends
        from moto.elbv2.models import elbv2_backends

        groups = elbv2_backends[backend.account_id][backend.region_name].target_groups
        delays = [
            int(groups[b["targetGroupArn"]].attributes.get("deregistration_delay.timeout_seconds", 300))
            for b in service.load_balancers
            if b.get("targetGroupArn") in groups
        ]
        seconds += PROFILE.scaled(max(delays, default=300))
    definition = backend.describe_task_definition(service.task_definition)
    images = [container.get("image") or "" for container in definition.container_definitions]
    failure = next(
        (reason.format(image=image) for image in images for marker, reason in BROKEN_IMAGE_MARKERS.items()
         if marker in image),
        None,
    )
    now = utcnow()
    template = service.deployments[0] if service.deployments else {}
    service.deployments = [
        {
            **template,
            "id": deployment_id,
            "status": "PRIMARY",
            "taskDefinition": service.task_definition,
            "desiredCount": service.desired_count,
            "pendingCount": service.desired_count,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": now,
            "updatedAt": now,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
        },
        *previous,
    ]
    service.running_count = sum(d.get("runningCount", 0) for d in previous)
    service.pending_count = service.desired_count
    service.__dict__["_realistic_rollout"] = {
        "id": deployment_id,
        "ends": time.monotonic() + seconds,
        "failure": failure,
        "image": next((image for image in images if failure and image), ""),
    }


def _settle_rollout(backend: Any, service: Any) -> None:
    """End a rollout whose time is up: COMPLETED (old deployments gone), or FAILED with stopped tasks."""
    from moto.core.utils import utcnow
    from moto.moto_api._internal import mock_random

    rollout = service.__dict__.get("_realistic_rollout")
    if not rollout or time.monotonic() < rollout["ends"]:
        return
    del service.__dict__["_realistic_rollout"]
    primary = next((d for d in service.deployments if d.get("id") == rollout["id"]), None)
    if primary is None:
        return
    now = utcnow()
    primary["updatedAt"] = now
    if rollout["failure"] is None:
        primary.update(
            runningCount=service.desired_count,
            pendingCount=0,
            rolloutState="COMPLETED",
            rolloutStateReason=f"ECS deployment {rollout['id']} completed.",
        )
        service.deployments = [primary]
        service.running_count, service.pending_count = service.desired_count, 0
        message = f"(service {service.name}) has reached a steady state."
    else:
        failed = max(1, min(service.desired_count, 3))
        primary.update(
            runningCount=0,
            pendingCount=0,
            failedTasks=failed,
            rolloutState="FAILED",
            rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
        )
        service.pending_count = 0
        for _ in range(failed):
            _stopped_task(backend, service, rollout["id"], rollout["failure"])
        message = f"(service {service.name}) (deployment {rollout['id']}) deployment failed: tasks failed to start."
    service.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": now, "message": message})


def _stopped_task(backend: Any, service: Any, deployment_id: str, reason: str) -> None:
    """A task of the failed deployment, STOPPED with AWS's reason (its network interface already released).

    Built as a task without awsvpc networking: a stopped task has no interface left, and moto 5.2.5 fails to
    build an awsvpc one (its ENI lacks `private_dns_name`).
    """
    import copy

    from moto.ecs.models import Task

    cluster = backend.clusters[service.cluster_name]
    definition = copy.copy(backend.describe_task_definition(service.task_definition))
    definition.network_mode = "bridge"
    task = Task(
        cluster,
        definition,
        None,
        None,
        backend,
        group=f"service:{service.name}",
        launch_type=service.launch_type or "FARGATE",
        started_by=deployment_id,
    )
    task.network_configuration = service.network_configuration
    task.status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = reason
    task.stop_code = "TaskFailedToStart"
    for container in task.containers:
        container.last_status = "STOPPED"
        container.reason = reason
    backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task


def _register_service_connect(response: Any, config: dict[str, Any] | None) -> None:
    """ECS Service Connect creates a Cloud Map service per published entry, in the namespace (name or ARN)."""
    if not config or not config.get("enabled") or not config.get("namespace"):
        return
    from moto.servicediscovery.models import servicediscovery_backends

    cloud_map = servicediscovery_backends[response.current_account][response.region]
    wanted = config["namespace"]
    namespace = next((n for n in cloud_map.namespaces.values() if wanted in (n.arn, n.name, n.id)), None)
    if namespace is None:
        return
    for entry in config.get("services") or []:
        name = entry.get("discoveryName") or entry.get("portName")
        taken = any(s.namespace_id == namespace.id and s.name == name for s in cloud_map.services.values())
        if name and not taken:
            cloud_map.create_service(
                name=name,
                namespace_id=namespace.id,
                creator_request_id="",
                description="Managed by ECS Service Connect",
                dns_config=None,
                health_check_config=None,
                health_check_custom_config=None,
                tags=[{"Key": "AmazonECSManaged", "Value": "true"}],
                service_type="HTTP",
            )


def _namespaces_with_services_are_in_use() -> None:
    """DeleteNamespace refuses a namespace that still has services (Service Connect's leftovers included)."""
    from moto.core.exceptions import JsonRESTError
    from moto.servicediscovery.models import ServiceDiscoveryBackend

    def deleting(delete: Any) -> Any:
        def refuse_in_use(self: Any, namespace_id: str) -> Any:
            if _on() and any(service.namespace_id == namespace_id for service in self.services.values()):
                raise JsonRESTError("ResourceInUse", "Namespace has associated services")
            return delete(self, namespace_id)

        return refuse_in_use

    _wrap(ServiceDiscoveryBackend, "delete_namespace", deleting)


def _namespaces_are_deleted_by_an_operation() -> None:
    """DeleteNamespace starts an operation, SUBMITTED → PENDING → SUCCESS; the namespace (and its name) stays
    until it succeeds. Deleted namespaces are swept away whenever Cloud Map is asked about namespaces."""
    from moto.core.exceptions import ServiceException
    from moto.servicediscovery.models import ServiceDiscoveryBackend

    class Refused(ServiceException):
        """A Cloud Map error with its modelled fields (moto serializes it per the service's model)."""

        def __init__(self, code: str, message: str, **fields: str):
            super().__init__(code, message)
            self.__dict__.update(fields)

    delete_now = ServiceDiscoveryBackend.delete_namespace  # with the in-use check wrapped around it

    def sweep(backend: Any) -> None:
        pending = backend.__dict__.setdefault("_realistic_deleting", {})
        for namespace_id, operation_id in list(pending.items()):
            operation = backend.operations.get(operation_id)
            if operation is None or not _phase(operation, "status"):
                del pending[namespace_id]
                if namespace_id in backend.namespaces:
                    delete_now(backend, namespace_id)  # gone now, as moto deletes it (its operation aside)

    def deleting(self: Any, namespace_id: str) -> str:
        if not _on():
            return delete_now(self, namespace_id)
        with _lock:
            sweep(self)
            pending = self.__dict__.setdefault("_realistic_deleting", {})
            if namespace_id in pending:
                raise Refused("DuplicateRequest", "The operation is already in progress.",
                              DuplicateOperationId=pending[namespace_id])
            self.get_namespace(namespace_id)  # NamespaceNotFound, as AWS answers
            if any(service.namespace_id == namespace_id for service in self.services.values()):
                delete_now(self, namespace_id)  # refused: ResourceInUse
            operation_id = self._create_operation(op_type="DELETE_NAMESPACE", targets={"NAMESPACE": namespace_id})
            seconds = PROFILE.seconds("namespace_delete")
            _hold(self.operations[operation_id], "status", [("SUBMITTED", seconds * 0.2), ("PENDING", seconds * 0.8)])
            pending[namespace_id] = operation_id
            return operation_id

    def swept_first(method: Any) -> Any:
        def after_sweeping(self: Any, *args: Any, **kwargs: Any) -> Any:
            if _on():
                with _lock:
                    sweep(self)
            return method(self, *args, **kwargs)

        return after_sweeping

    def name_taken(create: Any) -> Any:
        def refusing_a_name_being_deleted(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            if _on():
                deleting = self.__dict__.get("_realistic_deleting", {})
                taken = next((n for n in self.namespaces.values() if n.id in deleting and n.name == name), None)
                if taken is not None:
                    raise Refused("NamespaceAlreadyExists", f"Namespace {name} already exists.", NamespaceId=taken.id)
            return create(self, name, *args, **kwargs)

        return refusing_a_name_being_deleted

    ServiceDiscoveryBackend.delete_namespace = deleting
    for name in ("get_namespace", "list_namespaces", "get_operation", "list_operations"):
        _wrap(ServiceDiscoveryBackend, name, swept_first)
    for name in ("create_private_dns_namespace", "create_public_dns_namespace", "create_http_namespace"):
        _wrap(ServiceDiscoveryBackend, name, name_taken)
        _wrap(ServiceDiscoveryBackend, name, swept_first)


# ---- throttling ---------------------------------------------------------------------------------------------------


def _bucket_of(response: Any) -> str | None:
    """The throttling bucket a call draws from, if any."""
    service = getattr(response, "service_name", "")
    if service in ("apigateway", "apigatewayv2"):
        return "apigateway"
    if service == "ecs" and response._get_action() == "DescribeServices":
        return "ecs_describe_services"
    return None


def _take_token(bucket: str, account: str, region: str) -> bool:
    """Whether the bucket had a token for this call (taking it); refused calls are counted."""
    rate, now = PROFILE.rate(bucket), time.monotonic()
    with _lock:
        tokens, then = _BUCKETS.get((bucket, account, region), (rate["burst"], now))
        tokens = min(rate["burst"], tokens + (now - then) * rate["per_second"])
        allowed = tokens >= 1
        _BUCKETS[(bucket, account, region)] = [tokens - 1 if allowed else tokens, now]
        if not allowed:
            _THROTTLED[bucket] = _THROTTLED.get(bucket, 0) + 1
        return allowed


def _throttled_answer(bucket: str) -> tuple[int, dict[str, str], str]:
    """The refusal as AWS sends it: ECS (JSON 1.1) 400 ThrottlingException, API Gateway (REST) 429."""
    import json

    if bucket == "apigateway":
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException"}
        return 429, headers, json.dumps({"message": "Too Many Requests"})
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "ThrottlingException"}
    return 400, headers, json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})


def _busy_apis_throttle() -> None:
    """API Gateway and ECS DescribeServices refuse calls beyond their bucket's rate (see AWS_RATES)."""
    from moto.core.responses import BaseResponse

    call_action = BaseResponse.call_action

    def throttled(self: Any) -> Any:
        if _on():
            bucket = _bucket_of(self)
            if bucket is not None and not _take_token(bucket, self.current_account, self.region):
                return _throttled_answer(bucket)
        return call_action(self)

    BaseResponse.call_action = throttled


# ---- ENIs, SQS ----------------------------------------------------------------------------------------------------


def _linger(ec2: Any, owner: str, resource_ids: list[str], seconds: float) -> None:
    """`resource_ids` (subnets, security groups) keep an ENI of `owner` for `seconds`."""
    lingering = ec2.__dict__.setdefault("_realistic_lingering", [])
    lingering.append((owner, set(resource_ids), time.monotonic() + seconds))


def _lingering_owner(ec2: Any, resource_id: str) -> str | None:
    now = time.monotonic()
    for owner, resource_ids, until in ec2.__dict__.get("_realistic_lingering", ()):
        if resource_id in resource_ids and now < until:
            return owner
    return None


def _enis_outlive_their_owners() -> None:
    """DeleteSubnet / DeleteSecurityGroup answer DependencyViolation while an ENI of a deleted owner remains."""
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models.security_groups import SecurityGroupBackend
    from moto.ec2.models.subnets import SubnetBackend

    def subnet(delete: Any) -> Any:
        def delete_subnet(self: Any, subnet_id: str) -> Any:
            if _on() and _lingering_owner(self, subnet_id):
                raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
            return delete(self, subnet_id)

        return delete_subnet

    def security_group(delete: Any) -> Any:
        def delete_security_group(self: Any, name: str | None = None, group_id: str | None = None) -> Any:
            if _on() and group_id and _lingering_owner(self, group_id):
                raise DependencyViolationError(f"resource {group_id} has a dependent object")
            return delete(self, name=name, group_id=group_id)

        return delete_security_group

    _wrap(SubnetBackend, "delete_subnet", subnet)
    _wrap(SecurityGroupBackend, "delete_security_group", security_group)


def _sqs_names_are_not_reusable_at_once() -> None:
    """CreateQueue answers QueueDeletedRecently for a name deleted less than 60 s (scaled) ago."""
    from moto.sqs.exceptions import SQSException
    from moto.sqs.models import SQSBackend

    def creating(create: Any) -> Any:
        def create_queue(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            until = self.__dict__.get("_realistic_deleted", {}).get(name, 0.0)
            if _on() and time.monotonic() < until:
                raise SQSException(
                    "QueueDeletedRecently",
                    "You must wait 60 seconds after deleting a queue before you can create another with the same "
                    "name.",
                )
            return create(self, name, *args, **kwargs)

        return create_queue

    def deleting(delete: Any) -> Any:
        def delete_queue(self: Any, queue_name: str) -> Any:
            answer = delete(self, queue_name)
            if _on():
                deleted = self.__dict__.setdefault("_realistic_deleted", {})
                deleted[queue_name] = time.monotonic() + PROFILE.seconds("sqs_name_reuse")
            return answer

        return delete_queue

    _wrap(SQSBackend, "create_queue", creating)
    _wrap(SQSBackend, "delete_queue", deleting)
