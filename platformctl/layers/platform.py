"""The platform layer: network, cluster, discovery, encryption, logs and the internal load balancer.

Everything later layers stand on. Logical ids are stable names ("vpc", "subnet.private.us-east-1a") so the
same specs always give the same graph; AWS names start with `<platform>-<env>`.
"""

from __future__ import annotations

from typing import cast

from platformctl.engine.model import Ref, Resource
from platformctl.layers import alerts, endpoints
from platformctl.layers.context import BuildContext
from platformctl.layers.messaging import rules_feed_queues, topics_feeding_queues
from platformctl.naming import aws_name
from platformctl.resources.policy import normalize_policy
from platformctl.specs import carve_subnets

LAYER = "platform"
HTTP = 80
# The logical ids of what later layers and `status` look up: one spelling, here.
KMS_KEY_ID = "kms"
VPC_ID = "vpc"
ALB_ID = "alb"
CLUSTER_ID = "ecs.cluster"
NAMESPACE_ID = "discovery.namespace"


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
            KMS_KEY_ID,
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
            {"alias_name": f"alias/{ctx.prefix}", "target": Ref(KMS_KEY_ID, "KeyId")},
        )
        kms_arn = Ref(KMS_KEY_ID, "Arn")
    out.extend(alerts.build(ctx))  # where every alarm of every layer sends its ALARM and OK notifications

    # ---- network ------------------------------------------------------------------------------------
    net = spec.network
    add("ec2.vpc", VPC_ID, ctx.prefix, {"cidr": net.cidr, "dns_support": True, "dns_hostnames": True})
    vpc = Ref(VPC_ID, "VpcId")
    add("ec2.internet_gateway", "igw", ctx.prefix, {"vpc": vpc})

    zones = ctx.zones
    public_cidrs, private_cidrs = carve_subnets(net.cidr, zones)
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

    # Without NAT, tasks reach AWS (ECR, logs, secrets, messaging) through VPC endpoints instead.
    out.extend(endpoints.build(ctx, LAYER, vpc))

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
        ALB_ID,
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
            "load_balancer": Ref(ALB_ID, "LoadBalancerArn"),
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
        CLUSTER_ID,
        ctx.prefix,
        {
            "name": ctx.prefix,
            "container_insights": "enabled" if cluster.container_insights else "disabled",
            "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
            "strategy": [{"provider": c.provider, "base": c.base, "weight": c.weight} for c in cluster.capacity],
        },
    )
    namespace = cast(str, spec.discovery.namespace)  # PlatformSpec's validation fills in the default
    add("servicediscovery.namespace", NAMESPACE_ID, namespace, {"name": namespace, "vpc": vpc})
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
    """The platform key's policy: the account administers it; an AWS service that encrypts with it for us gets
    only what it needs, held to our resources where the service says on whose behalf it calls KMS.

    - CloudWatch Logs (its regional principal) encrypts our log groups; the encryption context names the log
      group, so the grant holds it to this account's log groups.
    - SNS encrypts what it delivers from our topics to our encrypted queues. SNS tells KMS which topic it acts
      for (`aws:SourceArn`), so the grant is held to topics of this account named `<platform>-<env>-*`: no
      other account's topic can make SNS use our key (the confused deputy). A pattern, not each topic's ARN:
      the policy then does not change with every subscription, and the key does not seem to stand on the
      topics that stand on it (a delete would wait on itself). Only while some queue subscribes to a topic.
    - EventBridge encrypts what rules deliver to our encrypted queues. It sends neither `aws:SourceArn` nor
      `aws:SourceAccount` with these calls, so a condition on them would refuse every delivery; the grant
      has none. Only while some service has rules on the bus.

    SQS itself needs no grant (it uses the key with the sender's and receiver's own permissions), and the task
    roles reach the key through their IAM policies, which the account statement enables. AWS: "Key management"
    and "Enable compatibility between event sources from AWS services and encrypted queues" (SQS Developer
    Guide), "Encrypt log data in CloudWatch Logs using AWS KMS" (CloudWatch Logs User Guide).
    """
    statements: list[dict] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": ctx.arn("iam", "root", region="")},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsEncrypts",
            "Effect": "Allow",
            "Principal": {"Service": ctx.service_principal("logs", regional=True)},
            "Action": [
                "kms:Decrypt*",
                "kms:Describe*",
                "kms:Encrypt*",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": ctx.arn("logs", "*")}},
        },
    ]
    if topics_feeding_queues(ctx):
        statements.append(
            {
                "Sid": "SnsEncryptsForOurQueues",
                "Effect": "Allow",
                "Principal": {"Service": ctx.service_principal("sns")},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {"ArnLike": {"aws:SourceArn": ctx.arn("sns", f"{ctx.prefix}-*")}},
            }
        )
    if rules_feed_queues(ctx):
        statements.append(
            {
                "Sid": "EventBridgeEncryptsForOurQueues",
                "Effect": "Allow",
                "Principal": {"Service": ctx.service_principal("events")},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
            }
        )
    statements.append(alerts.cloudwatch_key_grant(ctx))  # alarms publish to the encrypted alerts topic
    return normalize_policy({"Version": "2012-10-17", "Statement": statements})
