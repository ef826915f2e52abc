"""The services layer: each service as an ECS Fargate service that runs, is found, scales and is watched.

Per service: a log group, an execution role (pull, log, read its declared secrets) and a task role (publish
to its own topic, consume its own queue, nothing else), a task definition, a target group and ALB listener
rules for its routes, the ECS service itself (private subnets, capacity strategy, circuit breaker with
rollback, Service Connect, load balancer), CPU target-tracking autoscaling, and a CPU alarm. Security
group rules (from the ALB, from callers) belong to the platform layer with the groups themselves.
"""

from __future__ import annotations

import hashlib
from typing import Any

from platformctl.engine.model import Ref, Resource
from platformctl.layers.alerts import alarm_actions
from platformctl.layers.context import BuildContext
from platformctl.layers.messaging import queue_id, receives_queue, topic_id
from platformctl.layers.tracing import app_environment, collector_container, task_role_statement, traced
from platformctl.naming import aws_name, role_name, service_log_group
from platformctl.naming import role_path as region_role_path
from platformctl.partitions import PRIVATE_ECR_IMAGE, dns_suffix
from platformctl.secret_refs import SECRETS_MANAGER, SSM, SUFFIX_PATTERN, SecretReference, parse_reference
from platformctl.specs import ServiceSpec
from platformctl.specs.models import parse_route, route_prefix

LAYER = "services"
_PRIVATE_ECR = PRIVATE_ECR_IMAGE  # `<account>.dkr.ecr.<region>.<the partition's DNS suffix>/<repo>`
MAX_RULE_PRIORITY = 50000


def trust_ecs_tasks(ctx: BuildContext) -> dict[str, Any]:
    """Who may assume a task's roles: ECS tasks, as the principal is spelled in this partition."""
    principal = {"Service": ctx.service_principal("ecs-tasks")}
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
    }


def role_path(ctx: BuildContext) -> str:
    """IAM path of our roles: lets a read list only this platform's roles in this environment and region."""
    return region_role_path(ctx.platform, ctx.env, ctx.region)


def service_id(name: str) -> str:
    return f"svc.{name}"


def build(ctx: BuildContext) -> list[Resource]:
    spec = ctx.specs.platform
    out: list[Resource] = []

    def add(kind: str, logical_id: str, name: str, props: dict[str, Any], depends_on: tuple[str, ...] = ()) -> None:
        out.append(Resource(kind, logical_id, LAYER, name, props, depends_on))

    zones = ctx.zones
    private_subnets = [Ref(f"subnet.private.{az}", "SubnetId") for az in zones]
    kms_arn = Ref("kms", "Arn") if spec.encryption.kms else None
    priorities = rule_priorities(ctx)

    for name, service in ctx.specs.services.items():
        log_group = service_log_group(ctx.platform, ctx.env, name)
        add(
            "logs.log_group",
            f"logs.service.{name}",
            log_group,
            {"name": log_group, "retention_days": spec.logs.retention_days, "kms_key": kms_arn},
        )

        execution_role = role_name(ctx.platform, ctx.env, name, "execution", ctx.region)
        add(
            "iam.role",
            f"role.{name}.execution",
            execution_role,
            {
                "name": execution_role,
                "path": role_path(ctx),
                "description": f"{ctx.prefix} {name}: pull the image, write logs, read declared secrets",
                "trust": trust_ecs_tasks(ctx),
                "policies": {"execution": execution_policy(ctx, service, log_group)},
            },
        )
        task_role = role_name(ctx.platform, ctx.env, name, "task", ctx.region)
        task_statements = task_policy_statements(ctx, service, kms_arn)
        add(
            "iam.role",
            f"role.{name}.task",
            task_role,
            {
                "name": task_role,
                "path": role_path(ctx),
                "description": f"{ctx.prefix} {name}: its own topic and queue, nothing else",
                "trust": trust_ecs_tasks(ctx),
                "policies": task_policies(ctx, service, task_statements),
            },
        )

        family = f"{ctx.prefix}-{name}"
        task_definition: dict[str, Any] = {
            "family": family,
            "cpu": service.cpu,
            "memory": service.memory,
            "execution_role": Ref(f"role.{name}.execution", "Arn"),
            "task_role": Ref(f"role.{name}.task", "Arn"),
        }
        if traced(spec, service):
            task_definition["sidecar"] = collector_container(log_group, ctx.region)
        add(
            "ecs.task_definition",
            f"taskdef.{name}",
            family,
            {
                **task_definition,
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
                    # Opt-in: only the image knows what it can run (a distroless image has no shell or curl).
                    "health_check": health_check(service),
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
                    "deregistration_delay": service.deregistration_delay,
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
            # A target group must sit behind a listener rule before a service may register into it; without
            # NAT, tasks can pull their image and write logs only once the VPC endpoints are available.
            depends_on=(*rule_ids, *(f"endpoint.{e.short}" for e in ctx.vpc_endpoints)),
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
                **alarm_actions(),
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
    if traced(ctx.specs.platform, service):
        env = {**app_environment(name), **env}  # the spec's env may still point the SDK elsewhere
    return dict(sorted(env.items()))


def health_check(service: ServiceSpec) -> dict[str, Any] | None:
    """The container health check the spec asks for, or None: ECS runs none unless asked."""
    check = service.health_check
    if check is None:
        return None
    return {
        "command": list(check.command),
        "interval": check.interval,
        "timeout": check.timeout,
        "retries": check.retries,
        "start_period": check.start_period,
    }


def secret_arn(ctx: BuildContext, reference: str) -> str:
    """`ssm:/path` or `secretsmanager:NAME_OR_ARN[:json-key:stage:version]` → the `valueFrom` ECS reads at task
    start: a parameter's ARN, or a secret's complete ARN (resolved from its name) with any JSON-key fields."""
    ref = parse_reference(reference)
    if ref.store == SSM:
        return ref.target if ref.by_arn else ctx.arn("ssm", f"parameter{ref.target}")
    return secret_resource(ctx, ref, pattern=False) + ref.json_key_fields


def secret_resource(ctx: BuildContext, ref: SecretReference, pattern: bool = True) -> str:
    """The secret itself: its ARN as given, or as resolved from its name. Unresolved (no AWS call was made),
    the name-only ARN, or with `pattern` the IAM pattern that matches its suffix (`name-??????`)."""
    if ref.by_arn:
        return ref.target
    if ctx.secret_arns is not None and ref.target in ctx.secret_arns:
        return ctx.secret_arns[ref.target]
    return ctx.arn("secretsmanager", f"secret:{ref.target}") + (SUFFIX_PATTERN if pattern else "")


def execution_policy(ctx: BuildContext, service: ServiceSpec, log_group: str) -> dict[str, Any]:
    """What ECS needs to start the task: write its logs, read its declared secrets, pull a private image."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": ctx.arn("logs", f"log-group:{log_group}:*"),
        }
    ]
    refs = [parse_reference(reference) for reference in service.secrets.values()]
    ssm = sorted({secret_arn(ctx, f"{SSM}:{ref.target}") for ref in refs if ref.store == SSM})
    # On the secret itself, never on the JSON-key reference ECS is given (`...-AbCdEf:password::` names no
    # resource, so a grant on it would match nothing and the task would fail to start).
    secrets_manager = sorted({secret_resource(ctx, ref) for ref in refs if ref.store == SECRETS_MANAGER})
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
    if service.secrets_kms_keys:
        statements.append(secrets_key_statement(ctx, service, refs))
    ecr = _PRIVATE_ECR.match(service.image)
    if ecr:
        # Same partition as ours: an account cannot pull across partitions.
        repo = ctx.arn("ecr", f"repository/{ecr['repo']}", region=ecr["region"], account=ecr["account"])
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


def secrets_key_statement(ctx: BuildContext, service: ServiceSpec, refs: list[SecretReference]) -> dict[str, Any]:
    """kms:Decrypt on the customer-managed keys the spec says its secrets are encrypted with, only when Secrets
    Manager or SSM asks on the role's behalf (kms:ViaService; AWS Secrets Manager User Guide, "Secret
    encryption and decryption", and Amazon ECS Developer Guide, "Required IAM permissions for Amazon ECS
    secrets"): the role cannot decrypt anything else with those keys."""
    stores = sorted({ref.store for ref in refs})
    via = [f"{store}.{ctx.region}.{dns_suffix(ctx.partition)}" for store in stores]
    return {
        "Sid": "DecryptSecrets",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": sorted(service.secrets_kms_keys),
        "Condition": {"StringEquals": {"kms:ViaService": via}},
    }


def task_policy_statements(ctx: BuildContext, service: ServiceSpec, kms_arn: Ref | None) -> list[dict[str, Any]]:
    """The task role: publish to its own topic, consume its own queue, put events on the platform bus if the spec
    says it publishes there (`publishesToBus`); nothing else."""
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
    if service.publishes_to_bus and ctx.specs.platform.messaging.event_bus:
        # The bus is not encrypted with the platform key: PutEvents needs no KMS grant.
        statements.append(
            {
                "Sid": "PutEventsOnThePlatformBus",
                "Effect": "Allow",
                "Action": "events:PutEvents",
                "Resource": Ref("bus", "Arn"),
            }
        )
    return statements


def task_policies(ctx: BuildContext, service: ServiceSpec, messaging: list[dict[str, Any]]) -> dict[str, Any]:
    """The task role's inline policies: `messaging` when it has a topic or queue, `tracing` when traced."""
    policies: dict[str, Any] = {}
    if messaging:
        policies["messaging"] = {"Version": "2012-10-17", "Statement": messaging}
    if traced(ctx.specs.platform, service):
        policies["tracing"] = {"Version": "2012-10-17", "Statement": [task_role_statement()]}
    return policies


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
