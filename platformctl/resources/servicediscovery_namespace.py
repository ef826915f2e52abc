"""The Cloud Map private DNS namespace services register in (`<name>` resolvable inside the VPC).

Cloud Map works asynchronously: create and delete return an operation id, polled with get_operation until
it settles. The create carries a CreatorRequestId derived from what the namespace is (platform, env,
logical id, name), so re-sending the same create after a timeout or a crash joins the first operation
instead of failing on, or duplicating, the namespace.

The namespace API does not return the VPC (and Route 53 in the emulator lists none for the zone), so `vpc`
is unreadable: it changes only when the VPC itself is replaced.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list, unless_gone

_NOT_FOUND = "NamespaceNotFound"
# Another request already made a namespace of that name: ours from an earlier try, or a look-alike.
_EXISTS = {"NamespaceAlreadyExists", "ConflictingDomainExists"}
# A namespace still holding services (being deleted themselves) cannot be deleted yet.
_IN_USE = {"ResourceInUse"}


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


class CloudMapNamespace(ResourceKind):
    kind: ClassVar[str] = "servicediscovery.namespace"
    service: ClassVar[str] = "servicediscovery"
    id_attr: ClassVar[str] = "NamespaceId"
    unreadable: ClassVar[frozenset[str]] = frozenset({"vpc"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({_NOT_FOUND})

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for namespace, tags in self._private_namespaces(ctx):
            live = self.live(
                ctx,
                tags,
                name=namespace["Name"],
                physical_id=namespace["Id"],
                props={"name": namespace["Name"], "vpc": None},
                attrs=_attrs(namespace),
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        token = creator_request_id(ctx, resource, props["name"])
        namespace = self._create(ctx, resource, props, token)
        if namespace is None:
            # The operation's namespace no longer exists: the token was answered with an operation from
            # before a destroy. Only then is a fresh, one-off token the right thing.
            namespace = self._create(ctx, resource, props, f"{token[:44]}-{time.time_ns():x}")
        if namespace is None:
            raise AwsCallError(resource.id, _NOT_FOUND, f"namespace {props['name']} vanished after create")
        return _attrs(namespace)

    def _create(self, ctx: Context, resource: Resource, props: dict[str, Any], token: str) -> dict[str, Any] | None:
        sd = ctx.client("servicediscovery")
        name = props["name"]
        try:
            operation_id = sd.create_private_dns_namespace(
                Name=name, Vpc=props["vpc"], CreatorRequestId=token, Tags=tag_list(ctx.tags_for(resource))
            )["OperationId"]
        except Exception as exc:
            code = error_code(exc)
            if code == "DuplicateRequest":
                # The same create is still running (an earlier attempt): wait for that one.
                operation_id = getattr(exc, "response", {}).get("DuplicateOperationId")
                if not operation_id:
                    raise
            elif code in _EXISTS:
                namespace = self._adoptable(ctx, resource, name)
                if namespace is None:
                    raise
                return namespace
            else:
                raise
        operation = _wait_operation(ctx, resource.id, operation_id, f"namespace {name} to be created")
        try:
            return sd.get_namespace(Id=operation["Targets"]["NAMESPACE"])["Namespace"]
        except Exception as exc:
            if error_code(exc) == _NOT_FOUND:
                return None
            raise

    def delete(self, ctx: Context, live: LiveResource) -> None:
        sd = ctx.client("servicediscovery")
        try:
            operation_id = ctx.retry_on(_IN_USE, lambda: sd.delete_namespace(Id=live.physical_id))["OperationId"]
        except Exception as exc:
            if error_code(exc) in self.not_found_codes:
                return
            raise
        _wait_operation(ctx, live.id, operation_id, f"namespace {live.name} to be deleted")

    def _private_namespaces(self, ctx: Context) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Every private DNS namespace with its tags; namespaces carry no tags in the listing.

        The shared tag index does not cover Cloud Map (not among `tag_index.INDEXED_TYPES`, and the emulator's
        Tagging API has no Cloud Map at all), so it could only add a lookup that never answers: the tags are
        asked per namespace, in parallel. An environment has one namespace.
        """
        sd = ctx.client("servicediscovery")
        filters = [{"Name": "TYPE", "Values": ["DNS_PRIVATE"], "Condition": "EQ"}]
        namespaces: list[dict[str, Any]] = []
        for page in sd.get_paginator("list_namespaces").paginate(Filters=filters):
            namespaces.extend(page.get("Namespaces", []))
        tags = ctx.map(lambda namespace: _tags(ctx, namespace["Arn"]), namespaces)
        # None: deleted between the listing and the tag call.
        return [(namespace, t) for namespace, t in zip(namespaces, tags, strict=True) if t is not None]

    def _adoptable(self, ctx: Context, resource: Resource, name: str) -> dict[str, Any] | None:
        """The namespace named `name` if an earlier attempt of this very create made it, else None."""
        for namespace, tags in self._private_namespaces(ctx):
            identity = ctx.identity(tags)
            if namespace["Name"] == name and identity is not None and identity[0] == resource.id:
                return namespace
        return None


def _tags(ctx: Context, arn: str) -> dict[str, str] | None:
    """A namespace's tags, or None when it is gone."""
    return unless_gone(
        {"ResourceNotFoundException", _NOT_FOUND},
        lambda: tag_dict(ctx.client("servicediscovery").list_tags_for_resource(ResourceARN=arn).get("Tags")),
    )


def _wait_operation(ctx: Context, logical_id: str, operation_id: str, what: str) -> dict[str, Any]:
    sd = ctx.client("servicediscovery")

    def settled() -> dict[str, Any] | None:
        operation = sd.get_operation(OperationId=operation_id)["Operation"]
        status = operation.get("Status")
        if status == "FAIL":
            raise AwsCallError(
                logical_id,
                operation.get("ErrorCode") or "OperationFailed",
                operation.get("ErrorMessage") or f"Cloud Map operation {operation_id} failed",
            )
        return operation if status == "SUCCESS" else None

    return ctx.wait_until(f"{what} (operation {operation_id})", settled)
