"""The emulator's realistic profile: each AWS behaviour seen through boto3, before and after its duration.

In-process moto with the profile on and every behaviour shortened to a fraction of a second; the last tests
run it in the emulator's own server (`local.running(realistic=True)`) and through `local start --realistic`.
These prove the emulator; what platformctl does about each behaviour is tested with the code that handles it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from platformctl import emulator_realistic, local

REGION = "us-east-1"
SHORT = 0.6  # seconds every behaviour lasts here


@pytest.fixture
def aws() -> Iterator[Callable[[str], Any]]:
    """boto3 clients on in-process moto with the realistic profile on and every behaviour SHORT."""
    emulator_realistic.configure(enabled=True, durations=dict.fromkeys(emulator_realistic.AWS_SECONDS, SHORT))
    try:
        with mock_aws():
            yield lambda service: boto3.client(service, region_name=REGION)
    finally:
        emulator_realistic.reset()


def later(check: Callable[[], Any], timeout: float = 5 * SHORT) -> Any:
    """`check()` once it stops raising / returns a truthy value, within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = check()
            if answer:
                return answer
        except ClientError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"still {answer!r} after {timeout}s")
        time.sleep(0.05)


def error(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def network(aws: Callable[[str], Any]) -> tuple[str, list[str], str]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate((f"{REGION}a", f"{REGION}b"))
    ]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    return vpc, subnets, group


def test_the_tag_index_learns_of_a_new_key_late_and_forgets_a_deleted_queue_late(aws: Callable[[str], Any]) -> None:
    tagging, sqs = aws("resourcegroupstaggingapi"), aws("sqs")
    tags = [{"Key": "platformctl:platform", "Values": ["shop"]}]

    def indexed() -> set[str]:
        return {r["ResourceARN"] for r in tagging.get_resources(TagFilters=tags)["ResourceTagMappingList"]}

    url = sqs.create_queue(QueueName="orders", tags={"platformctl:platform": "shop"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert arn not in indexed()
    later(lambda: arn in indexed())

    sqs.delete_queue(QueueUrl=url)
    assert arn in indexed(), "the index forgot the deleted queue at once"
    later(lambda: arn not in indexed())


def test_nat_gateways_are_pending_then_available_and_deleting_then_deleted(aws: Callable[[str], Any]) -> None:
    ec2 = aws("ec2")
    _, subnets, _ = network(aws)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation)["NatGateway"]

    def state() -> str:
        return ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]["State"]

    assert nat["State"] == "pending" and state() == "pending"
    later(lambda: state() == "available")
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    assert state() == "deleting"
    later(lambda: state() == "deleted")


def test_vpc_links_are_pending_then_available(aws: Callable[[str], Any]) -> None:
    apigw = aws("apigatewayv2")
    _, subnets, group = network(aws)
    link = apigw.create_vpc_link(Name="link", SubnetIds=subnets, SecurityGroupIds=[group])

    assert link["VpcLinkStatus"] == "PENDING"
    later(lambda: apigw.get_vpc_link(VpcLinkId=link["VpcLinkId"])["VpcLinkStatus"] == "AVAILABLE")


def test_a_cloud_map_namespace_exists_only_once_its_operation_succeeded(aws: Callable[[str], Any]) -> None:
    sd = aws("servicediscovery")
    vpc, _, _ = network(aws)
    operation_id = sd.create_private_dns_namespace(Name="shop.local", Vpc=vpc)["OperationId"]

    operation = sd.get_operation(OperationId=operation_id)["Operation"]
    assert operation["Status"] in ("SUBMITTED", "PENDING")
    assert sd.list_namespaces()["Namespaces"] == []
    namespace_id = operation["Targets"]["NAMESPACE"]
    assert error(lambda: sd.get_namespace(Id=namespace_id))[0] == "NamespaceNotFound"
    later(lambda: sd.get_operation(OperationId=operation_id)["Operation"]["Status"] == "SUCCESS")
    assert sd.get_namespace(Id=namespace_id)["Namespace"]["Name"] == "shop.local"


def test_the_first_cluster_waits_for_the_service_linked_role_then_provisions(aws: Callable[[str], Any]) -> None:
    ecs = aws("ecs")

    code, message = error(lambda: ecs.create_cluster(clusterName="shop"))
    assert code == "InvalidParameterException" and "Unable to assume the service linked role" in message
    cluster = later(lambda: ecs.create_cluster(clusterName="shop"))["cluster"]

    assert cluster["status"] == "PROVISIONING"
    later(lambda: ecs.describe_clusters(clusters=["shop"])["clusters"][0]["status"] == "ACTIVE")


def test_load_balancers_are_provisioning_then_active(aws: Callable[[str], Any]) -> None:
    elb = aws("elbv2")
    _, subnets, group = network(aws)
    balancer = elb.create_load_balancer(Name="shop", Subnets=subnets, SecurityGroups=[group])["LoadBalancers"][0]

    def state() -> str:
        return elb.describe_load_balancers(LoadBalancerArns=[balancer["LoadBalancerArn"]])["LoadBalancers"][0]["State"]

    assert state()["Code"] == "provisioning"
    later(lambda: state()["Code"] == "active")


# ---- ECS ------------------------------------------------------------------------------------------------------


def cluster_and_task(aws: Callable[[str], Any], image: str = "nginx:1.27", role: str | None = None) -> str:
    """A cluster past its service-linked-role wait, and a task definition (its ARN)."""
    ecs = aws("ecs")
    aws("iam").create_role(RoleName="AWSServiceRoleForECS", AssumeRolePolicyDocument="{}")
    ecs.create_cluster(clusterName="shop")
    container = {"name": "app", "image": image, "portMappings": [{"containerPort": 8080, "name": "http"}]}
    return ecs.register_task_definition(
        family="order",
        containerDefinitions=[container],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        **({"executionRoleArn": role} if role else {}),
    )["taskDefinition"]["taskDefinitionArn"]


def create_service(aws: Callable[[str], Any], task: str, subnets: list[str], group: str, **extra: Any) -> Any:
    return aws("ecs").create_service(
        cluster="shop",
        serviceName="order",
        taskDefinition=task,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group]}},
        **extra,
    )["service"]


def describe(aws: Callable[[str], Any]) -> dict[str, Any]:
    return aws("ecs").describe_services(cluster="shop", services=["order"])["services"][0]


def test_a_fresh_role_is_refused_by_ecs_and_application_auto_scaling_until_it_propagated(
    aws: Callable[[str], Any],
) -> None:
    _, subnets, group = network(aws)
    role = aws("iam").create_role(RoleName="order-exec", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    task = cluster_and_task(aws, role=role)

    code, message = error(lambda: create_service(aws, task, subnets, group))
    assert code == "InvalidParameterException" and f"ECS was unable to assume the role '{role}'" in message
    scaling = aws("application-autoscaling")
    register = dict(
        ServiceNamespace="ecs",
        ResourceId="service/shop/order",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=4,
        RoleARN=role,
    )
    later(lambda: create_service(aws, task, subnets, group))
    fresh = aws("iam").create_role(RoleName="order-scaling", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code, message = error(lambda: scaling.register_scalable_target(**{**register, "RoleARN": fresh}))
    assert (code, message) == ("ValidationException", f"Unable to assume IAM role: {fresh}")
    later(lambda: scaling.register_scalable_target(**{**register, "RoleARN": fresh}))


def test_a_target_group_is_usable_by_a_service_only_a_while_after_a_listener_forwards_to_it(
    aws: Callable[[str], Any],
) -> None:
    elb = aws("elbv2")
    vpc, subnets, group = network(aws)
    task = cluster_and_task(aws)
    target = elb.create_target_group(Name="order", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")
    target_arn = target["TargetGroups"][0]["TargetGroupArn"]
    balancers = [{"targetGroupArn": target_arn, "containerName": "app", "containerPort": 8080}]

    code, message = error(lambda: create_service(aws, task, subnets, group, loadBalancers=balancers))
    assert code == "InvalidParameterException" and "does not have an associated load balancer" in message
    balancer = elb.create_load_balancer(Name="shop", Subnets=subnets, SecurityGroups=[group])["LoadBalancers"][0]
    elb.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_arn}],
    )
    code, message = error(lambda: create_service(aws, task, subnets, group, loadBalancers=balancers))
    assert "does not have an associated load balancer" in message
    later(lambda: create_service(aws, task, subnets, group, loadBalancers=balancers))


def test_deleted_owners_leave_enis_that_keep_subnets_and_security_groups_busy(aws: Callable[[str], Any]) -> None:
    ec2, elb, ecs = aws("ec2"), aws("elbv2"), aws("ecs")
    _, subnets, group = network(aws)
    balancer = elb.create_load_balancer(Name="shop", Subnets=subnets[:1], SecurityGroups=[group])["LoadBalancers"][0]
    elb.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])

    assert error(lambda: ec2.delete_subnet(SubnetId=subnets[0]))[0] == "DependencyViolation"
    assert error(lambda: ec2.delete_security_group(GroupId=group))[0] == "DependencyViolation"
    later(lambda: ec2.delete_subnet(SubnetId=subnets[0]) or True)

    task = cluster_and_task(aws)
    create_service(aws, task, subnets[1:], group)
    ecs.delete_service(cluster="shop", service="order", force=True)
    assert error(lambda: ec2.delete_subnet(SubnetId=subnets[1]))[0] == "DependencyViolation"
    later(lambda: ec2.delete_security_group(GroupId=group) or True, timeout=8 * SHORT)
    ec2.delete_subnet(SubnetId=subnets[1])


def test_service_connect_registers_cloud_map_services_that_keep_the_namespace_in_use(
    aws: Callable[[str], Any],
) -> None:
    sd, ecs = aws("servicediscovery"), aws("ecs")
    vpc, subnets, group = network(aws)
    operation_id = sd.create_private_dns_namespace(Name="shop.local", Vpc=vpc)["OperationId"]
    namespace_id = sd.get_operation(OperationId=operation_id)["Operation"]["Targets"]["NAMESPACE"]
    later(lambda: sd.get_operation(OperationId=operation_id)["Operation"]["Status"] == "SUCCESS")
    namespace_arn = sd.get_namespace(Id=namespace_id)["Namespace"]["Arn"]
    task = cluster_and_task(aws)
    connect = {
        "enabled": True,
        "namespace": namespace_arn,
        "services": [{"portName": "http", "discoveryName": "order", "clientAliases": [{"port": 80}]}],
    }
    create_service(aws, task, subnets, group, serviceConnectConfiguration=connect)

    services = sd.list_services()["Services"]
    registered = [sd.get_service(Id=s["Id"])["Service"] for s in services]
    assert [(s["Name"], s["NamespaceId"]) for s in registered] == [("order", namespace_id)]
    ecs.delete_service(cluster="shop", service="order", force=True)
    code, message = error(lambda: sd.delete_namespace(Id=namespace_id))
    assert (code, message) == ("ResourceInUse", "Namespace has associated services")
    sd.delete_service(Id=services[0]["Id"])
    assert sd.delete_namespace(Id=namespace_id)["OperationId"]


def test_a_service_name_stays_taken_while_active_and_draining(aws: Callable[[str], Any]) -> None:
    ecs = aws("ecs")
    _, subnets, group = network(aws)
    task = cluster_and_task(aws)
    create_service(aws, task, subnets, group)

    assert error(lambda: create_service(aws, task, subnets, group))[1] == "Creation of service was not idempotent."
    ecs.delete_service(cluster="shop", service="order", force=True)
    assert describe(aws)["status"] == "DRAINING"
    code, message = error(lambda: create_service(aws, task, subnets, group))
    assert (code, message) == ("InvalidParameterException", "Unable to Start a service that is still Draining.")
    later(lambda: describe(aws)["status"] == "INACTIVE")
    assert create_service(aws, task, subnets, group)["status"] == "ACTIVE"


def test_a_deleted_queue_name_cannot_be_reused_at_once(aws: Callable[[str], Any]) -> None:
    sqs = aws("sqs")
    sqs.delete_queue(QueueUrl=sqs.create_queue(QueueName="orders")["QueueUrl"])

    code, message = error(lambda: sqs.create_queue(QueueName="orders"))
    assert code == "AWS.SimpleQueueService.QueueDeletedRecently" or code == "QueueDeletedRecently"
    assert "wait 60 seconds" in message
    later(lambda: sqs.create_queue(QueueName="orders"))


def test_a_deployment_is_in_progress_then_completed_and_an_update_rolls_out_again(aws: Callable[[str], Any]) -> None:
    ecs = aws("ecs")
    _, subnets, group = network(aws)
    task = cluster_and_task(aws)
    create_service(aws, task, subnets, group)

    first = describe(aws)["deployments"]
    assert [(d["status"], d["rolloutState"], d["runningCount"]) for d in first] == [("PRIMARY", "IN_PROGRESS", 0)]
    later(lambda: describe(aws)["deployments"][0]["rolloutState"] == "COMPLETED")
    assert describe(aws)["runningCount"] == 2

    ecs.update_service(cluster="shop", service="order", forceNewDeployment=True)
    rollout = describe(aws)["deployments"]
    states = [(d["status"], d.get("rolloutState")) for d in rollout]
    assert states == [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")]
    later(lambda: [d["status"] for d in describe(aws)["deployments"]] == ["PRIMARY"])
    assert describe(aws)["deployments"][0]["rolloutState"] == "COMPLETED"


def test_a_deployment_of_a_broken_image_fails_with_stopped_tasks_saying_why(aws: Callable[[str], Any]) -> None:
    ecs = aws("ecs")
    _, subnets, group = network(aws)
    task = cluster_and_task(aws, image="example.com/order:broken")
    create_service(aws, task, subnets, group)

    assert describe(aws)["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    later(lambda: describe(aws)["deployments"][0]["rolloutState"] == "FAILED")
    assert "circuit breaker" in describe(aws)["deployments"][0]["rolloutStateReason"]
    stopped = ecs.list_tasks(cluster="shop", desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster="shop", tasks=stopped)["tasks"]
    assert tasks and all(t["lastStatus"] == "STOPPED" for t in tasks)
    assert all(t["stoppedReason"].startswith("CannotPullContainerError:") for t in tasks)
    assert "example.com/order:broken" in tasks[0]["stoppedReason"]


def test_with_the_profile_off_moto_answers_at_once_as_before() -> None:
    emulator_realistic.configure(enabled=False)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        assert ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["State"] == "available"
        sqs = boto3.client("sqs", region_name=REGION)
        sqs.delete_queue(QueueUrl=sqs.create_queue(QueueName="orders")["QueueUrl"])
        assert sqs.create_queue(QueueName="orders")["QueueUrl"]


def test_durations_follow_the_scale_unless_set_one_by_one() -> None:
    try:
        settings = emulator_realistic.configure(scale=0.01, durations={"nat_create": 0.3})
        assert settings["durations"]["nat_create"] == 0.3
        assert settings["durations"]["load_balancer_create"] == pytest.approx(1.8)  # 180 s at 1/100
        with pytest.raises(ValueError, match="nat_creation"):
            emulator_realistic.configure(durations={"nat_creation": 1})
    finally:
        emulator_realistic.reset()


# ---- the emulator's server ------------------------------------------------------------------------------------


def test_the_realistic_emulator_server_is_tuned_through_its_harness(tmp_path: Path) -> None:
    with local.running(tmp_path / "moto.log", realistic=True, realistic_scale=0.001) as endpoint:
        control = local.HarnessControl(endpoint)
        assert control.stats()["realistic"]["enabled"] is True
        assert control.stats()["realistic"]["durations"]["sqs_name_reuse"] == pytest.approx(0.06)
        control.configure(realistic={"durations": {"sqs_name_reuse": SHORT}})
        sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)

        sqs.delete_queue(QueueUrl=sqs.create_queue(QueueName="orders")["QueueUrl"])
        assert "wait 60 seconds" in error(lambda: sqs.create_queue(QueueName="orders"))[1]
        later(lambda: sqs.create_queue(QueueName="orders"))


def test_local_start_realistic_turns_the_profile_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from platformctl import cli

    monkeypatch.setenv("PLATFORMCTL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PLATFORMCTL_REALISTIC_SCALE", "0.002")
    port = local.free_port()
    try:
        assert cli.run(["local", "start", "--port", str(port), "--realistic"]) == 0
        assert "Realistic profile on" in capsys.readouterr().out
        stats = local.HarnessControl(f"http://{local.HOST}:{port}").stats()
        assert stats["realistic"]["enabled"] is True and stats["realistic"]["scale"] == 0.002
    finally:
        stopped = local.stop()
        assert stopped is not None and json.dumps(stopped.__dict__)
