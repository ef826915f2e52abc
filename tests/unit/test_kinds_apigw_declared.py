"""API Gateway kinds as declarations: children found per parent of ours, and updates that touch several setters.

Routes, stages and authorizers are listed under each of our APIs, the root mapping under each of our
domains (`DeclarativeKind.listed_under`): a parent deleted since it was listed has no children, and a
listing without a boto3 paginator is followed page by page. An update hands each planned change to its
field's setter, so a plan changing fields of two setters makes both calls, and nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from platformctl.engine.model import Ref
from platformctl.resources.apigw_domain import ApiMapping, DomainName
from platformctl.resources.apigw_integration import Integration
from platformctl.resources.apigw_route import Route
from platformctl.resources.apigw_stage import Stage
from platformctl.resources.base import Context
from tests.unit import kind_harness
from tests.unit.kind_harness import KindDriver, read_one, update_as_planned
from tests.unit.test_kinds_apigw_core import ORDERS_KEY, integration_resource, jwt_authorizer, route_resource, stack
from tests.unit.test_kinds_apigw_edge import (
    apigw,
    calls,
    domain_resource,
    log_group_arn,
    mapping_resource,
    our_api,
    stage_resource,
)

ctx = kind_harness.ctx  # the fixture


def mapped_domain(ctx: Context, driver: KindDriver) -> tuple[ApiMapping, Any]:
    """Our API with a `$default` stage, our domain, a hand-made `v2` mapping on it, and our root mapping."""
    api_id = our_api(ctx, driver)
    apigw(ctx).create_stage(ApiId=api_id, StageName="$default")
    domain = domain_resource()
    driver.create(DomainName(), domain)
    apigw(ctx).create_api_mapping(DomainName=domain.name, ApiId=api_id, Stage="$default", ApiMappingKey="v2")
    resource = mapping_resource(domain)
    driver.create(ApiMapping(), resource)
    return ApiMapping(), resource


def test_the_root_mapping_is_found_on_a_later_page_of_the_domains_mappings(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = KindDriver(ctx)
    kind, resource = mapped_domain(ctx, driver)
    client = apigw(ctx)
    real = client.get_api_mappings

    def one_a_page(**request: Any) -> Any:
        """AWS pages at its own size: one mapping a page here, the root one last."""
        items = sorted(real(DomainName=request["DomainName"])["Items"], key=lambda m: m.get("ApiMappingKey") == "")
        index = int(request.get("NextToken", "0"))
        more = {"NextToken": str(index + 1)} if index + 1 < len(items) else {}
        return {"Items": items[index : index + 1], **more}

    monkeypatch.setattr(client, "get_api_mappings", one_a_page)
    read_one(driver, kind, resource)


def test_a_domain_deleted_since_it_was_listed_has_no_mapping_and_is_no_error(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = KindDriver(ctx)
    kind, _ = mapped_domain(ctx, driver)

    def gone(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "NotFoundException", "Message": "simulated"}}, "GetApiMappings")

    monkeypatch.setattr(apigw(ctx), "get_api_mappings", gone)
    assert driver.read(kind) == {}


def test_a_route_change_of_target_and_authorizer_at_once_makes_both_calls(ctx: Context) -> None:
    kind, driver = Route(), KindDriver(ctx)
    stack(driver)
    for service in ("order", "order-v2"):
        driver.create(Integration(), integration_resource(service))
    driver.outputs["auth"] = {"AuthorizerId": jwt_authorizer(ctx, driver.outputs["api"]["ApiId"], "users")}
    resource = route_resource(ORDERS_KEY, "api/integration.order")
    driver.create(kind, resource)
    live = driver.read(kind)[resource.id]

    resource.props.update(
        integration=Ref("api/integration.order-v2", "IntegrationId"),
        authorization="JWT",
        authorizer=Ref("auth", "AuthorizerId"),
    )
    updates = calls(ctx, "UpdateRoute")
    update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
    assert calls(ctx, "UpdateRoute") - updates == 2  # the target, then the authorization
    after = driver.read(kind)[resource.id]
    assert after.props == driver.resolved(resource) and after.physical_id == live.physical_id


def test_a_stage_change_of_throttling_and_logging_off_at_once_makes_both_calls(ctx: Context) -> None:
    kind, driver = Stage(), KindDriver(ctx)
    our_api(ctx, driver)
    log_group_arn(ctx, driver)
    resource = stage_resource()
    driver.create(kind, resource)
    live = driver.read(kind)[resource.id]

    resource.props.update(throttling={"rate": 5.5, "burst": 10}, access_log=None)
    update_as_planned(kind, ctx, resource, live, kind.canonical(driver.resolved(resource)))
    assert (calls(ctx, "UpdateStage"), calls(ctx, "DeleteAccessLogSettings")) == (1, 1)
    read_one(driver, kind, resource)
