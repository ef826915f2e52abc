"""Core kinds against moto: create → read equals desired → update → delete → gone, owned only by tags.

Each kind's test also proves look-alikes (same platform but another env, or untagged) stay invisible and
survive our deletes, and that a read costs a small, known number of calls.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from platformctl.engine.model import LiveResource, Ref, Resource
from platformctl.errors import AwsCallError
from platformctl.resources.base import ResourceKind
from platformctl.resources.ecs_cluster import EcsCluster
from platformctl.resources.elbv2_listener import Listener
from platformctl.resources.elbv2_listener_rule import ListenerRule
from platformctl.resources.elbv2_load_balancer import LoadBalancer, describe_tags
from platformctl.resources.kms_alias import KmsAlias
from platformctl.resources.kms_key import KmsKey
from platformctl.resources.logs_log_group import LogGroup
from platformctl.resources.policy import normalize_policy
from platformctl.resources.servicediscovery_namespace import CloudMapNamespace, creator_request_id
from tests.unit.kind_harness import (
    ENV,
    PLATFORM,
    KindDriver,
    client_error,
    moto_context,
    network,
    other_env_tags,
    read_calls,
    read_one,
    update_as_planned,
    updated,
)


# ---- helpers ---------------------------------------------------------------------------------------------
def assert_reads_as_desired(kind: ResourceKind, live: LiveResource, desired: dict[str, Any]) -> None:
    expected = {k: v for k, v in desired.items() if k not in kind.unreadable}
    actual = {k: v for k, v in live.props.items() if k not in kind.unreadable}
    for key in kind.unordered:
        expected[key] = sorted(expected[key])
        actual[key] = sorted(actual[key])
    assert actual == expected


def _with_props(live: LiveResource, **props: Any) -> LiveResource:
    return dataclasses.replace(live, props={**live.props, **props})


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": ["kms:*"],
            "Resource": "*",
        }
    ],
}


def key_resource(logical_id: str = "kms", **props: Any) -> Resource:
    base = {"description": f"{PLATFORM}-{ENV} {logical_id}", "rotation": True, "policy": normalize_policy(POLICY)}
    return Resource("kms.key", logical_id, "platform", f"{PLATFORM}-{ENV}-{logical_id}", {**base, **props})


# ---- normalize_policy -------------------------------------------------------------------------------------
def test_normalize_policy_makes_spellings_equal() -> None:
    written = {
        "Statement": {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": ["*"], "Principal": {"AWS": ["a"]}},
        "Version": "2012-10-17",
    }
    returned = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Principal": {"AWS": "a"}, "Resource": "*", "Action": ["kms:Decrypt"], "Effect": "Allow"}],
        }
    )
    assert normalize_policy(written) == normalize_policy(returned)
    canonical = normalize_policy(written)
    assert canonical["Statement"][0]["Action"] == "kms:Decrypt"
    assert list(canonical) == ["Statement", "Version"]
    assert list(canonical["Statement"][0]) == sorted(canonical["Statement"][0])


def test_normalize_policy_sorts_multi_value_lists_and_keeps_statement_order() -> None:
    doc = {"Statement": [{"Sid": "b", "Action": ["kms:Encrypt", "kms:Decrypt"]}, {"Sid": "a"}]}
    canonical = normalize_policy(doc)
    assert [s["Sid"] for s in canonical["Statement"]] == ["b", "a"]
    assert canonical["Statement"][0]["Action"] == ["kms:Decrypt", "kms:Encrypt"]
    assert normalize_policy(None) == {}
    assert normalize_policy(canonical) == canonical


# ---- kms.key ----------------------------------------------------------------------------------------------
def test_kms_key_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        kms = ctx.client("kms")
        kind, driver = KmsKey(), KindDriver(ctx)
        other_env = kms.create_key(
            Description=f"{PLATFORM}-{ENV} kms",
            Tags=[{"TagKey": k, "TagValue": v} for k, v in other_env_tags("kms", "platform").items()],
        )["KeyMetadata"]["KeyId"]
        untagged = kms.create_key(Description=f"{PLATFORM}-{ENV} kms")["KeyMetadata"]["KeyId"]

        resource = key_resource()
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"KeyId", "Arn"}
        live = read_one(driver, kind, resource)
        assert live.attrs == attrs
        assert live.physical_id == attrs["KeyId"]

        updated(driver, kind, resource, description="changed")
        updated(driver, kind, resource, rotation=False)
        new_policy = {**POLICY, "Statement": [*POLICY["Statement"], {**POLICY["Statement"][0], "Sid": "Two"}]}
        live = updated(driver, kind, resource, policy=normalize_policy(new_policy))
        assert [s["Sid"] for s in live.props["policy"]["Statement"]] == ["Root", "Two"]

        kind.delete(ctx, live)
        assert kms.describe_key(KeyId=attrs["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already scheduled: fine
        for key_id in (other_env, untagged):
            assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_kms_key_read_costs_one_listing_plus_three_calls_per_key() -> None:
    with moto_context() as ctx:
        kind, driver = KmsKey(), KindDriver(ctx)
        for i in range(3):
            driver.create(kind, key_resource(f"kms{i}"))
        ctx.client("kms").create_key(Description="not ours")
        found, calls = read_calls(ctx, kind)
        assert sorted(live.id for live in found) == ["kms0", "kms1", "kms2"]
        assert calls == 1 + 3 * 3


# ---- kms.alias --------------------------------------------------------------------------------------------
def test_kms_alias_lifecycle_through_parent_key() -> None:
    with moto_context() as ctx:
        kms = ctx.client("kms")
        keys, aliases, driver = KmsKey(), KmsAlias(), KindDriver(ctx)
        foreign_key = kms.create_key(Description="foreign")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/shop-dev-lookalike", TargetKeyId=foreign_key)
        driver.create(keys, key_resource("kms"))
        driver.create(keys, key_resource("kms2"))

        resource = Resource(
            "kms.alias",
            "kms/alias",
            "platform",
            "alias/shop-dev",
            {"alias_name": "alias/shop-dev", "target": Ref("kms", "KeyId")},
        )
        attrs = driver.create(aliases, resource)
        assert attrs["AliasName"] == "alias/shop-dev"
        assert attrs["AliasArn"].endswith(":alias/shop-dev")
        live = read_one(driver, aliases, resource)
        assert live.attrs == attrs

        # Retargeted, the alias belongs to (and is named after) the other key.
        resource.props["target"] = Ref("kms2", "KeyId")
        update_as_planned(aliases, ctx, resource, live, driver.resolved(resource))
        found = driver.read(aliases)
        assert list(found) == ["kms2/alias"]
        assert found["kms2/alias"].props == driver.resolved(resource)

        # Key and alias kinds share one tagging-API listing in a pass.
        ctx.clear_cache()
        before = dict(ctx.aws.counter.calls)
        keys.read(ctx)
        aliases.read(ctx)
        after = ctx.aws.counter.calls
        assert (
            after[("resourcegroupstaggingapi", "GetResources")]
            - before.get(("resourcegroupstaggingapi", "GetResources"), 0)
            == 1
        )
        assert after[("kms", "ListAliases")] - before.get(("kms", "ListAliases"), 0) == 1

        aliases.delete(ctx, found["kms2/alias"])
        assert driver.read(aliases) == {}
        aliases.delete(ctx, found["kms2/alias"])  # gone already: fine
        names = [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
        assert "alias/shop-dev-lookalike" in names


def test_kms_alias_of_key_pending_deletion_is_not_read() -> None:
    with moto_context() as ctx:
        keys, aliases, driver = KmsKey(), KmsAlias(), KindDriver(ctx)
        driver.create(keys, key_resource("kms"))
        driver.create(
            aliases,
            Resource(
                "kms.alias", "kms/alias", "platform", "a", {"alias_name": "alias/a", "target": Ref("kms", "KeyId")}
            ),
        )
        keys.delete(ctx, driver.read(keys)["kms"])
        assert driver.read(aliases) == {}


# ---- logs.log_group ---------------------------------------------------------------------------------------
def log_group_resource(logical_id: str, retention: int = 7, kms_key: Any = None) -> Resource:
    name = f"/{PLATFORM}/{ENV}/{logical_id}"
    return Resource(
        "logs.log_group",
        logical_id,
        "services",
        name,
        {"name": name, "retention_days": retention, "kms_key": kms_key},
    )


def test_log_group_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        logs = ctx.client("logs")
        kind, driver = LogGroup(), KindDriver(ctx)
        driver.create(KmsKey(), key_resource("kms"))
        logs.create_log_group(logGroupName=f"/{PLATFORM}/{ENV}/lookalike")
        logs.create_log_group(logGroupName=f"/{PLATFORM}/prod/orders", tags=other_env_tags("orders", "services"))

        resource = log_group_resource("orders", kms_key=Ref("kms", "Arn"))
        attrs = driver.create(kind, resource)
        assert attrs["Name"] == f"/{PLATFORM}/{ENV}/orders"
        assert attrs["Arn"].endswith(":log-group:/shop/dev/orders")
        live = read_one(driver, kind, resource)
        assert live.attrs == attrs

        live = updated(driver, kind, resource, retention_days=30)

        # moto implements neither associate_kms_key nor disassociate_kms_key: record the calls instead.
        calls: list[tuple[str, dict[str, Any]]] = []
        logs.associate_kms_key = lambda **kw: calls.append(("associate", kw))
        logs.disassociate_kms_key = lambda **kw: calls.append(("disassociate", kw))
        kms_arn = driver.outputs["kms"]["Arn"]
        without_key = {**driver.resolved(resource), "kms_key": None}
        update_as_planned(kind, ctx, resource, live, without_key)
        keyless = _with_props(live, kms_key=None)
        update_as_planned(kind, ctx, resource, keyless, driver.resolved(resource))
        assert calls == [
            ("disassociate", {"logGroupName": attrs["Name"]}),
            ("associate", {"logGroupName": attrs["Name"], "kmsKeyId": kms_arn}),
        ]

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)
        names = {g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]}
        assert names == {f"/{PLATFORM}/{ENV}/lookalike", f"/{PLATFORM}/prod/orders"}


def test_log_group_read_takes_tags_from_the_index_and_asks_only_unknown_candidates() -> None:
    with moto_context() as ctx:
        logs = ctx.client("logs")
        kind, driver = LogGroup(), KindDriver(ctx)
        for name in ("a", "b", "c"):
            driver.create(kind, log_group_resource(name))
        for i in range(5):
            logs.create_log_group(logGroupName=f"/aws/lambda/unrelated-{i}")
        logs.create_log_group(logGroupName=f"/ecs/{PLATFORM}-{ENV}-untagged")
        before = dict(ctx.aws.counter.calls)
        found, _ = read_calls(ctx, kind)
        assert sorted(live.id for live in found) == ["a", "b", "c"]
        for live in found:
            assert_reads_as_desired(kind, live, log_group_resource(live.id).props)
        delta = {k: v - before.get(k, 0) for k, v in ctx.aws.counter.calls.items() if v != before.get(k, 0)}
        assert delta == {
            ("logs", "DescribeLogGroups"): 1,
            ("resourcegroupstaggingapi", "GetResources"): 1,
            ("logs", "ListTagsForResource"): 1,  # the untagged candidate, which the index does not know
        }


def test_log_group_the_index_does_not_know_yet_is_read_through_its_own_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformctl.resources import tag_index

    with moto_context() as ctx:
        logs = ctx.client("logs")
        kind, driver = LogGroup(), KindDriver(ctx)
        resource = log_group_resource("orders")
        driver.create(kind, resource)
        logs.create_log_group(logGroupName=f"/{PLATFORM}/{ENV}/lookalike")
        logs.create_log_group(logGroupName=f"/{PLATFORM}/prod/orders", tags=other_env_tags("orders", "services"))
        monkeypatch.setattr(tag_index, "indexed_tags", lambda ctx: {})  # the index lags behind: knows nothing
        before = ctx.aws.counter.calls[("logs", "ListTagsForResource")]
        live = read_one(driver, kind, resource)
        assert live.attrs == driver.outputs[resource.id]
        assert ctx.aws.counter.calls[("logs", "ListTagsForResource")] - before == 3  # every candidate


# ---- ecs.cluster ------------------------------------------------------------------------------------------
def cluster_resource(logical_id: str = "cluster", name: str = f"{PLATFORM}-{ENV}") -> Resource:
    return Resource(
        "ecs.cluster",
        logical_id,
        "platform",
        name,
        {
            "name": name,
            "container_insights": "enabled",
            "capacity_providers": ["FARGATE_SPOT", "FARGATE"],
            "strategy": [
                {"provider": "FARGATE", "base": 1, "weight": 1},
                {"provider": "FARGATE_SPOT", "base": 0, "weight": 3},
            ],
        },
    )


def test_ecs_cluster_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        ecs = ctx.client("ecs")
        kind, driver = EcsCluster(), KindDriver(ctx)
        ecs.create_cluster(clusterName=f"{PLATFORM}-{ENV}-lookalike")
        ecs.create_cluster(
            clusterName=f"{PLATFORM}-prod",
            tags=[{"key": k, "value": v} for k, v in other_env_tags("cluster", "platform").items()],
        )

        resource = cluster_resource()
        attrs = driver.create(kind, resource)
        assert attrs["ClusterName"] == f"{PLATFORM}-{ENV}"
        live = read_one(driver, kind, resource)
        assert live.attrs == attrs

        updated(driver, kind, resource, container_insights="disabled")
        updated(driver, kind, resource, capacity_providers=["FARGATE"], strategy=[])
        updated(driver, kind, resource, strategy=[{"provider": "FARGATE", "base": 2, "weight": 5}])

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)
        statuses = {
            c["clusterName"]: c["status"]
            for c in ecs.describe_clusters(clusters=ecs.list_clusters()["clusterArns"])["clusters"]
        }
        assert statuses[f"{PLATFORM}-{ENV}-lookalike"] == "ACTIVE"
        assert statuses[f"{PLATFORM}-prod"] == "ACTIVE"


def test_ecs_cluster_without_providers_reads_empty_lists() -> None:
    with moto_context() as ctx:
        kind, driver = EcsCluster(), KindDriver(ctx)
        resource = cluster_resource()
        resource.props.update(capacity_providers=[], strategy=[], container_insights="disabled")
        driver.create(kind, resource)
        read_one(driver, kind, resource)


def test_ecs_cluster_create_refuses_a_foreign_cluster_of_the_same_name() -> None:
    with moto_context() as ctx:
        ctx.client("ecs").create_cluster(clusterName=f"{PLATFORM}-{ENV}")
        with pytest.raises(AwsCallError, match="not ours"):
            EcsCluster().create(ctx, cluster_resource(), cluster_resource().props)


def test_ecs_cluster_read_is_two_calls() -> None:
    with moto_context() as ctx:
        kind, driver = EcsCluster(), KindDriver(ctx)
        for i in range(3):
            driver.create(kind, cluster_resource(f"c{i}", f"{PLATFORM}-{ENV}-{i}"))
        ctx.client("ecs").create_cluster(clusterName="unrelated")
        found, calls = read_calls(ctx, kind)
        assert len(found) == 3
        assert calls == 2


# ---- servicediscovery.namespace ---------------------------------------------------------------------------
def namespace_resource(name: str = f"{ENV}.{PLATFORM}.local") -> Resource:
    return Resource(
        "servicediscovery.namespace", "namespace", "platform", name, {"name": name, "vpc": Ref("vpc", "VpcId")}
    )


def test_namespace_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        sd = ctx.client("servicediscovery")
        kind, driver = CloudMapNamespace(), KindDriver(ctx)
        net = network(ctx)
        driver.outputs["vpc"] = {"VpcId": net["vpc"]}
        other_vpc = ctx.client("ec2").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        sd.create_private_dns_namespace(
            Name=f"{ENV}.{PLATFORM}.local",
            Vpc=other_vpc,
            Tags=[{"Key": k, "Value": v} for k, v in other_env_tags("namespace", "platform").items()],
        )
        # moto allows one private namespace per VPC (ConflictingDomainExists on any second one).
        third_vpc = ctx.client("ec2").create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
        sd.create_private_dns_namespace(Name="untagged.local", Vpc=third_vpc)

        resource = namespace_resource()
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"NamespaceId", "Arn", "HostedZoneId"}
        assert not attrs["HostedZoneId"].startswith("/")
        live = read_one(driver, kind, resource)
        assert live.props["vpc"] is None
        assert live.attrs == attrs

        # A create retried after a crash or timeout finds the namespace it made instead of failing.
        assert kind.create(ctx, resource, driver.resolved(resource)) == attrs

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)
        left = {n["Name"] for n in sd.list_namespaces()["Namespaces"]}
        assert left == {f"{ENV}.{PLATFORM}.local", "untagged.local"}


def test_namespace_create_does_not_adopt_a_foreign_namespace() -> None:
    with moto_context() as ctx:
        net = network(ctx)
        ctx.client("servicediscovery").create_private_dns_namespace(Name="x.local", Vpc=net["vpc"])
        resource = namespace_resource("x.local")
        with pytest.raises(Exception) as raised:
            CloudMapNamespace().create(ctx, resource, {"name": "x.local", "vpc": net["vpc"]})
        assert "ConflictingDomainExists" in str(raised.value) or "NamespaceAlreadyExists" in str(raised.value)


def test_namespace_creator_request_id_is_deterministic_and_short() -> None:
    with moto_context() as ctx:
        first = creator_request_id(ctx, namespace_resource(), "a.local")
        assert first == creator_request_id(ctx, namespace_resource(), "a.local")
        assert first != creator_request_id(ctx, namespace_resource(), "b.local")
        assert len(first) <= 64


def test_namespace_create_fails_with_the_operation_error() -> None:
    with moto_context() as ctx:
        net = network(ctx)
        kind = CloudMapNamespace()
        sd = ctx.client("servicediscovery")
        original = sd.get_operation

        def failing(**kwargs: Any) -> dict[str, Any]:
            answer = original(**kwargs)
            answer["Operation"].update(Status="FAIL", ErrorCode="CANNOT_CREATE_HOSTED_ZONE", ErrorMessage="nope")
            return answer

        sd.get_operation = failing
        with pytest.raises(AwsCallError, match="CANNOT_CREATE_HOSTED_ZONE"):
            kind.create(ctx, namespace_resource(), {"name": "y.local", "vpc": net["vpc"]})


# ---- elbv2.load_balancer ----------------------------------------------------------------------------------
def lb_resource(net: dict[str, Any], logical_id: str = "alb", name: str = f"{PLATFORM}-{ENV}") -> Resource:
    return Resource(
        "elbv2.load_balancer",
        logical_id,
        "services",
        name,
        {
            "name": name,
            "scheme": "internal",
            "subnets": net["subnets"][:2],
            "security_groups": net["security_groups"][:1],
        },
    )


def test_load_balancer_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        elbv2 = ctx.client("elbv2")
        kind, driver = LoadBalancer(), KindDriver(ctx)
        net = network(ctx)
        elbv2.create_load_balancer(Name="lookalike", Subnets=net["subnets"][:2], Scheme="internal")
        elbv2.create_load_balancer(
            Name=f"{PLATFORM}-prod",
            Subnets=net["subnets"][:2],
            Scheme="internal",
            Tags=[{"Key": k, "Value": v} for k, v in other_env_tags("alb", "services").items()],
        )

        resource = lb_resource(net)
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"LoadBalancerArn", "DNSName", "CanonicalHostedZoneId"}
        live = read_one(driver, kind, resource)
        assert live.attrs == attrs

        updated(driver, kind, resource, subnets=net["subnets"][1:])
        updated(driver, kind, resource, security_groups=net["security_groups"])

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)
        left = {lb["LoadBalancerName"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]}
        assert left == {"lookalike", f"{PLATFORM}-prod"}


def test_load_balancer_read_batches_tags() -> None:
    with moto_context() as ctx:
        elbv2 = ctx.client("elbv2")
        kind, driver = LoadBalancer(), KindDriver(ctx)
        net = network(ctx)
        for i in range(3):
            driver.create(kind, lb_resource(net, f"alb{i}", f"{PLATFORM}-{ENV}-{i}"))
        for i in range(20):
            elbv2.create_load_balancer(Name=f"other-{i}", Subnets=net["subnets"][:2])
        found, calls = read_calls(ctx, kind)
        assert sorted(live.id for live in found) == ["alb0", "alb1", "alb2"]
        assert calls == 1 + 2  # one listing page, 23 ARNs in two describe_tags batches


# ---- elbv2.listener ---------------------------------------------------------------------------------------
def listener_resource(port: int) -> Resource:
    return Resource(
        "elbv2.listener",
        f"listener-{port}",
        "services",
        f"HTTP:{port}",
        {
            "load_balancer": Ref("alb", "LoadBalancerArn"),
            "port": port,
            "protocol": "HTTP",
            "default_action": {
                "type": "fixed-response",
                "status_code": "404",
                "content_type": "text/plain",
                "message_body": "not found",
            },
        },
    )


def test_listener_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        elbv2 = ctx.client("elbv2")
        lbs, kind, driver = LoadBalancer(), Listener(), KindDriver(ctx)
        net = network(ctx)
        lb_arn = driver.create(lbs, lb_resource(net))["LoadBalancerArn"]
        foreign = elbv2.create_listener(
            LoadBalancerArn=lb_arn,
            Port=9090,
            Protocol="HTTP",
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
        )["Listeners"][0]["ListenerArn"]

        resource = listener_resource(80)
        attrs = driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        assert live.attrs == attrs

        updated(driver, kind, resource, port=8080)
        updated(
            driver,
            kind,
            resource,
            default_action={
                "type": "fixed-response",
                "status_code": "503",
                "content_type": "text/plain",
                "message_body": "",
            },
        )

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)
        assert [x["ListenerArn"] for x in elbv2.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]] == [foreign]


def test_listener_drift_to_another_action_reads_as_a_difference() -> None:
    with moto_context() as ctx:
        lbs, kind, driver = LoadBalancer(), Listener(), KindDriver(ctx)
        net = network(ctx)
        driver.create(lbs, lb_resource(net))
        resource = listener_resource(80)
        arn = driver.create(kind, resource)["ListenerArn"]
        ctx.client("elbv2").modify_listener(
            ListenerArn=arn,
            DefaultActions=[
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}},
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "201"}},
            ],
        )
        live = driver.read(kind)["listener-80"]
        assert live.props["default_action"] != driver.resolved(resource)["default_action"]
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        read_one(driver, kind, resource)


def test_listener_and_load_balancer_reads_share_one_listing() -> None:
    with moto_context() as ctx:
        lbs, kind, driver = LoadBalancer(), Listener(), KindDriver(ctx)
        net = network(ctx)
        driver.create(lbs, lb_resource(net))
        for port in (80, 81, 82):
            driver.create(kind, listener_resource(port))
        ctx.clear_cache()
        before = ctx.aws.counter.total
        assert len(lbs.read(ctx)) == 1
        assert len(kind.read(ctx)) == 3
        assert ListenerRule().read(ctx) == []
        # describe_load_balancers + the tag index (ALBs); describe_listeners, describe_rules per listener (the
        # pass shared with the rule kind, which then costs nothing) and one describe_tags for listeners + rules.
        assert ctx.aws.counter.total - before == 2 + 1 + 3 + 1


def test_describe_tags_batches_twenty_arns() -> None:
    with moto_context() as ctx:
        lbs, kind, driver = LoadBalancer(), Listener(), KindDriver(ctx)
        net = network(ctx)
        driver.create(lbs, lb_resource(net))
        arns = [driver.create(kind, listener_resource(8000 + i))["ListenerArn"] for i in range(25)]
        before = ctx.aws.counter.total
        tags = describe_tags(ctx, arns)
        assert ctx.aws.counter.total - before == 2
        assert len(tags) == 25
        found, calls = read_calls(ctx, kind)
        assert len(found) == 25
        # describe_load_balancers + the tag index; describe_listeners; describe_rules per listener (shared with
        # the rule kind); the listeners' tags in two batches (the emulator's index has no listeners).
        assert calls == 2 + 1 + 25 + 2


# ---- real-AWS behaviour moto does not show ----------------------------------------------------------------
def test_kms_key_delete_of_a_key_already_scheduled_is_fine() -> None:
    with moto_context() as ctx:
        kms = ctx.client("kms")
        kind, driver = KmsKey(), KindDriver(ctx)
        driver.create(kind, key_resource())
        live = driver.read(kind)["kms"]
        kind.delete(ctx, live)

        def refuse(**_: Any) -> None:  # what AWS answers for a key that is already PendingDeletion
            raise client_error("KMSInvalidStateException", "ScheduleKeyDeletion")

        kms.schedule_key_deletion = refuse
        kind.delete(ctx, live)


def test_ecs_cluster_delete_waits_for_services_to_drain() -> None:
    with moto_context() as ctx:
        ecs = ctx.client("ecs")
        kind, driver = EcsCluster(), KindDriver(ctx)
        driver.create(kind, cluster_resource())
        live = driver.read(kind)["cluster"]
        original, attempts = ecs.delete_cluster, []

        def busy_once(**kwargs: Any) -> Any:
            attempts.append(kwargs)
            if len(attempts) == 1:
                raise client_error("ClusterContainsServicesException", "DeleteCluster")
            return original(**kwargs)

        ecs.delete_cluster = busy_once
        kind.delete(ctx, live)
        assert len(attempts) == 2
        assert driver.read(kind) == {}


def test_namespace_create_survives_an_operation_whose_namespace_is_gone() -> None:
    with moto_context() as ctx:
        sd = ctx.client("servicediscovery")
        kind, driver = CloudMapNamespace(), KindDriver(ctx)
        driver.outputs["vpc"] = {"VpcId": network(ctx)["vpc"]}
        original, lookups = sd.get_namespace, []

        def missing_once(**kwargs: Any) -> Any:
            lookups.append(kwargs)
            if len(lookups) == 1:
                raise client_error("NamespaceNotFound", "GetNamespace")
            return original(**kwargs)

        sd.get_namespace = missing_once
        resource = namespace_resource()
        attrs = driver.create(kind, resource)
        assert read_one(driver, kind, resource).attrs == attrs
