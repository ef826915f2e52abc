"""The services and api layers end to end on the moto server: the seed platform complete and in sync."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from tests.e2e.helpers import Cli, SharedSeed, client, copy_seed_specs, our_live_arns, pending

pytestmark = pytest.mark.e2e
PREFIX = "microservices-dev"


@pytest.fixture
def platform(shared_seed: SharedSeed, capsys) -> Cli:
    """The applied seed platform, shared with the module's other tests that only look at it."""
    return shared_seed.read(capsys)


@pytest.fixture
def cli(shared_seed: SharedSeed, capsys) -> Cli:
    """The applied seed platform, this test's to change."""
    return shared_seed.take(capsys)


def test_the_seed_platform_runs_complete_and_in_sync(platform: Cli) -> None:
    cli, endpoint = platform, platform.endpoint
    assert pending(cli) == []
    ecs = client(endpoint, "ecs")
    arns = ecs.list_services(cluster=PREFIX)["serviceArns"]
    described = ecs.describe_services(cluster=PREFIX, services=arns)["services"]
    assert sorted(s["serviceName"] for s in described) == ["order", "payment", "user"]
    for service in described:
        network = service["networkConfiguration"]["awsvpcConfiguration"]
        assert network["assignPublicIp"] == "DISABLED"
        assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        assert {c["capacityProvider"] for c in service["capacityProviderStrategy"]} == {"FARGATE", "FARGATE_SPOT"}
    apis = client(endpoint, "apigatewayv2").get_apis()["Items"]
    [api] = [a for a in apis if a["Name"] == PREFIX]
    routes = client(endpoint, "apigatewayv2").get_routes(ApiId=api["ApiId"])["Items"]
    assert sorted(r["RouteKey"] for r in routes) == [
        "ANY /orders/{proxy+}",
        "ANY /payments/{proxy+}",
        "ANY /users/{proxy+}",
    ]
    status = json.loads(cli("status", "--env", "dev", "--output", "json").out)
    assert status["outputs"]["api_url"] == api["ApiEndpoint"]
    assert [(s["service"], s["desired"]) for s in status["services"]] == [("order", 2), ("payment", 1), ("user", 1)]
    text = cli("status", "--env", "dev").out
    assert "api url" in text and "order" in text


def test_no_live_role_may_touch_another_services_topic_or_queue(platform: Cli) -> None:
    endpoint = platform.endpoint
    iam = client(endpoint, "iam")
    roles = iam.list_roles(PathPrefix="/platformctl/microservices/dev/")["Roles"]
    assert len(roles) == 6
    services = ("order", "payment", "user")
    bus = client(endpoint, "events").describe_event_bus(Name=PREFIX)["Arn"]
    bus_grants: list[tuple[str, list[str], list[str]]] = []
    for role in roles:
        owner = next(s for s in services if f"-{s}-" in role["RoleName"])
        for policy_name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=policy_name)["PolicyDocument"]
            if isinstance(document, str):
                document = json.loads(unquote(document))
            for statement in document["Statement"]:
                resources = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if any(a.startswith("events:") or bus in resources for a in actions):
                    bus_grants.append((role["RoleName"], actions, resources))
                for resource in resources:
                    assert resource != "*", (role["RoleName"], statement)
                    for other in services:
                        if other != owner:
                            assert f"{PREFIX}-{other}" not in resource, (role["RoleName"], resource)
                            assert f"/{other}" not in resource.split(":log-group:")[-1], (role["RoleName"], resource)
    # The platform bus: only payment says it publishes there (publishesToBus), and may do that and nothing else.
    assert [(name.split("-")[2:4], actions, resources) for name, actions, resources in bus_grants] == [
        (["payment", "task"], ["events:PutEvents"], [bus])
    ]


def test_add_service_then_apply_creates_exactly_that_service(cli: Cli) -> None:
    endpoint = cli.endpoint
    added = cli(
        "add-service",
        "notification",
        "--port",
        "8080",
        "--route",
        "ANY /notifications/{proxy+}",
        "--subscribes",
        "order:order_created",
    )
    assert added.code == 0, added.err
    steps = pending(cli)
    creates = sorted(s["id"] for s in steps if s["action"] == "create")
    assert creates == sorted(
        [
            "sg.service.notification",
            "sg.service.notification.ingress.alb",  # platform
            "queue.notification",
            "queue.notification.dlq",
            "queue.notification/policy",  # messaging
            "topic.order/queue.notification",
            "alarm.notification.dlq",
            "logs.service.notification",
            "role.notification.execution",
            "role.notification.task",  # services
            "taskdef.notification",
            "tg.notification",
            "alb.rule.notification.notifications",
            "svc.notification",
            "alarm.notification.cpu",
            "api/integration.notification",
            "api/route ANY /notifications/{proxy+}",  # api
        ]
    )
    # Nothing else changes, except that the environment's dashboard gains the new service's graphs.
    others = [(s["action"], s["id"]) for s in steps if s["action"] != "create"]
    assert others == [("update", "ecs.cluster/dashboard")]
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert pending(cli) == []
    services = client(endpoint, "ecs").list_services(cluster=PREFIX)["serviceArns"]
    assert any(a.endswith("/notification") for a in services)


def test_an_image_change_is_one_new_revision_and_one_service_update(cli: Cli) -> None:
    endpoint = cli.endpoint
    ecs = client(endpoint, "ecs")
    before = ecs.list_task_definitions(familyPrefix=f"{PREFIX}-order", status="ACTIVE")["taskDefinitionArns"]
    cli.edit(
        "services/order.yaml",
        "image: public.ecr.aws/nginx/nginx-unprivileged:1.27",
        "image: public.ecr.aws/nginx/nginx-unprivileged:1.28",
    )
    steps = pending(cli)
    assert sorted((s["action"], s["id"]) for s in steps) == [("replace", "taskdef.order"), ("update", "svc.order")]
    [revision] = [s for s in steps if s["id"] == "taskdef.order"]
    assert {
        "path": "container.image",
        "old": "public.ecr.aws/nginx/nginx-unprivileged:1.27",
        "new": "public.ecr.aws/nginx/nginx-unprivileged:1.28",
    } in revision["changes"]
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert pending(cli) == []
    after = ecs.list_task_definitions(familyPrefix=f"{PREFIX}-order", status="ACTIVE")["taskDefinitionArns"]
    assert len(before) == len(after) == 1 and before != after  # the old revision was deregistered
    [service] = ecs.describe_services(cluster=PREFIX, services=["order"])["services"]
    assert service["taskDefinition"] == after[0]


def test_removing_a_route_removes_its_api_route_and_listener_rule_only(cli: Cli) -> None:
    cli.edit("services/user.yaml", 'routes: ["ANY /users/{proxy+}"]', 'routes: ["ANY /users/{proxy+}", "GET /me"]')
    added = pending(cli)
    assert sorted((s["action"], s["id"]) for s in added) == [
        ("create", "alb.rule.user.me"),
        ("create", "api/route GET /me"),
    ]
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    cli.edit("services/user.yaml", '"ANY /users/{proxy+}", "GET /me"', '"ANY /users/{proxy+}"')
    removed = pending(cli)
    assert sorted((s["action"], s["id"]) for s in removed) == [
        ("delete", "alb.rule.user.me"),
        ("delete", "api/route GET /me"),
    ]
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert pending(cli) == []


def test_destroy_takes_everything_down_dependents_first(cli: Cli) -> None:
    endpoint = cli.endpoint
    result = cli("destroy", "--env", "dev", "--auto-approve", "--output", "json")
    assert result.code == 0, result.err
    operations = json.loads(result.out)["report"]["operations"]
    finished = [op["id"] for op in operations if op["status"] == "done"]
    position = {logical_id: i for i, logical_id in enumerate(finished)}
    # Each pair: what stands on something is gone before it.
    for dependent, target in [
        ("api/route ANY /orders/{proxy+}", "api/integration.order"),
        ("api/integration.order", "api.vpclink"),
        ("api.vpclink", "subnet.private.us-east-1a"),
        ("svc.order", "taskdef.order"),
        ("svc.order", "ecs.cluster"),
        ("svc.order", "tg.order"),
        ("alb.rule.order.orders", "tg.order"),
        ("taskdef.order", "role.order.task"),
        ("role.order.task", "queue.order"),
        ("queue.order", "queue.order.dlq"),
        ("queue.order", "kms"),
    ]:
        assert position[dependent] < position[target], f"{dependent} must go before {target}"
    assert our_live_arns(endpoint, "microservices", "dev") == []
    assert client(endpoint, "apigatewayv2").get_apis()["Items"] == []
    assert client(endpoint, "iam").list_roles(PathPrefix="/platformctl/")["Roles"] == []


def test_jwt_authorizer_public_routes_and_custom_domain(endpoint: str, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("API_DOMAIN", "api.shop.example.com")
    monkeypatch.setenv("API_CERT_ARN", "arn:aws:acm:us-east-1:123456789012:certificate/abc")
    cli = Cli(endpoint, copy_seed_specs(tmp_path), capsys)
    cli.edit(
        "platform.yaml",
        "  accessLogs: true",
        "  accessLogs: true\n  auth: {issuer: 'https://id.example.com/', audience: [shop]}",
    )
    cli.edit(
        "services/user.yaml",
        'routes: ["ANY /users/{proxy+}"]',
        'routes: ["ANY /users/{proxy+}", "POST /signup"]\npublicRoutes: ["POST /signup"]',
    )
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert pending(cli) == []
    apigw = client(endpoint, "apigatewayv2")
    [api] = [a for a in apigw.get_apis()["Items"] if a["Name"] == PREFIX]
    auth = {r["RouteKey"]: r["AuthorizationType"] for r in apigw.get_routes(ApiId=api["ApiId"])["Items"]}
    assert auth == {
        "ANY /orders/{proxy+}": "JWT",
        "ANY /payments/{proxy+}": "JWT",
        "ANY /users/{proxy+}": "JWT",
        "POST /signup": "NONE",
    }
    [domain] = apigw.get_domain_names()["Items"]
    assert domain["DomainName"] == "api.shop.example.com"
    [mapping] = apigw.get_api_mappings(DomainName="api.shop.example.com")["Items"]
    assert (mapping["ApiId"], mapping["Stage"]) == (api["ApiId"], "$default")
    status = json.loads(cli("status", "--env", "dev", "--output", "json").out)
    assert status["outputs"]["api_custom_domain"] == "api.shop.example.com"
