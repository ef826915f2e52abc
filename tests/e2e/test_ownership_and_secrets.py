"""Ownership and secrets, through the real CLI against the moto server over HTTP.

Ownership: an account full of look-alikes — our platform in another environment, the same specs under another
platform name, untagged resources carrying our names, a default VPC — comes out of `apply` and `destroy` of
(microservices, dev) byte for byte the same.

Secrets: a marker value stored in the secret stores the seed specs reference never shows up in any output of
the CLI (plans, progress, reports, status, JSON, saved plan files, log records), and the task definitions
carry only `valueFrom` references to the stores.
"""

from __future__ import annotations

import difflib
import json
import logging
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.e2e.helpers import Cli, client, copy_seed_specs

pytestmark = pytest.mark.e2e

PLATFORM, ENV = "microservices", "dev"
TAG_PLATFORM, TAG_ENV = "platformctl:platform", "platformctl:env"
AZS = ("us-east-1a", "us-east-1b", "us-east-1c")


# ---- a snapshot of the account, as describe/list calls return it --------------------------------------------
def _tags(raw: Any) -> dict[str, str]:
    """Tags in any of the shapes AWS APIs use: [{Key, Value}], [{key, value}], [{TagKey, TagValue}] or a map."""
    if not raw:
        return {}
    if isinstance(raw, dict):
        return dict(raw)
    out = {}
    for t in raw:
        key = t.get("Key", t.get("key", t.get("TagKey")))
        out[key] = t.get("Value", t.get("value", t.get("TagValue")))
    return out


def _is_ours_by_tags(tags: dict[str, str]) -> bool:
    return tags.get(TAG_PLATFORM) == PLATFORM and tags.get(TAG_ENV) == ENV


def snapshot(endpoint: str) -> dict[str, list[dict[str, Any]]]:
    """Every resource of the kinds platformctl manages (and their untaggable children), with tags and details.

    Each entry is {"ours": bool, "item": <what the describe/list calls returned>}. Whether an entry is ours for
    (microservices, dev) is decided from the data in the same snapshot only:
      - a taggable resource is ours iff it carries platformctl:platform=microservices and platformctl:env=dev;
      - an EC2 resource inside one of our VPCs is ours too (the main route table, default security group and
        the default egress rules AWS creates there are untagged), and a security-group rule in one of our
        groups;
      - an untaggable child is ours iff its parent is: listeners (load balancer), listener rules (listener),
        SNS subscriptions (topic), KMS aliases (target key), EventBridge targets (rule), API routes /
        integrations / stages (API), ECS services (cluster), scaling targets and policies
        (`service/<cluster>/...` names one of our clusters);
      - an alarm Application Auto Scaling made for a target-tracking policy (untagged) is ours iff one of our
        scaling policies lists it;
      - a dashboard is ours iff it is named exactly like one of our ECS clusters (dashboards carry no tags).
    A child whose parent is gone is *not* ours: anything of ours left behind by destroy shows up as a difference.
    """
    ec2, ecs, elb, sns, sqs, iam, logs, kms, sd, events, apigw, cw, aas = (
        client(endpoint, s)
        for s in (
            "ec2",
            "ecs",
            "elbv2",
            "sns",
            "sqs",
            "iam",
            "logs",
            "kms",
            "servicediscovery",
            "events",
            "apigatewayv2",
            "cloudwatch",
            "application-autoscaling",
        )
    )
    snap: dict[str, list[dict[str, Any]]] = {}

    def add(category: str, item: dict[str, Any], ours: bool) -> None:
        # ResponseMetadata (request id, date header) describes the HTTP call, not the resource.
        item = {k: v for k, v in item.items() if k != "ResponseMetadata"}
        snap.setdefault(category, []).append({"ours": ours, "item": item})

    # EC2
    vpcs = ec2.describe_vpcs()["Vpcs"]
    our_vpcs = {v["VpcId"] for v in vpcs if _is_ours_by_tags(_tags(v.get("Tags")))}
    for v in vpcs:
        add("ec2.vpcs", v, v["VpcId"] in our_vpcs)

    def in_our_vpc(item: dict[str, Any]) -> bool:
        return _is_ours_by_tags(_tags(item.get("Tags"))) or item.get("VpcId") in our_vpcs

    for s in ec2.describe_subnets()["Subnets"]:
        add("ec2.subnets", s, in_our_vpc(s))
    groups = ec2.describe_security_groups()["SecurityGroups"]
    our_groups = {g["GroupId"] for g in groups if in_our_vpc(g)}
    for g in groups:
        add("ec2.security_groups", g, g["GroupId"] in our_groups)
    for r in ec2.describe_security_group_rules()["SecurityGroupRules"]:
        add("ec2.security_group_rules", r, r["GroupId"] in our_groups or _is_ours_by_tags(_tags(r.get("Tags"))))
    for r in ec2.describe_route_tables()["RouteTables"]:
        add("ec2.route_tables", r, in_our_vpc(r))
    for a in ec2.describe_addresses()["Addresses"]:
        add("ec2.addresses", a, _is_ours_by_tags(_tags(a.get("Tags"))))
    for n in ec2.describe_nat_gateways()["NatGateways"]:
        add("ec2.nat_gateways", n, in_our_vpc(n))
    for i in ec2.describe_internet_gateways()["InternetGateways"]:
        attached = {a["VpcId"] for a in i.get("Attachments", [])}
        add("ec2.internet_gateways", i, _is_ours_by_tags(_tags(i.get("Tags"))) or bool(attached & our_vpcs))

    # ECS: clusters, services, task definitions
    cluster_arns = ecs.list_clusters()["clusterArns"]
    clusters = ecs.describe_clusters(clusters=cluster_arns, include=["TAGS"])["clusters"] if cluster_arns else []
    our_clusters = {c["clusterName"] for c in clusters if _is_ours_by_tags(_tags(c.get("tags")))}
    for c in clusters:
        add("ecs.clusters", c, c["clusterName"] in our_clusters)
        service_arns = ecs.list_services(cluster=c["clusterArn"])["serviceArns"]
        for i in range(0, len(service_arns), 10):
            described = ecs.describe_services(
                cluster=c["clusterArn"], services=service_arns[i : i + 10], include=["TAGS"]
            )
            for s in described["services"]:
                ours = c["clusterName"] in our_clusters or _is_ours_by_tags(_tags(s.get("tags")))
                add("ecs.services", s, ours)
    for status in ("ACTIVE", "INACTIVE"):
        for arn in ecs.list_task_definitions(status=status)["taskDefinitionArns"]:
            described = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
            add("ecs.task_definitions", described, _is_ours_by_tags(_tags(described.get("tags"))))

    # ELBv2: load balancers, target groups (tagged); listeners and rules (through their parents)
    lbs = elb.describe_load_balancers()["LoadBalancers"]
    tgs = elb.describe_target_groups()["TargetGroups"]
    arns = [lb["LoadBalancerArn"] for lb in lbs] + [tg["TargetGroupArn"] for tg in tgs]
    elb_tags: dict[str, dict[str, str]] = {}
    for i in range(0, len(arns), 20):
        for desc in elb.describe_tags(ResourceArns=arns[i : i + 20])["TagDescriptions"]:
            elb_tags[desc["ResourceArn"]] = _tags(desc["Tags"])
    for lb in lbs:
        lb_ours = _is_ours_by_tags(elb_tags.get(lb["LoadBalancerArn"], {}))
        add("elbv2.load_balancers", {**lb, "Tags": elb_tags.get(lb["LoadBalancerArn"])}, lb_ours)
        for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            add("elbv2.listeners", listener, lb_ours)
            for rule in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
                add("elbv2.rules", rule, lb_ours)
    for tg in tgs:
        tags = elb_tags.get(tg["TargetGroupArn"], {})
        add("elbv2.target_groups", {**tg, "Tags": tags}, _is_ours_by_tags(tags))

    # SNS: topics with attributes and tags; subscriptions through their topic
    our_topics = set()
    for page in sns.get_paginator("list_topics").paginate():
        for t in page["Topics"]:
            arn = t["TopicArn"]
            tags = _tags(sns.list_tags_for_resource(ResourceArn=arn)["Tags"])
            attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
            if _is_ours_by_tags(tags):
                our_topics.add(arn)
            add("sns.topics", {"TopicArn": arn, "Attributes": attributes, "Tags": tags}, arn in our_topics)
    for page in sns.get_paginator("list_subscriptions").paginate():
        for s in page["Subscriptions"]:
            attributes = sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"]
            add("sns.subscriptions", {**s, "Attributes": attributes}, s["TopicArn"] in our_topics)

    # SQS: queues with all attributes and tags
    for url in sqs.list_queues().get("QueueUrls", []):
        tags = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        add("sqs.queues", {"QueueUrl": url, "Attributes": attributes, "Tags": tags}, _is_ours_by_tags(tags))

    # IAM: every role (any path) with its tags, inline and attached policies
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            name = role["RoleName"]
            tags = _tags(iam.list_role_tags(RoleName=name)["Tags"])
            inline = {
                p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
            }
            attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
            item = {**role, "Tags": tags, "InlinePolicies": inline, "AttachedPolicies": attached}
            add("iam.roles", item, _is_ours_by_tags(tags))

    # CloudWatch Logs
    for page in logs.get_paginator("describe_log_groups").paginate():
        for g in page["logGroups"]:
            tags = logs.list_tags_for_resource(resourceArn=g["logGroupArn"])["tags"]
            add("logs.groups", {**g, "tags": tags}, _is_ours_by_tags(tags))

    # KMS: keys with state, rotation and tags; aliases through their target key
    our_keys = set()
    for key in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        tags = _tags(kms.list_resource_tags(KeyId=key["KeyId"])["Tags"])
        rotation = (
            kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
            if meta["KeyState"] == "Enabled"
            else None
        )
        if _is_ours_by_tags(tags):
            our_keys.add(key["KeyId"])
        add("kms.keys", {**meta, "Tags": tags, "Rotation": rotation}, key["KeyId"] in our_keys)
    for alias in kms.list_aliases()["Aliases"]:
        add("kms.aliases", alias, alias.get("TargetKeyId") in our_keys)

    # Cloud Map
    for ns in sd.list_namespaces()["Namespaces"]:
        tags = _tags(sd.list_tags_for_resource(ResourceARN=ns["Arn"])["Tags"])
        add("servicediscovery.namespaces", {**ns, "Tags": tags}, _is_ours_by_tags(tags))

    # EventBridge: buses, their rules and targets
    for bus in events.list_event_buses()["EventBuses"]:
        bus_tags = _tags(events.list_tags_for_resource(ResourceARN=bus["Arn"])["Tags"])
        add("events.buses", {**bus, "Tags": bus_tags}, _is_ours_by_tags(bus_tags))
        for rule in events.list_rules(EventBusName=bus["Name"])["Rules"]:
            tags = _tags(events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"])
            ours = _is_ours_by_tags(tags) or _is_ours_by_tags(bus_tags)
            targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus["Name"])["Targets"]
            add("events.rules", {**rule, "Tags": tags, "Targets": targets}, ours)

    # API Gateway v2: APIs (tagged) with routes, integrations, stages; VPC links (tagged)
    for api in apigw.get_apis()["Items"]:
        ours = _is_ours_by_tags(_tags(api.get("Tags")))
        add("apigw.apis", api, ours)
        for kind, call in (("routes", apigw.get_routes), ("integrations", apigw.get_integrations)):
            for item in call(ApiId=api["ApiId"])["Items"]:
                add(f"apigw.{kind}", {**item, "ApiId": api["ApiId"]}, ours)
        for stage in apigw.get_stages(ApiId=api["ApiId"])["Items"]:
            add("apigw.stages", {**stage, "ApiId": api["ApiId"]}, ours or _is_ours_by_tags(_tags(stage.get("Tags"))))
    for link in apigw.get_vpc_links()["Items"]:
        add("apigw.vpc_links", link, _is_ours_by_tags(_tags(link.get("Tags"))))

    # Application Auto Scaling: ECS services are `service/<cluster>/<service>`
    def scaled_ours(resource_id: str) -> bool:
        return resource_id.split("/")[1] in our_clusters

    for target in aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]:
        add("autoscaling.targets", target, scaled_ours(target["ResourceId"]))
    our_policy_alarms = set()
    for policy in aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]:
        if scaled_ours(policy["ResourceId"]):
            our_policy_alarms.update(a["AlarmARN"] for a in policy.get("Alarms", []))
        add("autoscaling.policies", policy, scaled_ours(policy["ResourceId"]))

    # CloudWatch: alarms (tagged, or the untagged ones Application Auto Scaling makes for our target-tracking
    # policies, which list them), dashboards (by name)
    for page in cw.get_paginator("describe_alarms").paginate():
        for alarm in page["MetricAlarms"]:
            tags = _tags(cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"])
            ours = _is_ours_by_tags(tags) or alarm["AlarmArn"] in our_policy_alarms
            add("cloudwatch.alarms", {**alarm, "Tags": tags}, ours)
    for d in cw.list_dashboards()["DashboardEntries"]:
        body = cw.get_dashboard(DashboardName=d["DashboardName"])["DashboardBody"]
        add("cloudwatch.dashboards", {**d, "Body": body}, d["DashboardName"] in our_clusters)

    return snap


# Values that change by themselves, not through anything platformctl does: SQS's approximate message counts
# (moto and AWS move them on their own). Nothing else is normalised.
SELF_CHANGING_SQS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


def not_ours(snap: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Per category, the resources that are not ours as canonical JSON text (one line each, sorted)."""
    result = {}
    for category, entries in snap.items():
        lines = []
        for entry in entries:
            if entry["ours"]:
                continue
            item = entry["item"]
            if category == "sqs.queues":
                item = {
                    **item,
                    "Attributes": {k: v for k, v in item["Attributes"].items() if k not in SELF_CHANGING_SQS},
                }
            lines.append(json.dumps(item, sort_keys=True, default=str))
        result[category] = "\n".join(sorted(lines))
    return result


def _state(category: str, item: dict[str, Any]) -> str | None:
    """The lifecycle state of a resource, for the kinds that stay listed for a while after their deletion."""
    if category == "ecs.task_definitions":
        return item["taskDefinition"]["status"]
    return item.get({"ec2.nat_gateways": "State", "kms.keys": "KeyState"}.get(category, "status"))


def ours_count(snap: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    return {category: sum(e["ours"] for e in entries) for category, entries in snap.items()}


def assert_same(before: dict[str, str], after: dict[str, str], when: str) -> None:
    assert sorted(after) == sorted(before), f"{when}: categories changed"
    for category in before:
        if after[category] != before[category]:
            delta = "\n".join(
                difflib.unified_diff(before[category].splitlines(), after[category].splitlines(), lineterm="", n=0)
            )
            raise AssertionError(f"{when}: resources not ours changed in {category}:\n{delta[:6000]}")


# ---- seeding the look-alikes ------------------------------------------------------------------------------
def seed_untagged_lookalikes(endpoint: str) -> None:
    """Resources with our names (where AWS allows a duplicate) or our prefix, but without our tags."""
    ec2, logs, sns, sqs, iam, cw, ecs, events, kms, elb, apigw = (
        client(endpoint, s)
        for s in ("ec2", "logs", "sns", "sqs", "iam", "cloudwatch", "ecs", "events", "kms", "elbv2", "apigatewayv2")
    )

    def name_tag(resource_type: str, name: str) -> list[dict[str, Any]]:
        return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]

    # A VPC with our Name, CIDR, subnets, security groups, route table and gateway: all display names equal ours.
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=name_tag("vpc", "microservices-dev"))["Vpc"]
    vpc_id = vpc["VpcId"]
    for i, az in enumerate(AZS):
        for kind, offset in (("public", 0), ("private", 3)):
            ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=f"10.0.{(i + offset) * 32}.0/19",
                AvailabilityZone=az,
                TagSpecifications=name_tag("subnet", f"microservices-dev-{kind}-{az}"),
            )
    group_ids = {}
    for suffix in ("alb", "order", "payment", "user", "vpclink"):
        group_ids[suffix] = ec2.create_security_group(
            GroupName=f"microservices-dev-{suffix}", Description="look-alike, not platformctl's", VpcId=vpc_id
        )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group_ids["order"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": group_ids["alb"]}]}
        ],
    )
    igw = ec2.create_internet_gateway(TagSpecifications=name_tag("internet-gateway", "microservices-dev"))
    ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGateway"]["InternetGatewayId"], VpcId=vpc_id)
    ec2.create_route_table(VpcId=vpc_id, TagSpecifications=name_tag("route-table", "microservices-dev-public"))
    ec2.allocate_address(Domain="vpc", TagSpecifications=name_tag("elastic-ip", "microservices-dev-nat-us-east-1a"))

    # Our prefix, a different suffix, no tags.
    logs.create_log_group(logGroupName="/aws/microservices/dev/custom")
    topic = sns.create_topic(Name="microservices-dev-legacy-events")["TopicArn"]
    queue = sqs.create_queue(QueueName="microservices-dev-legacy")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    cw.put_metric_alarm(
        AlarmName="microservices-dev-legacy-dlq-depth",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": "microservices-dev-legacy"}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
    )
    cw.put_dashboard(DashboardName="microservices-dev-legacy", DashboardBody=json.dumps({"widgets": []}))
    ecs.create_cluster(clusterName="microservices-dev-legacy")
    events.create_event_bus(Name="microservices-dev-legacy")
    events.put_rule(Name="microservices-dev-legacy", EventPattern=json.dumps({"source": ["legacy"]}))
    key = kms.create_key(Description="look-alike key")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/microservices-dev-legacy", TargetKeyId=key)
    elb.create_target_group(Name="microservices-dev-legacy", Protocol="HTTP", Port=8080, VpcId=vpc_id, TargetType="ip")
    # API names are not unique: an untagged HTTP API with exactly our name.
    apigw.create_api(Name="microservices-dev", ProtocolType="HTTP")

    # IAM: in the very path platformctl lists (/platformctl/microservices/dev/), one role without tags and one
    # with all our tags but another environment's; both must be left alone.
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    path = f"/platformctl/{PLATFORM}/{ENV}/"
    iam.create_role(RoleName="microservices-dev-legacy-task", Path=path, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(
        RoleName="microservices-dev-legacy-task",
        PolicyName="legacy",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": queue_arn}]}
        ),
    )
    iam.create_role(
        RoleName="microservices-dev-legacy-execution",
        Path=path,
        AssumeRolePolicyDocument=trust,
        Tags=[
            {"Key": TAG_PLATFORM, "Value": PLATFORM},
            {"Key": TAG_ENV, "Value": "staging"},
            {"Key": "platformctl:layer", "Value": "services"},
            {"Key": "platformctl:id", "Value": "role.legacy.execution"},
        ],
    )


def test_apply_and_destroy_leave_everything_not_ours_byte_for_byte(endpoint: str, tmp_path: Path, capsys) -> None:
    # (a) our platform in another environment, and (b) the same specs under another platform name.
    ours = Cli(endpoint, copy_seed_specs(tmp_path / "ours"), capsys)
    staging = ours("apply", "--env", "staging", "--auto-approve")
    assert staging.code == 0, staging.out + staging.err
    shopping_specs = tmp_path / "shopping" / "specs"
    shutil.copytree(ours.specs, shopping_specs)
    shopping = Cli(endpoint, shopping_specs, capsys)
    shopping.edit("platform.yaml", "platform: microservices ", "platform: shopping ")
    shopping_dev = shopping("apply", "--env", "dev", "--auto-approve")
    assert shopping_dev.code == 0, shopping_dev.out + shopping_dev.err
    # (c) untagged look-alikes; (d) the default VPC moto creates is there already.
    seed_untagged_lookalikes(endpoint)

    before_snap = snapshot(endpoint)
    before = not_ours(before_snap)
    assert not any(ours_count(before_snap).values()), "nothing of (microservices, dev) exists yet"
    # The look-alikes really are in the picture (else the comparison would prove little): every category has
    # something not ours in it, including the default VPC and the look-alikes with our exact names.
    assert [category for category, text in before.items() if not text] == []
    assert any(json.loads(line).get("IsDefault") for line in before["ec2.vpcs"].splitlines()), "no default VPC"
    names = before["ec2.vpcs"] + before["ec2.security_groups"] + before["iam.roles"] + before["apigw.apis"]
    for needle in (
        '"microservices-dev"',
        '"microservices-dev-alb"',
        '"/platformctl/microservices/dev/"',
        '"microservices-staging"',
        '"shopping-dev"',
    ):
        assert needle in names, needle
    assert '"microservices-staging"' in before["ecs.clusters"] and '"shopping-dev"' in before["ecs.clusters"]

    applied = ours("apply", "--env", ENV, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    middle_snap = snapshot(endpoint)
    # Our dev platform really was built, next to the look-alikes.
    counts = ours_count(middle_snap)
    # Four topics: the three services' and the environment's alerts topic.
    expected = {
        "ec2.vpcs": 1, "ec2.subnets": 6, "ec2.nat_gateways": 1, "ec2.addresses": 1, "ecs.clusters": 1,
        "ecs.services": 3, "sns.topics": 4, "sqs.queues": 6, "sns.subscriptions": 4, "iam.roles": 6,
        "elbv2.load_balancers": 1, "elbv2.target_groups": 3, "apigw.apis": 1, "apigw.routes": 3,
        "cloudwatch.dashboards": 1, "autoscaling.targets": 3, "kms.aliases": 1, "events.buses": 1,
    }  # fmt: skip
    assert {k: counts.get(k) for k in expected} == expected
    assert_same(before, not_ours(middle_snap), "after apply")
    assert ours("diff", "--env", ENV).code == 0, "the look-alikes must not show up in the plan"

    destroyed = ours("destroy", "--env", ENV, "--auto-approve")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    after_snap = snapshot(endpoint)
    assert_same(before, not_ours(after_snap), "after destroy")
    # Nothing of ours is left but what AWS keeps visible for a while in a deleted state.
    left = [
        (category, _state(category, e["item"]))
        for category, entries in after_snap.items()
        for e in entries
        if e["ours"] and _state(category, e["item"]) not in ("deleted", "INACTIVE", "PendingDeletion")
    ]
    assert left == []
    # And the other environment and the other platform are still complete, as platformctl itself sees them.
    assert ours("diff", "--env", "staging").code == 0
    assert shopping("diff", "--env", "dev").code == 0


# ---- secrets ----------------------------------------------------------------------------------------------
def referenced_secrets(specs: Path) -> dict[str, set[str]]:
    """Every secret reference in the service specs (base and per-environment), by store: {"ssm": {...}, ...}."""
    found: dict[str, set[str]] = {"ssm": set(), "secretsmanager": set()}
    for path in sorted((specs / "services").glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        mappings = [document.get("secrets") or {}]
        mappings += [(o or {}).get("secrets") or {} for o in (document.get("environments") or {}).values()]
        for mapping in mappings:
            for reference in mapping.values():
                store, _, name = reference.partition(":")
                found[store].add(name)
    return found


def store_secrets(endpoint: str, refs: dict[str, set[str]], marker: str) -> None:
    ssm, sm = client(endpoint, "ssm"), client(endpoint, "secretsmanager")
    for name in refs["ssm"]:
        ssm.put_parameter(Name=name, Value=f"{marker}{name}", Type="SecureString", Overwrite=True)
    for name in refs["secretsmanager"]:
        try:
            sm.create_secret(Name=name, SecretString=f"{marker}{name}")
        except sm.exceptions.ResourceExistsException:  # the fixture's account holds the seed's secrets
            sm.put_secret_value(SecretId=name, SecretString=f"{marker}{name}")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()}")


@contextmanager
def every_log_record() -> Iterator[list[str]]:
    """Every log record while inside: DEBUG and up from platformctl and the AWS SDK (botocore logs each request
    and response body), anything else at its configured level. Kept away from pytest's own capture, which would
    print megabytes of botocore output on a failure."""
    handler = _Collect()
    quiet = {name: logging.getLogger(name) for name in ("platformctl", "botocore", "boto3", "urllib3", "s3transfer")}
    saved = {name: (logger.level, logger.propagate) for name, logger in quiet.items()}
    root = logging.getLogger()
    root.addHandler(handler)
    for logger in quiet.values():
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        for name, logger in quiet.items():
            logger.removeHandler(handler)
            logger.setLevel(saved[name][0])
            logger.propagate = saved[name][1]


def task_definitions(endpoint: str, status: str) -> list[dict[str, Any]]:
    ecs = client(endpoint, "ecs")
    arns = ecs.list_task_definitions(status=status)["taskDefinitionArns"]
    return [ecs.describe_task_definition(taskDefinition=a, include=["TAGS"])["taskDefinition"] for a in arns]


def test_secret_values_never_leave_the_secret_stores(endpoint: str, tmp_path: Path, capsys) -> None:
    marker = f"S3CR3T-MARKER-{uuid.uuid4().hex}"
    cli = Cli(endpoint, copy_seed_specs(tmp_path), capsys)
    refs = referenced_secrets(cli.specs)
    assert "/microservices/order/db-url" in refs["ssm"] and refs["secretsmanager"], refs
    rotated = "/microservices/order/db-url-v2"
    store_secrets(endpoint, {"ssm": refs["ssm"] | {rotated}, "secretsmanager": refs["secretsmanager"]}, marker)
    account = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1").get_caller_identity()["Account"]

    outputs: dict[str, str] = {}

    def run(label: str, *args: str, codes: tuple[int, ...] = (0,)) -> str:
        result = cli(*args)
        assert result.code in codes, f"{label}: {result.out}{result.err}"
        outputs[label] = result.out + result.err
        return result.out

    # From here on, every log record (botocore's request and response bodies included) is kept.
    with every_log_record() as records:
        plan_file = tmp_path / "dev.plan"
        run("diff", "diff", "--env", ENV, "--out", str(plan_file), codes=(2,))
        outputs["saved plan file"] = plan_file.read_text()
        run("apply", "apply", "--env", ENV, "--auto-approve")
        run("diff -o json", "diff", "--env", ENV, "-o", "json")
        run("status", "status", "--env", ENV)
        run("status -o json", "status", "--env", ENV, "-o", "json")
        first_revisions = task_definitions(endpoint, "ACTIVE")

        # A change that touches a secret: the order service now reads its DB URL from another parameter.
        cli.edit("services/order.yaml", "ssm:/microservices/order/db-url", f"ssm:{rotated}")
        changed_plan = json.loads(run("diff -o json after change", "diff", "--env", ENV, "-o", "json", codes=(2,)))
        taskdef_steps = [s for s in changed_plan["steps"] if s["id"] == "taskdef.order" and s["action"] != "noop"]
        assert taskdef_steps, changed_plan["steps"]
        shown = json.dumps(taskdef_steps)
        assert f"arn:aws:ssm:us-east-1:{account}:parameter{rotated}" in shown, "the plan names the new reference"
        applied = json.loads(run("apply -o json", "apply", "--env", ENV, "--auto-approve", "-o", "json"))
        assert applied["report"], applied
        second_revisions = task_definitions(endpoint, "ACTIVE")
        all_revisions = second_revisions + task_definitions(endpoint, "INACTIVE")
        run("destroy -o json", "destroy", "--env", ENV, "--auto-approve", "-o", "json")
    outputs["log records"] = "\n".join(records)

    # The marker is nowhere: not in any output, the saved plan, or any log record.
    assert any("Response body" in line for line in records), "botocore's DEBUG records were captured"
    for label, text in outputs.items():
        assert text, label
        assert marker not in text, f"secret value leaked into {label}"

    # Task definitions: only references, exactly those the specs declare, and never a value.
    def expected_refs(order_db: str) -> dict[str, dict[str, str]]:
        def arn(ref: str) -> str:
            store, _, name = ref.partition(":")
            if store == "ssm":
                return f"arn:aws:ssm:us-east-1:{account}:parameter{name}"
            # A secret's complete ARN, suffix included: ECS cannot read one by name.
            return client(endpoint, "secretsmanager").describe_secret(SecretId=name)["ARN"]

        return {
            "order": {"DB_URL": arn(f"ssm:{order_db}")},
            "payment": {
                "DB_URL": arn("ssm:/microservices/payment/db-url"),
                "PROVIDER_API_KEY": arn("secretsmanager:microservices/payment/provider-api-key"),
            },
            "user": {
                "DB_URL": arn("ssm:/microservices/user/db-url"),
                "JWT_SIGNING_KEY": arn("secretsmanager:microservices/user/jwt-signing-key"),
            },
        }

    for revisions, order_db in ((first_revisions, "/microservices/order/db-url"), (second_revisions, rotated)):
        seen = {}
        for definition in revisions:
            (container,) = definition["containerDefinitions"]
            service = definition["family"].removeprefix(f"{PLATFORM}-{ENV}-")
            seen[service] = {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}
            env_names = {e["name"] for e in container.get("environment", [])}
            assert not env_names & set(seen[service]), f"{service}: a secret is also a plain env var"
        assert seen == expected_refs(order_db)
    assert len(all_revisions) >= 4, "the change registered a new revision"
    for definition in all_revisions:
        assert marker not in json.dumps(definition, default=str), definition["taskDefinitionArn"]
