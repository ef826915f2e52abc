"""The platform layer: network, cluster, discovery, encryption, logs and the internal load balancer.

Everything later layers stand on. Logical ids are stable names ("vpc", "subnet.private.us-east-1a") so the
same specs always give the same graph; AWS names start with `<platform>-<env>`.
"""

from __future__ import annotations

from platformctl.engine.model import Ref, Resource
from platformctl.layers.context import BuildContext
from platformctl.naming import aws_name
from platformctl.resources.policy import normalize_policy
from platformctl.specs import availability_zones, carve_subnets

LAYER = "platform"
HTTP = 80


def build(ctx: BuildContext) -> list[Resource]:
    spec = ctx.specs.platform
    out: list[Resource] = []

    def add(kind: str, logical_id: str, name: str, props: dict, depends_on: tuple[str, ...] = ()) -> None:
        out.append(Resource(kind, logical_id, LAYER, name, props, depends_on))

    # ---- encryption ---------------------------------------------------------------------------------
    kms_arn = None
    if spec.encryption.kms:
        add(
            "kms.key",
            "kms",
            ctx.prefix,
            {
                "description": f"platformctl {ctx.prefix}: CloudWatch Logs, SNS and SQS encryption",
                "rotation": True,
                "policy": key_policy(ctx),
            },
        )
        add(
            "kms.alias",
            "kms/alias",
            f"alias/{ctx.prefix}",
            {"alias_name": f"alias/{ctx.prefix}", "target": Ref("kms", "KeyId")},
        )
        kms_arn = Ref("kms", "Arn")

    # ---- network ------------------------------------------------------------------------------------
    net = spec.network
    add("ec2.vpc", "vpc", ctx.prefix, {"cidr": net.cidr, "dns_support": True, "dns_hostnames": True})
    vpc = Ref("vpc", "VpcId")
    add("ec2.internet_gateway", "igw", ctx.prefix, {"vpc": vpc})

    zones = availability_zones(ctx.region, net.azs, net.availability_zones)
    public_cidrs, private_cidrs = carve_subnets(net.cidr, net.azs)
    for tier, cidrs in (("public", public_cidrs), ("private", private_cidrs)):
        for az, cidr in zip(zones, cidrs, strict=True):
            add(
                "ec2.subnet",
                f"subnet.{tier}.{az}",
                f"{ctx.prefix}-{tier}-{az}",
                {"vpc": vpc, "cidr": cidr, "az": az, "public_ip_on_launch": tier == "public"},
            )

    nat_zones = {"per-az": zones, "single": zones[:1], "none": []}[net.nat]
    for az in nat_zones:
        add("ec2.eip", f"eip.nat.{az}", f"{ctx.prefix}-nat-{az}", {})
        add(
            "ec2.nat_gateway",
            f"nat.{az}",
            f"{ctx.prefix}-{az}",
            {
                "subnet": Ref(f"subnet.public.{az}", "SubnetId"),
                "allocation": Ref(f"eip.nat.{az}", "AllocationId"),
            },
            # A NAT gateway only works once the VPC has its internet gateway.
            depends_on=("igw",),
        )

    add(
        "ec2.route_table",
        "rtb.public",
        f"{ctx.prefix}-public",
        {
            "vpc": vpc,
            "routes": [{"destination": "0.0.0.0/0", "target": Ref("igw", "InternetGatewayId")}],
            "subnets": [Ref(f"subnet.public.{az}", "SubnetId") for az in zones],
        },
    )
    for az in zones:
        nat_az = az if net.nat == "per-az" else (nat_zones[0] if nat_zones else None)
        routes = [{"destination": "0.0.0.0/0", "target": Ref(f"nat.{nat_az}", "NatGatewayId")}] if nat_az else []
        add(
            "ec2.route_table",
            f"rtb.private.{az}",
            f"{ctx.prefix}-private-{az}",
            {"vpc": vpc, "routes": routes, "subnets": [Ref(f"subnet.private.{az}", "SubnetId")]},
        )

    # ---- security groups: the ALB takes HTTP from inside the VPC; services from the ALB and callers ----
    add(
        "ec2.security_group",
        "sg.alb",
        f"{ctx.prefix}-alb",
        {
            "vpc": vpc,
            "group_name": f"{ctx.prefix}-alb",
            "description": f"{ctx.prefix} internal ALB: HTTP from inside the VPC only",
        },
    )
    add_rule(add, "sg.alb", "vpc-http", HTTP, {"cidr": net.cidr}, "HTTP from inside the VPC (API Gateway VPC link)")
    for name, service in ctx.specs.services.items():
        group = f"sg.service.{name}"
        add(
            "ec2.security_group",
            group,
            f"{ctx.prefix}-{name}",
            {
                "vpc": vpc,
                "group_name": f"{ctx.prefix}-{name}",
                "description": f"{ctx.prefix} service {name}: from the ALB and the services that call it",
            },
        )
        add_rule(add, group, "alb", service.port, {"group": Ref("sg.alb", "GroupId")}, "from the internal ALB")
    for caller_name, caller in ctx.specs.services.items():
        for callee in caller.calls:
            port = ctx.specs.services[callee].port
            add_rule(
                add,
                f"sg.service.{callee}",
                caller_name,
                port,
                {"group": Ref(f"sg.service.{caller_name}", "GroupId")},
                f"calls from {caller_name}",
            )

    # ---- internal ALB with a default 404 listener (services add rules in their layer) ------------------
    add(
        "elbv2.load_balancer",
        "alb",
        aws_name("alb", ctx.prefix, "int"),
        {
            "name": aws_name("alb", ctx.prefix, "int"),
            "scheme": "internal",
            "subnets": [Ref(f"subnet.private.{az}", "SubnetId") for az in zones],
            "security_groups": [Ref("sg.alb", "GroupId")],
        },
    )
    add(
        "elbv2.listener",
        "alb.listener.http",
        f"{ctx.prefix}-http",
        {
            "load_balancer": Ref("alb", "LoadBalancerArn"),
            "port": HTTP,
            "protocol": "HTTP",
            "default_action": {
                "type": "fixed-response",
                "status_code": "404",
                "content_type": "text/plain",
                "message_body": "no route",
            },
        },
    )

    # ---- cluster, discovery, logs --------------------------------------------------------------------
    cluster = spec.cluster
    add(
        "ecs.cluster",
        "ecs.cluster",
        ctx.prefix,
        {
            "name": ctx.prefix,
            "container_insights": "enabled" if cluster.container_insights else "disabled",
            "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
            "strategy": [{"provider": c.provider, "base": c.base, "weight": c.weight} for c in cluster.capacity],
        },
    )
    add(
        "servicediscovery.namespace",
        "discovery.namespace",
        spec.discovery.namespace,
        {"name": spec.discovery.namespace, "vpc": vpc},
    )
    for logical_id, name in (
        ("logs.exec", f"/aws/ecs/{ctx.platform}/{ctx.env}/exec"),
        ("logs.platform", f"/aws/{ctx.platform}/{ctx.env}/platform"),
    ):
        add(
            "logs.log_group",
            logical_id,
            name,
            {"name": name, "retention_days": spec.logs.retention_days, "kms_key": kms_arn},
        )
    return out


def add_rule(add, group: str, suffix: str, port: int, source: dict, description: str) -> None:
    """An ingress rule as its own resource, so two groups that allow each other form no dependency cycle."""
    add(
        "ec2.security_group_rule",
        f"{group}.ingress.{suffix}",
        f"{group} <- {suffix}",
        {
            "group": Ref(group, "GroupId"),
            "protocol": "tcp",
            "from_port": port,
            "to_port": port,
            "source": source,
            "description": description,
        },
    )


def key_policy(ctx: BuildContext) -> dict:
    """The platform key's policy: the account administers it; Logs, SNS, SQS and EventBridge may use it."""
    account, region = ctx.account_id, ctx.region
    return normalize_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsEncrypts",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Decrypt*",
                        "kms:Describe*",
                        "kms:Encrypt*",
                        "kms:GenerateDataKey*",
                        "kms:ReEncrypt*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:*"}
                    },
                },
                {
                    "Sid": "MessagingEncrypts",
                    "Effect": "Allow",
                    "Principal": {"Service": ["events.amazonaws.com", "sns.amazonaws.com", "sqs.amazonaws.com"]},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                },
            ],
        }
    )
