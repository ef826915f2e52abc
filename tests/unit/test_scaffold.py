"""`scaffold_service`: a new service file that is valid at once, or no file at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.errors import PlatformctlError, SpecError
from platformctl.specs import scaffold_service
from platformctl.specs.scaffold import render_service
from tests.unit.spec_helpers import load, seed_copy


def _snapshot(specs: Path) -> dict[str, str]:
    return {str(p.relative_to(specs)): p.read_text() for p in sorted(specs.rglob("*")) if p.is_file()}


def test_scaffold_defaults_load_and_validate(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    path = scaffold_service(specs, "inventory")
    assert path == specs / "services" / "inventory.yaml"
    text = path.read_text()
    assert "# must equal the file name" in text and "# per-environment overrides" in text
    for env in (None, "dev", "staging", "production"):
        service = load(specs, env).services["inventory"]
        assert service.port == 8080 and service.cpu == 256 and service.memory == 512
        assert service.image == "public.ecr.aws/nginx/nginx-unprivileged:1.27"
        assert service.routes == ["ANY /inventory/{proxy+}"]
        assert service.count == 1 and service.health == "/" and service.health_check is None


def test_scaffold_with_options(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    scaffold_service(
        specs,
        "shipping",
        port=9000,
        image="example.com/shipping:2",
        cpu=512,
        memory=2048,
        routes=["GET /shipments/{id}", "POST /shipments"],
        publishes=["shipment_sent"],
        subscribes=["order:order_created", "payment:payment_succeeded", "order:order_cancelled"],
        calls=["order"],
    )
    service = load(specs).services["shipping"]
    assert (service.port, service.cpu, service.memory) == (9000, 512, 2048)
    assert service.routes == ["GET /shipments/{id}", "POST /shipments"]
    assert service.publishes == ["shipment_sent"]
    assert [(s.from_, s.events) for s in service.subscribes] == [
        ("order", ["order_created", "order_cancelled"]),
        ("payment", ["payment_succeeded"]),
    ]
    assert service.calls == ["order"]


def test_scaffold_groups_subscribes_into_one_entry_per_service() -> None:
    text = render_service("x", subscribes=["order:a", "order:b", "user:c", "order:a"])
    assert text.count("{from: order,") == 1
    assert '{from: order, events: ["a", "b"]}' in text
    assert '{from: user, events: ["c"]}' in text


def test_scaffold_refuses_existing_service(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    before = _snapshot(specs)
    with pytest.raises(PlatformctlError, match="service 'order' already exists"):
        scaffold_service(specs, "order")
    assert _snapshot(specs) == before


def test_scaffold_refuses_existing_yml(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    (specs / "services" / "user.yaml").rename(specs / "services" / "user.yml")
    with pytest.raises(PlatformctlError, match="already exists"):
        scaffold_service(specs, "user")


@pytest.mark.parametrize("name", ["Order", "9lives", "has_underscore", "a" * 31, "", "platform"])
def test_scaffold_refuses_invalid_name(tmp_path: Path, name: str) -> None:
    specs = seed_copy(tmp_path)
    with pytest.raises(PlatformctlError, match="invalid service name"):
        scaffold_service(specs, name)
    assert not (specs / "services" / f"{name}.yaml").exists() or name == ""


def test_scaffold_rolls_back_unknown_subscription(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    before = _snapshot(specs)
    with pytest.raises(SpecError) as caught:
        scaffold_service(specs, "audit", subscribes=["nosuch:evt"])
    assert "unknown service 'nosuch'" in str(caught.value)
    assert caught.value.issues[0].file.endswith("services/audit.yaml")
    assert not (specs / "services" / "audit.yaml").exists()
    assert _snapshot(specs) == before


def test_scaffold_rolls_back_unpublished_event(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    with pytest.raises(SpecError, match="service 'order' does not publish 'order_shipped'"):
        scaffold_service(specs, "audit", subscribes=["order:order_shipped"])
    assert not (specs / "services" / "audit.yaml").exists()


def test_scaffold_rolls_back_route_collision_and_bad_size(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    with pytest.raises(SpecError, match="collides with 'GET /orders/"):
        scaffold_service(specs, "audit", routes=["GET /orders/{id+}"])
    with pytest.raises(SpecError, match="expected memory for cpu 256 to be one of 512, 1024, 2048"):
        scaffold_service(specs, "audit", memory=4096)
    assert not (specs / "services" / "audit.yaml").exists()


def test_scaffold_rejects_malformed_subscribes(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    with pytest.raises(PlatformctlError, match="expects SERVICE:EVENT"):
        scaffold_service(specs, "audit", subscribes=["order"])
    assert not (specs / "services" / "audit.yaml").exists()


def test_scaffold_into_empty_services_dir_is_removed_on_failure(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "platform.yaml").write_text("platform: shop\nregion: eu-west-1\nenvironments: {dev: {}}\n")
    with pytest.raises(SpecError):
        scaffold_service(specs, "first", calls=["ghost"])
    assert not (specs / "services").exists()
    assert scaffold_service(specs, "first").exists()
    assert list(load(specs, "dev").services) == ["first"]


def test_scaffold_needs_a_platform(tmp_path: Path) -> None:
    with pytest.raises(PlatformctlError, match="no platform.yaml"):
        scaffold_service(tmp_path, "first")
