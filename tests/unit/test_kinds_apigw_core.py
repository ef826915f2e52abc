"""API Gateway v2 core kinds against moto: the HTTP API, the VPC link, integrations and routes.

create → read equals desired → update → delete → gone. The API and the VPC link are ours by their tags;
integrations and routes cannot be tagged and are ours through our API (integrations also by the key we
write into their description). Look-alikes, another env's APIs and children we did not make stay
invisible and survive our deletes. The network, the load balancer and its listeners are made with boto3.
What moto does not show (a VPC link PENDING for minutes, FAILED, DELETING, still in use) is simulated.
"""

from __future__ import annotations

from typing import Any

import pytest

from platformctl.engine.model import Ref, Resource
from platformctl.naming import ownership_tags
from platformctl.resources.apigw_api import HttpApi
from platformctl.resources.apigw_integration import Integration, integration_logical_id, is_our_description
from platformctl.resources.apigw_route import Route, route_logical_id
from platformctl.resources.apigw_vpc_link import VpcLink
from platformctl.resources.base import Context
from platformctl.resources.waiting import WaitFailed
from tests.unit.kind_harness import (
    ENV,
    PLATFORM,
    KindDriver,
    client_error,
    moto_context,
    other_env_tags,
    read_calls_by_op,
    read_one,
    reads_as_desired,
    update_as_planned,
    updated,
)

LAYER = "api"
NAME = f"{PLATFORM}-{ENV}"
ORDERS_KEY = "ANY /orders/{proxy+}"
BILLING_KEY = "ANY /billing/{proxy+}"


# ---- helpers ---------------------------------------------------------------------------------------------
def network(driver: KindDriver) -> None:
    """A VPC with two subnets, two security groups, an ALB with two listeners; their ids go to the outputs."""
    ec2, elbv2 = driver.ctx.client("ec2"), driver.ctx.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for name, cidr, zone in (("subnet.a", "10.0.1.0/24", "us-east-1a"), ("subnet.b", "10.0.2.0/24", "us-east-1b")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        driver.outputs[name] = {"SubnetId": subnet}
    for name in ("sg.link", "sg.alb"):
        group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        driver.outputs[name] = {"GroupId": group}
    lb = elbv2.create_load_balancer(
        Name=f"{NAME}-internal",
        Subnets=[driver.outputs["subnet.a"]["SubnetId"], driver.outputs["subnet.b"]["SubnetId"]],
        SecurityGroups=[driver.outputs["sg.alb"]["GroupId"]],
        Scheme="internal",
        Type="application",
    )["LoadBalancers"][0]["LoadBalancerArn"]
    for name, port in (("listener", 80), ("listener.alt", 8080)):
        arn = elbv2.create_listener(
            LoadBalancerArn=lb,
            Protocol="HTTP",
            Port=port,
            DefaultActions=[
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}
            ],
        )["Listeners"][0]["ListenerArn"]
        driver.outputs[name] = {"ListenerArn": arn}


def api_resource(description: str = "shop public API") -> Resource:
    return Resource("apigw.api", "api", LAYER, NAME, {"name": NAME, "description": description})


def vpc_link_resource(logical_id: str = "vpc_link", subnets: tuple[str, ...] = ("subnet.b", "subnet.a")) -> Resource:
    return Resource(
        "apigw.vpc_link",
        logical_id,
        LAYER,
        NAME,
        {
            "name": NAME,
            "subnets": [Ref(s, "SubnetId") for s in subnets],
            "security_groups": [Ref("sg.link", "GroupId")],
        },
    )


def integration_resource(service: str, api: str = "api", listener: str = "listener") -> Resource:
    description = f"integration.{service}"
    return Resource(
        "apigw.integration",
        integration_logical_id(api, description),
        LAYER,
        f"{NAME} {description}",
        {
            "api": Ref(api, "ApiId"),
            "description": description,
            "listener": Ref(listener, "ListenerArn"),
            "vpc_link": Ref("vpc_link", "VpcLinkId"),
            "method": "ANY",
            "payload_format": "1.0",
            "timeout_ms": 29000,
        },
    )


def route_resource(route_key: str, integration: str, api: str = "api") -> Resource:
    return Resource(
        "apigw.route",
        route_logical_id(api, route_key),
        LAYER,
        f"{NAME} {route_key}",
        {
            "api": Ref(api, "ApiId"),
            "route_key": route_key,
            "integration": Ref(integration, "IntegrationId"),
            "authorization": "NONE",
            "authorizer": None,
        },
    )


def stack(driver: KindDriver) -> tuple[Resource, Resource]:
    """Network, our API and VPC link, created; returns (api, vpc link)."""
    network(driver)
    api, link = api_resource(), vpc_link_resource()
    driver.create(HttpApi(), api)
    driver.create(VpcLink(), link)
    return api, link


def raw_api(ctx: Context, name: str = NAME, tags: dict[str, str] | None = None) -> str:
    return ctx.client("apigatewayv2").create_api(Name=name, ProtocolType="HTTP", Tags=tags or {})["ApiId"]


def raw_integration(ctx: Context, api_id: str, listener: str, link: str, description: str | None) -> str:
    params: dict[str, Any] = {"Description": description} if description is not None else {}
    return ctx.client("apigatewayv2").create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="ANY",
        IntegrationUri=listener,
        ConnectionType="VPC_LINK",
        ConnectionId=link,
        PayloadFormatVersion="1.0",
        **params,
    )["IntegrationId"]


def raw_route(ctx: Context, api_id: str, route_key: str, integration: str) -> str:
    return ctx.client("apigatewayv2").create_route(
        ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration}"
    )["RouteId"]


def jwt_authorizer(ctx: Context, api_id: str, name: str) -> str:
    return ctx.client("apigatewayv2").create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name=name,
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": ["shop"], "Issuer": "https://issuer.example.com"},
    )["AuthorizerId"]


def api_ids(ctx: Context) -> set[str]:
    return {item["ApiId"] for item in ctx.client("apigatewayv2").get_apis()["Items"]}


def integration_ids(ctx: Context, api_id: str) -> set[str]:
    return {i["IntegrationId"] for i in ctx.client("apigatewayv2").get_integrations(ApiId=api_id)["Items"]}


def route_keys(ctx: Context, api_id: str) -> set[str]:
    return {r["RouteKey"] for r in ctx.client("apigatewayv2").get_routes(ApiId=api_id)["Items"]}


# ---- the whole stack ----------------------------------------------------------------------------------------
def test_api_vpc_link_integrations_and_routes_lifecycle() -> None:
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        api, link = stack(driver)
        orders, billing = integration_resource("order"), integration_resource("billing")
        for resource in (orders, billing):
            driver.create(Integration(), resource)
        orders_route = route_resource(ORDERS_KEY, orders.id)
        billing_route = route_resource(BILLING_KEY, billing.id)
        for resource in (orders_route, billing_route):
            driver.create(Route(), resource)

        read_one(driver, HttpApi(), api)
        read_one(driver, VpcLink(), link)
        integrations = driver.read(Integration())
        assert sorted(integrations) == ["api/integration.billing", "api/integration.order"]
        for resource in (orders, billing):
            reads_as_desired(driver, Integration(), resource, integrations[resource.id])
        routes = driver.read(Route())
        assert sorted(routes) == [f"api/route {BILLING_KEY}", f"api/route {ORDERS_KEY}"]
        for resource in (orders_route, billing_route):
            reads_as_desired(driver, Route(), resource, routes[resource.id])
        assert routes[orders_route.id].props["integration"] == driver.outputs[orders.id]["IntegrationId"]

        # Torn down children first, the way the engine orders deletes.
        for resource in (orders_route, billing_route):
            Route().delete(ctx, routes[resource.id])
        assert driver.read(Route()) == {}
        for resource in (orders, billing):
            Integration().delete(ctx, integrations[resource.id])
        assert driver.read(Integration()) == {}
        VpcLink().delete(ctx, driver.read(VpcLink())[link.id])
        HttpApi().delete(ctx, driver.read(HttpApi())[api.id])
        for kind in (HttpApi(), VpcLink(), Integration(), Route()):
            assert driver.read(kind) == {}
        assert api_ids(ctx) == set()


def test_one_read_pass_lists_apis_once_and_children_once_per_api_of_ours() -> None:
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        stack(driver)
        for service in ("order", "billing"):
            driver.create(Integration(), integration_resource(service))
        driver.create(Route(), route_resource(ORDERS_KEY, "api/integration.order"))
        driver.create(Route(), route_resource(BILLING_KEY, "api/integration.billing"))
        for i in range(3):  # APIs that are not ours: never asked for their children
            foreign = raw_api(ctx, f"unrelated-{i}", other_env_tags("api", LAYER) if i else None)
            raw_route(ctx, foreign, ORDERS_KEY, "x")
        found, calls = read_calls_by_op(ctx, HttpApi(), VpcLink(), Integration(), Route())
        assert len(found) == 1 + 1 + 2 + 2
        assert calls == {"GetApis": 1, "GetVpcLinks": 1, "GetIntegrations": 1, "GetRoutes": 1}


# ---- apigw.api --------------------------------------------------------------------------------------------
def test_api_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        kind, driver = HttpApi(), KindDriver(ctx)
        untagged = raw_api(ctx)
        other_env = raw_api(ctx, tags=other_env_tags("api", LAYER))
        other_platform = raw_api(ctx, tags=ownership_tags("blog", ENV, LAYER, "api"))
        resource = api_resource()
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"ApiId", "ApiEndpoint"}
        assert attrs["ApiEndpoint"].startswith(f"https://{attrs['ApiId']}.execute-api.")
        live = read_one(driver, kind, resource)
        assert live.name == NAME

        live = updated(driver, kind, resource, description="changed")
        assert live.props["description"] == "changed"
        live = updated(driver, kind, resource, description="")
        assert kind.updatable == frozenset({"description"})

        # Nothing changed: no write at all.
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert ctx.aws.counter.writes == writes

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already gone: fine
        assert api_ids(ctx) == {untagged, other_env, other_platform}


def test_api_without_description_reads_empty_description() -> None:
    with moto_context() as ctx:
        ctx.client("apigatewayv2").create_api(
            Name=NAME, ProtocolType="HTTP", Tags=ownership_tags(PLATFORM, ENV, LAYER, "api")
        )
        [live] = HttpApi().read(ctx)
        assert live.props == {"name": NAME, "description": ""}


def test_owned_apis_are_shared_and_list_only_our_http_apis() -> None:
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        attrs = driver.create(HttpApi(), api_resource())
        raw_api(ctx, tags=other_env_tags("api", LAYER))
        ctx.client("apigatewayv2").create_api(
            Name="ws",
            ProtocolType="WEBSOCKET",
            RouteSelectionExpression="$request.body.action",
            Tags=ownership_tags(PLATFORM, ENV, LAYER, "ws"),
        )
        before = ctx.aws.counter.total
        first, second = HttpApi().owned(ctx), HttpApi().owned(ctx)
        assert ctx.aws.counter.total - before == 1
        assert first == second
        [api] = first
        assert (api.physical_id, api.name, api.item["ApiEndpoint"], api.logical_id, api.layer, api.tags) == (
            attrs["ApiId"],
            NAME,
            attrs["ApiEndpoint"],
            "api",
            LAYER,
            ownership_tags(PLATFORM, ENV, LAYER, "api"),
        )


def test_api_listing_follows_next_token() -> None:
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        driver.create(HttpApi(), api_resource())
        apigw = ctx.client("apigatewayv2")
        real_get_apis = apigw.get_apis
        tokens: list[str | None] = []

        def two_pages(**kwargs: Any) -> Any:
            tokens.append(kwargs.get("NextToken"))
            page = real_get_apis()
            if kwargs.get("NextToken") is None:
                return {**page, "Items": [], "NextToken": "page-2"}
            return page

        apigw.get_apis = two_pages
        assert list(driver.read(HttpApi())) == ["api"]
        assert tokens == [None, "page-2"]


# ---- apigw.vpc_link ---------------------------------------------------------------------------------------
def test_vpc_link_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        kind, driver = VpcLink(), KindDriver(ctx)
        network(driver)
        subnets = [driver.outputs["subnet.a"]["SubnetId"], driver.outputs["subnet.b"]["SubnetId"]]
        apigw = ctx.client("apigatewayv2")
        untagged = apigw.create_vpc_link(Name=NAME, SubnetIds=subnets)["VpcLinkId"]
        prod_tags = other_env_tags("vpc_link", LAYER)
        other_env = apigw.create_vpc_link(Name=NAME, SubnetIds=subnets, Tags=prod_tags)["VpcLinkId"]

        resource = vpc_link_resource(subnets=("subnet.b", "subnet.a"))
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"VpcLinkId"}
        live = read_one(driver, kind, resource)
        assert live.props["subnets"] == sorted(subnets)
        assert live.facts == {"status": "AVAILABLE"}
        # AWS can only rename a link, and a replacement may overlap the old link (names need not be unique).
        assert kind.updatable == frozenset()
        assert kind.unordered == frozenset({"subnets", "security_groups"})
        assert kind.create_before_delete is True

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already gone: fine
        assert {link["VpcLinkId"] for link in apigw.get_vpc_links()["Items"]} == {untagged, other_env}


def test_vpc_link_create_waits_until_available() -> None:
    with moto_context() as ctx:
        kind, driver = VpcLink(), KindDriver(ctx)
        network(driver)
        apigw = ctx.client("apigatewayv2")
        real_create, real_get = apigw.create_vpc_link, apigw.get_vpc_link
        polls: list[str] = []

        def pending_create(**kwargs: Any) -> Any:
            return {**real_create(**kwargs), "VpcLinkStatus": "PENDING"}

        def pending_twice(**kwargs: Any) -> Any:
            link = real_get(**kwargs)
            status = "PENDING" if len(polls) < 2 else link["VpcLinkStatus"]
            polls.append(status)
            return {**link, "VpcLinkStatus": status}

        apigw.create_vpc_link, apigw.get_vpc_link = pending_create, pending_twice
        resource = vpc_link_resource()
        driver.create(kind, resource)
        assert polls == ["PENDING", "PENDING", "AVAILABLE"]
        read_one(driver, kind, resource)


def test_vpc_link_that_fails_is_removed_and_reported() -> None:
    with moto_context() as ctx:
        kind, driver = VpcLink(), KindDriver(ctx)
        network(driver)
        apigw = ctx.client("apigatewayv2")
        real_create, real_get = apigw.create_vpc_link, apigw.get_vpc_link

        def pending_create(**kwargs: Any) -> Any:
            return {**real_create(**kwargs), "VpcLinkStatus": "PENDING"}

        def failed(**kwargs: Any) -> Any:
            return {**real_get(**kwargs), "VpcLinkStatus": "FAILED", "VpcLinkStatusMessage": "subnet out of IPs"}

        apigw.create_vpc_link, apigw.get_vpc_link = pending_create, failed
        with pytest.raises(WaitFailed, match="subnet out of IPs"):
            driver.create(kind, vpc_link_resource())
        assert driver.read(kind) == {}


def test_vpc_link_delete_retries_while_in_use_and_waits_until_gone() -> None:
    with moto_context() as ctx:
        kind, driver = VpcLink(), KindDriver(ctx)
        network(driver)
        resource = vpc_link_resource()
        driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        apigw = ctx.client("apigatewayv2")
        real_delete, real_get, real_list = apigw.delete_vpc_link, apigw.get_vpc_link, apigw.get_vpc_links
        deletes: list[str] = []
        dying: dict[str, Any] = {}

        def in_use_once(**kwargs: Any) -> Any:
            deletes.append(kwargs["VpcLinkId"])
            if len(deletes) == 1:
                raise client_error("ConflictException", "DeleteVpcLink")
            dying.update(real_get(**kwargs), VpcLinkStatus="DELETING")
            return real_delete(**kwargs)

        polls: list[int] = []

        def deleting_twice(**kwargs: Any) -> Any:
            polls.append(1)
            if len(polls) <= 2:
                return dying
            return real_get(**kwargs)

        def listing_with_dying(**kwargs: Any) -> Any:
            page = real_list(**kwargs)
            return {**page, "Items": [*page.get("Items", []), *([dying] if dying else [])]}

        apigw.delete_vpc_link, apigw.get_vpc_link, apigw.get_vpc_links = in_use_once, deleting_twice, listing_with_dying
        kind.delete(ctx, live)
        assert deletes == [live.physical_id] * 2
        assert len(polls) == 3  # DELETING, DELETING, not found
        # A link still DELETING in the listing is gone for us.
        assert dying and driver.read(kind) == {}


# ---- apigw.integration ------------------------------------------------------------------------------------
def test_integration_lifecycle_two_integrations_to_one_listener_stay_distinct() -> None:
    with moto_context() as ctx:
        kind, driver = Integration(), KindDriver(ctx)
        stack(driver)
        driver.create(VpcLink(), vpc_link_resource("vpc_link.alt"))
        orders, billing = integration_resource("order"), integration_resource("billing")
        assert orders.id == "api/integration.order"
        attrs = driver.create(kind, orders)
        assert set(attrs) == {"IntegrationId"}
        read_one(driver, kind, orders)
        driver.create(kind, billing)
        found = driver.read(kind)
        assert sorted(found) == [billing.id, orders.id]
        assert found[orders.id].props["listener"] == found[billing.id].props["listener"]
        assert found[orders.id].physical_id != found[billing.id].physical_id
        assert found[orders.id].name == f"{NAME} integration.order"

        for field, value in {
            "listener": Ref("listener.alt", "ListenerArn"),
            "vpc_link": Ref("vpc_link.alt", "VpcLinkId"),
            "method": "GET",
            "payload_format": "2.0",
            "timeout_ms": 10000,
        }.items():
            live = updated(driver, kind, orders, **{field: value})
            assert live.props[field] == driver.resolved(orders)[field]
        assert set(kind.updatable) == set(orders.props) - {"api", "description"}
        # The other integration on the same listener was not touched.
        reads_as_desired(driver, kind, billing, driver.read(kind)[billing.id])

        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, orders, live, kind.canonical(driver.resolved(orders)))
        assert ctx.aws.counter.writes == writes

        kind.delete(ctx, live)
        assert list(driver.read(kind)) == [billing.id]
        kind.delete(ctx, live)  # already gone: fine
        kind.delete(ctx, driver.read(kind)[billing.id])
        assert driver.read(kind) == {}


def test_integration_without_our_description_is_ignored_and_survives() -> None:
    with moto_context() as ctx:
        kind, driver = Integration(), KindDriver(ctx)
        stack(driver)
        api_id = driver.outputs["api"]["ApiId"]
        listener, link = driver.outputs["listener"]["ListenerArn"], driver.outputs["vpc_link"]["VpcLinkId"]
        handmade = {
            raw_integration(ctx, api_id, listener, link, description)
            for description in (None, "", "debugging orders", "integration.", "Integration.order")
        }
        # Our description on an API that is not ours: not ours either.
        foreign_api = raw_api(ctx, tags=other_env_tags("api", LAYER))
        foreign = raw_integration(ctx, foreign_api, listener, link, "integration.order")

        resource = integration_resource("order")
        driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        assert integration_ids(ctx, api_id) == handmade
        assert integration_ids(ctx, foreign_api) == {foreign}


def test_is_our_description() -> None:
    assert is_our_description("integration.order")
    for description in (None, "", "integration.", "debug", "Integration.order", "x integration.order"):
        assert not is_our_description(description)


def test_duplicate_description_manages_the_smallest_id_and_leaves_the_other() -> None:
    with moto_context() as ctx:
        kind, driver = Integration(), KindDriver(ctx)
        stack(driver)
        resource = integration_resource("order")
        first = driver.create(kind, resource)["IntegrationId"]
        second = kind.create(ctx, resource, driver.resolved(resource))["IntegrationId"]
        [live] = kind.read(ctx)
        assert live.physical_id == min(first, second)


def test_children_of_an_api_gone_since_listing_are_skipped() -> None:
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        stack(driver)
        integration = integration_resource("order")
        driver.create(Integration(), integration)
        route = route_resource(ORDERS_KEY, integration.id)
        driver.create(Route(), route)
        ctx.clear_cache()
        HttpApi().owned(ctx)  # listed, then deleted before the children are read
        ctx.client("apigatewayv2").delete_api(ApiId=driver.outputs["api"]["ApiId"])
        assert Integration().read(ctx) == []
        assert Route().read(ctx) == []


def test_children_delete_fine_after_their_api_is_gone() -> None:
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        stack(driver)
        integration = integration_resource("order")
        driver.create(Integration(), integration)
        route = route_resource(ORDERS_KEY, integration.id)
        driver.create(Route(), route)
        route_live = driver.read(Route())[route.id]
        integration_live = driver.read(Integration())[integration.id]
        HttpApi().delete(ctx, driver.read(HttpApi())["api"])
        Route().delete(ctx, route_live)
        Integration().delete(ctx, integration_live)


def test_integration_delete_retries_while_a_just_deleted_route_still_uses_it() -> None:
    with moto_context() as ctx:
        kind, driver = Integration(), KindDriver(ctx)
        stack(driver)
        resource = integration_resource("order")
        driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        apigw = ctx.client("apigatewayv2")
        real_delete = apigw.delete_integration
        attempts: list[int] = []

        def in_use_twice(**kwargs: Any) -> Any:
            attempts.append(1)
            if len(attempts) <= 2:
                raise client_error("ConflictException", "DeleteIntegration")
            return real_delete(**kwargs)

        apigw.delete_integration = in_use_twice
        kind.delete(ctx, live)
        assert len(attempts) == 3
        assert driver.read(kind) == {}


# ---- apigw.route ------------------------------------------------------------------------------------------
def test_route_lifecycle_including_jwt_authorization() -> None:
    with moto_context() as ctx:
        kind, driver = Route(), KindDriver(ctx)
        stack(driver)
        for service in ("order", "order-v2"):
            driver.create(Integration(), integration_resource(service))
        api_id = driver.outputs["api"]["ApiId"]
        driver.outputs["auth"] = {"AuthorizerId": jwt_authorizer(ctx, api_id, "users")}
        driver.outputs["auth.alt"] = {"AuthorizerId": jwt_authorizer(ctx, api_id, "partners")}

        resource = route_resource(ORDERS_KEY, "api/integration.order")
        assert resource.id == "api/route ANY /orders/{proxy+}"
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"RouteId"}
        live = read_one(driver, kind, resource)
        assert live.props["authorizer"] is None
        assert live.name == f"{NAME} {ORDERS_KEY}"

        live = updated(driver, kind, resource, integration=Ref("api/integration.order-v2", "IntegrationId"))
        assert live.props["integration"] == driver.outputs["api/integration.order-v2"]["IntegrationId"]
        live = updated(driver, kind, resource, authorization="JWT", authorizer=Ref("auth", "AuthorizerId"))
        assert live.props["authorizer"] == driver.outputs["auth"]["AuthorizerId"]
        live = updated(driver, kind, resource, authorizer=Ref("auth.alt", "AuthorizerId"))
        assert live.props["authorizer"] == driver.outputs["auth.alt"]["AuthorizerId"]
        live = updated(driver, kind, resource, authorization="NONE", authorizer=None)
        assert live.props["authorizer"] is None
        assert set(kind.updatable) == {"integration", "authorization", "authorizer"}

        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert ctx.aws.counter.writes == writes

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already gone: fine


def test_route_authorization_change_always_sends_the_type() -> None:
    with moto_context() as ctx:
        kind, driver = Route(), KindDriver(ctx)
        stack(driver)
        driver.create(Integration(), integration_resource("order"))
        api_id = driver.outputs["api"]["ApiId"]
        driver.outputs["auth"] = {"AuthorizerId": jwt_authorizer(ctx, api_id, "users")}
        driver.outputs["auth.alt"] = {"AuthorizerId": jwt_authorizer(ctx, api_id, "partners")}
        resource = route_resource(ORDERS_KEY, "api/integration.order")
        resource.props.update(authorization="JWT", authorizer=Ref("auth", "AuthorizerId"))
        driver.create(kind, resource)
        read_one(driver, kind, resource)
        apigw = ctx.client("apigatewayv2")
        real_update = apigw.update_route
        sent: list[dict[str, Any]] = []

        def recording(**kwargs: Any) -> Any:
            sent.append({k: v for k, v in kwargs.items() if k not in {"ApiId", "RouteId"}})
            return real_update(**kwargs)

        apigw.update_route = recording
        updated(driver, kind, resource, authorizer=Ref("auth.alt", "AuthorizerId"))
        updated(driver, kind, resource, authorization="NONE", authorizer=None)
        assert sent == [
            {"AuthorizationType": "JWT", "AuthorizerId": driver.outputs["auth.alt"]["AuthorizerId"]},
            {"AuthorizationType": "NONE"},
        ]


def test_route_on_a_foreign_api_is_not_read_and_survives() -> None:
    with moto_context() as ctx:
        kind, driver = Route(), KindDriver(ctx)
        stack(driver)
        driver.create(Integration(), integration_resource("order"))
        listener, link = driver.outputs["listener"]["ListenerArn"], driver.outputs["vpc_link"]["VpcLinkId"]
        foreign_apis = [raw_api(ctx), raw_api(ctx, tags=other_env_tags("api", LAYER))]
        for api_id in foreign_apis:
            integration = raw_integration(ctx, api_id, listener, link, "integration.order")
            raw_route(ctx, api_id, ORDERS_KEY, integration)

        resource = route_resource(ORDERS_KEY, "api/integration.order")
        driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        assert live.props["api"] == driver.outputs["api"]["ApiId"]
        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        for api_id in foreign_apis:
            assert route_keys(ctx, api_id) == {ORDERS_KEY}


def test_route_with_a_foreign_target_reads_as_drift() -> None:
    with moto_context() as ctx:
        kind, driver = Route(), KindDriver(ctx)
        stack(driver)
        driver.create(Integration(), integration_resource("order"))
        resource = route_resource(ORDERS_KEY, "api/integration.order")
        driver.create(kind, resource)
        apigw = ctx.client("apigatewayv2")
        real_get_routes = apigw.get_routes

        def odd_target(**kwargs: Any) -> Any:
            page = real_get_routes(**kwargs)
            return {**page, "Items": [{**item, "Target": "somewhere/else"} for item in page["Items"]]}

        apigw.get_routes = odd_target
        live = driver.read(kind)[resource.id]
        assert live.props["integration"] == "somewhere/else"
        assert live.props != driver.resolved(resource)
