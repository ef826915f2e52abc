"""Target groups, listener rules and the cluster dashboard against moto: create → read equals desired →
update in place → delete → gone, owned only by tags (or, for the dashboard, by our cluster's tags).

Beyond the lifecycle: look-alikes stay invisible and survive our deletes, a same-named resource that is not
ours is never adopted, a target group still in use is deleted once it detaches, a rule edited by hand
reads as drift, and a read costs a small, known number of calls.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from platformctl.engine.model import Ref, Resource
from platformctl.errors import AwsCallError
from platformctl.resources import tag_index
from platformctl.resources.base import Context, tag_list
from platformctl.resources.cloudwatch_dashboard import Dashboard
from platformctl.resources.ecs_cluster import our_clusters
from platformctl.resources.elbv2_listener import Listener, our_listeners
from platformctl.resources.elbv2_listener_rule import ListenerRule
from platformctl.resources.elbv2_load_balancer import LoadBalancer
from platformctl.resources.elbv2_target_group import TargetGroup, our_target_groups
from tests.unit.kind_harness import (
    ENV,
    PLATFORM,
    KindDriver,
    client_error,
    moto_context,
    network,
    other_env_tags,
    our_tags,
    read_calls,
    read_one,
    update_as_planned,
    updated,
)

LAYER = "services"


# ---- helpers ---------------------------------------------------------------------------------------------
def target_group_resource(service: str, **props: Any) -> Resource:
    name = f"{PLATFORM}-{ENV}-{service}"
    base = {
        "name": name,
        "vpc": Ref("vpc", "VpcId"),
        "port": 8080,
        "protocol": "HTTP",
        "target_type": "ip",
        "health_path": "/health",
        "matcher": "200-399",
        "deregistration_delay": 30,
    }
    return Resource("elbv2.target_group", f"tg.{service}", LAYER, name, {**base, **props})


def routing(ctx: Context) -> tuple[KindDriver, dict[str, Any]]:
    """Network made with boto3; our ALB and its HTTP listener made through their kinds (so they carry our tags)."""
    driver = KindDriver(ctx)
    net = network(ctx, zones="ab", groups=("alb",))
    driver.outputs["vpc"] = {"VpcId": net["vpc"]}
    alb = Resource(
        "elbv2.load_balancer",
        "alb",
        "platform",
        f"{PLATFORM}-{ENV}",
        {"name": f"{PLATFORM}-{ENV}", "scheme": "internal", **{k: net[k] for k in ("subnets", "security_groups")}},
    )
    driver.create(LoadBalancer(), alb)
    listener = Resource(
        "elbv2.listener",
        "listener",
        "platform",
        "HTTP:80",
        {
            "load_balancer": Ref("alb", "LoadBalancerArn"),
            "port": 80,
            "protocol": "HTTP",
            "default_action": {
                "type": "fixed-response",
                "status_code": "404",
                "content_type": "text/plain",
                "message_body": "",
            },
        },
    )
    driver.create(Listener(), listener)
    return driver, net


def rule_resource(service: str, priority: int, paths: list[str], logical_id: str | None = None) -> Resource:
    return Resource(
        "elbv2.listener_rule",
        logical_id or f"rule.{service}",
        LAYER,
        f"{service} routes",
        {
            "listener": Ref("listener", "ListenerArn"),
            "priority": priority,
            "paths": paths,
            "target_group": Ref(f"tg.{service}", "TargetGroupArn"),
        },
    )


def raw_target_group(ctx: Context, name: str, vpc: str, tags: list[dict[str, str]] | None = None) -> str:
    request: dict[str, Any] = {"Name": name, "VpcId": vpc, "Port": 80, "Protocol": "HTTP", "TargetType": "ip"}
    if tags:
        request["Tags"] = tags
    return ctx.client("elbv2").create_target_group(**request)["TargetGroups"][0]["TargetGroupArn"]


def raw_rule(ctx: Context, listener: str, priority: int, tg: str, tags: list[dict[str, str]] | None = None) -> str:
    request: dict[str, Any] = {
        "ListenerArn": listener,
        "Priority": priority,
        "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": [f"/raw{priority}/*"]}}],
        "Actions": [{"Type": "forward", "TargetGroupArn": tg}],
    }
    if tags:
        request["Tags"] = tags
    return ctx.client("elbv2").create_rule(**request)["Rules"][0]["RuleArn"]


def rule_arns(ctx: Context, listener: str) -> set[str]:
    rules = ctx.client("elbv2").describe_rules(ListenerArn=listener)["Rules"]
    return {r["RuleArn"] for r in rules if not r["IsDefault"]}


# ---- elbv2.target_group -----------------------------------------------------------------------------------
def test_target_group_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        elbv2 = ctx.client("elbv2")
        kind, (driver, net) = TargetGroup(), routing(ctx)
        raw_target_group(ctx, "handmade", net["vpc"])
        raw_target_group(ctx, f"{PLATFORM}-prod-orders", net["vpc"], tag_list(other_env_tags("tg.orders", LAYER)))

        resource = target_group_resource("orders")
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"TargetGroupArn", "Name"}
        assert attrs["Name"] == f"{PLATFORM}-{ENV}-orders"
        live = read_one(driver, kind, resource)
        assert live.attrs == attrs
        assert live.physical_id == attrs["TargetGroupArn"]
        assert live.name == attrs["Name"]
        assert live.props["vpc"] == net["vpc"]

        updated(driver, kind, resource, health_path="/ready")
        updated(driver, kind, resource, matcher="200")

        # Nothing changed: no write at all.
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, driver.read(kind)[resource.id], driver.resolved(resource))
        assert ctx.aws.counter.writes == writes

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already gone: fine
        left = {g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]}
        assert left == {"handmade", f"{PLATFORM}-prod-orders"}


def test_target_group_create_refuses_a_same_named_group_that_is_not_ours() -> None:
    with moto_context() as ctx:
        kind, (driver, net) = TargetGroup(), routing(ctx)
        untagged = target_group_resource("orders")
        raw_target_group(ctx, untagged.props["name"], net["vpc"])
        with pytest.raises(AwsCallError, match="DuplicateTargetGroupName"):
            driver.create(kind, untagged)
        # Ours, but another resource's: refused as well.
        other = target_group_resource("billing")
        raw_target_group(ctx, other.props["name"], net["vpc"], tag_list(our_tags("tg.somebody-else", LAYER)))
        with pytest.raises(AwsCallError, match="not ours"):
            driver.create(kind, other)
        assert [live.id for live in kind.read(ctx)] == ["tg.somebody-else"]


def test_target_group_create_again_after_a_crash_returns_the_one_already_made() -> None:
    with moto_context() as ctx:
        kind, (driver, _) = TargetGroup(), routing(ctx)
        resource = target_group_resource("orders")
        first = driver.create(kind, resource)
        assert driver.create(kind, resource) == first
        read_one(driver, kind, resource)


def test_target_group_delete_waits_while_a_rule_still_uses_it() -> None:
    with moto_context() as ctx:
        elbv2 = ctx.client("elbv2")
        kind, rules, (driver, _) = TargetGroup(), ListenerRule(), routing(ctx)
        driver.create(kind, target_group_resource("orders"))
        rule = rule_resource("orders", 10, ["/orders/*"])
        driver.create(rules, rule)
        live = driver.read(kind)["tg.orders"]
        original, attempts = elbv2.delete_target_group, []

        def in_use_until_the_rule_goes(**kwargs: Any) -> Any:
            attempts.append(kwargs)
            if len(attempts) == 2:  # meanwhile the rule is deleted in parallel
                rules.delete(ctx, driver.read(rules)[rule.id])
            return original(**kwargs)

        elbv2.delete_target_group = in_use_until_the_rule_goes
        kind.delete(ctx, live)  # moto answers ResourceInUse itself while the rule forwards to it
        assert len(attempts) == 2  # refused once (moto: a rule forwards to it), then deleted
        assert driver.read(kind) == {}


def test_target_group_read_batches_tags_and_is_shared() -> None:
    with moto_context() as ctx:
        kind, (driver, net) = TargetGroup(), routing(ctx)
        for service in ("a", "b", "c"):
            driver.create(kind, target_group_resource(service))
        for i in range(20):
            raw_target_group(ctx, f"other-{i}", net["vpc"])
        found, calls = read_calls(ctx, kind)
        assert sorted(live.id for live in found) == ["tg.a", "tg.b", "tg.c"]
        # One listing page, 23 ARNs in two describe_tags batches, and the attributes of our 3 groups only
        # (ELBv2 has no batch for them): never the 20 look-alikes'.
        assert calls == 1 + 2 + 3
        before = ctx.aws.counter.total
        assert sorted(g.logical_id for g in our_target_groups(ctx)) == ["tg.a", "tg.b", "tg.c"]
        assert ctx.aws.counter.total == before  # cached for the pass


# ---- elbv2.listener_rule ----------------------------------------------------------------------------------
def test_listener_rule_lifecycle_with_in_place_changes_and_look_alikes() -> None:
    with moto_context() as ctx:
        kind, groups, (driver, _) = ListenerRule(), TargetGroup(), routing(ctx)
        listener = driver.outputs["listener"]["ListenerArn"]
        orders_tg = driver.create(groups, target_group_resource("orders"))["TargetGroupArn"]
        driver.create(groups, target_group_resource("billing"))
        untagged = raw_rule(ctx, listener, 1, orders_tg)
        other_env = raw_rule(ctx, listener, 2, orders_tg, tag_list(other_env_tags("rule.orders", LAYER)))

        resource = rule_resource("orders", 10, ["/orders/*", "/orders"])
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"RuleArn"}
        live = read_one(driver, kind, resource)
        assert live.attrs == attrs
        assert live.props["paths"] == ["/orders", "/orders/*"]
        assert live.props["target_group"] == orders_tg

        updated(driver, kind, resource, priority=20)
        updated(driver, kind, resource, paths=["/v2/orders/*", "/orders"])
        live = updated(driver, kind, resource, target_group=Ref("tg.billing", "TargetGroupArn"))
        assert live.physical_id == attrs["RuleArn"]  # changed in place, never replaced
        updated(
            driver, kind, resource, priority=30, paths=["/orders/*"], target_group=Ref("tg.orders", "TargetGroupArn")
        )

        # Same paths in another order: nothing to do.
        writes = ctx.aws.counter.writes
        resource.props["paths"] = ["/orders/*"]
        update_as_planned(kind, ctx, resource, driver.read(kind)[resource.id], driver.resolved(resource))
        assert ctx.aws.counter.writes == writes

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already gone: fine
        assert rule_arns(ctx, listener) == {untagged, other_env}


def test_listener_rule_on_a_listener_that_is_not_ours_is_not_read() -> None:
    with moto_context() as ctx:
        elbv2 = ctx.client("elbv2")
        kind, groups, (driver, _) = ListenerRule(), TargetGroup(), routing(ctx)
        tg = driver.create(groups, target_group_resource("orders"))["TargetGroupArn"]
        handmade = elbv2.create_listener(
            LoadBalancerArn=driver.outputs["alb"]["LoadBalancerArn"],
            Port=8080,
            Protocol="HTTP",
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
        )["Listeners"][0]["ListenerArn"]
        raw_rule(ctx, handmade, 5, tg, tag_list(our_tags("rule.orders", LAYER)))
        assert driver.read(kind) == {}
        assert [x.arn for x in our_listeners(ctx)] == [driver.outputs["listener"]["ListenerArn"]]


def test_listener_rule_edited_by_hand_reads_as_drift_and_update_restores_it() -> None:
    with moto_context() as ctx:
        elbv2 = ctx.client("elbv2")
        kind, groups, (driver, _) = ListenerRule(), TargetGroup(), routing(ctx)
        driver.create(groups, target_group_resource("orders"))
        resource = rule_resource("orders", 10, ["/orders/*"])
        arn = driver.create(kind, resource)["RuleArn"]
        elbv2.modify_rule(
            RuleArn=arn,
            Conditions=[
                {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/orders/*"]}},
                {"Field": "host-header", "HostHeaderConfig": {"Values": ["example.com"]}},
            ],
            Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}],
        )
        live = driver.read(kind)[resource.id]
        desired = kind.canonical(driver.resolved(resource))
        assert live.props["paths"] != desired["paths"]
        assert any(p.startswith("host-header:") for p in live.props["paths"])
        assert live.props["target_group"] == "fixed-response"
        update_as_planned(kind, ctx, resource, live, desired)
        read_one(driver, kind, resource)


def test_listener_rule_reads_a_forward_config_as_its_target_group() -> None:
    with moto_context() as ctx:
        elbv2 = ctx.client("elbv2")
        kind, groups, (driver, _) = ListenerRule(), TargetGroup(), routing(ctx)
        tg = driver.create(groups, target_group_resource("orders"))["TargetGroupArn"]
        resource = rule_resource("orders", 10, ["/orders/*"])
        driver.create(kind, resource)
        original = elbv2.describe_rules

        def as_aws_answers(**kwargs: Any) -> Any:  # AWS adds a ForwardConfig next to TargetGroupArn, or alone
            answer = original(**kwargs)
            for rule in answer["Rules"]:
                for action in rule["Actions"]:
                    if action["Type"] == "forward":
                        action.pop("TargetGroupArn")
                        action["ForwardConfig"] = {"TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}]}
            return answer

        elbv2.describe_rules = as_aws_answers
        read_one(driver, kind, resource)


def test_listener_rule_create_waits_for_a_priority_being_freed() -> None:
    with moto_context() as ctx:
        elbv2 = ctx.client("elbv2")
        kind, groups, (driver, _) = ListenerRule(), TargetGroup(), routing(ctx)
        driver.create(groups, target_group_resource("orders"))
        original, attempts = elbv2.create_rule, []

        def in_use_once(**kwargs: Any) -> Any:
            attempts.append(kwargs)
            if len(attempts) == 1:
                raise client_error("PriorityInUse", "CreateRule")
            return original(**kwargs)

        elbv2.create_rule = in_use_once
        resource = rule_resource("orders", 10, ["/orders/*"])
        driver.create(kind, resource)
        assert len(attempts) == 2
        read_one(driver, kind, resource)


def test_listener_rule_read_calls() -> None:
    with moto_context() as ctx:
        kind, groups, (driver, _) = ListenerRule(), TargetGroup(), routing(ctx)
        driver.create(groups, target_group_resource("orders"))
        for i in range(25):
            driver.create(kind, rule_resource("orders", 100 + i, [f"/r{i}/*"], logical_id=f"rule.{i}"))
        found, calls = read_calls(ctx, kind)
        assert len(found) == 25
        # ALBs: describe_load_balancers + the tag index; listeners: describe_listeners; rules: describe_rules
        # (one page); then describe_tags for the listener and the 25 rules together, 26 ARNs in two batches.
        assert calls == 2 + 1 + 1 + 2


def test_elbv2_resources_the_tag_index_does_not_know_yet_are_recognised_through_describe_tags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with moto_context() as ctx:
        kinds = LoadBalancer(), TargetGroup(), Listener(), ListenerRule()
        driver, _ = routing(ctx)
        driver.create(kinds[1], target_group_resource("orders"))
        driver.create(kinds[3], rule_resource("orders", 10, ["/orders/*"]))
        expected = ["alb", "listener", "rule.orders", "tg.orders"]

        found, indexed_calls = read_calls(ctx, *kinds)
        assert sorted(live.id for live in found) == expected
        # The index knows the ALB and the target group; listeners and rules share one describe_tags.
        assert ctx.aws.counter.calls[("elbv2", "DescribeTags")] == 1

        # Just created (the index lags): the same resources, their tags asked of ELBv2 in batches instead.
        monkeypatch.setattr(tag_index, "indexed_tags", lambda ctx: {})
        before = ctx.aws.counter.calls[("elbv2", "DescribeTags")]
        found, calls = read_calls(ctx, *kinds)
        assert sorted(live.id for live in found) == expected
        assert ctx.aws.counter.calls[("elbv2", "DescribeTags")] - before == 3
        # The index read replaced by the ALB's and the target group's describe_tags.
        assert calls == indexed_calls - 1 + 2


# ---- cloudwatch.dashboard ---------------------------------------------------------------------------------
CLUSTER = f"{PLATFORM}-{ENV}"
BODY = {
    "widgets": [
        {
            "type": "metric",
            "x": 0,
            "y": 0,
            "width": 12,
            "height": 6,
            "properties": {
                "title": "orders CPU",
                "region": "us-east-1",
                "metrics": [["AWS/ECS", "CPUUtilization", "ServiceName", "orders", "ClusterName", CLUSTER]],
            },
        },
        {"type": "text", "x": 12, "y": 0, "width": 12, "height": 6, "properties": {"markdown": "# orders"}},
    ],
    "start": "-PT3H",
}


def make_cluster(ctx: Context, name: str, tags: list[dict[str, str]] | None = None) -> str:
    request: dict[str, Any] = {"clusterName": name}
    if tags:
        request["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in tags]
    return ctx.client("ecs").create_cluster(**request)["cluster"]["clusterArn"]


def dashboard_resource(name: str = CLUSTER, body: dict[str, Any] | None = None) -> Resource:
    return Resource("cloudwatch.dashboard", "ecs.cluster/dashboard", "api", name, {"name": name, "body": body or BODY})


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def put_raw_dashboard(ctx: Context, name: str) -> None:
    ctx.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=json.dumps({"widgets": []}))


def dashboard_names(ctx: Context) -> set[str]:
    return {d["DashboardName"] for d in ctx.client("cloudwatch").list_dashboards()["DashboardEntries"]}


def test_dashboard_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        cloudwatch = ctx.client("cloudwatch")
        kind, driver = Dashboard(), KindDriver(ctx)
        make_cluster(ctx, CLUSTER, tag_list(our_tags("ecs.cluster", "platform")))
        make_cluster(ctx, f"{PLATFORM}-prod", tag_list(other_env_tags("ecs.cluster", "platform")))
        put_raw_dashboard(ctx, f"{PLATFORM}-prod")
        put_raw_dashboard(ctx, f"{CLUSTER}-handmade")  # shares our cluster's name as a prefix

        # AWS does not keep our key order: simulate it answering with every dict's keys reversed.
        original = cloudwatch.get_dashboard

        def reordered(**kwargs: Any) -> Any:
            answer = original(**kwargs)
            answer["DashboardBody"] = json.dumps(reversed_keys(json.loads(answer["DashboardBody"])))
            return answer

        cloudwatch.get_dashboard = reordered

        resource = dashboard_resource()
        attrs = driver.create(kind, resource)
        assert attrs == {
            "DashboardName": CLUSTER,
            "DashboardArn": f"arn:aws:cloudwatch::123456789012:dashboard/{CLUSTER}",
        }
        live = read_one(driver, kind, resource)
        assert live.id == "ecs.cluster/dashboard"
        assert live.layer == "api"
        assert live.attrs == attrs
        assert list(live.props["body"]) == ["start", "widgets"]  # canonical: keys sorted
        assert [w["type"] for w in live.props["body"]["widgets"]] == ["metric", "text"]  # widget order kept

        body = json.loads(json.dumps(BODY))
        body["widgets"].reverse()  # moving widgets around is a change
        live = updated(driver, kind, resource, body=body)
        assert [w["type"] for w in live.props["body"]["widgets"]] == ["text", "metric"]
        body["start"] = "-PT12H"
        updated(driver, kind, resource, body=body)

        # Same body with keys in another order: nothing to do.
        writes = ctx.aws.counter.writes
        resource.props["body"] = reversed_keys(body)
        update_as_planned(kind, ctx, resource, driver.read(kind)[resource.id], driver.resolved(resource))
        assert ctx.aws.counter.writes == writes

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already gone: fine
        assert dashboard_names(ctx) == {f"{PLATFORM}-prod", f"{CLUSTER}-handmade"}


def test_dashboard_of_our_cluster_name_without_our_cluster_is_not_read_nor_overwritten() -> None:
    with moto_context() as ctx:
        kind, driver = Dashboard(), KindDriver(ctx)
        put_raw_dashboard(ctx, CLUSTER)
        assert driver.read(kind) == {}  # no cluster at all
        make_cluster(ctx, CLUSTER)
        assert driver.read(kind) == {}  # an untagged cluster of that name
        assert our_clusters(ctx) == []
        with pytest.raises(AwsCallError, match="DashboardExists"):
            driver.create(kind, dashboard_resource())
        body = json.loads(ctx.client("cloudwatch").get_dashboard(DashboardName=CLUSTER)["DashboardBody"])
        assert body == {"widgets": []}


def test_dashboard_of_a_deleted_cluster_is_not_read() -> None:
    with moto_context() as ctx:
        kind, driver = Dashboard(), KindDriver(ctx)
        arn = make_cluster(ctx, CLUSTER, tag_list(our_tags("ecs.cluster", "platform")))
        driver.create(kind, dashboard_resource())
        assert list(driver.read(kind)) == ["ecs.cluster/dashboard"]
        ctx.client("ecs").delete_cluster(cluster=arn)
        assert driver.read(kind) == {}


def test_dashboard_read_calls() -> None:
    with moto_context() as ctx:
        kind, driver = Dashboard(), KindDriver(ctx)
        _, calls = read_calls(ctx, kind)
        assert calls == 1  # list_clusters finds nothing: no dashboard is even listed
        make_cluster(ctx, CLUSTER, tag_list(our_tags("ecs.cluster", "platform")))
        driver.create(kind, dashboard_resource())
        for i in range(5):
            put_raw_dashboard(ctx, f"{CLUSTER}-{i}")
        found, calls = read_calls(ctx, kind)
        assert [live.id for live in found] == ["ecs.cluster/dashboard"]
        assert calls == 3  # list_clusters, describe_clusters, get_dashboard (by our cluster's name: no listing)


def test_dashboard_canonical_sorts_keys_recursively_and_keeps_list_order() -> None:
    kind = Dashboard()
    props = {"name": "x", "body": {"b": [{"z": 1, "a": {"d": 2, "c": 3}}, {"y": 0}], "a": 1}}
    canonical = kind.canonical(props)
    assert json.dumps(canonical["body"]) == '{"a": 1, "b": [{"a": {"c": 3, "d": 2}, "z": 1}, {"y": 0}]}'
    assert canonical["body"] == props["body"]
