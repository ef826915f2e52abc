"""Every validation error: its message, its file and its line.

Each case edits a copy of the seed specs and expects exactly the issue that edit causes, so a check that
starts reporting at the wrong line, or reporting twice, fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.errors import SpecError
from platformctl.specs import checks
from platformctl.specs.yaml_source import MAX_BYTES
from tests.unit.spec_helpers import assert_issue, edit, issues, line_of, load, only_issue, seed_copy, write

ORD = "services/order.yaml"
U = "services/user.yaml"
PAY = "services/payment.yaml"
P = "platform.yaml"

# (file, old text, new text, expected path, message fragment, text on the expected line)
SINGLE_EDITS = [
    # unknown fields, missing fields, types
    (ORD, "port: 8080", "prot: 8080", "prot", "unknown field 'prot' (did you mean 'port'?)", "prot:"),
    (ORD, "image: public.ecr.aws/nginx/nginx-unprivileged:1.27\n", "", "image", "required field missing", "service:"),
    (P, "region: us-east-1\n", "", "region", "required field missing", "platform: microservices"),
    (P, "  azs: 3", "  azs: 3\n  natt: none", "network.natt", "unknown field 'natt' (did you mean 'nat'?)", "natt"),
    (ORD, "count: 2", "count: two", "count", "expected an integer (got 'two')", "count: two"),
    (ORD, "env: {LOG_LEVEL: info}", "env: [LOG_LEVEL]", "env", "expected a mapping (got a list)", "env: ["),
    (ORD, "calls: [user, payment]", "calls: user", "calls", "expected a list (got 'user')", "calls: user"),
    (P, "  kms: true", "  kms: maybe", "encryption.kms", "expected true or false (got 'maybe')", "kms: maybe"),
    (
        ORD,
        "env: {LOG_LEVEL: info}",
        "env: {LOG_LEVEL: null}",
        "env.LOG_LEVEL",
        "expected a string (got null)",
        "env: {",
    ),
    # platform.yaml fields
    (
        P,
        "  nat: per-az",
        "  nat: dual",
        "network.nat",
        "expected one of per-az, single, none (got 'dual')",
        "nat: dual",
    ),
    (P, "mesh: service-connect", "mesh: appmesh", "mesh", "AWS discontinued App Mesh on 2026-09-30", "mesh: appmesh"),
    (P, "mesh: service-connect", "mesh: istio", "mesh", "expected one of service-connect (got 'istio')", "mesh: istio"),
    (P, "platform: microservices", "platform: Micro", "platform", "expected a platform name", "platform: Micro"),
    (P, "platform: microservices", "platform: " + "a" * 21, "platform", "at most 20 characters", "platform: aaa"),
    (P, "region: us-east-1", "region: mars", "region", "expected an AWS region such as us-east-1 (got 'mars')", "mars"),
    (P, "  cidr: 10.0.0.0/16", "  cidr: 10.0.0.300/16", "network.cidr", "expected an IPv4 network CIDR", "cidr:"),
    (P, "  cidr: 10.0.0.0/16", "  cidr: 10.0.0.0/8", "network.cidr", "between /16 and /28 (got /8)", "cidr:"),
    (
        P,
        "  cidr: 10.0.0.0/16",
        "  cidr: 10.0.0.0/27",
        "network.cidr",
        "10.0.0.0/27 is too small: subnets are carved from 16 equal slots",
        "cidr:",
    ),
    (P, "  azs: 3 ", "  azs: 7 ", "network.azs", "expected at most 6 (got 7)", "azs: 7"),
    (P, "  azs: 3 ", "  azs: 0 ", "network.azs", "expected at least 1 (got 0)", "azs: 0"),
    (
        P,
        "  nat: per-az ",
        "  availabilityZones: [us-east-1a, us-east-1b]\n  nat: per-az ",
        "network.availabilityZones",
        "expected 3 availability zones to match azs (got 2)",
        "availabilityZones",
    ),
    (
        P,
        "{provider: FARGATE_SPOT, weight: 3}",
        "{provider: EC2, weight: 3}",
        "cluster.capacity[1].provider",
        "expected one of FARGATE, FARGATE_SPOT (got 'EC2')",
        "provider: EC2",
    ),
    (
        P,
        "{provider: FARGATE_SPOT, weight: 3}",
        "{provider: FARGATE_SPOT, base: 2, weight: 3}",
        "cluster.capacity[1].base",
        "only one capacity provider may have a base",
        "FARGATE_SPOT",
    ),
    (
        P,
        "  namespace: microservices.local",
        "  namespace: Micro_Services",
        "discovery.namespace",
        "expected a lowercase DNS name",
        "namespace:",
    ),
    (
        P,
        "  retentionDays: 30",
        "  retentionDays: 31",
        "logs.retentionDays",
        "expected one of the CloudWatch retention periods 1, 3, 5",
        "retentionDays: 31",
    ),
    (P, "  dlqMaxReceives: 5", "  dlqMaxReceives: 0", "messaging.dlqMaxReceives", "expected at least 1 (got 0)", "dlq"),
    (
        P,
        "  accessLogs: true",
        "  accessLogs: true\n  auth: {issuer: https://x}",
        "api.auth.audience",
        "required field missing",
        "auth:",
    ),
    (
        P,
        "  accessLogs: true",
        "  accessLogs: true\n  auth: {issuer: http://x, audience: a}",
        "api.auth.issuer",
        "expected the JWT issuer to be an https:// URL (got 'http://x')",
        "auth:",
    ),
    (
        P,
        "region: us-east-1",
        "region: us-east-1\napproval: maybe",
        "approval",
        "expected one of none, required (got 'maybe')",
        "approval: maybe",
    ),
    (
        P,
        "region: us-east-1",
        "region: us-east-1\ntags: {'aws:team': x}",
        "tags.aws:team",
        "tag keys starting with 'platformctl:' or 'aws:' are reserved",
        "tags:",
    ),
    (
        P,
        "region: us-east-1",
        "region: us-east-1\ntags: {platformctl:env: x}",
        "tags.platformctl:env",
        "reserved",
        "tags:",
    ),
    (P, "  staging:    {}", "  Staging:    {}", "environments.Staging", "expected a environment name", "Staging"),
    (
        P,
        "  staging:    {}",
        "  staging:    [nat]",
        "environments.staging",
        "expected a mapping (got a list)",
        "staging",
    ),
    # service fields
    (ORD, "service: order ", "service: Order ", "service", "expected a service name", "service: Order"),
    (
        ORD,
        "cpu: 256",
        "cpu: 300",
        "cpu",
        "expected a Fargate cpu of 256, 512, 1024, 2048, 4096, 8192, 16384 (got 300)",
        "cpu: 300",
    ),
    (
        ORD,
        "memory: 512",
        "memory: 4096",
        "memory",
        "expected memory for cpu 256 to be one of 512, 1024, 2048 (got 4096)",
        "memory: 4096",
    ),
    (ORD, "port: 8080", "port: 70000", "port", "expected at most 65535 (got 70000)", "port: 70000"),
    (ORD, "port: 8080", "port: 0", "port", "expected at least 1 (got 0)", "port: 0"),
    (ORD, "count: 2", "count: 1001", "count", "expected at most 1000 (got 1001)", "count: 1001"),
    (
        ORD,
        "{min: 2, max: 10, cpu: 60}",
        "{min: 5, max: 3, cpu: 60}",
        "autoscaling.max",
        "expected max to be at least min (5) (got 3)",
        "autoscaling:",
    ),
    (
        ORD,
        "{min: 2, max: 10, cpu: 60}",
        "{min: 2, max: 10, cpu: 0}",
        "autoscaling.cpu",
        "expected at least 1 (got 0)",
        "autoscaling:",
    ),
    (ORD, "{min: 2, max: 10, cpu: 60}", "{max: 10}", "autoscaling.min", "required field missing", "autoscaling:"),
    (ORD, "health: /\n", "health: health\n", "health", "expected a health check path starting with '/'", "health:"),
    (
        ORD,
        '["ANY /orders/{proxy+}"]',
        '["FETCH /orders"]',
        "routes[0]",
        "expected a method among ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (got 'FETCH'",
        "routes:",
    ),
    (
        ORD,
        '["ANY /orders/{proxy+}"]',
        '["GET orders"]',
        "routes[0]",
        "expected the route path to start with '/' (got 'orders'",
        "routes:",
    ),
    (ORD, '["ANY /orders/{proxy+}"]', '["/orders"]', "routes[0]", "expected a route as 'METHOD /path'", "routes:"),
    (
        ORD,
        '["ANY /orders/{proxy+}"]',
        '["GET /orders/{proxy+}/items"]',
        "routes[0]",
        "'{proxy+}' must be the last path segment",
        "routes:",
    ),
    (
        ORD,
        "[order_created, order_cancelled]",
        "[order_created, OrderCancelled]",
        "publishes[1]",
        "expected an event name of lowercase letters, digits and '_'",
        "publishes:",
    ),
    (
        ORD,
        "[order_created, order_cancelled]",
        "[order_created, order_created]",
        "publishes[1]",
        "duplicate event 'order_created'",
        "publishes:",
    ),
    (
        ORD,
        "{from: user, events: [user_created]}",
        "{from: user, events: []}",
        "subscribes[0].events",
        "expected at least 1 item (got 0)",
        "from: user",
    ),
    (
        ORD,
        "  - {from: payment, events:",
        "  - {from: user, events: [user_updated]}\n  - {from: payment, events:",
        "subscribes[1].from",
        "duplicate subscription to 'user'",
        "user_updated",
    ),
    (ORD, "[user, payment]", "[user, user]", "calls[1]", "duplicate service 'user'", "calls:"),
    (
        ORD,
        "env: {LOG_LEVEL: info}",
        "env: {log_level: info}",
        "env.log_level",
        "expected an environment variable name of A-Z, 0-9 and '_'",
        "env:",
    ),
    (
        ORD,
        'secrets: {DB_URL: "ssm:/microservices/order/db-url"}',
        'secrets: {DB_URL: "vault:/x"}',
        "secrets.DB_URL",
        "expected 'ssm:/parameter/path' or 'secretsmanager:NAME_OR_ARN' (got 'vault:/x')",
        "secrets:",
    ),
    (
        ORD,
        "env: {LOG_LEVEL: info}",
        "env: {LOG_LEVEL: info, DB_URL: x}",
        "secrets.DB_URL",
        "'DB_URL' is set in both env and secrets",
        "secrets:",
    ),
    (
        ORD,
        "  visibilityTimeout: 60",
        "  visibilityTimeout: 50000",
        "queue.visibilityTimeout",
        "expected at most 43200 (got 50000)",
        "visibilityTimeout",
    ),
    (
        ORD,
        "  visibilityTimeout: 60",
        "  retentionDays: 15",
        "queue.retentionDays",
        "expected at most 14 (got 15)",
        "retentionDays",
    ),
    (
        ORD,
        "environments:",
        "rules:\n  - {name: big, pattern: {source: [x]}, target: lambda}\nenvironments:",
        "rules[0].target",
        "expected one of queue (got 'lambda')",
        "name: big",
    ),
    (
        ORD,
        "environments:",
        "rules:\n  - {name: big, pattern: {}}\nenvironments:",
        "rules[0].pattern",
        "expected at least 1 item (got 0)",
        "name: big",
    ),
    (
        ORD,
        "environments:",
        "rules:\n  - {name: a, pattern: {x: [1]}}\n  - {name: a, pattern: {x: [2]}}\nenvironments:",
        "rules[1].name",
        "duplicate rule name 'a'",
        "x: [2]",
    ),
    # cross-file
    (
        ORD,
        "service: order ",
        "service: orders ",
        "service",
        "expected the service name to match the file name 'order' (got 'orders')",
        "service: orders",
    ),
    (
        ORD,
        "{from: user, events: [user_created]}",
        "{from: usr, events: [user_created]}",
        "subscribes[0].from",
        "unknown service 'usr' (did you mean 'user'?)",
        "from: usr",
    ),
    (
        ORD,
        "{from: user, events: [user_created]}",
        "{from: user, events: [user_creatd]}",
        "subscribes[0].events[0]",
        "service 'user' does not publish 'user_creatd' (did you mean 'user_created'?)",
        "from: user",
    ),
    (
        ORD,
        "[user, payment]",
        "[user, paymnt]",
        "calls[1]",
        "unknown service 'paymnt' (did you mean 'payment'?)",
        "calls:",
    ),
    (ORD, "[user, payment]", "[user, order]", "calls[1]", "a service cannot call itself ('order')", "calls:"),
    (
        ORD,
        "  production: {count: 4,",
        "  prod: {count: 4,",
        "environments.prod",
        "unknown environment 'prod' (did you mean 'production'?); platform.yaml declares: dev, staging, production",
        "prod:",
    ),
    (
        ORD,
        "  production: {count: 4,",
        "  production: {service: x, count: 4,",
        "environments.production.service",
        "'service' cannot be overridden per environment",
        "production:",
    ),
    (
        P,
        "  staging:    {}",
        "  staging:    {platform: other}",
        "environments.staging.platform",
        "'platform' cannot be overridden per environment",
        "staging:",
    ),
    (
        P,
        "  domain: ${API_DOMAIN:-}",
        "  domain: api.example.com",
        "api.certificateArn",
        "required when api.domain is set (domain is 'api.example.com')",
        "certificateArn",
    ),
]


@pytest.mark.parametrize(("rel", "old", "new", "path", "message", "needle"), SINGLE_EDITS, ids=lambda v: None)
def test_single_error(tmp_path: Path, rel: str, old: str, new: str, path: str, message: str, needle: str) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, rel, old, new)
    issue = only_issue(specs)
    assert_issue(issue, rel, line_of(specs, rel, needle), path, message)


# --- file-level problems -----------------------------------------------------------------------------------


def test_duplicate_key_reported_at_second_occurrence(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, ORD, "count: 2\n", "count: 2\nport: 9090\n")
    issue = only_issue(specs)
    assert_issue(issue, ORD, 8, "port", "duplicate key 'port' (first defined at line 4)")


def test_duplicate_nested_key(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, P, "  nat: per-az", "  nat: per-az\n  cidr: 10.1.0.0/16")
    assert_issue(only_issue(specs), P, 9, "network.cidr", "duplicate key 'cidr' (first defined at line 6)")


def test_yaml_syntax_error_line(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, ORD, "health: /\n", "health: [/\n")
    issue = only_issue(specs)
    assert issue.file.endswith(ORD) and issue.line is not None and issue.line >= 9
    assert issue.message.startswith("YAML syntax error:")


def test_yaml_bad_indentation(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, P, "  azs: 3", "   azs: 3")
    issue = only_issue(specs)
    assert_issue(issue, P, 7, "", "YAML syntax error: mapping values are not allowed here")


def test_empty_file(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    write(specs, "services/empty.yaml", "# nothing yet\n")
    assert_issue(only_issue(specs), "services/empty.yaml", None, "", "file is empty, expected a YAML mapping")


def test_document_not_a_mapping(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    write(specs, "services/list.yaml", "# a list\n- service: list\n")
    assert_issue(only_issue(specs), "services/list.yaml", 2, "", "expected a mapping at the top level (got a list)")


def test_scalar_document(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    write(specs, "services/scalar.yaml", "just text\n")
    assert_issue(only_issue(specs), "services/scalar.yaml", 1, "", "expected a mapping at the top level (got a str")


def test_non_utf8(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    write(specs, "services/latin.yaml", "service: latin\nimage: caf\xe9\n".encode("latin-1"))
    assert_issue(only_issue(specs), "services/latin.yaml", 2, "", "file is not valid UTF-8 text (byte 0xe9")


def test_binary(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    write(specs, "services/blob.yaml", b"\x89PNG\r\n\x1a\n\x00\x00")
    assert_issue(only_issue(specs), "services/blob.yaml", 3, "", "file is binary, expected YAML text")


def test_too_large_is_rejected_before_parsing(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    # Not valid YAML either: only the size may be reported, which proves it is checked first.
    write(specs, "services/huge.yaml", "[" * (MAX_BYTES + 1))
    assert_issue(only_issue(specs), "services/huge.yaml", None, "", "file is too large")


def test_multiple_documents(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    path = specs / ORD
    path.write_text(path.read_text() + "---\nservice: other\n")
    assert_issue(only_issue(specs), ORD, 23, "", "expected a single YAML document, found several")


def test_missing_platform_file(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    (specs / P).unlink()
    found = issues(specs)
    assert_issue(found[0], P, None, "", "file not found")


def test_unknown_yaml_tag(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, ORD, "count: 2", "count: !ref two")
    issue = only_issue(specs)
    assert_issue(issue, ORD, 7, "count", "could not determine a constructor for the tag '!ref'")


# --- several problems at once ------------------------------------------------------------------------------


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, ORD, "port: 8080", "port: 0")
    edit(specs, ORD, "count: 2", "count: -1")
    edit(specs, U, "service: user ", "service: user \nprot: 1\n")
    edit(specs, P, "  nat: per-az", "  nat: dual")
    with pytest.raises(SpecError) as caught:
        load(specs)
    found = {(i.file.rsplit("/specs/", 1)[1], i.line, i.path) for i in caught.value.issues}
    assert found == {(ORD, 4, "port"), (ORD, 7, "count"), (U, 3, "prot"), (P, 8, "network.nat")}
    text = str(caught.value)
    assert text.startswith("invalid specs: 4 problems")
    assert f"{specs / ORD}:4: port: expected at least 1 (got 0)" in text


# --- environment overrides -----------------------------------------------------------------------------------


def test_bad_production_override_reported_when_loading_dev(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, ORD, "  production: {count: 4,", "  production: {count: 5000,")
    for env in (None, "dev", "production"):
        issue = only_issue(specs, env)
        assert_issue(issue, ORD, 21, "environments.production.count", "expected at most 1000 (got 5000)")


def test_nested_override_error_points_into_the_override(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, P, "  dev:        {network: {nat: single}}", "  dev:\n    network:\n      nat: double")
    issue = only_issue(specs, "staging")
    assert_issue(issue, P, 33, "environments.dev.network.nat", "expected one of per-az, single, none (got 'double')")


def test_override_breaking_a_base_field_names_the_environment(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, ORD, "  production: {count: 4,", "  production: {cpu: 1024, count: 4,")
    issue = only_issue(specs)
    assert_issue(issue, ORD, 6, "memory", "expected memory for cpu 1024 to be one of 2048, 3072")
    assert issue.message.endswith("(in environment 'production')")


def test_override_min_above_base_max(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, ORD, "{count: 4, autoscaling: {min: 4, max: 20}}", "{autoscaling: {min: 40}}")
    issue = only_issue(specs)
    assert_issue(issue, ORD, 21, "environments.production.autoscaling.max", "expected max to be at least min (40)")


def test_override_unknown_field(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, ORD, "  production: {count: 4,", "  production: {cont: 4,")
    assert_issue(
        only_issue(specs), ORD, 21, "environments.production.cont", "unknown field 'cont' (did you mean 'count'?)"
    )


def test_override_breaks_cross_file_reference(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, U, "  production: {count: 3,", "  production: {publishes: [user_updated], count: 3,")
    issue = only_issue(specs, "dev")
    assert_issue(issue, ORD, 13, "subscribes[0].events[0]", "service 'user' does not publish 'user_created'")
    assert issue.message.endswith("(in environment 'production')")


def test_platform_override_unknown_key(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, P, "  staging:    {}", "  staging:    {apii: {enabled: false}}")
    assert_issue(only_issue(specs), P, 32, "environments.staging.apii", "unknown field 'apii' (did you mean 'api'?)")


def test_domain_from_unset_variable_without_cert(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    issue = only_issue(specs, environ={"API_DOMAIN": "api.example.com"})
    assert_issue(issue, P, 29, "api.certificateArn", "required when api.domain is set")


def test_production_only_domain_needs_certificate(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, P, "{approval: required,", "{approval: required, api: {domain: api.example.com},")
    edit(specs, P, ", api: {throttling: {rate: 1000, burst: 2000}}}", "}")
    issue = only_issue(specs)
    assert_issue(issue, P, 33, "environments.production.api.certificateArn", "required when api.domain is set")


# --- cross-file ------------------------------------------------------------------------------------------


def test_unknown_field_in_list_item_also_reports_the_missing_one(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, ORD, "{from: user, events: [user_created]}", "{frm: user, events: [user_created]}")
    found = [(i.line, i.path, i.message) for i in issues(specs)]
    assert found == [
        (13, "subscribes[0].frm", "unknown field 'frm' (did you mean 'from'?)"),
        (13, "subscribes[0].from", "required field missing"),
    ]


def test_duplicate_service_name(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    write(specs, "services/order2.yaml", (specs / ORD).read_text())
    found = issues(specs)
    messages = {(i.file.rsplit("/", 1)[1], i.line, i.message) for i in found}
    assert ("order2.yaml", 2, f"service 'order' is already defined in {specs / ORD}:2") in messages
    assert all(i.file.endswith("order2.yaml") for i in found)


def test_route_collision_across_services(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, PAY, '["ANY /payments/{proxy+}"]', '["ANY /payments/{proxy+}", "GET /orders/{anything+}"]')
    issue = only_issue(specs)
    assert_issue(issue, PAY, 10, "routes[1]")
    assert issue.message == (
        f"route 'GET /orders/{{anything+}}' in {specs / PAY} collides with 'ANY /orders/{{proxy+}}' in {specs / ORD}:10"
    )


def test_route_collision_normalises_parameter_names(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, U, '["ANY /users/{proxy+}"]', '["GET /users/{id}", "DELETE /users/{id}", "GET /users/{userId}"]')
    issue = only_issue(specs)
    assert_issue(issue, U, 10, "routes[2]", "route 'GET /users/{userId}' in")
    assert "collides with 'GET /users/{id}'" in issue.message


def test_routes_with_different_methods_do_not_collide(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, U, '["ANY /users/{proxy+}"]', '["GET /users/{id}", "PUT /users/{id}", "GET /users"]')
    load(specs)


def test_any_overlaps_every_method(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, U, '["ANY /users/{proxy+}"]', '["ANY /users/{proxy+}", "POST /users/{p+}"]')
    assert_issue(only_issue(specs), U, 10, "routes[1]", "collides with 'ANY /users/{proxy+}'")


def test_derived_name_collision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = seed_copy(tmp_path)
    # Real shortening keeps a hash of the full name, so force a truncating one to prove the check works.
    monkeypatch.setattr(checks, "aws_name", lambda kind, *parts: "-".join(p for p in parts if p)[:20])
    found = issues(specs)
    assert found, "expected a collision"
    issue = next(i for i in found if "target-group" in i.message)
    assert issue.path == "service"
    assert "collides with service" in issue.message


def test_unparseable_service_does_not_cause_reference_noise(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, U, "health: / ", "health: [/ ")
    found = issues(specs)
    assert [i.file.endswith(U) for i in found] == [True]


def test_rules_without_the_event_bus_are_an_error(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, P, "  eventBus: true", "  eventBus: false")
    edit(specs, PAY, "publishesToBus: true", "publishesToBus: false")  # the seed's payment puts events on the bus
    edit(
        specs,
        ORD,
        "calls: [user, payment]",
        "calls: [user, payment]\nrules:\n  - {name: audit, pattern: {source: [shop]}}",
    )
    issue = only_issue(specs)
    assert_issue(issue, ORD, line_of(specs, ORD, "rules:"), "rules", "set messaging.eventBus: true")


def test_two_services_cannot_share_a_route_prefix(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    # Not a collision (different methods), but the ALB routes on the path alone.
    edit(specs, PAY, 'routes: ["ANY /payments/{proxy+}"]', 'routes: ["ANY /payments/{proxy+}", "POST /orders/{id}"]')
    issue = only_issue(specs)
    assert_issue(issue, PAY, line_of(specs, PAY, "routes:"), "routes[1]", "shares the path prefix '/orders'")
    assert "service 'order'" in issue.message
