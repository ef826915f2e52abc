"""Loading the seed specs, environment merging, `${VAR}` interpolation and subnet carving."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.specs import SpecSet, availability_zones, deep_merge, load_specs
from platformctl.specs.interpolate import InterpolationError, interpolate
from tests.unit.spec_helpers import SEED, assert_issue, edit, load, only_issue, seed_copy

# --- seed specs -------------------------------------------------------------------------------------------


def test_seed_base_loads_without_merging() -> None:
    specs = load_specs(SEED, environ={})
    assert isinstance(specs, SpecSet)
    assert specs.env is None
    assert specs.environments == ["dev", "staging", "production"]
    assert list(specs.services) == ["order", "payment", "user"]
    assert specs.platform.network.nat == "per-az"
    assert specs.platform.approval == "none" and not specs.approval_required
    assert specs.services["order"].count == 2
    assert specs.files["platform"] == SEED / "platform.yaml"
    assert specs.files["order"] == SEED / "services" / "order.yaml"


def test_seed_platform_fields() -> None:
    platform = load_specs(SEED, environ={}).platform
    assert platform.platform == "microservices"
    assert platform.region == "us-east-1"
    assert platform.network.cidr == "10.0.0.0/16" and platform.network.azs == 3
    assert platform.network.availability_zones is None
    assert platform.cluster.container_insights is True
    assert [(c.provider, c.base, c.weight) for c in platform.cluster.capacity] == [
        ("FARGATE", 1, 1),
        ("FARGATE_SPOT", 0, 3),
    ]
    assert platform.discovery.namespace == "microservices.local"
    assert platform.mesh == "service-connect"
    assert platform.logs.retention_days == 30
    assert platform.encryption.kms is True
    assert platform.messaging.event_bus is True and platform.messaging.dlq_max_receives == 5
    assert platform.api.enabled and platform.api.access_logs
    assert platform.api.domain is None and platform.api.certificate_arn is None
    assert platform.api.auth is None
    assert platform.tags == {}


def test_seed_service_fields() -> None:
    order = load_specs(SEED, environ={}).services["order"]
    assert order.service == "order"
    assert order.routes == ["ANY /orders/{proxy+}"]
    assert order.publishes == ["order_created", "order_cancelled"]
    assert [(s.from_, s.events) for s in order.subscribes] == [
        ("user", ["user_created"]),
        ("payment", ["payment_succeeded", "payment_failed"]),
    ]
    assert order.calls == ["user", "payment"]
    assert order.autoscaling is not None and (order.autoscaling.min, order.autoscaling.max) == (2, 10)
    assert order.secrets == {"DB_URL": "ssm:/microservices/order/db-url"}
    assert order.queue.visibility_timeout == 60 and order.queue.retention_days == 4
    payment = load_specs(SEED, environ={}).services["payment"]
    assert payment.env["PROVIDER_TIMEOUT_MS"] == "5000"  # YAML number coerced to text
    assert any(v.startswith("secretsmanager:") for v in payment.secrets.values())


@pytest.mark.parametrize("env", ["dev", "staging", "production"])
def test_seed_loads_for_every_environment(env: str) -> None:
    specs = load_specs(SEED, env, environ={})
    assert specs.env == env
    assert set(specs.services) == {"user", "order", "payment"}


def test_dev_merge() -> None:
    specs = load_specs(SEED, "dev", environ={})
    assert specs.platform.network.nat == "single"
    assert specs.platform.network.cidr == "10.0.0.0/16"  # untouched siblings survive the deep merge
    assert specs.services["user"].env["LOG_LEVEL"] == "debug"
    assert specs.services["order"].count == 2
    assert not specs.approval_required


def test_production_merge() -> None:
    specs = load_specs(SEED, "production", environ={})
    assert specs.platform.api.throttling.rate == 1000
    assert specs.platform.api.throttling.burst == 2000
    assert specs.platform.api.access_logs is True
    assert specs.platform.approval == "required" and specs.approval_required
    assert specs.platform.network.nat == "per-az"
    order = specs.services["order"]
    assert order.count == 4
    assert order.autoscaling is not None
    assert (order.autoscaling.min, order.autoscaling.max, order.autoscaling.cpu) == (4, 20, 60)
    assert specs.services["payment"].cpu == 1024 and specs.services["payment"].memory == 2048


def test_staging_is_the_base() -> None:
    base = load_specs(SEED, environ={})
    staging = load_specs(SEED, "staging", environ={})
    assert staging.platform.model_dump() == base.platform.model_dump()
    assert {k: v.model_dump() for k, v in staging.services.items()} == {
        k: v.model_dump() for k, v in base.services.items()
    }


def test_unknown_environment_names_the_valid_ones() -> None:
    issue = only_issue(SEED, "qa")
    assert_issue(issue, "platform.yaml", 30, "environments", "unknown environment 'qa'")
    assert "dev, staging, production" in issue.message


def test_unknown_environment_suggests_close_name() -> None:
    issue = only_issue(SEED, "prod")
    assert "did you mean 'production'?" in issue.message


def test_yml_extension_and_sorted_services(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    (specs / "services" / "user.yaml").rename(specs / "services" / "user.yml")
    loaded = load(specs)
    assert list(loaded.services) == ["order", "payment", "user"]
    assert loaded.files["user"].name == "user.yml"


def test_minimal_platform_gets_defaults(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "platform.yaml").write_text("platform: shop\nregion: eu-west-1\nenvironments:\n  dev:\n")
    loaded = load(specs, "dev")
    assert loaded.services == {}
    assert loaded.platform.discovery.namespace == "shop.local"
    assert loaded.platform.network.cidr == "10.0.0.0/16"
    assert loaded.platform.mesh == "service-connect"
    assert loaded.platform.cluster.capacity[0].provider == "FARGATE"


def test_deep_merge_replaces_lists_and_merges_mappings() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    merged = deep_merge(base, {"a": {"c": [3]}, "e": 2})
    assert merged == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_yaml_merge_keys_and_anchors(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "env: {LOG_LEVEL: info}", "env: &env {LOG_LEVEL: info, A: b}")
    edit(specs, "services/order.yaml", "  production: {count: 4,", "  production: {env: {<<: *env, A: c}, count: 4,")
    assert load(specs, "production").services["order"].env == {"LOG_LEVEL": "info", "A": "c"}


# --- ${VAR} interpolation -----------------------------------------------------------------------------------


def test_interpolate_set_default_and_escape() -> None:
    env = {"NAME": "shop", "EMPTY": ""}
    assert interpolate("${NAME}-x", env) == "shop-x"
    assert interpolate("${MISSING:-fallback}", env) == "fallback"
    assert interpolate("${MISSING:-}", env) == ""
    assert interpolate("${EMPTY:-d}", env) == ""  # set-but-empty is a value, not a gap
    assert interpolate("$${NAME} and ${NAME}", env) == "${NAME} and shop"
    assert interpolate("no refs $ here", env) == "no refs $ here"


def test_interpolate_errors() -> None:
    with pytest.raises(InterpolationError, match="environment variable NOPE is not set"):
        interpolate("${NOPE}", {})
    with pytest.raises(InterpolationError, match="unterminated"):
        interpolate("${NOPE", {})
    with pytest.raises(InterpolationError, match="expected"):
        interpolate("${1BAD}", {})


def test_seed_domain_from_environment() -> None:
    environ = {"API_DOMAIN": "api.example.com", "API_CERT_ARN": "arn:aws:acm:us-east-1:123456789012:certificate/x"}
    api = load_specs(SEED, environ=environ).platform.api
    assert api.domain == "api.example.com"
    assert api.certificate_arn == environ["API_CERT_ARN"]


def test_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "env: {LOG_LEVEL: info}", "env: {LOG_LEVEL: '${ORDER_LOG:-info}'}")
    monkeypatch.setenv("ORDER_LOG", "warn")
    assert load_specs(specs).services["order"].env["LOG_LEVEL"] == "warn"
    monkeypatch.delenv("ORDER_LOG")
    assert load_specs(specs).services["order"].env["LOG_LEVEL"] == "info"


def test_interpolated_plain_scalar_is_typed(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "count: 2", "count: ${ORDER_COUNT:-3}")
    assert load(specs).services["order"].count == 3
    assert load(specs, environ={"ORDER_COUNT": "5"}).services["order"].count == 5


def test_quoted_scalar_stays_text_and_escape_is_literal(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "env: {LOG_LEVEL: info}", 'env: {LOG_LEVEL: info, N: "${N:-7}", T: "$${HOME}"}')
    env = load(specs).services["order"].env
    assert env["N"] == "7" and env["T"] == "${HOME}"


def test_unset_variable_is_an_error_at_its_line(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "image: public.ecr.aws/nginx/nginx-unprivileged:1.27", "image: ${ORDER_IMAGE}")
    issue = only_issue(specs)
    assert_issue(issue, "services/order.yaml", 3, "image", "environment variable ORDER_IMAGE is not set")


def test_malformed_reference_is_an_error(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "env: {LOG_LEVEL: info}", "env: {LOG_LEVEL: '${oops'}")
    issue = only_issue(specs)
    assert_issue(issue, "services/order.yaml", 16, "env.LOG_LEVEL", "unterminated '${'")


# --- subnets and zones -------------------------------------------------------------------------------------


def test_availability_zones() -> None:
    assert availability_zones("us-east-1", 3) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert availability_zones("us-east-1", 2, ["us-east-1d", "us-east-1f"]) == ["us-east-1d", "us-east-1f"]
