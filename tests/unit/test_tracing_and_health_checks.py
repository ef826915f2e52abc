"""Issue 12, items 3, 4 and 13: container health checks are opt-in, the seed serves, X-Ray tracing is built.

Item 3: a container health check runs inside the image; `curl` through `/bin/sh` fails on distroless, scratch
and alpine images, and ECS then replaces every task. So there is none unless the spec asks, and the ALB keeps
checking `health`. Item 4: the seed's image, port and health path are checked against what the image is
documented to serve. Item 13: `tracing: xray` runs the ADOT collector beside each service, tells the app where
it is, grants the task role the X-Ray actions and nothing more, and SNS topics can trace actively.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from platformctl.engine.model import LiveResource, Resource
from platformctl.engine.planner import diff_props
from platformctl.naming import TAG_FINGERPRINT
from platformctl.resources.ecs_task_definition import TaskDefinition
from platformctl.resources.sns_topic import SnsTopic
from platformctl.specs.scaffold import render_service
from tests.unit.kind_harness import KindDriver, moto_context
from tests.unit.spec_helpers import SEED, edit, issues, load, seed_copy, write
from tests.unit.test_services_layer import graph, statements

ENVS = ("dev", "staging", "production")
SEED_PLATFORM = "microservices"  # task definition families start with it
ADOT = "public.ecr.aws/aws-observability/aws-otel-collector"
XRAY_ACTIONS = [
    "xray:GetSamplingRules",
    "xray:GetSamplingStatisticSummaries",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
]
# The only grants on "*" a role may hold, each because AWS accepts no other resource for those actions.
AWS_FORCES_A_STAR = {
    # X-Ray defines no resource types for its write and sampling actions (Service Authorization Reference,
    # "Actions, resources, and condition keys for AWS X-Ray"); AWSXRayDaemonWriteAccess grants them on "*".
    tuple(XRAY_ACTIONS): "X-Ray has no resource-level permissions",
    # GetAuthorizationToken is account-wide (Amazon ECR user guide, "Private registry authentication").
    ("ecr:GetAuthorizationToken",): "ECR login has no resource",
}

# What the images are documented to serve: (port they listen on, paths that answer 200 out of the box).
KNOWN_IMAGES: dict[str, tuple[int, set[str]]] = {
    # github.com/nginxinc/docker-nginx-unprivileged: "The default NGINX listen port is now 8080 instead of 80";
    # the stock configuration serves the welcome page at /.
    "public.ecr.aws/nginx/nginx-unprivileged": (8080, {"/"}),
    # gallery.ecr.aws/nginx/nginx (Docker's official nginx image): listens on 80, welcome page at /.
    "public.ecr.aws/nginx/nginx": (80, {"/"}),
}


def image_serves(image: str, port: int, health: str) -> None:
    repository = image.rsplit("@", 1)[0].rsplit(":", 1)[0]
    assert repository in KNOWN_IMAGES, f"{image}: no documented port and health path in the table"
    documented_port, answering_paths = KNOWN_IMAGES[repository]
    assert port == documented_port, f"{image} listens on {documented_port}, not {port}"
    assert health in answering_paths, f"{image} does not answer {health} (it answers {sorted(answering_paths)})"


def traced_copy(tmp_path: Path, platform_line: str = "tracing: xray") -> Path:
    specs = seed_copy(tmp_path)
    edit(specs, "platform.yaml", "mesh: service-connect ", f"{platform_line}\nmesh: service-connect ")
    return specs


def with_roles_resolved(ctx: Any, resource: Resource) -> KindDriver:
    """A driver that resolves a layer's task definition: role ARNs, topic and queue from made-up outputs."""
    driver = KindDriver(ctx)
    service = resource.id.split(".", 1)[1]
    for role in ("task", "execution"):
        driver.outputs[f"role.{service}.{role}"] = {"Arn": f"arn:aws:iam::123456789012:role/{service}-{role}"}
    driver.outputs[f"topic.{service}"] = {"TopicArn": f"arn:aws:sns:us-east-1:123456789012:{service}"}
    driver.outputs[f"queue.{service}"] = {"QueueUrl": f"https://sqs.us-east-1.amazonaws.com/123456789012/{service}"}
    driver.outputs["bus"] = {"Name": "bus", "Arn": "arn:aws:events:us-east-1:123456789012:event-bus/bus"}
    return driver


def registered(ctx: Any, driver: KindDriver, resource: Resource) -> dict[str, Any]:
    """Register through the kind, as apply does; return ECS's own description of the revision."""
    arn = driver.create(TaskDefinition(), resource)["TaskDefinitionArn"]
    return ctx.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]


def read_back_whole(ctx: Any, driver: KindDriver, resource: Resource) -> LiveResource:
    """The revision as a plan describes it when its fingerprint differs: every prop read from ECS."""
    kind = TaskDefinition()
    ctx.clear_cache()  # a new read pass, as the engine starts one after a create
    [summary] = [live for live in kind.read(ctx) if live.id == resource.id]
    assert summary.fingerprint is not None
    return kind.describe(ctx, summary)


# ---- item 3: the container health check is opt-in ---------------------------------------------------------
def test_by_default_a_task_has_no_container_health_check_and_the_alb_still_checks_health() -> None:
    resources = graph(SEED, "dev")
    for name in ("order", "payment", "user"):
        assert resources[f"taskdef.{name}"].props["container"]["health_check"] is None
        assert resources[f"tg.{name}"].props["health_path"] == load(SEED, "dev").services[name].health
    with moto_context(platform=SEED_PLATFORM) as ctx:
        resource = resources["taskdef.order"]
        driver = with_roles_resolved(ctx, resource)
        [container] = registered(ctx, driver, resource)["containerDefinitions"]
        assert "healthCheck" not in container
        live = read_back_whole(ctx, driver, resource)
        assert diff_props(live.props, driver.resolved(resource), TaskDefinition()) == []


def test_a_health_check_in_the_spec_is_registered_with_exactly_that_command(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "health: /\n", "health: /\nhealthCheck: {command: [CMD, /bin/healthcheck]}\n")
    wget = "healthCheck: {command: [CMD-SHELL, wget -q -O- :8080/], retries: 5}"
    edit(specs, "services/user.yaml", "calls: []", f"{wget}\ncalls: []")
    resources = graph(specs, "dev")
    assert resources["taskdef.payment"].props["container"]["health_check"] is None
    with moto_context(platform=SEED_PLATFORM) as ctx:
        checks = {}
        for name in ("order", "user"):
            resource = resources[f"taskdef.{name}"]
            driver = with_roles_resolved(ctx, resource)
            [container] = registered(ctx, driver, resource)["containerDefinitions"]
            checks[name] = container["healthCheck"]
            live = read_back_whole(ctx, driver, resource)
            assert diff_props(live.props, driver.resolved(resource), TaskDefinition()) == []
    assert checks == {
        "order": {
            "command": ["CMD", "/bin/healthcheck"],
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 60,
        },
        "user": {
            "command": ["CMD-SHELL", "wget -q -O- :8080/"],
            "interval": 30,
            "timeout": 5,
            "retries": 5,
            "startPeriod": 60,
        },
    }


@pytest.mark.parametrize(
    ("check", "path", "message"),
    [
        ("{command: [/bin/healthcheck, -q]}", "healthCheck.command[0]", "expected the command to start with 'CMD'"),
        ("{command: [CMD]}", "healthCheck.command", "at least 2"),
        ("{command: [CMD, /bin/ok], interval: 1}", "healthCheck.interval", "expected at least 5"),
        ("{command: [CMD, /bin/ok], startPeriod: 301}", "healthCheck.startPeriod", "expected at most 300"),
    ],
)
def test_a_health_check_ecs_would_refuse_is_a_spec_error(tmp_path: Path, check: str, path: str, message: str) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "health: /\n", f"health: /\nhealthCheck: {check}\n")
    [issue] = issues(specs)
    assert issue.file.endswith("services/order.yaml") and issue.line == 10
    assert issue.path == path and message in issue.message


def test_a_registered_check_we_did_not_write_is_drift() -> None:
    resource = graph(SEED, "dev")["taskdef.order"]
    with moto_context(platform=SEED_PLATFORM) as ctx:
        driver = with_roles_resolved(ctx, resource)
        arn = driver.create(TaskDefinition(), resource)["TaskDefinitionArn"]
        ecs = ctx.client("ecs")
        ecs.untag_resource(resourceArn=arn, tagKeys=[TAG_FINGERPRINT])  # read whole, as an older revision is
        real_describe = ecs.describe_task_definition

        def with_a_check(**kwargs: Any) -> Any:
            answer = real_describe(**kwargs)
            answer["taskDefinition"]["containerDefinitions"][0]["healthCheck"] = {
                "command": ["CMD-SHELL", "curl -fs http://localhost:8080/health || exit 1"],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 60,
            }
            return answer

        ecs.describe_task_definition = with_a_check
        [live] = TaskDefinition().read(ctx)
        changes = diff_props(live.props, driver.resolved(resource), TaskDefinition())
        assert [c.path for c in changes] == ["container.health_check"]


# ---- item 4: the seed platform serves ---------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_the_seed_runs_each_image_on_its_documented_port_and_checks_a_path_it_answers(env: str) -> None:
    for service in load(SEED, env).services.values():
        image_serves(service.image, service.port, service.health)


def test_a_scaffolded_service_runs_its_image_on_its_documented_port_and_health_path(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    write(specs, "services/inventory.yaml", render_service("inventory"))
    service = load(specs, "dev").services["inventory"]
    image_serves(service.image, service.port, service.health)
    assert service.health_check is None


def test_add_service_without_options_writes_an_image_port_and_health_path_that_go_together(tmp_path: Path) -> None:
    from platformctl.cli import app

    specs = seed_copy(tmp_path)
    result = CliRunner().invoke(app, ["--specs", str(specs), "add-service", "inventory"])
    assert result.exit_code == 0, result.output
    service = load(specs, "dev").services["inventory"]
    image_serves(service.image, service.port, service.health)


# ---- item 13: X-Ray tracing --------------------------------------------------------------------------------
def test_without_tracing_a_task_has_no_collector_no_tracing_env_and_no_xray_grant() -> None:
    resources = graph(SEED, "dev")
    for name in ("order", "payment", "user"):
        props = resources[f"taskdef.{name}"].props
        assert "sidecar" not in props
        assert not {k for k in props["container"]["environment"] if k.startswith(("OTEL_", "AWS_XRAY_"))}
        actions = [a for s in statements(resources[f"role.{name}.task"]) for a in _as_list(s["Action"])]
        assert not [a for a in actions if a.startswith("xray:")]
    with moto_context(platform=SEED_PLATFORM) as ctx:
        resource = resources["taskdef.order"]
        driver = with_roles_resolved(ctx, resource)
        assert [c["name"] for c in registered(ctx, driver, resource)["containerDefinitions"]] == ["order"]


def test_tracing_runs_the_adot_collector_beside_each_service_and_tells_the_app_where_it_is(tmp_path: Path) -> None:
    resources = graph(traced_copy(tmp_path), "dev")
    for name in ("order", "payment", "user"):
        props = resources[f"taskdef.{name}"].props
        env = props["container"]["environment"]
        assert env["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:2000"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4318"
        assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
        assert env["OTEL_SERVICE_NAME"] == name
        assert props["sidecar"]["log_group"] == props["container"]["log_group"]
    with moto_context(platform=SEED_PLATFORM) as ctx:
        resource = resources["taskdef.order"]
        driver = with_roles_resolved(ctx, resource)
        app, collector = registered(ctx, driver, resource)["containerDefinitions"]
        assert (app["name"], app["essential"]) == ("order", True)
        assert collector["name"] == "aws-otel-collector" and collector["essential"] is False
        assert collector["image"].startswith(f"{ADOT}:v")
        assert "portMappings" not in collector or collector["portMappings"] == []
        assert collector["logConfiguration"]["options"]["awslogs-group"] == "/aws/ecs/microservices/dev/order"
        assert collector["logConfiguration"]["options"]["awslogs-stream-prefix"] == "otel"
        [variable] = collector["environment"]
        assert collector["command"] == [f"--config=env:{variable['name']}"]
        config = json.loads(variable["value"])  # JSON is YAML: what the collector reads
        traces = config["service"]["pipelines"]["traces"]
        assert sorted(traces["receivers"]) == ["awsxray", "otlp"] and traces["exporters"] == ["awsxray"]
        assert list(config["service"]["pipelines"]) == ["traces"], "metrics or logs would need more IAM"
        assert config["receivers"]["awsxray"] == {"endpoint": "127.0.0.1:2000", "transport": "udp"}
        assert config["receivers"]["otlp"]["protocols"] == {
            "grpc": {"endpoint": "127.0.0.1:4317"},
            "http": {"endpoint": "127.0.0.1:4318"},
        }
        live = read_back_whole(ctx, driver, resource)
        assert diff_props(live.props, driver.resolved(resource), TaskDefinition()) == []


def test_a_service_can_opt_out_of_platform_tracing_and_one_can_opt_in(tmp_path: Path) -> None:
    specs = traced_copy(tmp_path)
    edit(specs, "services/user.yaml", "calls: []", "tracing: none\ncalls: []")
    resources = graph(specs, "dev")
    assert "sidecar" not in resources["taskdef.user"].props
    assert "tracing" not in resources["role.user.task"].props["policies"]
    assert resources["taskdef.order"].props["sidecar"]["image"].startswith(ADOT)

    untraced = seed_copy(tmp_path / "opt-in")
    edit(untraced, "services/user.yaml", "calls: []", "tracing: xray\ncalls: []")
    resources = graph(untraced, "dev")
    assert "sidecar" in resources["taskdef.user"].props and "sidecar" not in resources["taskdef.order"].props


@pytest.mark.parametrize("env", ENVS)
def test_with_tracing_the_task_role_gets_exactly_the_xray_actions_and_nothing_else_changes(
    tmp_path: Path, env: str
) -> None:
    plain, traced = graph(SEED, env), graph(traced_copy(tmp_path), env)
    for name in ("order", "payment", "user"):
        policies = traced[f"role.{name}.task"].props["policies"]
        assert policies["tracing"] == {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "SendTracesToXRay", "Effect": "Allow", "Action": XRAY_ACTIONS, "Resource": "*"}],
        }
        assert {k: v for k, v in policies.items() if k != "tracing"} == plain[f"role.{name}.task"].props["policies"]
        execution = f"role.{name}.execution"
        assert traced[execution].props["policies"] == plain[execution].props["policies"]


@pytest.mark.parametrize("env", ENVS)
def test_with_tracing_no_role_holds_a_star_aws_does_not_force(tmp_path: Path, env: str) -> None:
    resources = graph(traced_copy(tmp_path), env)
    for name in ("order", "payment", "user"):
        for role_id in (f"role.{name}.task", f"role.{name}.execution"):
            for statement in statements(resources[role_id]):
                if "*" in _as_list(statement["Resource"]):
                    assert statement["Resource"] == "*"
                    assert tuple(sorted(_as_list(statement["Action"]))) in AWS_FORCES_A_STAR, (role_id, statement)


def test_tracing_is_a_spec_choice_of_xray_or_none(tmp_path: Path) -> None:
    specs = traced_copy(tmp_path, "tracing: jaeger")
    [issue] = issues(specs)
    assert issue.file.endswith("platform.yaml") and issue.path == "tracing"
    assert "xray, none" in issue.message and "jaeger" in issue.message


def test_the_collector_name_is_reserved_so_it_never_clashes_with_the_service_container(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    text = (specs / "services" / "payment.yaml").read_text()
    text = text.replace("service: payment ", "service: aws-otel-collector ")
    write(specs, "services/aws-otel-collector.yaml", text)
    assert any("reserved" in issue.message for issue in issues(specs))


# ---- item 13: SNS active tracing ---------------------------------------------------------------------------
def topic(tracing: str | None) -> Resource:
    props: dict[str, Any] = {"name": "shop-dev-orders-events", "kms_key": None}
    if tracing is not None:
        props["tracing"] = tracing
    return Resource("sns.topic", "topic.orders", "messaging", props["name"], props)


def test_topics_pass_trace_headers_through_unless_the_spec_asks_for_active_tracing(tmp_path: Path) -> None:
    assert {r.props["tracing"] for r in graph(SEED, "dev").values() if r.kind == "sns.topic"} == {"PassThrough"}
    specs = seed_copy(tmp_path)
    edit(specs, "platform.yaml", "  dlqMaxReceives: 5", "  dlqMaxReceives: 5\n  topicTracing: Active")
    assert {r.props["tracing"] for r in graph(specs, "dev").values() if r.kind == "sns.topic"} == {"Active"}


def test_an_active_topic_is_created_active_reads_back_active_and_switches_in_place() -> None:
    kind = SnsTopic()
    with moto_context(platform="shop") as ctx:
        driver = KindDriver(ctx)
        resource = topic("Active")
        arn = driver.create(kind, resource)["TopicArn"]
        sns = ctx.client("sns")
        assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["TracingConfig"] == "Active"
        [live] = driver.read(kind).values()
        assert live.props["tracing"] == "Active"
        assert diff_props(live.props, driver.resolved(resource), kind) == []

        changes = diff_props(live.props, {**resource.props, "tracing": "PassThrough"}, kind)
        assert [(c.path, c.old, c.new) for c in changes] == [("tracing", "Active", "PassThrough")]
        assert "tracing" in kind.updatable  # an update, never a replacement that would drop subscriptions
        kind.update(ctx, resource, live, {**resource.props, "tracing": "PassThrough"}, changes)
        assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["TracingConfig"] == "PassThrough"


def test_a_topic_whose_props_do_not_name_tracing_is_pass_through_and_in_sync() -> None:
    kind = SnsTopic()
    with moto_context(platform="shop") as ctx:
        driver = KindDriver(ctx)
        resource = topic(None)
        driver.create(kind, resource)
        [live] = driver.read(kind).values()
        assert live.props["tracing"] == "PassThrough"
        assert diff_props(live.props, driver.resolved(resource), kind) == []


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]

