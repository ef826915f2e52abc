"""Which fields of every kind change in place and which force a replacement, pinned by a table.

`ResourceKind.updatable` decides it, and a wrong entry is silent: a subnet's `cidr` or a queue's `name` in
`updatable` would turn a replacement into an "update" that changes nothing in AWS, after which the plan is
clean and the resource is wrong. So the answer is written here a second time, by kind name and field name
only, from what AWS allows (the kind's update code and the AWS API reference of its service), and checked
two ways: against each kind's declaration, and by planning a live resource with one field changed on the
real kinds (the planner on an in-memory cloud: no AWS call). A field that moves either way, or a field a
kind gains or loses, fails here with the kind and the field named.

Where AWS could change a field in place but the kind replaces it (e.g. an HTTP API's name), the table says
"replace": that is safe (the plan shows it as -/+), and moving it needs an update in the kind, then here.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from platformctl.engine.model import LiveResource, Ref, Resource, resolve, walk_refs
from platformctl.engine.planner import Plan, make_plan
from platformctl.layers import BuildContext, desired_resources
from platformctl.resources.registry import registry
from platformctl.specs import load_specs
from tests.unit.spec_helpers import edit, seed_copy

UPDATE, REPLACE = "update", "replace"

# kind → field → what a change of that field must be. Written from AWS, not copied from the kinds.
WHAT_AWS_ALLOWS: dict[str, dict[str, str]] = {
    # UpdateKeyDescription, Enable/DisableKeyRotation, PutKeyPolicy.
    "kms.key": {"description": UPDATE, "rotation": UPDATE, "policy": UPDATE},
    # UpdateAlias moves the alias to another key; the alias name is its identity.
    "kms.alias": {"alias_name": REPLACE, "target": UPDATE},
    # A VPC's primary CIDR is fixed at creation; DNS attributes are ModifyVpcAttribute.
    "ec2.vpc": {"cidr": REPLACE, "dns_support": UPDATE, "dns_hostnames": UPDATE},
    # Detach from one VPC, attach to another.
    "ec2.internet_gateway": {"vpc": UPDATE},
    # A subnet's CIDR, zone and VPC are fixed; map-public-IP is ModifySubnetAttribute.
    "ec2.subnet": {"vpc": REPLACE, "cidr": REPLACE, "az": REPLACE, "public_ip_on_launch": UPDATE},
    "ec2.eip": {},
    # A NAT gateway cannot move subnet or change its address.
    "ec2.nat_gateway": {"subnet": REPLACE, "allocation": REPLACE},
    # ModifyVpcEndpoint adds and removes subnets, security groups and route tables and sets private DNS; the
    # VPC, the service and the endpoint type are fixed (terraform-provider-aws: ForceNew).
    "ec2.vpc_endpoint": {
        "vpc": REPLACE,
        "service": REPLACE,
        "type": REPLACE,
        "subnets": UPDATE,
        "security_groups": UPDATE,
        "route_tables": UPDATE,
        "private_dns": UPDATE,
    },
    # Routes are Create/Replace/DeleteRoute, associations Associate/DisassociateRouteTable; the VPC is fixed.
    "ec2.route_table": {"vpc": REPLACE, "routes": UPDATE, "subnets": UPDATE},
    # A group can be neither renamed, re-described nor moved.
    "ec2.security_group": {"vpc": REPLACE, "group_name": REPLACE, "description": REPLACE},
    # Rules are replaced whole (the kind has no ModifySecurityGroupRules).
    "ec2.security_group_rule": {
        "group": REPLACE,
        "protocol": REPLACE,
        "from_port": REPLACE,
        "to_port": REPLACE,
        "source": REPLACE,
        "description": REPLACE,
    },
    # SetSubnets, SetSecurityGroups; name and scheme are fixed.
    "elbv2.load_balancer": {"name": REPLACE, "scheme": REPLACE, "subnets": UPDATE, "security_groups": UPDATE},
    # ModifyListener; a listener never moves to another load balancer.
    "elbv2.listener": {"load_balancer": REPLACE, "port": UPDATE, "protocol": UPDATE, "default_action": UPDATE},
    # UpdateClusterSettings, PutClusterCapacityProviders; the name is the cluster.
    "ecs.cluster": {"name": REPLACE, "container_insights": UPDATE, "capacity_providers": UPDATE, "strategy": UPDATE},
    # Neither a namespace's name nor its VPC can change.
    "servicediscovery.namespace": {"name": REPLACE, "vpc": REPLACE},
    # PutRetentionPolicy, AssociateKmsKey; the name is the group.
    "logs.log_group": {"name": REPLACE, "retention_days": UPDATE, "kms_key": UPDATE},
    # SetTopicAttributes(KmsMasterKeyId); the name is in the ARN.
    # SetTopicAttributes changes KmsMasterKeyId and TracingConfig.
    "sns.topic": {"name": REPLACE, "kms_key": UPDATE, "tracing": UPDATE},
    # SetQueueAttributes; the name is in the URL and the ARN.
    "sqs.queue": {
        "name": REPLACE,
        "visibility_timeout": UPDATE,
        "retention_seconds": UPDATE,
        "kms_key": UPDATE,
        "redrive": UPDATE,
    },
    # SetQueueAttributes(Policy) on the queue it belongs to.
    "sqs.queue_policy": {"queue": REPLACE, "policy": UPDATE},
    # SetSubscriptionAttributes; a subscription is one topic → one endpoint.
    "sns.subscription": {"topic": REPLACE, "queue": REPLACE, "filter_policy": UPDATE, "raw_delivery": UPDATE},
    "events.bus": {"name": REPLACE},
    # PutRule overwrites pattern, state and description of a rule named on its bus.
    "events.rule": {"name": REPLACE, "bus": REPLACE, "pattern": UPDATE, "state": UPDATE, "description": UPDATE},
    # PutTargets overwrites the target with the same id.
    "events.target": {"rule": REPLACE, "bus": REPLACE, "target_id": REPLACE, "arn": UPDATE},
    # PutMetricAlarm overwrites everything but the name.
    "cloudwatch.alarm": {
        "name": REPLACE,
        "description": UPDATE,
        "namespace": UPDATE,
        "metric": UPDATE,
        "dimensions": UPDATE,
        "statistic": UPDATE,
        "period": UPDATE,
        "evaluation_periods": UPDATE,
        "threshold": UPDATE,
        "comparison": UPDATE,
        "treat_missing": UPDATE,
        "alarm_actions": UPDATE,
        "ok_actions": UPDATE,
    },
    # Subscribe / Unsubscribe: a subscription is one topic → one endpoint; nothing to change in place.
    "sns.alert_subscription": {"topic": REPLACE, "protocol": REPLACE, "endpoint": REPLACE},
    # UpdateRole(Description), UpdateAssumeRolePolicy, Put/DeleteRolePolicy; name and path are fixed.
    "iam.role": {"name": REPLACE, "path": REPLACE, "description": UPDATE, "trust": UPDATE, "policies": UPDATE},
    # A revision is immutable: every change is a new revision.
    "ecs.task_definition": {
        "family": REPLACE,
        "cpu": REPLACE,
        "memory": REPLACE,
        "execution_role": REPLACE,
        "task_role": REPLACE,
        "container": REPLACE,
    },
    # ModifyTargetGroup changes health checks, ModifyTargetGroupAttributes the deregistration delay; port,
    # protocol, target type and VPC are fixed.
    "elbv2.target_group": {
        "name": REPLACE,
        "vpc": REPLACE,
        "port": REPLACE,
        "protocol": REPLACE,
        "target_type": REPLACE,
        "health_path": UPDATE,
        "matcher": UPDATE,
        "deregistration_delay": UPDATE,
    },
    # SetRulePriorities, ModifyRule; a rule never moves to another listener.
    "elbv2.listener_rule": {"listener": REPLACE, "priority": UPDATE, "paths": UPDATE, "target_group": UPDATE},
    # UpdateService; name and cluster are the service. `autoscaled` only moves ownership of the count.
    "ecs.service": {
        "name": REPLACE,
        "cluster": REPLACE,
        "task_definition": UPDATE,
        "desired_count": UPDATE,
        "autoscaled": UPDATE,
        "capacity_strategy": UPDATE,
        "circuit_breaker": UPDATE,
        "subnets": UPDATE,
        "security_groups": UPDATE,
        "load_balancer": UPDATE,
        "service_connect": UPDATE,
        "health_grace_seconds": UPDATE,
    },
    # RegisterScalableTarget again with new bounds; the resource id is the target.
    "autoscaling.target": {"resource_id": REPLACE, "min": UPDATE, "max": UPDATE},
    # PutScalingPolicy again under the same name.
    "autoscaling.policy": {
        "name": REPLACE,
        "resource_id": REPLACE,
        "target": UPDATE,
        "scale_in_cooldown": UPDATE,
        "scale_out_cooldown": UPDATE,
    },
    # UpdateApi could rename; the kind replaces (safe, and the name only changes with the platform or env).
    "apigw.api": {"name": REPLACE, "description": UPDATE},
    # UpdateVpcLink renames only: subnets and security groups are fixed.
    "apigw.vpc_link": {"name": REPLACE, "subnets": REPLACE, "security_groups": REPLACE},
    # UpdateIntegration; the kind replaces on a description change (safe).
    "apigw.integration": {
        "api": REPLACE,
        "description": REPLACE,
        "listener": UPDATE,
        "vpc_link": UPDATE,
        "method": UPDATE,
        "payload_format": UPDATE,
        "timeout_ms": UPDATE,
    },
    # UpdateRoute; the route key is the route's identity here (a new key is a new logical id anyway).
    "apigw.route": {
        "api": REPLACE,
        "route_key": REPLACE,
        "integration": UPDATE,
        "authorization": UPDATE,
        "authorizer": UPDATE,
    },
    "apigw.authorizer": {
        "api": REPLACE,
        "name": REPLACE,
        "issuer": UPDATE,
        "audience": UPDATE,
        "identity_source": UPDATE,
    },
    # UpdateStage; a stage's name is fixed.
    "apigw.stage": {"api": REPLACE, "name": REPLACE, "auto_deploy": UPDATE, "throttling": UPDATE, "access_log": UPDATE},
    # UpdateDomainName changes certificate and TLS policy; the name is the domain.
    "apigw.domain": {"name": REPLACE, "endpoint_type": REPLACE, "certificate_arn": UPDATE, "security_policy": UPDATE},
    # UpdateApiMapping.
    "apigw.api_mapping": {"domain": REPLACE, "key": REPLACE, "api": UPDATE, "stage": UPDATE},
    # PutDashboard overwrites the body of a named dashboard.
    "cloudwatch.dashboard": {"name": REPLACE, "body": UPDATE},
}

ENVIRON = {"API_DOMAIN": "api.example.com", "API_CERT_ARN": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> list[Resource]:
    """The seed's dev graph with every optional kind switched on (JWT auth, a custom domain, an EventBridge
    rule), and one service without autoscaling, whose desired count is then the service's own."""
    specs = seed_copy(tmp_path_factory.mktemp("every-kind"))
    edit(specs, "services/order.yaml", "autoscaling: {min: 2, max: 10, cpu: 60}\n", "")
    edit(
        specs,
        "platform.yaml",
        "  accessLogs: true",
        "  accessLogs: true\n  auth: {issuer: 'https://id.example.com/', audience: [shop]}",
    )
    with (specs / "platform.yaml").open("a") as f:
        f.write("alerts: {email: [ops@example.com], https: ['https://pager.example.com/sns']}\n")
    with (specs / "services" / "payment.yaml").open("a") as f:
        f.write("rules:\n  - {name: refunds, pattern: {source: [shop.refunds]}}\n")
    graph = desired_resources(BuildContext(load_specs(specs, "dev", environ=ENVIRON), account_id="123456789012"))
    # VPC endpoints exist only without NAT (and NAT gateways only with it): taken from the same specs with
    # `nat: none` and private ECR images; what they reference has the same ids in both graphs.
    edit(specs, "platform.yaml", "  dev:        {network: {nat: single}}", "  dev:        {network: {nat: none}}")
    for service in ("order", "payment", "user"):
        image = f"image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/{service}:1.0 #"
        edit(specs, f"services/{service}.yaml", "image: public.ecr.aws/nginx/nginx-unprivileged:1.27", image)
    no_nat = desired_resources(BuildContext(load_specs(specs, "dev", environ=ENVIRON), account_id="123456789012"))
    have = {r.id for r in graph}
    return graph + [r for r in no_nat if r.id not in have and (r.kind == "ec2.vpc_endpoint" or "endpoints" in r.id)]


def fields_by_kind(resources: list[Resource]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for resource in resources:
        found.setdefault(resource.kind, set()).update(resource.props)
    return found


def test_the_table_and_the_graph_cover_every_registered_kind(everything: list[Resource]) -> None:
    registered = set(registry())
    assert sorted(registered - set(WHAT_AWS_ALLOWS)) == [], "a new kind: say here which fields AWS updates"
    assert sorted(set(WHAT_AWS_ALLOWS) - registered) == [], "a kind left the registry: drop it here"
    assert sorted(registered - set(fields_by_kind(everything))) == [], "build the kind in the fixture's specs"


@pytest.mark.parametrize("kind_name", sorted(WHAT_AWS_ALLOWS))
def test_each_kind_updates_in_place_exactly_what_aws_allows(kind_name: str, everything: list[Resource]) -> None:
    kind = registry()[kind_name]
    table = WHAT_AWS_ALLOWS[kind_name]
    props = fields_by_kind(everything)[kind_name]
    moved = []
    for field in sorted(props | set(table) | kind.updatable):
        expected = table.get(field)
        if field not in props:
            moved.append(f"{kind_name}.{field}: no such prop any more (drop it from the table and `updatable`)")
        elif expected is None:
            moved.append(f"{kind_name}.{field}: a new prop; say in the table whether AWS changes it in place")
        elif (field in kind.updatable) != (expected == UPDATE):
            now = "updated in place" if field in kind.updatable else "replaced"
            moved.append(f"{kind_name}.{field}: must be {expected}d (AWS), but the kind has it {now}")
    assert moved == []


# ---- behaviour: the planner on the real kinds, one field changed in a live copy -----------------------------
def _fake_outputs(resources: list[Resource]) -> dict[str, dict[str, Any]]:
    """Every attr any Ref asks for, with a value shaped like an AWS id, as a live read would give."""
    outputs: dict[str, dict[str, Any]] = {r.id: {} for r in resources}
    for resource in resources:
        for ref in walk_refs(resource.props):
            outputs.setdefault(ref.id, {})[ref.attr] = f"arn:aws:fake:{ref.id}:{ref.attr}"
    return outputs


def _in_sync(resources: list[Resource]) -> list[LiveResource]:
    outputs = _fake_outputs(resources)
    return [
        LiveResource(
            kind=r.kind,
            id=r.id,
            layer=r.layer,
            name=r.name,
            physical_id=f"phys-{r.id}",
            props=copy.deepcopy(resolve(r.props, outputs)),
            attrs=outputs[r.id],
        )
        for r in resources
    ]


def _other(value: Any) -> Any:
    """A different value of the same shape, as drift or a spec change would give."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, list):
        return [_other(value[0]), *value[1:]] if value else ["changed"]
    if isinstance(value, dict):
        if not value:
            return {"changed": "yes"}
        first = sorted(value)[0]
        return {**value, first: _other(value[first])}
    return "changed"  # None: a value appeared


def plan_with(resources: list[Resource], logical_id: str, change: Any) -> Plan:
    """The plan when the live copy of `logical_id` differs from the desired one as `change(props)` says."""
    live = _in_sync(resources)
    for item in live:
        if item.id == logical_id:
            change(item.props)
    return make_plan("dev", resources, live, registry())


def step_of(plan: Plan, logical_id: str):
    (step,) = [s for s in plan.steps if s.id == logical_id]
    return step


def test_the_seed_graph_in_sync_plans_nothing(everything: list[Resource]) -> None:
    plan = make_plan("dev", everything, _in_sync(everything), registry())
    assert [(s.action, s.id) for s in plan.pending] == []


@pytest.mark.parametrize("kind_name", sorted(WHAT_AWS_ALLOWS))
def test_a_changed_field_plans_as_the_table_says(kind_name: str, everything: list[Resource]) -> None:
    kind = registry()[kind_name]
    # An autoscaled service's count is the autoscaler's, never compared: take one whose count is its own.
    samples = sorted((r for r in everything if r.kind == kind_name), key=lambda r: r.props.get("autoscaled") is True)
    assert samples, f"no {kind_name} in the graph"
    resource = samples[0]
    wrong = []
    for field, expected in sorted(WHAT_AWS_ALLOWS[kind_name].items()):
        if field in kind.unreadable:
            continue  # AWS never gives it back: it changes only through a replaced reference (below)

        def change(props: dict[str, Any], field: str = field) -> None:
            props[field] = _other(props.get(field))

        step = step_of(plan_with(everything, resource.id, change), resource.id)
        if step.action != expected:
            wrong.append(f"{kind_name}.{field} changed: planned {step.action} ({step.reason}), AWS needs {expected}")
    assert wrong == []


# ---- the riskiest fields, spelled out ---------------------------------------------------------------------
def _one(resources: list[Resource], kind: str, **props: Any) -> Resource:
    return next(r for r in resources if r.kind == kind and all(r.props.get(k) == v for k, v in props.items()))


def test_a_subnet_with_another_cidr_is_replaced_deleting_the_old_one_first(everything: list[Resource]) -> None:
    subnet = _one(everything, "ec2.subnet", public_ip_on_launch=False)
    step = step_of(plan_with(everything, subnet.id, lambda p: p.update(cidr="10.9.9.0/24")), subnet.id)
    assert (step.action, step.reason, step.create_before_delete) == ("replace", "cidr forces replacement", False)


def test_a_queue_with_another_name_is_replaced(everything: list[Resource]) -> None:
    queue = _one(everything, "sqs.queue")
    step = step_of(plan_with(everything, queue.id, lambda p: p.update(name=p["name"] + "-old")), queue.id)
    assert (step.action, step.reason) == ("replace", "name forces replacement")


def test_a_vpc_with_another_cidr_is_replaced_and_so_is_what_stands_in_it(everything: list[Resource]) -> None:
    plan = plan_with(everything, "vpc", lambda p: p.update(cidr="172.16.0.0/16"))
    assert (step_of(plan, "vpc").action, step_of(plan, "vpc").reason) == ("replace", "cidr forces replacement")
    # The VPC id is fixed on subnets and security groups: they follow, and cannot be merely "updated".
    in_vpc = [r for r in everything if any(ref == Ref("vpc", "VpcId") for ref in walk_refs(r.props.get("vpc")))]
    assert {r.kind for r in in_vpc} >= {"ec2.subnet", "ec2.security_group", "elbv2.target_group"}
    assert {r.id: step_of(plan, r.id).action for r in in_vpc if r.kind != "ec2.internet_gateway"} == {
        r.id: "replace" for r in in_vpc if r.kind != "ec2.internet_gateway"
    }


def test_a_task_definition_with_another_image_registers_a_new_revision(everything: list[Resource]) -> None:
    taskdef = _one(everything, "ecs.task_definition")

    def older_image(props: dict[str, Any]) -> None:
        props["container"]["image"] = props["container"]["image"] + "-previous"

    plan = plan_with(everything, taskdef.id, older_image)
    step = step_of(plan, taskdef.id)
    assert (step.action, step.reason) == ("replace", "container forces replacement")
    assert [c.path for c in step.changes] == ["container.image"]
    # A new revision is registered before the old one is deregistered, and the service moves to it in place.
    assert step.create_before_delete is True
    service = _one(everything, "ecs.service", name=taskdef.props["family"].rsplit("-", 1)[-1])
    assert step_of(plan, service.id).action == "update"


def test_a_target_group_with_another_port_is_replaced(everything: list[Resource]) -> None:
    group = _one(everything, "elbv2.target_group")
    step = step_of(plan_with(everything, group.id, lambda p: p.update(port=p["port"] + 1)), group.id)
    assert (step.action, step.reason) == ("replace", "port forces replacement")
