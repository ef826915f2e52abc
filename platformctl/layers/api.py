"""The api layer: one HTTP API in front of every service, and the environment's dashboard.

The HTTP API `<platform>-<env>` reaches the internal ALB through a VPC link in the private subnets, with
one HTTP_PROXY integration per service that has routes, its routes, the `$default` stage (auto-deploy,
default-route throttling, JSON access logs), an optional JWT authorizer, an optional custom domain, an
alarm on the 5xx rate, and one CloudWatch dashboard for the whole environment (API, services, queues,
topics). It is the last layer because it stands on everything else.
"""

from __future__ import annotations

from typing import Any

from platformctl.engine.model import Ref, Resource
from platformctl.layers.alerts import alarm_actions
from platformctl.layers.context import BuildContext
from platformctl.layers.messaging import receives_queue
from platformctl.layers.platform import CLUSTER_ID
from platformctl.naming import aws_name
from platformctl.resources.apigw_authorizer import AUTHORIZER_NAME

LAYER = "api"
# The logical ids of the HTTP API and its custom domain, as `status` looks them up.
API_ID = "api"
API_DOMAIN_ID = "api.domain"
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
}


def build(ctx: BuildContext) -> list[Resource]:
    spec = ctx.specs.platform
    out: list[Resource] = []

    def add(kind: str, logical_id: str, name: str, props: dict[str, Any], depends_on: tuple[str, ...] = ()) -> None:
        out.append(Resource(kind, logical_id, LAYER, name, props, depends_on))

    api = spec.api
    routed = {name: s for name, s in ctx.specs.services.items() if s.routes}
    if api.enabled:
        zones = ctx.zones
        add(
            "ec2.security_group",
            "sg.vpclink",
            f"{ctx.prefix}-vpclink",
            {
                "vpc": Ref("vpc", "VpcId"),
                "group_name": f"{ctx.prefix}-vpclink",
                "description": f"{ctx.prefix} API Gateway VPC link: reaches the internal ALB",
            },
        )
        add("apigw.api", API_ID, ctx.prefix, {"name": ctx.prefix, "description": f"platformctl {ctx.prefix}"})
        add(
            "apigw.vpc_link",
            "api.vpclink",
            ctx.prefix,
            {
                "name": ctx.prefix,
                "subnets": [Ref(f"subnet.private.{az}", "SubnetId") for az in zones],
                "security_groups": [Ref("sg.vpclink", "GroupId")],
            },
        )
        api_id = Ref(API_ID, "ApiId")
        authorizer = None
        if api.auth is not None:
            add(
                "apigw.authorizer",
                "api/authorizer",
                AUTHORIZER_NAME,
                {
                    "api": api_id,
                    "name": AUTHORIZER_NAME,
                    "issuer": api.auth.issuer,
                    "audience": sorted(api.auth.audience),
                    "identity_source": "$request.header.Authorization",
                },
            )
            authorizer = Ref("api/authorizer", "AuthorizerId")
        for name, service in routed.items():
            integration = f"api/integration.{name}"
            add(
                "apigw.integration",
                integration,
                f"{ctx.prefix} → {name}",
                {
                    "api": api_id,
                    "description": f"integration.{name}",
                    "listener": Ref("alb.listener.http", "ListenerArn"),
                    "vpc_link": Ref("api.vpclink", "VpcLinkId"),
                    "method": "ANY",
                    "payload_format": "1.0",
                    "timeout_ms": 30000,
                },
            )
            for route in service.routes:
                add(
                    "apigw.route",
                    f"api/route {route}",
                    route,
                    {
                        "api": api_id,
                        "route_key": route,
                        "integration": Ref(integration, "IntegrationId"),
                        "authorization": "JWT" if authorizer and route not in service.public_routes else "NONE",
                        "authorizer": authorizer if route not in service.public_routes else None,
                    },
                )
        access_log = None
        if api.access_logs:
            group = f"/aws/apigateway/{ctx.prefix}"
            kms_arn = Ref("kms", "Arn") if spec.encryption.kms else None
            add(
                "logs.log_group",
                "logs.api",
                group,
                {"name": group, "retention_days": spec.logs.retention_days, "kms_key": kms_arn},
            )
            access_log = {"destination": Ref("logs.api", "Arn"), "format": ACCESS_LOG_FORMAT}
        add(
            "apigw.stage",
            "api/stage",
            "$default",
            {
                "api": api_id,
                "name": "$default",
                "auto_deploy": True,
                "throttling": {"rate": float(api.throttling.rate), "burst": int(api.throttling.burst)},
                "access_log": access_log,
            },
        )
        if api.domain:
            add(
                "apigw.domain",
                API_DOMAIN_ID,
                api.domain,
                {
                    "name": api.domain,
                    "certificate_arn": api.certificate_arn,
                    "endpoint_type": "REGIONAL",
                    "security_policy": "TLS_1_2",
                },
            )
            add(
                "apigw.api_mapping",
                "api.domain/mapping",
                f"{api.domain} → {ctx.prefix}",
                {"domain": Ref(API_DOMAIN_ID, "DomainName"), "api": api_id, "stage": "$default", "key": ""},
                depends_on=("api/stage",),
            )
        alarm = aws_name("alarm", ctx.prefix, "api-5xx")
        add(
            "cloudwatch.alarm",
            "alarm.api.5xx",
            alarm,
            {
                "name": alarm,
                "description": f"{ctx.prefix}: more than 5% of API requests failed with 5xx over 5 minutes",
                "namespace": "AWS/ApiGateway",
                "metric": "5xx",
                "dimensions": {"ApiId": api_id, "Stage": "$default"},
                "statistic": "Average",  # for HTTP APIs, the average of 5xx is the error rate
                "period": 300,
                "evaluation_periods": 1,
                "threshold": 0.05,
                "comparison": "GreaterThanThreshold",
                "treat_missing": "notBreaching",
                **alarm_actions(),
            },
        )
    add(
        "cloudwatch.dashboard",
        "ecs.cluster/dashboard",
        ctx.prefix,
        {"name": ctx.prefix, "body": dashboard_body(ctx)},
        # Found through the cluster (its name): made after it, so a crash in between never leaves a
        # dashboard no read can claim, and deleted before it.
        depends_on=(CLUSTER_ID,),
    )
    return out


def dashboard_body(ctx: BuildContext) -> dict[str, Any]:
    """API traffic and errors, then each service's widgets: CPU and memory, its queue's depth and age, its
    topic's deliveries and failures.

    Per service, not one graph per metric with a line per service: adding a service adds its own widgets
    and changes no other, so the plan shows `+3 widgets (search: …)`, and a graph never holds 50 lines.
    """
    region = ctx.region
    services = ctx.specs.services
    widgets: list[dict[str, Any]] = []

    def widget(title: str, metrics: list[list[Any]], stat: str = "Average") -> None:
        widgets.append(
            {
                "type": "metric",
                "width": 8,
                "height": 6,
                "properties": {"title": title, "region": region, "stat": stat, "period": 60, "metrics": metrics},
            }
        )

    if ctx.specs.platform.api.enabled:
        api = Ref(API_ID, "ApiId")
        widget("API requests", [["AWS/ApiGateway", "Count", "ApiId", api]], "Sum")
        widget("API latency (p90)", [["AWS/ApiGateway", "Latency", "ApiId", api]], "p90")
        widget("API 5xx", [["AWS/ApiGateway", "5xx", "ApiId", api]], "Sum")
    cluster = ctx.prefix
    for name, service in services.items():
        task = ["ClusterName", cluster, "ServiceName", name]
        widget(
            f"{name}: CPU and memory %",
            [["AWS/ECS", "CPUUtilization", *task], ["AWS/ECS", "MemoryUtilization", *task]],
        )
        if receives_queue(ctx, service):
            queue = ["QueueName", aws_name("sqs-queue", ctx.prefix, name)]
            widget(
                f"{name}: queue depth and age (s)",
                [
                    ["AWS/SQS", "ApproximateNumberOfMessagesVisible", *queue],
                    ["AWS/SQS", "ApproximateAgeOfOldestMessage", *queue, {"yAxis": "right"}],
                ],
                "Maximum",
            )
        if service.publishes:
            topic = ["TopicName", aws_name("sns-topic", ctx.prefix, name, "events")]
            widget(
                f"{name}: events delivered and failed",
                [
                    ["AWS/SNS", "NumberOfNotificationsDelivered", *topic],
                    ["AWS/SNS", "NumberOfNotificationsFailed", *topic],
                ],
                "Sum",
            )
    return {"widgets": widgets}
