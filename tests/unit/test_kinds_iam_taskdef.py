"""IAM roles and ECS task definitions against moto: create → read equals desired → update → delete → gone.

Roles are found under our IAM path and kept only if their tags say they are ours; task definitions through
their family prefix and their tags. Beyond the lifecycle: policy documents coming back URL-encoded, IAM's
propagation delay right after create_role (simulated), refusing a same-named role or family that is not ours,
a new revision per change (immutability) with secrets only ever as references, several ACTIVE revisions left
by an interrupted run, and the number of calls a read costs.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from platformctl.engine.model import LiveResource, Ref, Resource, props_fingerprint
from platformctl.engine.planner import make_plan
from platformctl.errors import AwsCallError, PlatformctlError
from platformctl.naming import TAG_FINGERPRINT
from platformctl.resources.base import Context, ResourceKind, tag_list
from platformctl.resources.ecs_task_definition import TaskDefinition
from platformctl.resources.iam_role import IamRole, parse_document
from platformctl.resources.policy import normalize_policy
from tests.unit.kind_harness import (
    ENV,
    PLATFORM,
    KindDriver,
    client_error,
    moto_context,
    our_tags,
    read_calls,
    read_one,
    update_as_planned,
    updated,
)

LAYER = "services"
PATH = f"/platformctl/{PLATFORM}/{ENV}/us-east-1/"
PREFIX = f"{PLATFORM}-{ENV}"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:123456789012:{PREFIX}-orders"
SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{PREFIX}/orders/db-AbCdEf"
PARAM_ARN = f"arn:aws:ssm:us-east-1:123456789012:parameter/{PREFIX}/orders/api-key"


# ---- helpers ---------------------------------------------------------------------------------------------
# ---- iam.role ----------------------------------------------------------------------------------------------
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": ["sts:AssumeRole"]}
    ],
}


def statement(actions: list[str], resource: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}


def role_resource(service: str = "orders", role: str = "task", **props: Any) -> Resource:
    name = f"{PREFIX}-{service}-{role}"
    base = {
        "name": name,
        "path": PATH,
        "description": f"{service} {role} role",
        "trust": TRUST,
        "policies": {
            "consume": statement(["sqs:ReceiveMessage", "sqs:DeleteMessage"], Ref("queue.orders", "Arn")),
            "logs": statement(["logs:PutLogEvents", "logs:CreateLogStream"], "*"),
        },
    }
    base.update(props)
    return Resource("iam.role", f"role.{service}.{role}", LAYER, name, base)


def raw_role(ctx: Context, name: str, path: str = PATH, tags: dict[str, str] | None = None) -> None:
    ctx.client("iam").create_role(
        RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(TRUST), Tags=tag_list(tags or {})
    )


def role_names(ctx: Context) -> set[str]:
    return {r["RoleName"] for r in ctx.client("iam").list_roles()["Roles"]}


def role_driver(ctx: Context) -> KindDriver:
    driver = KindDriver(ctx)
    driver.outputs["queue.orders"] = {"Arn": QUEUE_ARN}
    return driver


def test_role_lifecycle_with_inline_policies_and_look_alikes() -> None:
    with moto_context() as ctx:
        kind, driver = IamRole(), role_driver(ctx)
        raw_role(ctx, f"{PREFIX}-handmade")  # in our path, untagged
        raw_role(ctx, f"{PREFIX}-orders-task-copy", tags=our_tags("role.orders.task", LAYER, env="prod"))
        prod_path, prod_tags = f"/platformctl/{PLATFORM}/prod/", our_tags("role.orders.task", LAYER, "prod")
        raw_role(ctx, f"{PLATFORM}-prod-orders-task", prod_path, prod_tags)
        raw_role(ctx, "unrelated", "/")

        resource = role_resource()
        attrs = driver.create(kind, resource)
        assert set(attrs) == {"Arn", "RoleName"}
        assert attrs["RoleName"] == resource.name
        assert attrs["Arn"].endswith(f":role{PATH}{resource.name}")

        live = read_one(driver, kind, resource)
        assert live.attrs == attrs
        assert live.physical_id == attrs["Arn"]
        assert live.props["path"] == PATH
        assert live.props["policies"]["consume"]["Statement"][0]["Resource"] == QUEUE_ARN
        assert live.props == kind.canonical(live.props)  # read gives the canonical form already

        # Every updatable field, including adding, changing and removing inline policies.
        live = updated(driver, kind, resource, description="orders task role (v2)")
        assert live.props["description"] == "orders task role (v2)"
        live = updated(driver, kind, resource, description="")
        assert live.props["description"] == ""
        trust = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Condition": {"StringEquals": {"aws:x": "y"}}}]}
        live = updated(driver, kind, resource, trust=trust)
        assert live.props["trust"]["Statement"][0]["Condition"] == {"StringEquals": {"aws:x": "y"}}
        policies = {
            "consume": statement(["sqs:ReceiveMessage"], Ref("queue.orders", "Arn")),
            "publish": statement(["sns:Publish"], "*"),
        }
        live = updated(driver, kind, resource, policies=policies)
        assert sorted(live.props["policies"]) == ["consume", "publish"]
        assert live.props["policies"]["consume"]["Statement"][0]["Action"] == "sqs:ReceiveMessage"
        live = updated(driver, kind, resource, policies={})
        assert live.props["policies"] == {}
        live = updated(driver, kind, resource, policies=policies)

        # Nothing changed: no write at all.
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, live, driver.resolved(resource))
        assert ctx.aws.counter.writes == writes

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already gone: fine
        assert role_names(ctx) == {
            f"{PREFIX}-handmade",
            f"{PREFIX}-orders-task-copy",
            f"{PLATFORM}-prod-orders-task",
            "unrelated",
        }


def test_role_without_description_or_policies_reads_back_empty() -> None:
    with moto_context() as ctx:
        kind, driver = IamRole(), role_driver(ctx)
        resource = role_resource("billing", "execution", description="", policies={})
        driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        assert live.props["description"] == "" and live.props["policies"] == {}
        assert kind.canonical({**resource.props, "description": None})["description"] == ""


def test_canonical_normalizes_trust_and_every_policy() -> None:
    kind = IamRole()
    props = role_resource().props
    spelled_differently = {
        **props,
        "trust": {"Statement": {**TRUST["Statement"][0], "Action": "sts:AssumeRole"}, "Version": "2012-10-17"},
        "policies": {name: json.dumps(doc, default=str) for name, doc in props["policies"].items()},
    }
    spelled_differently["policies"]["consume"] = props["policies"]["consume"]  # the Ref stays a Ref
    canonical = kind.canonical(spelled_differently)
    assert canonical == kind.canonical(props)
    assert canonical["trust"] == normalize_policy(TRUST)
    assert canonical["policies"]["logs"]["Statement"][0]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]


def test_policy_documents_are_read_whether_url_encoded_text_or_dicts() -> None:
    doc = statement(["s3:GetObject"], "arn:aws:s3:::bucket/*")
    assert parse_document(doc) == doc
    assert parse_document(json.dumps(doc)) == doc
    assert parse_document(quote(json.dumps(doc))) == doc
    assert parse_document("") == {} and parse_document(None) == {}

    with moto_context() as ctx:
        kind, driver = IamRole(), role_driver(ctx)
        resource = role_resource()
        driver.create(kind, resource)
        iam = ctx.client("iam")
        real_details = iam.get_account_authorization_details

        def encoded_details(**kwargs: Any) -> Any:
            page = real_details(**kwargs)
            for role in page["RoleDetailList"]:
                role["AssumeRolePolicyDocument"] = quote(json.dumps(role["AssumeRolePolicyDocument"]))
                for policy in role["RolePolicyList"]:
                    policy["PolicyDocument"] = quote(json.dumps(policy["PolicyDocument"]))
            return page

        iam.get_account_authorization_details = encoded_details
        read_one(driver, kind, resource)


def test_role_read_is_two_listings_whatever_the_number_of_roles_and_policies() -> None:
    with moto_context() as ctx:
        kind, driver = IamRole(), role_driver(ctx)
        driver.create(kind, role_resource("orders", "task"))  # two policies
        driver.create(kind, role_resource("orders", "execution", policies={"logs": statement(["logs:*"], "*")}))
        raw_role(ctx, f"{PREFIX}-untagged")  # in our path, not ours
        for i in range(4):
            raw_role(ctx, f"unrelated-{i}", "/other/")
        found, calls = read_calls(ctx, kind)
        assert sorted(live.id for live in found) == ["role.orders.execution", "role.orders.task"]
        # list_roles under our path, then one page of get_account_authorization_details for every role.
        assert calls == 1 + 1

        # The listing is shared: a second read in the same pass costs nothing.
        before = ctx.aws.counter.total
        assert len(kind.owned(ctx)) == 2 and len(kind.read(ctx)) == 2
        assert ctx.aws.counter.total == before

        # Nothing under our path: the account-wide details are not even asked for.
        other = Context(aws=ctx.aws, platform="other", env=ENV)
        found, calls = read_calls(other, kind)
        assert (found, calls) == ([], 1)


def test_role_listed_but_deleted_since_is_skipped() -> None:
    with moto_context() as ctx:
        kind, driver = IamRole(), role_driver(ctx)
        resource = role_resource()
        driver.create(kind, resource)
        going = role_resource("going")
        driver.create(kind, going)
        iam = ctx.client("iam")
        real_details = iam.get_account_authorization_details

        def vanished(**kwargs: Any) -> Any:
            # Deleted after list_roles listed it: the details no longer include it.
            page = real_details(**kwargs)
            page["RoleDetailList"] = [r for r in page["RoleDetailList"] if r["RoleName"] != going.name]
            return page

        iam.get_account_authorization_details = vanished
        read_one(driver, kind, resource)


def test_create_retries_inline_policies_while_the_fresh_role_propagates() -> None:
    with moto_context() as ctx:
        kind, driver = IamRole(), role_driver(ctx)
        iam = ctx.client("iam")
        real_put = iam.put_role_policy
        attempts: list[str] = []

        def not_yet(**kwargs: Any) -> Any:
            attempts.append(kwargs["PolicyName"])
            if len(attempts) <= 2:
                raise client_error("NoSuchEntity", "PutRolePolicy")
            return real_put(**kwargs)

        iam.put_role_policy = not_yet
        resource = role_resource()
        driver.create(kind, resource)
        assert attempts == ["consume", "consume", "consume", "logs"]
        read_one(driver, kind, resource)


def test_create_refuses_a_same_named_role_that_is_not_ours() -> None:
    with moto_context() as ctx:
        resource = role_resource()
        raw_role(ctx, resource.name, tags=our_tags(resource.id, LAYER, env="prod"))
        props = role_driver(ctx).resolved(resource)
        with pytest.raises(AwsCallError, match="not ours"):
            IamRole().create(ctx, resource, props)
        iam = ctx.client("iam")
        assert iam.list_role_policies(RoleName=resource.name)["PolicyNames"] == []
        assert iam.list_role_tags(RoleName=resource.name)["Tags"] == tag_list(our_tags(resource.id, LAYER, env="prod"))


def test_create_refuses_a_path_read_would_never_list() -> None:
    with moto_context() as ctx:
        resource = role_resource(path=f"/platformctl/{PLATFORM}/prod/")
        with pytest.raises(PlatformctlError, match="outside"):
            IamRole().create(ctx, resource, role_driver(ctx).resolved(resource))
        assert resource.name not in role_names(ctx)


def test_create_converges_our_own_role_left_by_an_interrupted_run() -> None:
    with moto_context() as ctx:
        kind, driver = IamRole(), role_driver(ctx)
        resource = role_resource()
        # The crash came after create_role and before the policies; one stray policy too.
        raw_role(ctx, resource.name, tags=our_tags(resource.id, LAYER))
        ctx.client("iam").put_role_policy(
            RoleName=resource.name, PolicyName="stray", PolicyDocument=json.dumps(statement(["s3:*"], "*"))
        )
        attrs = driver.create(kind, resource)
        assert attrs["RoleName"] == resource.name
        read_one(driver, kind, resource)


def test_delete_removes_inline_policies_added_since_the_read() -> None:
    with moto_context() as ctx:
        kind, driver = IamRole(), role_driver(ctx)
        resource = role_resource()
        driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        ctx.client("iam").put_role_policy(
            RoleName=resource.name, PolicyName="by-hand", PolicyDocument=json.dumps(statement(["s3:*"], "*"))
        )
        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        assert resource.name not in role_names(ctx)


# ---- ecs.task_definition ----------------------------------------------------------------------------------
def task_resource(service: str = "orders", image: str = "registry/orders:1.0.0", **container: Any) -> Resource:
    family = f"{PREFIX}-{service}"
    props = {
        "family": family,
        "cpu": 256,
        "memory": 512,
        "execution_role": Ref(f"role.{service}.execution", "Arn"),
        "task_role": Ref(f"role.{service}.task", "Arn"),
        "container": {
            "name": service,
            "image": image,
            "port": 8080,
            "port_name": "http",
            "environment": {"LOG_LEVEL": "info", "QUEUE_URL": "https://sqs/orders", "WORKERS": "4"},
            "secrets": {"DB_PASSWORD": SECRET_ARN, "API_KEY": PARAM_ARN},
            "log_group": f"/{PLATFORM}/{ENV}/{service}",
            "log_region": "us-east-1",
            "log_prefix": service,
            "health_check": None,
            **container,
        },
    }
    return Resource("ecs.task_definition", f"task.{service}", LAYER, family, props)


def task_driver(ctx: Context, *services: str) -> KindDriver:
    driver = KindDriver(ctx)
    for service in services or ("orders",):
        for role in ("task", "execution"):
            driver.outputs[f"role.{service}.{role}"] = {"Arn": f"arn:aws:iam::123456789012:role{PATH}{service}-{role}"}
    return driver


def raw_task_definition(ctx: Context, family: str, tags: dict[str, str] | None = None) -> str:
    kwargs: dict[str, Any] = {
        "family": family,
        "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 128}],
    }
    if tags:
        kwargs["tags"] = tag_list(tags, key="key", value="value")
    return ctx.client("ecs").register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"]


def status(ctx: Context, arn: str) -> str:
    return ctx.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]["status"]


def test_task_definition_lifecycle_new_revision_per_change_and_look_alikes() -> None:
    with moto_context() as ctx:
        kind, driver = TaskDefinition(), task_driver(ctx)
        handmade = raw_task_definition(ctx, f"{PREFIX}-handmade")
        copy = raw_task_definition(ctx, f"{PREFIX}-orders-copy", our_tags("task.orders", LAYER, env="prod"))
        prod = raw_task_definition(ctx, f"{PLATFORM}-prod-orders", our_tags("task.orders", LAYER, env="prod"))

        resource = task_resource()
        first = driver.create(kind, resource)
        assert first == {
            "TaskDefinitionArn": f"arn:aws:ecs:us-east-1:123456789012:task-definition/{PREFIX}-orders:1",
            "Family": f"{PREFIX}-orders",
            "Revision": 1,
        }
        live = read_one(driver, kind, resource)
        assert live.attrs == first and live.physical_id == first["TaskDefinitionArn"]
        assert live.name == f"{PREFIX}-orders:1"
        assert live.props["execution_role"] == driver.outputs["role.orders.execution"]["Arn"]
        assert live.props == kind.canonical(driver.resolved(resource))

        # Immutable: a new image is a new revision, registered before the old one goes.
        resource.props["container"] = {**resource.props["container"], "image": "registry/orders:1.1.0"}
        second = driver.create(kind, resource)
        assert second["Revision"] == 2 and second["TaskDefinitionArn"] != first["TaskDefinitionArn"]
        ctx.clear_cache()  # a new read pass, as the engine starts one after a create
        both = kind.read(ctx)
        assert sorted(r.physical_id for r in both) == sorted([first["TaskDefinitionArn"], second["TaskDefinitionArn"]])
        assert {r.id for r in both} == {resource.id}
        kind.delete(ctx, live)
        live = read_one(driver, kind, resource)
        assert live.attrs == second
        assert live.props["container"]["image"] == "registry/orders:1.1.0"

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already INACTIVE: fine
        assert status(ctx, first["TaskDefinitionArn"]) == "INACTIVE"
        assert [status(ctx, arn) for arn in (handmade, copy, prod)] == ["ACTIVE"] * 3


def test_registered_definition_carries_secrets_only_as_references() -> None:
    with moto_context() as ctx:
        kind, driver = TaskDefinition(), task_driver(ctx)
        resource = task_resource()
        attrs = driver.create(kind, resource)
        answer = ctx.client("ecs").describe_task_definition(taskDefinition=attrs["TaskDefinitionArn"], include=["TAGS"])
        td = answer["taskDefinition"]
        assert (td["networkMode"], td["requiresCompatibilities"], td["cpu"], td["memory"]) == (
            "awsvpc",
            ["FARGATE"],
            "256",
            "512",
        )
        (container,) = td["containerDefinitions"]
        assert container["secrets"] == [
            {"name": "API_KEY", "valueFrom": PARAM_ARN},
            {"name": "DB_PASSWORD", "valueFrom": SECRET_ARN},
        ]
        assert all(set(s) == {"name", "valueFrom"} for s in container["secrets"])
        assert [e["name"] for e in container["environment"]] == ["LOG_LEVEL", "QUEUE_URL", "WORKERS"]
        assert container["essential"] is True
        assert container["portMappings"] == [
            {"containerPort": 8080, "protocol": "tcp", "name": "http", "appProtocol": "http"}
        ]
        assert container["logConfiguration"] == {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": f"/{PLATFORM}/{ENV}/orders",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "orders",
            },
        }
        assert "healthCheck" not in container  # opt-in: no shell or curl is assumed in the image
        fingerprint = props_fingerprint(kind.canonical(driver.resolved(resource)))
        expected = {**ctx.tags_for(resource), TAG_FINGERPRINT: fingerprint}
        assert answer["tags"] == tag_list(expected, key="key", value="value")


def test_environment_scalars_compare_as_the_strings_ecs_keeps() -> None:
    with moto_context() as ctx:
        kind, driver = TaskDefinition(), task_driver(ctx)
        resource = task_resource(environment={"WORKERS": 4, "DEBUG": False, "RATIO": 0.5})
        driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        assert live.props["container"]["environment"] == {"DEBUG": "false", "RATIO": "0.5", "WORKERS": "4"}


def test_a_health_check_we_did_not_write_reads_back_as_drift() -> None:
    with moto_context() as ctx:
        kind, driver = TaskDefinition(), task_driver(ctx)
        resource = task_resource()
        arn = driver.create(kind, resource)["TaskDefinitionArn"]
        ecs = ctx.client("ecs")
        # Registered without a fingerprint (as an older platformctl did): the read describes it.
        ecs.untag_resource(resourceArn=arn, tagKeys=[TAG_FINGERPRINT])
        real_describe = ecs.describe_task_definition

        def edited(**kwargs: Any) -> Any:
            answer = real_describe(**kwargs)
            answer["taskDefinition"]["containerDefinitions"][0]["healthCheck"] = {"command": ["CMD", "true"]}
            return answer

        ecs.describe_task_definition = edited
        live = driver.read(kind)[resource.id]
        assert live.props["container"]["health_check"]["command"] == ["CMD", "true"]
        assert live.props != kind.canonical(driver.resolved(resource))


def test_a_changed_image_plans_a_create_before_delete_replacement() -> None:
    with moto_context() as ctx:
        kind, driver = TaskDefinition(), task_driver(ctx)
        resource = task_resource()
        driver.create(kind, resource)
        live = list(driver.read(kind).values())
        role_lives = [
            LiveResource("test.role", rid, LAYER, rid, attrs["Arn"], {}, attrs)
            for rid, attrs in driver.outputs.items()
            if rid.startswith("role.")
        ]
        kinds: dict[str, ResourceKind] = {"ecs.task_definition": kind, "test.role": _Stub()}
        desired = [
            task_resource(image="registry/orders:2.0.0"),
            *(Resource("test.role", r.id, LAYER, r.id, {}) for r in role_lives),
        ]
        described: list[str] = []

        def describe(summary: LiveResource) -> LiveResource:
            described.append(summary.id)
            return kind.describe(ctx, summary)

        assert all(lr.fingerprint is not None for lr in live)  # read without a describe
        unchanged = make_plan(ENV, [task_resource(), *desired[1:]], [*live, *role_lives], kinds, [LAYER], describe)
        assert [s.action for s in unchanged.steps if s.kind == kind.kind] == ["noop"] and described == []
        plan = make_plan(ENV, desired, [*live, *role_lives], kinds, layers=[LAYER], describe=describe)
        (step,) = [s for s in plan.steps if s.kind == kind.kind]
        assert (step.action, step.create_before_delete) == ("replace", True)
        assert [c.path for c in step.changes] == ["container.image"]  # described, so shown field by field
        assert described == [resource.id]


class _Stub(ResourceKind):
    kind = "test.role"
    service = "iam"
    id_attr = "Arn"


def test_several_active_revisions_of_one_logical_id_are_all_returned() -> None:
    with moto_context() as ctx:
        kind, driver = TaskDefinition(), task_driver(ctx)
        resource = task_resource()
        driver.create(kind, resource)
        driver.create(kind, resource)  # an interrupted run registered again and never deregistered
        found = kind.read(ctx)
        assert [r.id for r in found] == [resource.id, resource.id]
        assert sorted(r.attrs["Revision"] for r in found) == [1, 2]


def test_task_definition_read_is_one_listing_then_a_describe_per_revision_under_our_prefix() -> None:
    with moto_context() as ctx:
        kind, driver = TaskDefinition(), task_driver(ctx, "orders", "billing")
        driver.create(kind, task_resource("orders"))
        driver.create(kind, task_resource("orders"))
        driver.create(kind, task_resource("billing"))
        raw_task_definition(ctx, f"{PREFIX}-untagged")
        for i in range(3):
            raw_task_definition(ctx, f"unrelated-{i}")
        found, calls = read_calls(ctx, kind)
        assert len(found) == 3 and all(r.fingerprint for r in found)
        # Every ACTIVE revision in one listing and the tags of ours in one Tagging API read; no describe (their
        # fingerprints are compared instead); one tag call for the untagged look-alike under our prefix, which
        # the index does not know; nothing for the unrelated families.
        assert calls == 1 + 1 + 1


def test_create_refuses_a_family_whose_latest_revision_is_not_ours() -> None:
    with moto_context() as ctx:
        kind, driver = TaskDefinition(), task_driver(ctx, "orders", "billing")
        foreign = raw_task_definition(ctx, f"{PREFIX}-orders")
        with pytest.raises(AwsCallError, match="not ours"):
            driver.create(kind, task_resource("orders"))
        arns = ctx.client("ecs").list_task_definitions(familyPrefix=f"{PREFIX}-orders")["taskDefinitionArns"]
        assert arns == [foreign]

        # Ours, but under another logical id: two resources would share one family.
        driver.create(kind, task_resource("billing"))
        clash = task_resource("billing")
        clash.id = "task.billing-worker"
        with pytest.raises(AwsCallError, match="not ours"):
            driver.create(kind, clash)


def test_create_refuses_a_family_read_would_never_list() -> None:
    with moto_context() as ctx:
        driver = task_driver(ctx)
        resource = task_resource()
        resource.props["family"] = f"{PLATFORM}-prod-orders"
        with pytest.raises(PlatformctlError, match="does not start with"):
            driver.create(TaskDefinition(), resource)
        assert ctx.client("ecs").list_task_definition_families()["families"] == []


def test_delete_tolerates_an_already_inactive_revision_and_reraises_real_errors() -> None:
    with moto_context() as ctx:
        kind, driver = TaskDefinition(), task_driver(ctx)
        resource = task_resource()
        driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        ecs = ctx.client("ecs")
        real_deregister = ecs.deregister_task_definition

        def refuses(**kwargs: Any) -> Any:
            raise client_error("ClientException", "DeregisterTaskDefinition")

        ecs.deregister_task_definition = refuses
        with pytest.raises(ClientError):
            kind.delete(ctx, live)  # still ACTIVE: the ClientException meant something else
        real_deregister(taskDefinition=live.physical_id)
        kind.delete(ctx, live)  # INACTIVE now: the same answer means "already done"


def test_revision_deregistered_between_listing_and_describe_is_skipped() -> None:
    with moto_context() as ctx:
        kind, driver = TaskDefinition(), task_driver(ctx, "orders", "billing")
        gone = driver.create(kind, task_resource("billing"))["TaskDefinitionArn"]
        resource = task_resource("orders")
        driver.create(kind, resource)
        ecs = ctx.client("ecs")
        ecs.untag_resource(resourceArn=gone, tagKeys=[TAG_FINGERPRINT])  # so that the read describes it
        real_describe = ecs.describe_task_definition

        def vanished(**kwargs: Any) -> Any:
            if kwargs["taskDefinition"] == gone:
                raise client_error("ClientException", "DescribeTaskDefinition")
            return real_describe(**kwargs)

        ecs.describe_task_definition = vanished
        read_one(driver, kind, resource)
