"""The least-privilege IAM policy a caller needs to run platformctl: `platformctl iam-policy [--for diff|apply]`.

Built from the kinds: each registered kind's row below lists the API operations its code calls (in boto3's
operation names, on the kind's own service unless written `service:Operation`); reads are told from writes by
their names (`aws.is_read`). The kind's tagging row adds its service's tag calls (tags are set in the create
call, which AWS authorises as the tag action too). `RUN_CALLS` holds what is not a kind's: the caller identity,
the tag index, zones, the lock, the secrets the specs reference, `logs`. `IMPLIED` holds actions AWS checks on
our behalf during one of our calls, which no call counter can see. A test runs a whole lifecycle on the
emulator and checks that every call it counted is allowed by this policy, for its mode
(tests/e2e/test_iam_policy.py); another that every registered kind has a row.

Resources are scoped by what we name things (`<platform>-*`, the role path `/platformctl/<platform>/`, the
log group prefixes, the lock's parameter path). `*` only where AWS requires it — an action the Service
Authorization Reference lists with no resource type (`WILDCARD_ONLY`: listings, creates of resources whose
ids AWS picks), or a service whose resources have ids AWS picks (EC2, KMS keys, Cloud Map, Application Auto
Scaling, Route 53): those are scoped to the region and account.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from platformctl.iam_actions import iam_action, iam_prefix
from platformctl.partitions import partition_of_region, service_principal

MODES = ("diff", "apply")
_READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Search", "Lookup", "Filter")

# kind → the operations its code calls (`platformctl/resources/<kind module>.py`).
KIND_CALLS: dict[str, tuple[str, ...]] = {
    "kms.key": ("ListKeys", "DescribeKey", "GetKeyPolicy", "GetKeyRotationStatus", "CreateKey", "EnableKeyRotation",
                "DisableKeyRotation", "UpdateKeyDescription", "PutKeyPolicy", "ScheduleKeyDeletion"),
    "kms.alias": ("ListAliases", "DescribeKey", "CreateAlias", "UpdateAlias", "DeleteAlias"),
    "ec2.vpc": ("DescribeVpcs", "DescribeVpcAttribute", "CreateVpc", "ModifyVpcAttribute", "DeleteVpc"),
    "ec2.internet_gateway": ("DescribeInternetGateways", "CreateInternetGateway", "AttachInternetGateway",
                             "DetachInternetGateway", "DeleteInternetGateway"),
    "ec2.subnet": ("DescribeSubnets", "CreateSubnet", "ModifySubnetAttribute", "DeleteSubnet"),
    "ec2.eip": ("DescribeAddresses", "AllocateAddress", "ReleaseAddress"),
    "ec2.nat_gateway": ("DescribeNatGateways", "CreateNatGateway", "DeleteNatGateway"),
    "ec2.route_table": ("DescribeRouteTables", "CreateRouteTable", "CreateRoute", "ReplaceRoute", "DeleteRoute",
                        "AssociateRouteTable", "ReplaceRouteTableAssociation", "DisassociateRouteTable",
                        "DeleteRouteTable"),
    "ec2.security_group": ("DescribeSecurityGroups", "CreateSecurityGroup", "DeleteSecurityGroup"),
    "ec2.vpc_endpoint": ("DescribeVpcEndpoints", "CreateVpcEndpoint", "ModifyVpcEndpoint", "DeleteVpcEndpoints"),
    "ec2.security_group_rule": ("DescribeSecurityGroups", "DescribeSecurityGroupRules",
                                "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"),
    "elbv2.load_balancer": ("DescribeLoadBalancers", "DescribeTags", "CreateLoadBalancer", "SetSecurityGroups",
                            "SetSubnets", "DeleteLoadBalancer"),
    "elbv2.listener": ("DescribeListeners", "DescribeRules", "CreateListener", "ModifyListener", "DeleteListener"),
    "ecs.cluster": ("ListClusters", "DescribeClusters", "CreateCluster", "UpdateCluster",
                    "PutClusterCapacityProviders", "DeleteCluster"),
    "servicediscovery.namespace": ("ListNamespaces", "GetNamespace", "GetOperation", "CreatePrivateDnsNamespace",
                                   "DeleteNamespace",
                                   # Service Connect's leftover services in the namespace, deleted on destroy.
                                   "ListServices", "DeleteService"),
    "logs.log_group": ("DescribeLogGroups", "CreateLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy",
                       "AssociateKmsKey", "DisassociateKmsKey", "DeleteLogGroup"),
    "sns.topic": ("ListTopics", "GetTopicAttributes", "CreateTopic", "SetTopicAttributes", "DeleteTopic"),
    "sqs.queue": ("ListQueues", "GetQueueUrl", "GetQueueAttributes", "CreateQueue", "SetQueueAttributes",
                  "DeleteQueue"),
    "sqs.queue_policy": ("GetQueueAttributes", "SetQueueAttributes"),
    "sns.subscription": ("ListSubscriptions", "ListSubscriptionsByTopic", "GetSubscriptionAttributes", "Subscribe",
                         "SetSubscriptionAttributes", "Unsubscribe"),
    "sns.alert_subscription": ("ListSubscriptionsByTopic", "Subscribe", "Unsubscribe"),
    "events.bus": ("ListEventBuses", "CreateEventBus", "DeleteEventBus"),
    "events.rule": ("ListRules", "DescribeRule", "PutRule", "DeleteRule", "ListTargetsByRule", "RemoveTargets"),
    "events.target": ("ListTargetsByRule", "PutTargets", "RemoveTargets"),
    "cloudwatch.alarm": ("DescribeAlarms", "PutMetricAlarm", "DeleteAlarms"),
    "iam.role": ("ListRoles", "GetAccountAuthorizationDetails", "GetRole", "GetRolePolicy", "ListRolePolicies",
                 "CreateRole", "UpdateRole", "UpdateAssumeRolePolicy", "PutRolePolicy", "DeleteRolePolicy",
                 "DeleteRole"),
    "ecs.task_definition": ("ListTaskDefinitions", "DescribeTaskDefinition", "RegisterTaskDefinition",
                            "DeregisterTaskDefinition"),
    "elbv2.target_group": ("DescribeTargetGroups", "DescribeTargetGroupAttributes", "CreateTargetGroup",
                           "ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup"),
    "elbv2.listener_rule": ("DescribeRules", "CreateRule", "ModifyRule", "SetRulePriorities", "DeleteRule"),
    "ecs.service": ("ListServices", "DescribeServices", "CreateService", "UpdateService", "DeleteService",
                    "application-autoscaling:DescribeScalableTargets"),
    "autoscaling.target": ("DescribeScalableTargets", "RegisterScalableTarget", "DeregisterScalableTarget",
                           "TagResource"),
    "autoscaling.policy": ("DescribeScalingPolicies", "PutScalingPolicy", "DeleteScalingPolicy"),
    "apigw.api": ("GetApis", "CreateApi", "UpdateApi", "DeleteApi"),
    "apigw.vpc_link": ("GetVpcLinks", "GetVpcLink", "CreateVpcLink", "DeleteVpcLink"),
    "apigw.integration": ("GetIntegrations", "CreateIntegration", "UpdateIntegration", "DeleteIntegration"),
    "apigw.route": ("GetRoutes", "CreateRoute", "UpdateRoute", "DeleteRoute"),
    "apigw.authorizer": ("GetAuthorizers", "CreateAuthorizer", "UpdateAuthorizer", "DeleteAuthorizer"),
    "apigw.stage": ("GetStages", "CreateStage", "UpdateStage", "DeleteAccessLogSettings", "DeleteStage"),
    "apigw.domain": ("GetDomainNames", "GetDomainName", "CreateDomainName", "UpdateDomainName", "DeleteDomainName"),
    "apigw.api_mapping": ("GetApiMappings", "CreateApiMapping", "UpdateApiMapping", "DeleteApiMapping"),
    "cloudwatch.dashboard": ("GetDashboard", "PutDashboard", "DeleteDashboards"),
}

# A kind's tagging row (`resources/tagging.py`) → its service's tag, untag and list-tags operations.
TAG_CALLS: dict[str, tuple[str, ...]] = {
    "ec2": ("ec2:CreateTags", "ec2:DeleteTags", "ec2:DescribeTags"),
    "ecs": ("ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource"),
    "elbv2": ("elbv2:AddTags", "elbv2:RemoveTags", "elbv2:DescribeTags"),
    "kms": ("kms:TagResource", "kms:UntagResource", "kms:ListResourceTags"),
    "logs": ("logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"),
    "sqs": ("sqs:TagQueue", "sqs:UntagQueue", "sqs:ListQueueTags"),
    "iam-role": ("iam:TagRole", "iam:UntagRole", "iam:ListRoleTags"),
    "apigatewayv2": ("apigatewayv2:TagResource", "apigatewayv2:UntagResource", "apigatewayv2:GetTags"),
    "sns": ("sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource"),
    "events": ("events:TagResource", "events:UntagResource", "events:ListTagsForResource"),
    "cloudwatch": ("cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"),
    "servicediscovery": ("servicediscovery:TagResource", "servicediscovery:UntagResource",
                         "servicediscovery:ListTagsForResource"),
}

# What every run calls besides the kinds, by mode ("diff" also serves status, logs and show).
RUN_CALLS: dict[str, tuple[str, ...]] = {
    "diff": (
        "sts:GetCallerIdentity",  # the account and partition (aws.Aws.account_id)
        "resourcegroupstaggingapi:GetResources",  # the tag index (resources/tag_index.py)
        "ec2:DescribeAvailabilityZones",  # zones.py
        "ec2:DescribeVpcEndpointServices",  # the region's endpoint service names, with nat: none (vpc_endpoints.py)
        "ec2:DescribeNetworkInterfaces",  # what blocks a delete (resources/ec2_blockers.py)
        "ec2:DescribeVpcEndpoints",
        "secretsmanager:DescribeSecret",  # secrets named in the specs, resolved to ARNs (secret_refs.py)
        "logs:FilterLogEvents",  # `platformctl logs`
        "ssm:GetParameter",  # who holds the lock (engine/lock.py)
    ),
    "apply": ("ssm:PutParameter", "ssm:DeleteParameter"),  # take and release the lock
}

# Actions AWS authorises during one of our calls, on our behalf, which the emulator never sees:
# "Identity and access management for Application Auto Scaling" (permissions required for API actions),
# "AWS Cloud Map API permissions reference", "Actions, resources, and condition keys for Amazon Route 53".
IMPLIED: dict[str, tuple[str, ...]] = {
    "application-autoscaling:RegisterScalableTarget": ("ecs:DescribeServices", "ecs:UpdateService",
                                                       "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"),
    "application-autoscaling:PutScalingPolicy": ("cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"),
    "application-autoscaling:DeleteScalingPolicy": ("cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"),
    "application-autoscaling:DeregisterScalableTarget": ("cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"),
    "servicediscovery:CreatePrivateDnsNamespace": ("route53:CreateHostedZone", "route53:GetHostedZone",
                                                   "route53:ListHostedZonesByName",
                                                   "route53:AssociateVPCWithHostedZone", "ec2:DescribeVpcs"),
    "servicediscovery:DeleteNamespace": ("route53:DeleteHostedZone", "route53:GetHostedZone"),
    "logs:CreateLogGroup": ("logs:TagLogGroup",),  # the older tag action, still checked with tags on create
}

# Actions the Service Authorization Reference gives no resource type: they are granted on `*` or not at all.
WILDCARD_ONLY = frozenset(
    {
        "sts:GetCallerIdentity", "tag:GetResources", "iam:ListRoles", "iam:GetAccountAuthorizationDetails",
        "ecs:ListClusters", "ecs:ListServices", "ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition",
        "ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "kms:CreateKey", "kms:ListKeys",
        "kms:ListAliases", "sns:ListTopics", "sns:ListSubscriptions", "sqs:ListQueues", "events:ListEventBuses",
        "cloudwatch:DescribeAlarms", "logs:DescribeLogGroups",
    }
)
# Services whose resources get ids AWS picks, so no name can scope them: their Describe*/List* are `*` too.
_WILDCARD_SERVICES = frozenset({"ec2", "elasticloadbalancing", "servicediscovery", "application-autoscaling",
                                "route53"})

# The service-linked roles AWS creates the first time an account uses ECS, ELB, Application Auto Scaling on ECS
# and API Gateway VPC links ("Using service-linked roles" in each service's guide).
SERVICE_LINKED_ROLES = ("ecs", "elasticloadbalancing", "ecs.application-autoscaling", "ops.apigateway")


def service_linked_role_services(partition: str) -> list[str]:
    """The service names of those roles in `partition` (the principal table of `partitions` decides)."""
    return [service_principal(service, partition) for service in SERVICE_LINKED_ROLES]


@dataclass(frozen=True)
class Scope:
    """What the policy is for: resource names are built from these."""

    platform: str
    region: str
    account: str = "*"

    @property
    def partition(self) -> str:
        return partition_of_region(self.region)


def is_read(operation: str) -> bool:
    return operation.split(":")[-1].startswith(_READ_PREFIXES)


def operations(kinds: dict[str, Any], mode: str) -> set[str]:
    """Every `client:Operation` a run of `mode` may call (apply includes diff's reads; destroy is apply's)."""
    found: set[str] = set()
    for name, kind in kinds.items():
        calls = [*KIND_CALLS[name], *TAG_CALLS.get(kind.tagging or kind.service, ())]
        found |= {call if ":" in call else f"{kind.service}:{call}" for call in calls}
    found |= set(RUN_CALLS["diff"]) | (set(RUN_CALLS["apply"]) if mode == "apply" else set())
    if mode == "diff":
        found = {op for op in found if is_read(op)}
    return found


def actions(kinds: dict[str, Any], mode: str) -> set[str]:
    """The IAM actions of `operations`, with what AWS checks on our behalf during them."""
    result: set[str] = set()
    for op in operations(kinds, mode):
        client, name = op.split(":", 1)
        result.add(iam_action(client, name, _http_method(client, name)))
        result |= set(IMPLIED.get(f"{iam_prefix(client)}:{name}", ()))
    return result


def policy(kinds: dict[str, Any], scope: Scope, mode: str) -> dict[str, Any]:
    """The IAM policy document for `mode` ("diff": read-only; "apply": apply and destroy)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    by_resources: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for action in actions(kinds, mode):
        by_resources[_resources(action, scope)].add(action)
    statements: list[dict[str, Any]] = [
        {"Sid": _sid(resources, sorted(group)), "Effect": "Allow", "Action": sorted(group),
         "Resource": list(resources) if len(resources) > 1 else resources[0]}
        for resources, group in sorted(by_resources.items(), key=lambda item: (item[0] != ("*",), item[0]))
    ]
    if mode == "apply":
        arn = f"arn:{scope.partition}:iam::{scope.account}"
        statements += [
            {   # ECS takes the task and execution roles we made; only ECS tasks may be handed them.
                "Sid": "PassOurRolesToEcsTasks", "Effect": "Allow", "Action": "iam:PassRole",
                "Resource": f"{arn}:role/platformctl/{scope.platform}/*",
                "Condition": {"StringEquals": {"iam:PassedToService": service_principal("ecs-tasks", scope.partition)}},
            },
            {   # The first ECS cluster, load balancer, scalable target or VPC link of an account makes its role.
                "Sid": "CreateServiceLinkedRoles", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
                "Resource": [f"arn:{scope.partition}:iam::*:role/aws-service-role/{name}/*"
                             for name in service_linked_role_services(scope.partition)],
                "Condition": {"StringEquals": {"iam:AWSServiceName": service_linked_role_services(scope.partition)}},
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def _resources(action: str, scope: Scope) -> tuple[str, ...]:
    """The ARNs `action` is granted on: our names where AWS scopes the action by them, else `*`."""
    prefix, name = action.split(":", 1)
    if action in WILDCARD_ONLY or prefix in _WILDCARD_SERVICES and name.startswith(_READ_PREFIXES):
        return ("*",)
    p, region, account, platform = scope.partition, scope.region, scope.account, scope.platform
    here = f"{region}:{account}"
    scoped: dict[str, tuple[str, ...]] = {
        # EC2 ids are AWS's: the region and account are the scope.
        "ec2": (f"arn:{p}:ec2:{here}:*",),
        "ecs": (f"arn:{p}:ecs:{here}:cluster/{platform}-*", f"arn:{p}:ecs:{here}:service/{platform}-*/*",
                f"arn:{p}:ecs:{here}:task-definition/{platform}-*:*"),
        "elasticloadbalancing": (
            f"arn:{p}:elasticloadbalancing:{here}:loadbalancer/app/{platform}-*/*",
            f"arn:{p}:elasticloadbalancing:{here}:listener/app/{platform}-*/*",
            f"arn:{p}:elasticloadbalancing:{here}:listener-rule/app/{platform}-*/*",
            f"arn:{p}:elasticloadbalancing:{here}:targetgroup/{platform}-*/*",
        ),
        "iam": (f"arn:{p}:iam::{account}:role/platformctl/{platform}/*",),
        # A trailing `*` also covers the groups' streams (`log-group:<name>:log-stream:...`).
        "logs": tuple(
            f"arn:{p}:logs:{here}:log-group:{group}"
            for group in (f"/aws/ecs/{platform}/*", f"/aws/{platform}/*", f"/aws/apigateway/{platform}-*")
        ),
        # Key ids are AWS's; aliases are ours.
        "kms": (f"arn:{p}:kms:{here}:key/*", f"arn:{p}:kms:{here}:alias/{platform}-*"),
        "sns": (f"arn:{p}:sns:{here}:{platform}-*",),
        "sqs": (f"arn:{p}:sqs:{here}:{platform}-*",),
        "events": (f"arn:{p}:events:{here}:event-bus/{platform}-*", f"arn:{p}:events:{here}:rule/{platform}-*"),
        # Target tracking makes its own alarms (TargetTracking-service/<cluster>/<service>-...); dashboards are
        # global (no region in their ARN).
        "cloudwatch": (f"arn:{p}:cloudwatch:{here}:alarm:{platform}-*",
                       f"arn:{p}:cloudwatch:{here}:alarm:TargetTracking-service/{platform}-*",
                       f"arn:{p}:cloudwatch::{account}:dashboard/{platform}-*"),
        # HTTP API permissions are methods on paths ("Control access to HTTP APIs with IAM"); ids are AWS's.
        "apigateway": tuple(
            f"arn:{p}:apigateway:{region}::{path}" for path in ("/apis*", "/vpclinks*", "/domainnames*", "/tags/*")
        ),
        "ssm": (f"arn:{p}:ssm:{here}:parameter/platformctl/{platform}/*",),
        # The specs may reference any secret by name; only DescribeSecret is asked, never a value.
        "secretsmanager": (f"arn:{p}:secretsmanager:{here}:secret:*",),
        # Namespaces, scalable targets and hosted zones get ids AWS picks.
        "servicediscovery": ("*",),
        "application-autoscaling": ("*",),
        "route53": ("*",),
    }
    return scoped.get(prefix, ("*",))


def _sid(resources: tuple[str, ...], group: list[str]) -> str:
    if resources == ("*",):
        return "NoResourceLevelPermissions"
    prefix = group[0].split(":", 1)[0]
    return "".join(part.capitalize() for part in prefix.replace("-", " ").split()) + "OnOurResources"


def _http_method(client: str, operation: str) -> str | None:
    """The HTTP method of a REST operation (API Gateway's IAM actions are methods); None for the others."""
    if iam_prefix(client) != "apigateway":
        return None
    import botocore.session

    model = botocore.session.get_session().get_service_model(client)
    return model.operation_model(operation).http.get("method")


def allows(document: dict[str, Any], action: str) -> bool:
    """Whether some Allow statement of `document` names `action` (exactly or by a trailing `*`)."""
    for statement in document["Statement"]:
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Effect"] == "Allow" and any(
            action == a or (a.endswith("*") and action.startswith(a[:-1])) for a in listed
        ):
            return True
    return False
