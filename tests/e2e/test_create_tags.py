"""Ownership tags travel in the create request itself, for every kind.

A resource created untagged and tagged by a second call is invisible (not ours) if the run dies in between:
nothing would ever delete it. So this test applies a platform that uses every registered kind and captures
the parameters of every AWS call platformctl makes, on the clients `platformctl/aws.py` hands out (botocore's
`before-parameter-build` event). Every call that creates something (the operations actually called, picked
by verb) must carry `platformctl:platform` / `env` / `layer` / `id` in its Tags, tags or TagSpecifications,
except the calls listed in UNTAGGABLE: things AWS cannot tag at creation, each found through a tagged parent.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from platformctl import aws
from platformctl.naming import LAYERS, TAG_ENV, TAG_ID, TAG_LAYER, TAG_PLATFORM
from platformctl.resources.registry import registry
from tests.e2e.helpers import Cli, copy_seed_specs

pytestmark = pytest.mark.e2e

PLATFORM, ENV = "microservices", "dev"

# Verbs with which AWS APIs make something new (plus writes that overwrite a named thing, as Put* does).
CREATING_VERBS = ("Create", "Register", "Put", "Run", "Allocate", "Request", "Subscribe", "Authorize", "Import")

# (service, operation) → why it carries no tags, and through which tagged parent platformctl finds its result.
UNTAGGABLE: dict[tuple[str, str], str] = {
    ("kms", "CreateAlias"): "aliases take no tags; found through the tagged key they target",
    ("ec2", "CreateRoute"): "routes take no tags; part of their tagged route table",
    ("sns", "Subscribe"): "subscriptions take no tags; found through their tagged topic",
    ("iam", "PutRolePolicy"): "inline policies are part of their tagged role",
    ("events", "PutTargets"): "targets take no tags; found through their tagged rule",
    ("elbv2", "CreateListener"): "created on the tagged load balancer and found through it",
    ("elbv2", "CreateRule"): "listener rules are found through the tagged load balancer's listener",
    ("application-autoscaling", "RegisterScalableTarget"): (
        "registered as an upsert on every change, untagged by design; found through the tagged ECS service"
    ),
    ("application-autoscaling", "PutScalingPolicy"): "policies take no tags here; found through the tagged service",
    ("apigatewayv2", "CreateRoute"): "routes take no tags; found through their tagged API",
    ("apigatewayv2", "CreateIntegration"): "integrations take no tags; found through their tagged API",
    ("apigatewayv2", "CreateAuthorizer"): "authorizers take no tags; found through their tagged API",
    ("apigatewayv2", "CreateApiMapping"): "mappings take no tags; found through their tagged domain",
    ("cloudwatch", "PutDashboard"): "dashboards take no tags; found by their name, the tagged cluster's",
    ("logs", "PutRetentionPolicy"): "sets the retention of its tagged log group, creates nothing",
}
# Kinds one platform cannot build together with the rest, and the test whose apply checks their create tags.
BUILT_ELSEWHERE: dict[str, str] = {
    # Only with `nat: none`, which builds no NAT gateway or address.
    "ec2.vpc_endpoint": "test_no_nat_endpoints.py::test_nat_none_applies_the_endpoints_tasks_need_then_diff_is_"
    "clean_and_destroy_removes_them",
}
# Not a resource of the platform: the run's lock, tagged with platform and env so `unlock` finds it.
LOCK = ("ssm", "PutParameter")


def _tags(params: dict[str, Any]) -> dict[str, str] | None:
    """The tags a create request carries, in whichever shape its API spells them; None if it has none."""
    if "TagSpecifications" in params:
        return {t["Key"]: t["Value"] for spec in params["TagSpecifications"] for t in spec.get("Tags", [])}
    for key in ("Tags", "tags"):
        raw = params.get(key)
        if raw is None:
            continue
        if isinstance(raw, dict):
            return dict(raw)
        return {
            t.get("Key", t.get("key", t.get("TagKey"))): t.get("Value", t.get("value", t.get("TagValue"))) for t in raw
        }
    return None


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dict[str, Any]]]:
    """(service, operation, parameters) of every call made through platformctl's clients, in call order."""
    seen: list[tuple[str, str, dict[str, Any]]] = []
    make_client = aws.Aws.client

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.service_model.service_name, model.name, copy.deepcopy(params)))

    def client(self: aws.Aws, service: str) -> Any:
        made = make_client(self, service)
        made.meta.events.register("before-parameter-build", record, unique_id="test-create-tags")
        return made

    monkeypatch.setattr(aws.Aws, "client", client)
    return seen


def every_kind_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seed specs plus what the seed leaves off: JWT auth, a custom domain, an EventBridge rule, alerts."""
    monkeypatch.setenv("API_DOMAIN", "api.shop.example.com")
    monkeypatch.setenv("API_CERT_ARN", "arn:aws:acm:us-east-1:123456789012:certificate/abc")
    specs = copy_seed_specs(tmp_path)
    platform = specs / "platform.yaml"
    text = platform.read_text()
    assert "  accessLogs: true" in text
    platform.write_text(
        text.replace(
            "  accessLogs: true", "  accessLogs: true\n  auth: {issuer: 'https://id.example.com/', audience: [shop]}"
        )
        + "alerts: {email: [ops@example.com]}\n"
    )
    with (specs / "services" / "payment.yaml").open("a") as f:
        f.write("rules:\n  - {name: refunds, pattern: {source: [shop.refunds]}}\n")
    return specs


def test_every_create_request_carries_the_ownership_tags(
    endpoint: str, tmp_path: Path, capsys, monkeypatch, requests
) -> None:
    cli = Cli(endpoint, every_kind_specs(tmp_path, monkeypatch), capsys)
    result = cli("apply", "--env", ENV, "--auto-approve", "-o", "json")
    assert result.code == 0, result.out + result.err
    operations = json.loads(result.out)["report"]["operations"]
    created = {op["id"] for op in operations if op["operation"] == "create" and op["status"] == "done"}
    # The apply really made something of every kind, so every kind's create call is in the capture.
    made = {op["kind"] for op in operations if op["operation"] == "create"}
    assert sorted(set(registry()) - made - set(BUILT_ELSEWHERE)) == []

    creating = [(s, op, p) for s, op, p in requests if op.startswith(CREATING_VERBS)]
    assert len(creating) >= len(created), "the capture saw the creates"
    untagged, wrong, exempt_seen = [], [], set()
    for service, operation, params in creating:
        if (service, operation) == LOCK:
            assert _tags(params) is not None and _tags(params)[TAG_ENV] == ENV, "the lock carries its env"
            continue
        tags = _tags(params)
        if (service, operation) in UNTAGGABLE:
            exempt_seen.add((service, operation))
            continue
        if tags is None or not {TAG_PLATFORM, TAG_ENV, TAG_LAYER, TAG_ID} <= set(tags):
            untagged.append(f"{service}.{operation} {json.dumps(params, default=str)[:300]}")
            continue
        if (tags[TAG_PLATFORM], tags[TAG_ENV]) != (PLATFORM, ENV) or tags[TAG_LAYER] not in LAYERS:
            wrong.append(f"{service}.{operation}: {tags}")
        elif tags[TAG_ID] not in created:
            wrong.append(f"{service}.{operation}: id {tags[TAG_ID]} is not a resource this apply created")
    assert untagged == [], "created without the ownership tags in the create call:\n" + "\n".join(untagged)
    assert wrong == []
    # Each exemption is used (a stale one would hide nothing, but it would no longer say anything true).
    assert sorted(set(UNTAGGABLE) - exempt_seen) == []
