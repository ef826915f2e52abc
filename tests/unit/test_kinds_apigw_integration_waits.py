"""An integration is made, or moved to another VPC link, only once that link is AVAILABLE.

Traffic through a PENDING link fails, so the integration kind asks the link first (one get_vpc_link when
it is AVAILABLE, polls while it is PENDING). A link moto creates is AVAILABLE at once: PENDING is simulated.
"""

from __future__ import annotations

from typing import Any

from platformctl.engine.model import Ref
from platformctl.resources.apigw_integration import Integration
from platformctl.resources.apigw_vpc_link import VpcLink
from tests.unit.kind_harness import KindDriver, moto_context, update_as_planned
from tests.unit.test_kinds_apigw_core import integration_resource, stack, vpc_link_resource


def pending_for(apigw: Any, polls: int, events: list[str]) -> None:
    """The next `polls` get_vpc_link answers say PENDING; every link read and integration write is logged."""
    real_get, real_create, real_update = apigw.get_vpc_link, apigw.create_integration, apigw.update_integration

    def get_vpc_link(**kwargs: Any) -> Any:
        link = real_get(**kwargs)
        status = "PENDING" if events.count("link PENDING") < polls else link["VpcLinkStatus"]
        events.append(f"link {status}")
        return {**link, "VpcLinkStatus": status}

    def logged(name: str, call: Any) -> Any:
        def write(**kwargs: Any) -> Any:
            events.append(name)
            return call(**kwargs)

        return write

    apigw.get_vpc_link = get_vpc_link
    apigw.create_integration = logged("create_integration", real_create)
    apigw.update_integration = logged("update_integration", real_update)


def test_an_integration_is_created_only_once_its_vpc_link_is_available() -> None:
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        stack(driver)
        events: list[str] = []
        pending_for(ctx.client("apigatewayv2"), 2, events)
        resource = integration_resource("order")
        driver.create(Integration(), resource)
        assert events == ["link PENDING", "link PENDING", "link AVAILABLE", "create_integration"]
        assert list(driver.read(Integration())) == [resource.id]


def test_an_integration_moves_to_another_link_only_once_it_is_available_and_other_changes_ask_no_link() -> None:
    with moto_context() as ctx:
        kind, driver = Integration(), KindDriver(ctx)
        stack(driver)
        driver.create(VpcLink(), vpc_link_resource("vpc_link.alt"))
        resource = integration_resource("order")
        driver.create(kind, resource)
        events: list[str] = []
        pending_for(ctx.client("apigatewayv2"), 1, events)

        resource.props["timeout_ms"] = 10000
        update_as_planned(kind, ctx, resource, driver.read(kind)[resource.id], driver.resolved(resource))
        assert events == ["update_integration"]

        events.clear()
        resource.props["vpc_link"] = Ref("vpc_link.alt", "VpcLinkId")
        update_as_planned(kind, ctx, resource, driver.read(kind)[resource.id], driver.resolved(resource))
        assert events == ["link PENDING", "link AVAILABLE", "update_integration"]
        live = driver.read(kind)[resource.id]
        assert live.props["vpc_link"] == driver.outputs["vpc_link.alt"]["VpcLinkId"]
        assert live.props["timeout_ms"] == 10000
