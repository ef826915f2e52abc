"""API Gateway edge kinds against moto: the `$default` stage, the JWT authorizer, the custom domain and its
root API mapping. Create → read equals desired → update in place → delete → gone, found only through our
tagged API or domain.

moto 5.2.5 lacks UpdateStage, DeleteAccessLogSettings, GetAuthorizers, UpdateDomainName and
UpdateApiMapping, and its domain names carry neither the API Gateway target nor a status: the `moto_gaps`
fixture fills them in on moto's own backend (so requests still go through botocore's validation and the
call counter), and one test gives domains the real-AWS target, hosted zone and UPDATING status.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from platformctl.engine.model import Ref, Resource
from platformctl.engine.planner import diff_props
from platformctl.errors import AwsCallError
from platformctl.naming import ownership_tags
from platformctl.resources.apigw_authorizer import AUTHORIZER_NAME, JwtAuthorizer
from platformctl.resources.apigw_domain import ApiMapping, DomainName, our_domains
from platformctl.resources.apigw_stage import Stage
from platformctl.resources.base import Context, ResourceKind
from tests.unit import kind_harness
from tests.unit.kind_harness import (
    ENV,
    PLATFORM,
    KindDriver,
    other_env_tags,
    read_calls_by_op,
    read_one,
    update_as_planned,
    updated,
)

LAYER = "api"
API_ID = "api"
DOMAIN_ID = "api.domain"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
CERT2 = "arn:aws:acm:us-east-1:123456789012:certificate/66666666-7777-8888-9999-000000000000"
ISSUER = "https://auth.example.com/"
LOG_FORMAT = {"status": "$context.status", "requestId": "$context.requestId", "ip": "$context.identity.sourceIp"}


# ---- moto gaps ---------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def moto_gaps() -> None:
    """The API Gateway v2 calls moto 5.2.5 lacks, as the local emulator adds them."""
    from platformctl.emulator import install

    install()


ctx = kind_harness.ctx  # the fixture


# ---- helpers ---------------------------------------------------------------------------------------------
def apigw(ctx: Context) -> Any:
    return ctx.client("apigatewayv2")


def make_api(ctx: Context, name: str, tags: dict[str, str] | None = None) -> str:
    return apigw(ctx).create_api(Name=name, ProtocolType="HTTP", Tags=tags or {})["ApiId"]


def our_api(ctx: Context, driver: KindDriver, logical_id: str = API_ID) -> str:
    """An HTTP API carrying our tags, as the api kind creates it, registered as the driver's output."""
    api_id = make_api(ctx, f"{PLATFORM}-{ENV}", ownership_tags(PLATFORM, ENV, LAYER, logical_id))
    driver.outputs[logical_id] = {"ApiId": api_id}
    return api_id


def log_group_arn(ctx: Context, driver: KindDriver, name: str = "/platformctl/shop/dev/api") -> str:
    logs = ctx.client("logs")
    logs.create_log_group(logGroupName=name)
    arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["arn"].removesuffix(":*")
    driver.outputs["logs"] = {"Arn": arn}
    return arn


def assert_no_writes_when_unchanged(driver: KindDriver, kind: ResourceKind, resource: Resource) -> None:
    live = driver.read(kind)[resource.id]
    writes = driver.ctx.aws.counter.writes
    update_as_planned(kind, driver.ctx, resource, live, kind.canonical(driver.resolved(resource)))
    assert driver.ctx.aws.counter.writes == writes


def calls(ctx: Context, operation: str) -> int:
    return ctx.aws.counter.calls[("apigatewayv2", operation)]


def stage_names(ctx: Context, api_id: str) -> set[str]:
    return {s["StageName"] for s in apigw(ctx).get_stages(ApiId=api_id)["Items"]}


def stage_resource(api: str = API_ID, **overrides: Any) -> Resource:
    props: dict[str, Any] = {
        "api": Ref(api, "ApiId"),
        "name": "$default",
        "auto_deploy": True,
        "throttling": {"rate": 100, "burst": 200},
        "access_log": {"destination": Ref("logs", "Arn"), "format": dict(LOG_FORMAT)},
    }
    props.update(overrides)
    return Resource("apigw.stage", f"{api}/stage", LAYER, f"{PLATFORM}-{ENV} $default", props)


def authorizer_resource(api: str = API_ID, **overrides: Any) -> Resource:
    props: dict[str, Any] = {
        "api": Ref(api, "ApiId"),
        "name": AUTHORIZER_NAME,
        "issuer": ISSUER,
        "audience": ["orders", "billing"],
        "identity_source": "$request.header.Authorization",
    }
    props.update(overrides)
    return Resource("apigw.authorizer", f"{api}/authorizer", LAYER, AUTHORIZER_NAME, props)


def domain_resource(name: str = "api.shop.example.com", **overrides: Any) -> Resource:
    props: dict[str, Any] = {
        "name": name,
        "certificate_arn": CERT,
        "endpoint_type": "REGIONAL",
        "security_policy": "TLS_1_2",
    }
    props.update(overrides)
    return Resource("apigw.domain", DOMAIN_ID, LAYER, name, props)


def mapping_resource(domain: Resource, api: str = API_ID, stage: str = "$default") -> Resource:
    props = {"domain": Ref(domain.id, "DomainName"), "api": Ref(api, "ApiId"), "stage": stage, "key": ""}
    return Resource("apigw.api_mapping", f"{domain.id}/mapping", LAYER, f"{domain.name}/", props)


def raw_domain(ctx: Context, name: str, tags: dict[str, str] | None = None) -> None:
    apigw(ctx).create_domain_name(
        DomainName=name,
        DomainNameConfigurations=[{"CertificateArn": CERT, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}],
        Tags=tags or {},
    )


# ---- apigw.stage ------------------------------------------------------------------------------------------
def test_stage_lifecycle_with_in_place_throttling_and_access_log_updates(ctx: Context) -> None:
    kind, driver = Stage(), KindDriver(ctx)
    api_id = our_api(ctx, driver)
    arn = log_group_arn(ctx, driver)
    resource = stage_resource()

    assert driver.create(kind, resource) == {"StageName": "$default"}
    live = read_one(driver, kind, resource)
    assert live.id == "api/stage" and live.physical_id == "$default"
    assert live.attrs == {"StageName": "$default"}
    assert live.props["access_log"] == {"destination": arn, "format": dict(sorted(LOG_FORMAT.items()))}
    assert live.props["throttling"] == {"rate": 100.0, "burst": 200}
    # Tagged in the create call like everything we make.
    stage = apigw(ctx).get_stages(ApiId=api_id)["Items"][0]
    assert ownership_tags(PLATFORM, ENV, LAYER, "api/stage").items() <= stage["Tags"].items()
    assert json.loads(stage["AccessLogSettings"]["Format"]) == LOG_FORMAT

    updated(driver, kind, resource, auto_deploy=False)
    updated(driver, kind, resource, throttling={"rate": 5.5, "burst": 10})
    live = updated(
        driver, kind, resource, access_log={"destination": Ref("logs", "Arn"), "format": {"a": "$context.a"}}
    )
    assert live.props["access_log"]["format"] == {"a": "$context.a"}
    live = updated(driver, kind, resource, access_log=None)
    assert "AccessLogSettings" not in apigw(ctx).get_stages(ApiId=api_id)["Items"][0]
    updated(driver, kind, resource, access_log={"destination": Ref("logs", "Arn"), "format": dict(LOG_FORMAT)})
    assert_no_writes_when_unchanged(driver, kind, resource)
    # Every change was made in place: the stage was created once and never deleted.
    assert calls(ctx, "CreateStage") == 1 and calls(ctx, "DeleteStage") == 0
    assert calls(ctx, "UpdateStage") == 4 and calls(ctx, "DeleteAccessLogSettings") == 1

    live = driver.read(kind)[resource.id]
    kind.delete(ctx, live)
    assert driver.read(kind) == {}
    assert stage_names(ctx, api_id) == set()
    kind.delete(ctx, live)  # already gone: fine


def test_access_log_format_with_keys_in_another_order_reads_back_equal(ctx: Context) -> None:
    kind, driver = Stage(), KindDriver(ctx)
    api_id = our_api(ctx, driver)
    arn = log_group_arn(ctx, driver)
    reordered = dict(reversed(list(LOG_FORMAT.items())))
    # Someone wrote the format by hand, in an order of their own, with spaces.
    apigw(ctx).create_stage(
        ApiId=api_id,
        StageName="$default",
        AutoDeploy=True,
        DefaultRouteSettings={"ThrottlingRateLimit": 100.0, "ThrottlingBurstLimit": 200},
        AccessLogSettings={"DestinationArn": arn, "Format": json.dumps(reordered, indent=2)},
    )
    resource = stage_resource()
    live = read_one(driver, kind, resource)
    assert list(live.props["access_log"]["format"]) == sorted(LOG_FORMAT)
    desired_reordered = driver.resolved(stage_resource(access_log={"destination": arn, "format": reordered}))
    assert diff_props(live.props, desired_reordered, kind) == []
    writes = ctx.aws.counter.writes
    update_as_planned(kind, ctx, resource, live, kind.canonical(driver.resolved(resource)))
    assert ctx.aws.counter.writes == writes


def test_stage_reads_none_access_log_and_a_hand_edited_non_json_format_as_drift(ctx: Context) -> None:
    kind, driver = Stage(), KindDriver(ctx)
    api_id = our_api(ctx, driver)
    arn = log_group_arn(ctx, driver)
    resource = stage_resource(access_log=None)
    driver.create(kind, resource)
    assert read_one(driver, kind, resource).props["access_log"] is None

    client = apigw(ctx)
    client.update_stage(
        ApiId=api_id, StageName="$default", AccessLogSettings={"DestinationArn": arn, "Format": "$context.requestId"}
    )
    live = driver.read(kind)[resource.id]
    assert live.props["access_log"] == {"destination": arn, "format": "$context.requestId"}
    assert [c.path for c in diff_props(live.props, driver.resolved(resource), kind)] == ["access_log"]
    updated(driver, kind, resource, access_log={"destination": Ref("logs", "Arn"), "format": dict(LOG_FORMAT)})


def test_stages_on_foreign_apis_and_other_stages_are_not_read_and_survive(ctx: Context) -> None:
    kind, driver = Stage(), KindDriver(ctx)
    api_id = our_api(ctx, driver)
    log_group_arn(ctx, driver)
    untagged = make_api(ctx, f"{PLATFORM}-{ENV}")
    prod = make_api(ctx, f"{PLATFORM}-prod", other_env_tags(API_ID, LAYER))
    for foreign in (untagged, prod):
        apigw(ctx).create_stage(ApiId=foreign, StageName="$default", Tags=other_env_tags("api/stage", LAYER))
    apigw(ctx).create_stage(ApiId=api_id, StageName="test")  # a hand-made stage on our API
    assert driver.read(kind) == {}

    resource = stage_resource()
    driver.create(kind, resource)
    found, counted = read_calls_by_op(ctx, kind)
    assert [live.id for live in found] == ["api/stage"]
    assert counted == {"GetApis": 1, "GetStages": 1}  # never the foreign APIs' stages

    kind.delete(ctx, found[0])
    assert stage_names(ctx, api_id) == {"test"}
    assert stage_names(ctx, untagged) == stage_names(ctx, prod) == {"$default"}


def test_stage_read_skips_an_api_deleted_since_it_was_listed(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    kind, driver = Stage(), KindDriver(ctx)
    our_api(ctx, driver)
    client = apigw(ctx)

    def gone(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "NotFoundException", "Message": "simulated"}}, "GetStages")

    monkeypatch.setattr(client, "get_stages", gone)
    assert driver.read(kind) == {}


# ---- apigw.authorizer -------------------------------------------------------------------------------------
def test_authorizer_lifecycle_and_hand_made_authorizers_survive(ctx: Context) -> None:
    kind, driver = JwtAuthorizer(), KindDriver(ctx)
    api_id = our_api(ctx, driver)
    prod = make_api(ctx, f"{PLATFORM}-prod", other_env_tags(API_ID, LAYER))
    client = apigw(ctx)
    jwt = {"Issuer": ISSUER, "Audience": ["orders"]}
    for api, name in ((api_id, "debug"), (prod, AUTHORIZER_NAME)):
        client.create_authorizer(
            ApiId=api,
            AuthorizerType="JWT",
            Name=name,
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration=jwt,
        )
    assert driver.read(kind) == {}

    resource = authorizer_resource()
    attrs = driver.create(kind, resource)
    live = read_one(driver, kind, resource)
    assert live.id == "api/authorizer" and live.layer == LAYER
    assert live.physical_id == attrs["AuthorizerId"] and live.attrs == attrs
    assert live.props["audience"] == ["billing", "orders"]  # unordered: compared sorted

    updated(driver, kind, resource, issuer="https://login.example.com/")
    updated(driver, kind, resource, audience=["payments", "orders", "billing"])
    updated(driver, kind, resource, identity_source="$request.header.X-Token")
    assert_no_writes_when_unchanged(driver, kind, resource)
    assert calls(ctx, "UpdateAuthorizer") == 3 and calls(ctx, "CreateAuthorizer") == 3  # ours + two hand-made

    found, counted = read_calls_by_op(ctx, kind)
    assert [f.id for f in found] == ["api/authorizer"]
    assert counted == {"GetApis": 1, "GetAuthorizers": 1}

    kind.delete(ctx, found[0])
    assert driver.read(kind) == {}
    kind.delete(ctx, found[0])  # already gone: fine
    assert [a["Name"] for a in client.get_authorizers(ApiId=api_id)["Items"]] == ["debug"]
    assert [a["Name"] for a in client.get_authorizers(ApiId=prod)["Items"]] == [AUTHORIZER_NAME]


# ---- apigw.domain -----------------------------------------------------------------------------------------
def test_domain_lifecycle_and_look_alikes(ctx: Context) -> None:
    kind, driver = DomainName(), KindDriver(ctx)
    raw_domain(ctx, "handmade.shop.example.com")
    raw_domain(ctx, "api.prod.shop.example.com", other_env_tags(DOMAIN_ID, LAYER))
    assert driver.read(kind) == {}

    resource = domain_resource()
    attrs = driver.create(kind, resource)
    assert attrs["DomainName"] == "api.shop.example.com"
    assert set(attrs) == {"DomainName", "TargetDomainName", "HostedZoneId"}
    live = read_one(driver, kind, resource)
    assert live.physical_id == "api.shop.example.com" and live.attrs == attrs
    tags = apigw(ctx).get_domain_name(DomainName="api.shop.example.com")["Tags"]
    assert ownership_tags(PLATFORM, ENV, LAYER, DOMAIN_ID).items() <= tags.items()

    updated(driver, kind, resource, certificate_arn=CERT2)
    updated(driver, kind, resource, security_policy="TLS_1_0")
    assert_no_writes_when_unchanged(driver, kind, resource)
    assert calls(ctx, "UpdateDomainName") == 2 and calls(ctx, "CreateDomainName") == 3

    found, counted = read_calls_by_op(ctx, kind)
    assert [f.id for f in found] == [DOMAIN_ID]
    assert counted == {"GetDomainNames": 1}

    kind.delete(ctx, found[0])
    assert driver.read(kind) == {}
    kind.delete(ctx, found[0])  # already gone: fine
    names = {d["DomainName"] for d in apigw(ctx).get_domain_names()["Items"]}
    assert names == {"handmade.shop.example.com", "api.prod.shop.example.com"}


def test_domain_create_refuses_a_same_named_domain_that_is_not_ours(ctx: Context) -> None:
    kind, driver = DomainName(), KindDriver(ctx)
    raw_domain(ctx, "api.shop.example.com", other_env_tags(DOMAIN_ID, LAYER))
    with pytest.raises(AwsCallError, match="already exists .* not ours"):
        driver.create(kind, domain_resource())
    assert driver.read(kind) == {}
    tags = apigw(ctx).get_domain_name(DomainName="api.shop.example.com")["Tags"]
    assert tags == other_env_tags(DOMAIN_ID, LAYER)


def test_domain_attrs_carry_the_dns_target_and_update_waits_while_aws_is_updating(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real AWS adds the target, hosted zone and status to each configuration; moto adds none."""
    from moto.apigatewayv2.models import DomainName as MotoDomainName

    statuses: list[str] = []
    original = MotoDomainName.to_json

    def to_json(self: Any) -> dict[str, Any]:
        answer = original(self)
        status = statuses.pop(0) if statuses else "AVAILABLE"
        answer["domainNameConfigurations"] = [
            {
                **c,
                "apiGatewayDomainName": "d-abc123.execute-api.us-east-1.amazonaws.com",
                "hostedZoneId": "Z1UJRXOUMOOFQ8",
                "domainNameStatus": status,
            }
            for c in answer["domainNameConfigurations"]
        ]
        return answer

    monkeypatch.setattr(MotoDomainName, "to_json", to_json)
    kind, driver = DomainName(), KindDriver(ctx)
    resource = domain_resource()
    attrs = driver.create(kind, resource)
    assert attrs == {
        "DomainName": "api.shop.example.com",
        "TargetDomainName": "d-abc123.execute-api.us-east-1.amazonaws.com",
        "HostedZoneId": "Z1UJRXOUMOOFQ8",
    }
    live = read_one(driver, kind, resource)
    assert live.attrs == attrs and live.facts == {"status": "AVAILABLE"}

    gets = calls(ctx, "GetDomainName")
    statuses.extend(["UPDATING", "UPDATING", "UPDATING"])  # the update's answer, then two polls
    assert update_as_planned(kind, ctx, resource, live, {**resource.props, "certificate_arn": CERT2}) == attrs
    assert calls(ctx, "GetDomainName") - gets == 3
    assert driver.read(kind)[DOMAIN_ID].props["certificate_arn"] == CERT2


# ---- apigw.api_mapping ------------------------------------------------------------------------------------
def test_api_mapping_lifecycle_ignores_other_keys_and_foreign_domains(ctx: Context) -> None:
    kind, driver = ApiMapping(), KindDriver(ctx)
    client = apigw(ctx)
    api_id = our_api(ctx, driver)
    other_api = our_api(ctx, driver, "api2")
    for api in (api_id, other_api):
        client.create_stage(ApiId=api, StageName="$default")
    client.create_stage(ApiId=api_id, StageName="canary")
    domain = domain_resource()
    driver.create(DomainName(), domain)
    # A hand-made mapping under another key on our domain, and a root mapping on somebody else's domain.
    client.create_api_mapping(DomainName=domain.name, ApiId=api_id, Stage="$default", ApiMappingKey="v2")
    raw_domain(ctx, "api.prod.shop.example.com", other_env_tags(DOMAIN_ID, LAYER))
    client.create_api_mapping(DomainName="api.prod.shop.example.com", ApiId=api_id, Stage="$default")
    assert driver.read(kind) == {}

    resource = mapping_resource(domain)
    attrs = driver.create(kind, resource)
    live = read_one(driver, kind, resource)
    assert live.id == f"{DOMAIN_ID}/mapping" and live.layer == LAYER
    assert live.physical_id == attrs["ApiMappingId"] and live.attrs == attrs
    assert live.props == {"domain": domain.name, "api": api_id, "stage": "$default", "key": ""}

    live = updated(driver, kind, resource, api=Ref("api2", "ApiId"))
    assert live.props["api"] == other_api
    updated(driver, kind, resource, api=Ref(API_ID, "ApiId"), stage="canary")
    updated(driver, kind, resource, stage="$default")
    assert_no_writes_when_unchanged(driver, kind, resource)
    assert calls(ctx, "UpdateApiMapping") == 3

    found, counted = read_calls_by_op(ctx, kind)
    assert [f.id for f in found] == [f"{DOMAIN_ID}/mapping"]
    assert counted == {"GetDomainNames": 1, "GetApiMappings": 1}  # only our domain's mappings

    kind.delete(ctx, found[0])
    assert driver.read(kind) == {}
    kind.delete(ctx, found[0])  # already gone: fine
    assert [m["ApiMappingKey"] for m in client.get_api_mappings(DomainName=domain.name)["Items"]] == ["v2"]
    assert len(client.get_api_mappings(DomainName="api.prod.shop.example.com")["Items"]) == 1


def test_domain_listing_is_shared_between_domain_and_mapping_reads(ctx: Context) -> None:
    driver = KindDriver(ctx)
    driver.create(DomainName(), domain_resource())
    ctx.clear_cache()
    before = calls(ctx, "GetDomainNames")
    assert [d.logical_id for d in our_domains(ctx)] == [DOMAIN_ID]
    DomainName().read(ctx)
    ApiMapping().read(ctx)
    assert calls(ctx, "GetDomainNames") - before == 1
