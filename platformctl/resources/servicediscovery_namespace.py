"""The Cloud Map private DNS namespace services register in (`<name>` resolvable inside the VPC).

Cloud Map works asynchronously: create and delete return an operation id, polled with get_operation until
it settles (about a minute on AWS; FAIL ends the step with the operation's error message). The create
carries a CreatorRequestId derived from what the namespace is (platform, env, logical id, name), so
re-sending the same create after a timeout or a crash joins the first operation instead of failing on, or
duplicating, the namespace. The namespace stays (and its name taken) until the delete operation succeeds,
so destroy and a replacement wait for it; a delete already under way (`DuplicateRequest`) is waited for too.

The namespace API does not return the VPC (and Route 53 in the emulator lists none for the zone), so `vpc`
is unreadable: it changes only when the VPC itself is replaced.

ECS Service Connect registers a Cloud Map service in the namespace for each service that publishes through
it (tagged `AmazonECSManaged: true`), and those outlive the ECS services; AWS refuses to delete a namespace
that still has services (`ResourceInUse`). So delete first removes the services Service Connect or
platformctl made there (another may already be doing so: `ServiceNotFound` is fine), and fails naming any
other service instead of deleting what is not ours.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources.base import Context, unless_gone
from platformctl.resources.declarative import DeclarativeKind, Field, Listing
from platformctl.resources.waiting import poll

_NOT_FOUND = "NamespaceNotFound"
# Another request already made a namespace of that name: ours from an earlier try, or a look-alike.
_EXISTS = {"NamespaceAlreadyExists", "ConflictingDomainExists"}
# A namespace still holding services (being deleted themselves) cannot be deleted yet; nor can a service
# whose instances ECS has not deregistered yet.
_IN_USE = {"ResourceInUse"}
_SERVICE_GONE = frozenset({"ServiceNotFound"})
# The tag ECS puts on the Cloud Map services Service Connect creates.
SERVICE_CONNECT_TAG = ("AmazonECSManaged", "true")


def creator_request_id(ctx: Context, resource: Resource, name: str) -> str:
    """Deterministic idempotency token (at most 64 characters) for this namespace's create."""
    digest = hashlib.sha256(f"{ctx.platform}/{ctx.env}/{resource.id}/{name}".encode()).hexdigest()
    return f"platformctl-{digest[:40]}"


def _hosted_zone(namespace: dict[str, Any]) -> str | None:
    """The bare zone id; the emulator prefixes it with `/hostedzone/` as Route 53 does."""
    zone = (namespace.get("Properties") or {}).get("DnsProperties", {}).get("HostedZoneId")
    return zone.rsplit("/", 1)[-1] if zone else None


def _attrs(namespace: dict[str, Any]) -> dict[str, Any]:
    return {"NamespaceId": namespace["Id"], "Arn": namespace["Arn"], "HostedZoneId": _hosted_zone(namespace)}


class CloudMapNamespace(DeclarativeKind):
    kind: ClassVar[str] = "servicediscovery.namespace"
    service: ClassVar[str] = "servicediscovery"
    tagging: ClassVar[str | None] = "servicediscovery"
    # The tag index does not cover Cloud Map (not among `tag_index.INDEXED_TYPES`, and the emulator's Tagging
    # API has no Cloud Map at all): each namespace's tags are asked, in parallel. An env has one namespace.
    tags_from: ClassVar[str] = "each"
    listing = Listing(
        "list_namespaces",
        "Namespaces",
        lambda ctx: {"Filters": [{"Name": "TYPE", "Values": ["DNS_PRIVATE"], "Condition": "EQ"}]},
    )
    id_attr: ClassVar[str] = "NamespaceId"
    arn_source: ClassVar[str | None] = "Arn"
    name_source: ClassVar[str | None] = "Name"
    fields: ClassVar[dict[str, Field]] = {"name": Field("Name"), "vpc": Field(None)}
    create_call: ClassVar[str] = "create_private_dns_namespace"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({_NOT_FOUND, "ResourceNotFoundException"})

    def attrs_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return _attrs(item)

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        """Needs code: an idempotency token that joins an earlier attempt, and an operation to wait for."""
        token = creator_request_id(ctx, resource, props["name"])
        namespace = self._create(ctx, resource, props, token)
        if namespace is None:
            # The operation's namespace no longer exists: the token was answered with an operation from
            # before a destroy. Only then is a fresh, one-off token the right thing.
            namespace = self._create(ctx, resource, props, f"{token[:44]}-{time.time_ns():x}")
        if namespace is None:
            raise AwsCallError(resource.id, _NOT_FOUND, f"namespace {props['name']} vanished after create")
        return _attrs(namespace)

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"Name": props["name"], "Vpc": props["vpc"]}

    def _made_earlier(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any] | None:
        """The namespace named so if an earlier attempt of this very create made it (listed afresh), else None."""
        for namespace, tags in self.tagged(ctx, self.listed(ctx)):
            identity = ctx.identity(tags)
            if namespace["Name"] == props["name"] and identity is not None and identity[0] == resource.id:
                return namespace
        return None

    def _create(self, ctx: Context, resource: Resource, props: dict[str, Any], token: str) -> dict[str, Any] | None:
        sd = self.client(ctx)
        request = {**self.create_request(ctx, props), **self.create_tags(ctx, resource), "CreatorRequestId": token}
        try:
            operation_id = sd.create_private_dns_namespace(**request)["OperationId"]
        except Exception as exc:
            code = error_code(exc)
            if code == "DuplicateRequest":
                # The same create is still running (an earlier attempt): wait for that one.
                operation_id = _duplicate_operation(exc)
            elif code in _EXISTS:
                # Ours from an earlier attempt of this very create is taken over; anything else, refused.
                # (The same name may live in other VPCs, another env's: only ours counts.)
                namespace = self._made_earlier(ctx, resource, props)
                if namespace is None:
                    raise
                return namespace
            else:
                raise
        operation = _wait_operation(ctx, resource.id, operation_id, "to be created")
        answer = unless_gone(self.not_found_codes, lambda: sd.get_namespace(Id=operation["Targets"]["NAMESPACE"]))
        return answer["Namespace"] if answer else None

    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Needs code: Service Connect's leftover services go first, and the delete answers with an operation."""
        sd = self.client(ctx)
        self._delete_leftover_services(ctx, live)
        try:
            answer = ctx.retry_on(
                _IN_USE, lambda: sd.delete_namespace(Id=live.physical_id), what=f"{live.id} to have no services"
            )
        except Exception as exc:
            if error_code(exc) in self.not_found_codes:
                return
            # Already being deleted (an earlier, interrupted destroy): wait for that operation instead.
            answer = {"OperationId": _duplicate_operation(exc)}
        _wait_operation(ctx, live.id, answer["OperationId"], "to be deleted")

    def _delete_leftover_services(self, ctx: Context, live: LiveResource) -> None:
        """Delete the namespace's Cloud Map services that Service Connect (or we) made; refuse on any other."""
        sd = self.client(ctx)
        filters = [{"Name": "NAMESPACE_ID", "Values": [live.physical_id], "Condition": "EQ"}]
        pages = sd.get_paginator("list_services").paginate(Filters=filters)
        # An endpoint that ignores the filter (moto does) must not make us delete another namespace's services.
        services = [s for page in pages for s in page["Services"] if _in_namespace(s, live.physical_id)]
        if not services:
            return
        tags = self.fetch_tags(ctx, [s["Arn"] for s in services])
        foreign = [
            s["Name"]
            for s in services
            if s["Arn"] in tags  # gone meanwhile: not in the way
            and tags[s["Arn"]].get(SERVICE_CONNECT_TAG[0]) != SERVICE_CONNECT_TAG[1]
            and ctx.identity(tags[s["Arn"]]) is None
        ]
        if foreign:
            raise AwsCallError(
                live.id,
                "ResourceInUse",
                f"namespace {live.name} holds Cloud Map services platformctl and ECS Service Connect did not make: "
                f"{', '.join(sorted(foreign))}; delete them or move them out, then run destroy again",
            )

        def delete_service(service: dict[str, Any]) -> None:
            ctx.retry_on(
                _IN_USE,
                lambda: unless_gone(_SERVICE_GONE, lambda: sd.delete_service(Id=service["Id"])),
                what=f"Cloud Map service {service['Name']} to have no instances",
            )

        ctx.map(delete_service, [s for s in services if s["Arn"] in tags])


def _duplicate_operation(exc: Exception) -> str:
    """The operation already doing what a call was refused for (`DuplicateRequest`); any other error is raised."""
    operation_id = getattr(exc, "response", {}).get("DuplicateOperationId")
    if error_code(exc) != "DuplicateRequest" or not operation_id:
        raise exc
    return str(operation_id)


def _in_namespace(service: dict[str, Any], namespace_id: str) -> bool:
    """Whether a listed service is in the namespace (by the ids the summary gives, else the filter's word)."""
    given = service.get("NamespaceId") or (service.get("DnsConfig") or {}).get("NamespaceId")
    return given in (None, namespace_id)


def _wait_operation(ctx: Context, logical_id: str, operation_id: str, what: str) -> dict[str, Any]:
    """Poll a Cloud Map operation until SUCCESS (`waiting for namespace to be created: operation ... PENDING`);
    FAIL is a failed step with the operation's own error. Bounded by the context's `wait_timeout`."""
    sd = ctx.client("servicediscovery")

    def settled() -> tuple[dict[str, Any] | None, str]:
        operation = sd.get_operation(OperationId=operation_id)["Operation"]
        status = operation.get("Status")
        if status == "FAIL":
            raise AwsCallError(
                logical_id,
                operation.get("ErrorCode") or "OperationFailed",
                operation.get("ErrorMessage") or f"Cloud Map operation {operation_id} failed",
            )
        return (operation if status == "SUCCESS" else None), f"operation {operation_id} {status}"

    return poll(ctx, f"{logical_id} {what}", settled)
