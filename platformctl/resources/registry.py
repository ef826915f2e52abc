"""Every AWS resource kind platformctl manages, registered in this one place.

The engine reads every registered kind (so it finds what we own even after it left the specs) and looks
kinds up by their `kind` string; it imports no kind module itself.
"""

from __future__ import annotations

from platformctl.resources.apigw_api import HttpApi
from platformctl.resources.apigw_authorizer import JwtAuthorizer
from platformctl.resources.apigw_domain import ApiMapping, DomainName
from platformctl.resources.apigw_integration import Integration
from platformctl.resources.apigw_route import Route
from platformctl.resources.apigw_stage import Stage
from platformctl.resources.apigw_vpc_link import VpcLink
from platformctl.resources.autoscaling import ScalableTarget, ScalingPolicy
from platformctl.resources.base import ResourceKind
from platformctl.resources.cloudwatch_alarm import MetricAlarm
from platformctl.resources.cloudwatch_dashboard import Dashboard
from platformctl.resources.ec2_eip import ElasticIp
from platformctl.resources.ec2_internet_gateway import InternetGateway
from platformctl.resources.ec2_nat_gateway import NatGateway
from platformctl.resources.ec2_route_table import RouteTable
from platformctl.resources.ec2_security_group import SecurityGroup
from platformctl.resources.ec2_security_group_rule import SecurityGroupRule
from platformctl.resources.ec2_subnet import Subnet
from platformctl.resources.ec2_vpc import Vpc
from platformctl.resources.ec2_vpc_endpoint import VpcEndpoint
from platformctl.resources.ecs_cluster import EcsCluster
from platformctl.resources.ecs_service import EcsService
from platformctl.resources.ecs_task_definition import TaskDefinition
from platformctl.resources.elbv2_listener import Listener
from platformctl.resources.elbv2_listener_rule import ListenerRule
from platformctl.resources.elbv2_load_balancer import LoadBalancer
from platformctl.resources.elbv2_target_group import TargetGroup
from platformctl.resources.events_bus import EventBus
from platformctl.resources.events_rule import EventRule
from platformctl.resources.events_target import EventTarget
from platformctl.resources.iam_role import IamRole
from platformctl.resources.kms_alias import KmsAlias
from platformctl.resources.kms_key import KmsKey
from platformctl.resources.logs_log_group import LogGroup
from platformctl.resources.servicediscovery_namespace import CloudMapNamespace
from platformctl.resources.sns_alert_subscription import SnsAlertSubscription
from platformctl.resources.sns_subscription import SnsSubscription
from platformctl.resources.sns_topic import SnsTopic
from platformctl.resources.sqs_queue import SqsQueue
from platformctl.resources.sqs_queue_policy import SqsQueuePolicy

KIND_CLASSES: tuple[type[ResourceKind], ...] = (
    # platform layer
    KmsKey,
    KmsAlias,
    Vpc,
    InternetGateway,
    Subnet,
    ElasticIp,
    NatGateway,
    RouteTable,
    SecurityGroup,
    SecurityGroupRule,
    VpcEndpoint,
    LoadBalancer,
    Listener,
    EcsCluster,
    CloudMapNamespace,
    LogGroup,
    # messaging layer
    SnsTopic,
    SqsQueue,
    SqsQueuePolicy,
    SnsSubscription,
    SnsAlertSubscription,  # on the alerts topic (platform layer), read after the topics
    EventBus,
    EventRule,
    EventTarget,
    MetricAlarm,
    # services layer
    IamRole,
    TaskDefinition,
    TargetGroup,
    ListenerRule,
    EcsService,
    ScalableTarget,
    ScalingPolicy,
    # api layer
    HttpApi,
    VpcLink,
    Integration,
    Route,
    JwtAuthorizer,
    Stage,
    DomainName,
    ApiMapping,
    Dashboard,
)


def registry() -> dict[str, ResourceKind]:
    """A fresh instance of every kind, keyed by its kind string."""
    kinds = {cls.kind: cls() for cls in KIND_CLASSES}
    assert len(kinds) == len(KIND_CLASSES), "two kind classes share a kind string"
    return kinds
