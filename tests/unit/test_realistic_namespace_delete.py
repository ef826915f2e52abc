"""Cloud Map deletes a namespace asynchronously: DeleteNamespace returns an operation, and the namespace stays
(listed, its name taken) until that operation succeeds. The realistic emulator does so; destroy and a
replacement wait for the operation, and a destroy that finds the delete already under way waits for it too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from platformctl.resources.base import Context
from platformctl.resources.ec2_vpc import Vpc
from platformctl.resources.servicediscovery_namespace import CloudMapNamespace
from tests.unit.kind_harness import KindDriver, realistic_context
from tests.unit.test_kinds_core import namespace_resource
from tests.unit.test_kinds_ec2 import VPC

SHORT = 0.6
NAME = namespace_resource().name


@pytest.fixture
def ctx() -> Iterator[Context]:
    """Realistic, every behaviour SHORT but the tag index (not what these tests are about)."""
    with realistic_context(SHORT) as context:
        yield context


@pytest.fixture
def driver(ctx: Context) -> KindDriver:
    driver = KindDriver(ctx)
    driver.create(Vpc(), VPC)
    return driver


def waits_seen(ctx: Context) -> list[str]:
    seen: list[str] = []
    ctx._wait_listeners.listener = lambda what: seen.append(what) if what else None
    return seen


def names(ctx: Context) -> list[str]:
    return [n["Name"] for n in ctx.client("servicediscovery").list_namespaces()["Namespaces"]]


def test_a_namespace_being_deleted_stays_and_keeps_its_name_until_its_operation_succeeds(
    ctx: Context, driver: KindDriver
) -> None:
    sd = ctx.client("servicediscovery")
    namespace_id = driver.create(CloudMapNamespace(), namespace_resource())["NamespaceId"]
    operation_id = sd.delete_namespace(Id=namespace_id)["OperationId"]

    assert sd.get_operation(OperationId=operation_id)["Operation"]["Status"] in ("SUBMITTED", "PENDING")
    assert sd.get_namespace(Id=namespace_id)["Namespace"]["Name"] == NAME
    assert names(ctx) == [NAME]
    with pytest.raises(ClientError) as again:
        sd.delete_namespace(Id=namespace_id)
    assert again.value.response["Error"]["Code"] == "DuplicateRequest"
    assert again.value.response["DuplicateOperationId"] == operation_id
    with pytest.raises(ClientError) as reused:
        sd.create_private_dns_namespace(Name=NAME, Vpc=driver.outputs["vpc"]["VpcId"])
    assert reused.value.response["Error"]["Code"] == "NamespaceAlreadyExists"

    time.sleep(SHORT)
    assert sd.get_operation(OperationId=operation_id)["Operation"]["Status"] == "SUCCESS"
    assert names(ctx) == []
    with pytest.raises(ClientError, match="NamespaceNotFound"):
        sd.get_namespace(Id=namespace_id)


def test_destroy_returns_once_the_namespace_is_gone(ctx: Context, driver: KindDriver) -> None:
    kind = CloudMapNamespace()
    driver.create(kind, namespace_resource())
    seen = waits_seen(ctx)
    kind.delete(ctx, driver.read(kind)["namespace"])
    assert names(ctx) == []
    assert any(text.startswith("waiting for namespace to be deleted: operation ") for text in seen), seen


def test_a_replacement_makes_a_new_namespace_of_the_same_name_once_the_old_one_is_gone(
    ctx: Context, driver: KindDriver
) -> None:
    kind, resource = CloudMapNamespace(), namespace_resource()
    old_id = driver.create(kind, resource)["NamespaceId"]
    kind.delete(ctx, driver.read(kind)["namespace"])  # a replacement: the old one goes first (same name)
    new_id = driver.create(kind, resource)["NamespaceId"]

    assert new_id != old_id
    time.sleep(SHORT)  # past any delete operation still running
    assert [live.physical_id for live in driver.read(kind).values()] == [new_id]


def test_a_destroy_that_finds_the_delete_already_under_way_waits_for_it(ctx: Context, driver: KindDriver) -> None:
    kind = CloudMapNamespace()
    namespace_id = driver.create(kind, namespace_resource())["NamespaceId"]
    live = driver.read(kind)["namespace"]
    ctx.client("servicediscovery").delete_namespace(Id=namespace_id)  # an earlier destroy, killed while waiting
    kind.delete(ctx, live)
    assert names(ctx) == []
