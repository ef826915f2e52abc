"""The services layer: each service as an ECS Fargate service that runs, is found, scales and is watched.

Per service: a log group, an execution role (pull, log, read its declared secrets) and a task role (publish
to its own topic, consume its own queue, nothing else), a task definition, a target group and ALB listener
rules for its routes, the ECS service itself (private subnets, capacity strategy, circuit breaker with
rollback, Service Connect, load balancer), CPU target-tracking autoscaling, and a CPU alarm. Security
group rules (from the ALB, from callers) belong to the platform layer with the groups themselves.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from platformctl.engine.model import Ref, Resource
from platformctl.layers.context import BuildContext
from platformctl.layers.messaging import queue_id, receives_queue, topic_id
from platformctl.naming import aws_name
from platformctl.specs import ServiceSpec, availability_zones
from platformctl.specs.models import parse_route, route_prefix

LAYER = "services"
TRUST_ECS_TASKS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
_PRIVATE_ECR = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)")
MAX_RULE_PRIORITY = 50000


def role_path(ctx: BuildContext) -> str:
    """IAM path of our roles: lets a read list only this platform's roles in this environment."""
    return f"/platformctl/{ctx.platform}/{ctx.env}/"


def service_id(name: str) -> str:
    return f"svc.{name}"


def build(ctx: BuildContext) -> list[Resource]:
    spec = ctx.specs.platform
    out: list[Resource] = []

    def add(kind: str, logical_id: str, name: str, props: dict[str, Any], depends_on: tuple[str, ...] = ()) -> None:
        out.append(Resource(kind, logical_id, LAYER, name, props, depends_on))

    zones = availability_zones(ctx.region, spec.network.azs, spec.network.availability_zones)
    private_subnets = [Ref(f"subnet.private.{az}", "SubnetId") for az in zones]
    kms_arn = Ref("kms", "Arn") if spec.encryption.kms else None
    priorities = rule_priorities(ctx)

    for name, service in ctx.specs.services.items():
        log_group = f"/aws/ecs/{ctx.platform}/{ctx.env}/{name}"
        add(
            "logs.log_group",
            f"logs.service.{name}",
            log_group,
            {"name": log_group, "retention_days": spec.logs.retention_days, "kms_key": kms_arn},
        )

        execution_role = aws_name("iam-role", ctx.prefix, name, "execution")
        add(
            "iam.role",
            f"role.{name}.execution",
            execution_role,
            {
                "name": execution_role,
                "path": role_path(ctx),
                "description": f"{ctx.prefix} {name}: pull the image, write logs, read declared secrets",
                "trust": TRUST_ECS_TASKS,
                "policies": {"execution": execution_policy(ctx, service, log_group)},
            },
        )
        task_role = aws_name("iam-role", ctx.prefix, name, "task")
        task_statements = task_policy_statements(ctx, service, kms_arn)
        add(
            "iam.role",
            f"role.{name}.task",
            task_role,
            {
                "name": task_role,
                "path": role_path(ctx),
                "description": f"{ctx.prefix} {name}: its own topic and queue, nothing else",
                "trust": TRUST_ECS_TASKS,
                "policies": {"messaging": {"Version": "2012-10-17", "Statement": task_statements}}
                if task_statements
                else {},
            },
        )

        family = f"{ctx.prefix}-{name}"
        add(
            "ecs.task_definition",
            f"taskdef.{name}",
            family,
            {
                "family": family,
                "cpu": service.cpu,
                "memory": service.memory,
                "execution_role": Ref(f"role.{name}.execution", "Arn"),
                "task_role": Ref(f"role.{name}.task", "Arn"),
                "container": {
                    "name": name,
                    "image": service.image,
                    "port": service.port,
                    "port_name": name,
                    "environment": container_environment(ctx, name, service),
                    "secrets": {key: secret_arn(ctx, ref) for key, ref in sorted(service.secrets.items())},
                    "log_group": log_group,
                    "log_region": ctx.region,
                    "log_prefix": name,
                    "health_path": service.health,
                },
            },
        )

        load_balancer = None
        rule_ids: list[str] = []
        if service.routes:
            tg_name = target_group_name(ctx, name, service.port)
            add(
                "elbv2.target_group",
                f"tg.{name}",
                tg_name,
                {
                    "name": tg_name,
                    "vpc": Ref("vpc", "VpcId"),
                    "port": service.port,
                    "protocol": "HTTP",
                    "target_type": "ip",
                    "health_path": service.health,
                    "matcher": "200-399",
                },
            )
            for prefix, paths in route_prefixes(service).items():
                rule_id = f"alb.rule.{name}{prefix.replace('/', '.')}".rstrip(".")
                rule_ids.append(rule_id)
                add(
                    "elbv2.listener_rule",
                    rule_id,
                    f"{ctx.prefix} {name} {prefix}",
                    {
                        "listener": Ref("alb.listener.http", "ListenerArn"),
                        "priority": priorities[(name, prefix)],
                        "paths": paths,
                        "target_group": Ref(f"tg.{name}", "TargetGroupArn"),
                    },
                )
            load_balancer = {
                "target_group": Ref(f"tg.{name}", "TargetGroupArn"),
                "container": name,
                "port": service.port,
            }

        svc = service_id(name)
        add(
            "ecs.service",
            svc,
            name,
            {
                "name": name,
                "cluster": Ref("ecs.cluster", "ClusterArn"),
                "task_definition": Ref(f"taskdef.{name}", "TaskDefinitionArn"),
                "desired_count": service.count,
                "autoscaled": service.autoscaling is not None,
                "subnets": private_subnets,
                "security_groups": [Ref(f"sg.service.{name}", "GroupId")],
                "capacity_strategy": [
                    {"provider": c.provider, "base": c.base, "weight": c.weight} for c in spec.cluster.capacity
                ],
                "circuit_breaker": {"enable": True, "rollback": True},
                "load_balancer": load_balancer,
                "service_connect": {
                    "namespace": Ref("discovery.namespace", "Arn"),
                    "port_name": name,
                    "discovery_name": name,
                    "dns_name": name,
                    "port": service.port,
                },
                "health_grace_seconds": 60,
            },
            # A target group must sit behind a listener rule before a service may register into it.
            depends_on=tuple(rule_ids),
        )

        resource_id = f"service/{ctx.prefix}/{name}"
        if service.autoscaling is not None:
            add(
                "autoscaling.target",
                f"{svc}/scaling",
                resource_id,
                {"resource_id": resource_id, "min": service.autoscaling.min, "max": service.autoscaling.max},
                depends_on=(svc,),
            )
            add(
                "autoscaling.policy",
                f"{svc}/cpu-policy",
                f"{name}-cpu",
                {
                    "resource_id": resource_id,
                    "name": f"{name}-cpu",
                    "target": float(service.autoscaling.cpu),
                    "scale_in_cooldown": 60,
                    "scale_out_cooldown": 60,
                },
                depends_on=(f"{svc}/scaling",),
            )

        alarm = aws_name("alarm", ctx.prefix, name, "cpu-high")
        add(
            "cloudwatch.alarm",
            f"alarm.{name}.cpu",
            alarm,
            {
                "name": alarm,
                "description": f"{ctx.prefix}: {name} has run above 85% CPU for 5 minutes",
                "namespace": "AWS/ECS",
                "metric": "CPUUtilization",
                "dimensions": {"ClusterName": ctx.prefix, "ServiceName": name},
                "statistic": "Average",
                "period": 60,
                "evaluation_periods": 5,
                "threshold": 85.0,
                "comparison": "GreaterThanOrEqualToThreshold",
                "treat_missing": "notBreaching",
            },
            # No depends_on the service: an alarm watches a metric by name, and waiting for the service
            # would put three more calls on the longest chain of every first apply.
        )
    return out


def target_group_name(ctx: BuildContext, name: str, port: int) -> str:
    """`<platform>-<env>-<service>-<hash of what cannot change in place>`.

    A new port makes a new name, so the new group can exist beside the old one: the listener rule and the
    ECS service move over in place, and the old group goes last (no service replacement, no downtime).
    """
    fixed = hashlib.sha256(f"{port}/HTTP/ip".encode()).hexdigest()[:4]
    return aws_name("target-group", ctx.prefix, name, fixed)


def container_environment(ctx: BuildContext, name: str, service: ServiceSpec) -> dict[str, Any]:
    """The spec's env plus what the platform tells every container about itself."""
    env: dict[str, Any] = {
        "PLATFORM": ctx.platform,
        "PLATFORM_ENV": ctx.env,
        "SERVICE_NAME": name,
        **service.env,
    }
    if service.publishes:
        env["EVENTS_TOPIC_ARN"] = Ref(topic_id(name), "TopicArn")
    if receives_queue(ctx, service):
        env["QUEUE_URL"] = Ref(queue_id(name), "QueueUrl")
    if ctx.specs.platform.messaging.event_bus:
        env["EVENT_BUS_NAME"] = aws_name("event-bus", ctx.prefix)
    return dict(sorted(env.items()))


def secret_arn(ctx: BuildContext, reference: str) -> str:
    """`ssm:/path` or `secretsmanager:NAME_OR_ARN` → the ARN ECS reads the value from at task start."""
    source, _, target = reference.partition(":")
    if target.startswith("arn:"):
        return target
    if source == "ssm":
        return f"arn:aws:ssm:{ctx.region}:{ctx.account_id}:parameter{target}"
    return f"arn:aws:secretsmanager:{ctx.region}:{ctx.account_id}:secret:{target}"


def execution_policy(ctx: BuildContext, service: ServiceSpec, log_group: str) -> dict[str, Any]:
    """What ECS needs to start the task: write its logs, read its declared secrets, pull a private image."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{log_group}:*",
        }
    ]
    ssm = sorted(secret_arn(ctx, ref) for ref in service.secrets.values() if ref.startswith("ssm:"))
    secrets_manager = sorted(
        # A secret named rather than given by ARN: its ARN ends in a random 6-character suffix.
        secret_arn(ctx, ref) + ("" if ref.partition(":")[2].startswith("arn:") else "-??????")
        for ref in service.secrets.values()
        if ref.startswith("secretsmanager:")
    )
    if ssm:
        statements.append({"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": ssm})
    if secrets_manager:
        statements.append(
            {
                "Sid": "ReadSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secrets_manager,
            }
        )
    ecr = _PRIVATE_ECR.match(service.image)
    if ecr:
        repo = f"arn:aws:ecr:{ecr['region']}:{ecr['account']}:repository/{ecr['repo']}"
        statements += [
            # AWS defines GetAuthorizationToken on no resource: "*" is the only value it accepts.
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "PullImage",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": repo,
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def task_policy_statements(ctx: BuildContext, service: ServiceSpec, kms_arn: Ref | None) -> list[dict[str, Any]]:
    """The task role: publish to its own topic and consume its own queue; nothing else."""
    name = service.service
    statements: list[dict[str, Any]] = []
    if service.publishes:
        statements.append(
            {
                "Sid": "PublishOwnEvents",
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": Ref(topic_id(name), "TopicArn"),
            }
        )
    if receives_queue(ctx, service):
        statements.append(
            {
                "Sid": "ConsumeOwnQueue",
                "Effect": "Allow",
                "Action": [
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ReceiveMessage",
                ],
                "Resource": Ref(queue_id(name), "Arn"),
            }
        )
    if statements and kms_arn is not None:
        statements.append(
            {
                "Sid": "UseThePlatformKeyForItsMessages",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": kms_arn,
            }
        )
    return statements


def route_prefixes(service: ServiceSpec) -> dict[str, list[str]]:
    """ALB path patterns per route prefix (the literal part of a route's path, before any {parameter})."""
    prefixes: dict[str, set[str]] = {}
    for route in service.routes:
        _, path = parse_route(route)
        prefix = route_prefix(path)
        patterns = prefixes.setdefault(prefix, set())
        if "{" not in path:
            patterns.add(path)  # no parameter: match the path exactly
        else:
            patterns.update({prefix, f"{prefix.rstrip('/')}/*"})
    return {prefix: sorted(patterns) for prefix, patterns in sorted(prefixes.items())}


def rule_priorities(ctx: BuildContext) -> dict[tuple[str, str], int]:
    """A stable ALB priority per (service, route prefix), so adding a service moves no other rule.

    The ALB evaluates rules by ascending priority, so deeper prefixes get a lower band ("/orders/history"
    before "/orders"); within a band the number is a hash of service and prefix. A collision (rare) takes
    the next free number in its band, in a fixed order.
    """
    band_size = MAX_RULE_PRIORITY // 12
    taken: set[int] = set()
    chosen: dict[tuple[str, str], int] = {}
    for name, service in ctx.specs.services.items():
        for prefix in route_prefixes(service):
            depth = min(len([part for part in prefix.split("/") if part]), 10)
            band_start = (10 - depth) * band_size + 1
            digest = int(hashlib.sha256(f"{name} {prefix}".encode()).hexdigest(), 16)
            offset = digest % band_size
            while band_start + offset in taken:
                offset = (offset + 1) % band_size
            taken.add(band_start + offset)
            chosen[(name, prefix)] = band_start + offset
    return chosen
