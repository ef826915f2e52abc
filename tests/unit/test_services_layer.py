"""The services and api layers' desired graph: least privilege, stable routing, references not secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from platformctl.engine.model import Ref, walk_refs
from platformctl.layers import BuildContext, api, messaging, services
from platformctl.specs import load_specs
from tests.unit.spec_helpers import SEED, edit, seed_copy

ENVS = ("dev", "staging", "production")


def graph(specs_dir: Path, env: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    ctx = BuildContext(load_specs(specs_dir, env, environ=environ or {}), account_id="123456789012")
    return {r.id: r for r in (*messaging.build(ctx), *services.build(ctx), *api.build(ctx))}


def statements(role) -> list[dict[str, Any]]:
    return [s for policy in role.props["policies"].values() for s in policy["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("env", ENVS)
def test_no_service_may_act_on_another_services_topic_or_queue(env: str) -> None:
    resources = graph(SEED, env)
    specs = load_specs(SEED, env).services
    names = sorted(specs)
    for name in names:
        # The platform bus only for a service that says it publishes there (the seed's payment does).
        allowed = {f"topic.{name}", f"queue.{name}", "kms"} | ({"bus"} if specs[name].publishes_to_bus else set())
        for role_id in (f"role.{name}.task", f"role.{name}.execution"):
            for statement in statements(resources[role_id]):
                assert statement["Effect"] == "Allow"
                for resource in as_list(statement["Resource"]):
                    if isinstance(resource, Ref):
                        assert resource.id in allowed, f"{role_id} may act on {resource.id}"
                    else:
                        # Only AWS's resource-less ECR login may be "*"; the seed pulls public images.
                        assert resource != "*", f"{role_id}: {statement}"
                        for other in names:
                            if other != name:
                                assert f"/{other}" not in resource and f"-{other}-" not in resource, resource


def test_the_task_role_holds_exactly_its_own_topic_and_queue() -> None:
    resources = graph(SEED, "dev")
    grants = {
        s["Sid"]: (as_list(s["Action"]), [r.id for r in walk_refs(s["Resource"])])
        for s in statements(resources["role.order.task"])
    }
    assert grants == {
        "PublishOwnEvents": (["sns:Publish"], ["topic.order"]),
        "ConsumeOwnQueue": (
            ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            ["queue.order"],
        ),
        "UseThePlatformKeyForItsMessages": (["kms:Decrypt", "kms:GenerateDataKey"], ["kms"]),
    }


def test_secrets_reach_the_task_definition_only_as_references(tmp_path: Path) -> None:
    resources = graph(SEED, "dev")
    container = resources["taskdef.order"].props["container"]
    assert container["secrets"] == {"DB_URL": "arn:aws:ssm:us-east-1:123456789012:parameter/microservices/order/db-url"}
    assert "DB_URL" not in container["environment"]
    execution = {s["Sid"]: s for s in statements(resources["role.order.execution"])}
    assert execution["ReadParameters"]["Resource"] == [container["secrets"]["DB_URL"]]
    payment = {s["Sid"]: s for s in statements(resources["role.payment.execution"])}
    assert all(r.endswith("-??????") for r in as_list(payment["ReadSecrets"]["Resource"]))


def test_containers_learn_their_topic_and_queue() -> None:
    env = graph(SEED, "dev")["taskdef.order"].props["container"]["environment"]
    assert env["EVENTS_TOPIC_ARN"] == Ref("topic.order", "TopicArn")
    assert env["QUEUE_URL"] == Ref("queue.order", "QueueUrl")
    assert env["LOG_LEVEL"] == "info" and env["SERVICE_NAME"] == "order"


def test_adding_a_service_moves_no_existing_listener_rule(tmp_path: Path) -> None:
    before = {i: r.props for i, r in graph(SEED, "dev").items() if r.kind == "elbv2.listener_rule"}
    specs = seed_copy(tmp_path)
    (specs / "services" / "notification.yaml").write_text(
        "service: notification\nimage: nginx\nroutes: ['ANY /notifications/{proxy+}']\n"
    )
    after = {i: r.props for i, r in graph(specs, "dev").items() if r.kind == "elbv2.listener_rule"}
    assert {i: after[i] for i in before} == before
    assert after["alb.rule.notification.notifications"]["paths"] == ["/notifications", "/notifications/*"]
    assert len({p["priority"] for p in after.values()}) == len(after)


def test_deeper_route_prefixes_are_evaluated_first(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(
        specs,
        "services/order.yaml",
        'routes: ["ANY /orders/{proxy+}"]',
        'routes: ["ANY /orders/{proxy+}", "GET /shop/orders/history/{id}"]',
    )
    edit(specs, "services/user.yaml", 'routes: ["ANY /users/{proxy+}"]', 'routes: ["ANY /users/{proxy+}", "GET /shop"]')
    rules = {i: r.props for i, r in graph(specs, "dev").items() if r.kind == "elbv2.listener_rule"}
    assert rules["alb.rule.order.shop.orders.history"]["priority"] < rules["alb.rule.user.shop"]["priority"]
    assert rules["alb.rule.user.shop"]["paths"] == ["/shop"]


def test_custom_domain_and_jwt_authorizer_come_from_the_specs(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(
        specs,
        "platform.yaml",
        "  accessLogs: true",
        "  accessLogs: true\n  auth: {issuer: 'https://id.example.com/', audience: [shop]}",
    )
    resources = graph(
        specs,
        "dev",
        {"API_DOMAIN": "api.example.com", "API_CERT_ARN": "arn:aws:acm:us-east-1:123456789012:certificate/abc"},
    )
    assert resources["api.domain"].props["certificate_arn"].endswith("certificate/abc")
    assert resources["api.domain/mapping"].props["stage"] == "$default"
    routes = [r for r in resources.values() if r.kind == "apigw.route"]
    assert routes and all(r.props["authorization"] == "JWT" for r in routes)
    assert "api.domain" not in graph(SEED, "dev")  # API_DOMAIN unset: no domain


def test_production_gets_its_own_throttling_and_counts() -> None:
    prod = graph(SEED, "production")
    assert prod["api/stage"].props["throttling"] == {"rate": 1000.0, "burst": 2000}
    assert prod["svc.order"].props["desired_count"] == 4
    assert prod["svc.order/scaling"].props == {
        "resource_id": "service/microservices-production/order",
        "min": 4,
        "max": 20,
    }


def test_public_routes_opt_out_of_the_jwt_authorizer(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(
        specs,
        "platform.yaml",
        "  accessLogs: true",
        "  accessLogs: true\n  auth: {issuer: 'https://id.example.com/', audience: [shop]}",
    )
    edit(
        specs,
        "services/user.yaml",
        'routes: ["ANY /users/{proxy+}"]',
        'routes: ["ANY /users/{proxy+}", "GET /signup"]\npublicRoutes: ["GET /signup"]',
    )
    routes = {r.props["route_key"]: r.props for r in graph(specs, "dev").values() if r.kind == "apigw.route"}
    assert (routes["GET /signup"]["authorization"], routes["GET /signup"]["authorizer"]) == ("NONE", None)
    assert routes["ANY /users/{proxy+}"]["authorization"] == "JWT"


def test_a_public_route_must_be_one_of_the_services_routes(tmp_path: Path) -> None:
    from tests.unit.spec_helpers import assert_issue, line_of, only_issue

    specs = seed_copy(tmp_path)
    edit(
        specs,
        "services/user.yaml",
        'routes: ["ANY /users/{proxy+}"]',
        'routes: ["ANY /users/{proxy+}"]\npublicRoutes: ["GET /signup"]',
    )
    issue = only_issue(specs)
    assert_issue(
        issue,
        "services/user.yaml",
        line_of(specs, "services/user.yaml", "publicRoutes"),
        "publicRoutes",
        "expected one of this service's routes",
    )
