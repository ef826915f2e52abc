"""ECS services and their Application Auto Scaling target and CPU policy against moto: create → read equals
desired → update → delete → gone, owned by tags (services) or through our service (targets, policies).

Beyond the lifecycle: an autoscaled service's count moving is not drift, Service Connect is read when AWS
reports it but not compared, a role IAM has not propagated yet is retried (simulated), delete waits while
the service drains (simulated), look-alikes stay invisible and survive, and reads cost a known few calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from platformctl.engine.model import UNKNOWN, LiveResource, Ref, Resource
from platformctl.engine.planner import diff_props
from platformctl.errors import AwsCallError
from platformctl.naming import ownership_tags
from platformctl.resources.autoscaling import ScalableTarget, ScalingPolicy, policy_logical_id, target_logical_id
from platformctl.resources.base import Context, ResourceKind, tag_list
from platformctl.resources.ecs_service import EcsService, our_services
from tests.unit.kind_harness import (
    ENV,
    PLATFORM,
    KindDriver,
    client_error,
    moto_context,
    read_calls_by_op,
    read_one,
    update_as_planned,
    updated,
)

LAYER = "services"
CLUSTER = f"{PLATFORM}-{ENV}"
SERVICE_ID = "service.orders"
SERVICE_NAME = f"{PLATFORM}-{ENV}-orders"
DIMENSION = "ecs:service:DesiredCount"


# ---- fixtures built with boto3 directly ------------------------------------------------------------------
@dataclass
class World:
    vpc: str
    subnets: list[str]
    groups: list[str]
    cluster_arn: str
    task_definitions: list[str]
    namespace_arn: str
    target_group: str


def ecs_tags(env: str, logical_id: str, layer: str = LAYER) -> list[dict[str, str]]:
    return tag_list(ownership_tags(PLATFORM, env, layer, logical_id), "key", "value")


def build_world(ctx: Context) -> World:
    ec2, ecs = ctx.client("ec2"), ctx.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"), (3, "c"))
    ]
    groups = [
        ec2.create_security_group(GroupName=f"sg-{i}", Description="services", VpcId=vpc)["GroupId"] for i in range(2)
    ]
    cluster_arn = ecs.create_cluster(
        clusterName=CLUSTER, capacityProviders=["FARGATE", "FARGATE_SPOT"], tags=ecs_tags(ENV, "cluster", "platform")
    )["cluster"]["clusterArn"]
    task_definitions = [
        ecs.register_task_definition(
            family=f"{PLATFORM}-{ENV}-orders",
            containerDefinitions=[
                {
                    "name": "app",
                    "image": f"nginx:1.2{revision}",
                    "memory": 512,
                    "portMappings": [{"containerPort": 8080, "name": "http"}],
                }
            ],
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
        )["taskDefinition"]["taskDefinitionArn"]
        for revision in range(2)
    ]
    sd = ctx.client("servicediscovery")
    sd.create_private_dns_namespace(Name=f"{ENV}.{PLATFORM}.local", Vpc=vpc)
    namespace_arn = sd.list_namespaces()["Namespaces"][0]["Arn"]
    target_group = ctx.client("elbv2").create_target_group(
        Name="orders", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    return World(vpc, subnets, groups, cluster_arn, task_definitions, namespace_arn, target_group)


def seed(driver: KindDriver, world: World) -> None:
    """What the engine would hold for the service's references."""
    driver.outputs.update(
        {
            "cluster": {"ClusterArn": world.cluster_arn},
            "taskdef.orders": {"Arn": world.task_definitions[0]},
            "taskdef.orders.v2": {"Arn": world.task_definitions[1]},
            "namespace": {"Arn": world.namespace_arn},
            "tg.orders": {"TargetGroupArn": world.target_group},
        }
    )


def service_resource(
    world: World,
    *,
    logical_id: str = SERVICE_ID,
    name: str = SERVICE_NAME,
    autoscaled: bool = False,
    load_balancer: bool = False,
    count: int = 2,
) -> Resource:
    props = {
        "name": name,
        "cluster": Ref("cluster", "ClusterArn"),
        "task_definition": Ref("taskdef.orders", "Arn"),
        "desired_count": count,
        "autoscaled": autoscaled,
        "subnets": [world.subnets[1], world.subnets[0]],
        "security_groups": [world.groups[0]],
        "capacity_strategy": [{"provider": "FARGATE", "base": 1, "weight": 1}],
        "circuit_breaker": {"enable": True, "rollback": True},
        "load_balancer": {"target_group": Ref("tg.orders", "TargetGroupArn"), "container": "app", "port": 8080}
        if load_balancer
        else None,
        "service_connect": {
            "namespace": Ref("namespace", "Arn"),
            "port_name": "http",
            "discovery_name": "orders",
            "dns_name": "orders.internal",
            "port": 8080,
        },
        "health_grace_seconds": 60,
    }
    return Resource("ecs.service", logical_id, LAYER, name, props)


def raw_service(ctx: Context, world: World, name: str, tags: list[dict[str, str]] | None, cluster: str = "") -> str:
    return ctx.client("ecs").create_service(
        cluster=cluster or world.cluster_arn,
        serviceName=name,
        taskDefinition=world.task_definitions[0],
        desiredCount=1,
        networkConfiguration={"awsvpcConfiguration": {"subnets": world.subnets[:1], "securityGroups": world.groups}},
        tags=tags or [],
    )["service"]["serviceArn"]


def service_status(ctx: Context, cluster: str, name: str) -> str | None:
    services = ctx.client("ecs").describe_services(cluster=cluster, services=[name])["services"]
    return services[0]["status"] if services else None


def clean(kind: ResourceKind, live: LiveResource, desired: dict[str, Any]) -> bool:
    """What the planner sees: no difference between live and desired props."""
    return diff_props(live.props, desired, kind) == []


# ---- ecs.service ------------------------------------------------------------------------------------------
def test_service_lifecycle_updates_and_look_alikes() -> None:
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        raw_service(ctx, world, f"{PLATFORM}-{ENV}-handmade", None)
        raw_service(ctx, world, f"{PLATFORM}-prod-orders", ecs_tags("prod", SERVICE_ID))
        prod_cluster = ctx.client("ecs").create_cluster(
            clusterName=f"{PLATFORM}-prod", tags=ecs_tags("prod", "cluster")
        )
        raw_service(
            ctx, world, SERVICE_NAME, ecs_tags("prod", SERVICE_ID), cluster=prod_cluster["cluster"]["clusterArn"]
        )

        resource = service_resource(world)
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"ServiceArn", "Name", "ClusterArn"}
        assert attrs["Name"] == SERVICE_NAME and attrs["ClusterArn"] == world.cluster_arn

        live = read_one(driver, kind, resource)
        assert live.physical_id == attrs["ServiceArn"] and live.attrs == attrs and live.name == SERVICE_NAME
        assert live.props["subnets"] == sorted(world.subnets[:2])
        assert live.props["capacity_strategy"] == [{"provider": "FARGATE", "base": 1, "weight": 1}]
        assert live.props["circuit_breaker"] == {"enable": True, "rollback": True}
        assert live.props["task_definition"] == world.task_definitions[0]
        # moto never reports Service Connect: read as None, and not compared.
        assert live.props["service_connect"] is None
        assert set(live.facts) == {"running", "pending", "desired", "status", "rollout", "rollout_reason", "events"}
        assert live.facts["desired"] == 2 and live.facts["status"] == "ACTIVE"
        assert live.facts["rollout"] in {"IN_PROGRESS", "COMPLETED"}

        # Every updatable field.
        live = updated(driver, kind, resource, task_definition=Ref("taskdef.orders.v2", "Arn"), desired_count=3)
        assert live.props["task_definition"] == world.task_definitions[1]
        assert live.props["desired_count"] == 3
        ecs = ctx.client("ecs")
        real_update = ecs.update_service
        sent: list[dict[str, Any]] = []
        ecs.update_service = lambda **kw: sent.append(kw) or real_update(**kw)
        strategy = [
            {"provider": "FARGATE", "base": 1, "weight": 1},
            {"provider": "FARGATE_SPOT", "base": 0, "weight": 3},
        ]
        live = updated(driver, kind, resource, capacity_strategy=strategy)
        assert live.props["capacity_strategy"] == strategy
        assert sent[-1]["forceNewDeployment"] is True
        live = updated(driver, kind, resource, circuit_breaker={"enable": True, "rollback": False})
        assert "forceNewDeployment" not in sent[-1]
        assert live.props["circuit_breaker"] == {"enable": True, "rollback": False}
        live = updated(driver, kind, resource, subnets=[world.subnets[2]], security_groups=list(world.groups))
        assert live.props["subnets"] == [world.subnets[2]]
        assert live.props["security_groups"] == sorted(world.groups)
        assert sent[-1]["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
        calls = len(sent)
        live = updated(driver, kind, resource, service_connect={**resource.props["service_connect"], "port": 9090})
        assert len(sent) == calls + 1
        assert sent[-1]["serviceConnectConfiguration"]["services"][0]["clientAliases"] == [
            {"port": 9090, "dnsName": "orders.internal"}
        ]

        # Service Connect that moto does not report is resent, alone; with nothing to send there is no write.
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert set(sent[-1]) == {"cluster", "service", "serviceConnectConfiguration"}
        resource.props["service_connect"] = None
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert ctx.aws.counter.writes == writes

        ecs.update_service = real_update
        kind.delete(ctx, live)
        assert service_status(ctx, world.cluster_arn, SERVICE_NAME) == "INACTIVE"
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already gone: fine
        assert service_status(ctx, world.cluster_arn, f"{PLATFORM}-{ENV}-handmade") == "ACTIVE"
        assert service_status(ctx, world.cluster_arn, f"{PLATFORM}-prod-orders") == "ACTIVE"
        assert service_status(ctx, f"{PLATFORM}-prod", SERVICE_NAME) == "ACTIVE"


def test_service_behind_a_load_balancer_reads_grace_period_and_can_drop_it() -> None:
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        resource = service_resource(world, load_balancer=True)
        driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        assert live.props["load_balancer"] == {"target_group": world.target_group, "container": "app", "port": 8080}
        assert live.props["health_grace_seconds"] == 60

        live = updated(driver, kind, resource, health_grace_seconds=120)
        assert live.props["health_grace_seconds"] == 120
        live = updated(driver, kind, resource, load_balancer=None)
        assert live.props["load_balancer"] is None


def test_service_without_load_balancer_never_sends_a_grace_period() -> None:
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        ecs = ctx.client("ecs")
        real_create, real_update = ecs.create_service, ecs.update_service
        sent: list[dict[str, Any]] = []
        ecs.create_service = lambda **kw: sent.append(kw) or real_create(**kw)
        ecs.update_service = lambda **kw: sent.append(kw) or real_update(**kw)
        resource = service_resource(world)
        driver.create(kind, resource)
        assert all("healthCheckGracePeriodSeconds" not in call for call in sent)
        request = sent[0]
        assert request["enableExecuteCommand"] is False and request["propagateTags"] == "SERVICE"
        assert request["deploymentConfiguration"]["minimumHealthyPercent"] == 100
        assert request["serviceConnectConfiguration"]["enabled"] is True
        # A grace period change alone means nothing without a load balancer: not a difference.
        live = driver.read(kind)[resource.id]
        assert clean(kind, live, {**driver.resolved(resource), "health_grace_seconds": 5})


def test_autoscaled_service_count_moving_is_not_drift() -> None:
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        resource = service_resource(world, autoscaled=True)
        driver.create(kind, resource)
        target = Resource(
            "autoscaling.target",
            target_logical_id(SERVICE_ID),
            LAYER,
            SERVICE_NAME,
            {"resource_id": f"service/{CLUSTER}/{SERVICE_NAME}", "min": 1, "max": 10},
        )
        driver.create(ScalableTarget(), target)
        # Application Auto Scaling moves the count.
        ctx.client("ecs").update_service(cluster=world.cluster_arn, service=SERVICE_NAME, desiredCount=7)
        live = read_one(driver, kind, resource)
        assert live.props["autoscaled"] is True and live.props["desired_count"] == 7
        assert "desired_count" not in kind.canonical(live.props)

        # An update for another reason leaves the count to Auto Scaling.
        live = updated(driver, kind, resource, circuit_breaker={"enable": False, "rollback": False})
        assert live.facts["desired"] == 7

        # Not autoscaled any more: the count is ours again, and the drift shows and is fixed in place.
        resource.props["autoscaled"] = False
        ScalableTarget().delete(ctx, driver.read(ScalableTarget())[target.id])
        live = driver.read(kind)[resource.id]
        changes = diff_props(live.props, driver.resolved(resource), kind)
        assert [c.path for c in changes] == ["desired_count"]
        kind.update(ctx, resource, live, driver.resolved(resource), changes)
        assert read_one(driver, kind, resource).props["desired_count"] == 2


def test_service_connect_is_read_when_aws_reports_it_but_not_compared() -> None:
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        resource = service_resource(world)
        driver.create(kind, resource)
        ecs = ctx.client("ecs")
        real_describe = ecs.describe_services

        def with_service_connect(**kwargs: Any) -> Any:
            answer = real_describe(**kwargs)
            for service in answer["services"]:
                service["deployments"][0]["serviceConnectConfiguration"] = {
                    "enabled": True,
                    "namespace": world.namespace_arn,
                    "services": [
                        {"portName": "http", "discoveryName": "orders", "clientAliases": [{"port": 81, "dnsName": "x"}]}
                    ],
                }
            return answer

        ecs.describe_services = with_service_connect
        live = driver.read(kind)[resource.id]
        assert live.props["service_connect"] == {
            "namespace": world.namespace_arn,
            "port_name": "http",
            "discovery_name": "orders",
            "dns_name": "x",
            "port": 81,
        }
        assert clean(kind, live, driver.resolved(resource))  # unreadable: not compared ...
        replaced = {**driver.resolved(resource), "service_connect": {**resource.props["service_connect"]}}
        replaced["service_connect"]["namespace"] = UNKNOWN  # ... unless the namespace is being replaced
        assert "service_connect.namespace" in [c.path for c in diff_props(live.props, replaced, kind)]


def test_create_retries_while_a_fresh_role_is_not_usable_and_not_otherwise() -> None:
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        ecs = ctx.client("ecs")
        real_create = ecs.create_service
        attempts: list[str] = []

        def role_not_ready(**kwargs: Any) -> Any:
            attempts.append(kwargs["serviceName"])
            if len(attempts) <= 2:
                raise client_error(
                    "InvalidParameterException", "CreateService", "ECS was unable to assume the role 'arn:...:role/x'"
                )
            return real_create(**kwargs)

        ecs.create_service = role_not_ready
        resource = service_resource(world)
        driver.create(kind, resource)
        assert attempts == [SERVICE_NAME] * 3
        read_one(driver, kind, resource)

        def bad_request(**kwargs: Any) -> Any:
            attempts.append(kwargs["serviceName"])
            raise client_error("InvalidParameterException", "CreateService", "desiredCount must be positive")

        ecs.create_service = bad_request
        attempts.clear()
        with pytest.raises(ClientError):
            driver.create(kind, service_resource(world, logical_id="service.users", name="users"))
        assert len(attempts) == 1


def test_create_refuses_a_same_named_service_that_is_not_ours() -> None:
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        arn = raw_service(ctx, world, SERVICE_NAME, ecs_tags("prod", SERVICE_ID))
        writes = ctx.aws.counter.writes
        with pytest.raises(AwsCallError, match="not ours"):
            driver.create(kind, service_resource(world))
        assert ctx.aws.counter.writes == writes
        described = ctx.client("ecs").describe_services(cluster=world.cluster_arn, services=[arn])["services"][0]
        assert described["desiredCount"] == 1 and described["status"] == "ACTIVE"


def test_delete_scales_to_zero_and_waits_while_the_service_drains() -> None:
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        resource = service_resource(world)
        driver.create(kind, resource)
        live = driver.read(kind)[resource.id]
        ecs = ctx.client("ecs")
        real_describe, real_update, real_delete = ecs.describe_services, ecs.update_service, ecs.delete_service
        order: list[str] = []
        ecs.update_service = lambda **kw: order.append(f"update:{kw.get('desiredCount')}") or real_update(**kw)
        ecs.delete_service = lambda **kw: order.append(f"delete:{kw.get('force')}") or real_delete(**kw)
        polls: list[str] = []

        def draining(**kwargs: Any) -> Any:
            answer = real_describe(**kwargs)
            if len(polls) < 3:
                for service in answer["services"]:
                    service["status"] = "DRAINING"
            polls.append(answer["services"][0]["status"])
            return answer

        ecs.describe_services = draining
        kind.delete(ctx, live)
        assert order == ["update:0", "delete:True"]
        assert polls == ["DRAINING", "DRAINING", "DRAINING", "INACTIVE"]


def test_delete_of_a_service_whose_cluster_is_gone_is_fine() -> None:
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        resource = service_resource(world)
        driver.create(kind, resource)
        live = driver.read(kind)[resource.id]
        ecs = ctx.client("ecs")
        ecs.delete_service(cluster=world.cluster_arn, service=SERVICE_NAME, force=True)
        ecs.delete_cluster(cluster=world.cluster_arn)
        kind.delete(ctx, live)


def test_service_read_costs_few_calls_and_is_shared_with_auto_scaling() -> None:
    with moto_context() as ctx:
        kind, driver = EcsService(), KindDriver(ctx)
        world = build_world(ctx)
        seed(driver, world)
        for i in range(12):
            driver.create(kind, service_resource(world, logical_id=f"service.s{i}", name=f"s{i}"))
        found, calls = read_calls_by_op(ctx, kind)
        assert len(found) == 12
        assert calls == {
            "ListClusters": 1,
            "DescribeClusters": 1,
            "ListServices": 1,
            "DescribeServices": 2,
            "DescribeScalableTargets": 1,
        }
        found, calls = read_calls_by_op(ctx, kind, ScalableTarget(), ScalingPolicy())
        assert len(found) == 12
        assert sum(calls.values()) == 7 and calls["DescribeScalingPolicies"] == 1
        services = our_services(ctx)
        assert sorted(s.logical_id for s in services) == sorted(f"service.s{i}" for i in range(12))
        assert {(s.cluster_name, s.layer) for s in services} == {(CLUSTER, LAYER)}


def test_nothing_of_ours_reads_nothing_in_two_calls() -> None:
    with moto_context() as ctx:
        world = build_world(ctx)
        ctx.client("ecs").delete_cluster(cluster=world.cluster_arn)
        found, calls = read_calls_by_op(ctx, EcsService(), ScalableTarget(), ScalingPolicy())
        assert found == []
        assert sum(calls.values()) <= 2


# ---- autoscaling.target / autoscaling.policy ----------------------------------------------------------------
def scaling_world(ctx: Context) -> tuple[KindDriver, World, str, str]:
    """Our service, plus an untagged look-alike service in our cluster with its own target and policy."""
    driver = KindDriver(ctx)
    world = build_world(ctx)
    seed(driver, world)
    driver.create(EcsService(), service_resource(world, autoscaled=True))
    raw_service(ctx, world, "handmade", None)
    foreign = f"service/{CLUSTER}/handmade"
    aas = ctx.client("application-autoscaling")
    aas.register_scalable_target(
        ServiceNamespace="ecs", ResourceId=foreign, ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=2
    )
    aas.put_scaling_policy(
        PolicyName="handmade-cpu",
        ServiceNamespace="ecs",
        ResourceId=foreign,
        ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 50.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        },
    )
    return driver, world, f"service/{CLUSTER}/{SERVICE_NAME}", foreign


def target_resource(resource_id: str) -> Resource:
    props = {"resource_id": resource_id, "min": 2, "max": 10}
    return Resource("autoscaling.target", target_logical_id(SERVICE_ID), LAYER, resource_id, props)


def policy_resource(resource_id: str) -> Resource:
    props = {
        "resource_id": resource_id,
        "name": f"{SERVICE_NAME}-cpu",
        "target": 60,
        "scale_in_cooldown": 300,
        "scale_out_cooldown": 60,
    }
    return Resource("autoscaling.policy", policy_logical_id(SERVICE_ID), LAYER, props["name"], props)


def test_scalable_target_lifecycle_and_foreign_targets() -> None:
    with moto_context() as ctx:
        driver, _, resource_id, foreign = scaling_world(ctx)
        kind = ScalableTarget()
        resource = target_resource(resource_id)
        assert driver.create(kind, resource) == {"ResourceId": resource_id}
        live = read_one(driver, kind, resource)
        assert live.id == f"{SERVICE_ID}/scaling" and live.physical_id == resource_id
        assert driver.read(EcsService())[SERVICE_ID].props["autoscaled"] is True

        live = updated(driver, kind, resource, min=3)
        assert live.props["min"] == 3
        live = updated(driver, kind, resource, max=20)
        assert live.props["max"] == 20
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert ctx.aws.counter.writes == writes

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        assert driver.read(EcsService())[SERVICE_ID].props["autoscaled"] is False
        kind.delete(ctx, live)  # already gone: fine
        remaining = ctx.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")
        assert [t["ResourceId"] for t in remaining["ScalableTargets"]] == [foreign]


def test_scalable_target_retries_while_the_service_linked_role_is_not_ready() -> None:
    with moto_context() as ctx:
        driver, _, resource_id, _ = scaling_world(ctx)
        aas = ctx.client("application-autoscaling")
        real_register = aas.register_scalable_target
        attempts: list[int] = []

        def role_not_ready(**kwargs: Any) -> Any:
            attempts.append(1)
            if len(attempts) == 1:
                raise client_error(
                    "ValidationException", "RegisterScalableTarget", "Unable to assume IAM role: AWSServiceRole..."
                )
            return real_register(**kwargs)

        aas.register_scalable_target = role_not_ready
        resource = target_resource(resource_id)
        driver.create(ScalableTarget(), resource)
        assert len(attempts) == 2
        read_one(driver, ScalableTarget(), resource)

        def invalid(**kwargs: Any) -> Any:
            attempts.append(1)
            raise client_error("ValidationException", "RegisterScalableTarget", "MaxCapacity must be >= MinCapacity")

        aas.register_scalable_target = invalid
        attempts.clear()
        with pytest.raises(ClientError):
            driver.create(ScalableTarget(), resource)
        assert len(attempts) == 1


def test_scaling_policy_lifecycle_and_foreign_policies() -> None:
    with moto_context() as ctx:
        driver, _, resource_id, foreign = scaling_world(ctx)
        driver.create(ScalableTarget(), target_resource(resource_id))
        aas = ctx.client("application-autoscaling")
        # A hand-made policy on our own service is not the one we manage.
        aas.put_scaling_policy(
            PolicyName="investigation",
            ServiceNamespace="ecs",
            ResourceId=resource_id,
            ScalableDimension=DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 20.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            },
        )
        kind = ScalingPolicy()
        resource = policy_resource(resource_id)
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"PolicyARN"}
        live = read_one(driver, kind, resource)
        assert live.id == f"{SERVICE_ID}/cpu-policy" and live.attrs == attrs
        assert live.props["target"] == 60.0

        live = updated(driver, kind, resource, new_attrs=True, target=75.5)
        assert live.props["target"] == 75.5
        live = updated(driver, kind, resource, new_attrs=True, scale_in_cooldown=600)
        live = updated(driver, kind, resource, new_attrs=True, scale_out_cooldown=30)
        assert (live.props["scale_in_cooldown"], live.props["scale_out_cooldown"]) == (600, 30)
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert ctx.aws.counter.writes == writes

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already gone: fine
        left = aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
        assert sorted((p["ResourceId"], p["PolicyName"]) for p in left) == [
            (foreign, "handmade-cpu"),
            (resource_id, "investigation"),
        ]


def test_scaling_policy_put_retries_until_a_fresh_target_is_visible() -> None:
    with moto_context() as ctx:
        driver, _, resource_id, _ = scaling_world(ctx)
        driver.create(ScalableTarget(), target_resource(resource_id))
        aas = ctx.client("application-autoscaling")
        real_put = aas.put_scaling_policy
        attempts: list[int] = []

        def not_yet(**kwargs: Any) -> Any:
            attempts.append(1)
            if len(attempts) == 1:
                raise client_error("ObjectNotFoundException", "PutScalingPolicy", "No scalable target registered")
            return real_put(**kwargs)

        aas.put_scaling_policy = not_yet
        resource = policy_resource(resource_id)
        driver.create(ScalingPolicy(), resource)
        assert len(attempts) == 2
        read_one(driver, ScalingPolicy(), resource)


def test_children_of_a_deleted_service_are_no_longer_ours() -> None:
    with moto_context() as ctx:
        driver, world, resource_id, _ = scaling_world(ctx)
        driver.create(ScalableTarget(), target_resource(resource_id))
        driver.create(ScalingPolicy(), policy_resource(resource_id))
        assert list(driver.read(ScalableTarget())) == [f"{SERVICE_ID}/scaling"]
        EcsService().delete(ctx, driver.read(EcsService())[SERVICE_ID])
        assert driver.read(ScalableTarget()) == {}
        assert driver.read(ScalingPolicy()) == {}
        assert service_status(ctx, world.cluster_arn, SERVICE_NAME) == "INACTIVE"
