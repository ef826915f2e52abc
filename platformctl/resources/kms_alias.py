"""KMS aliases: the stable, readable name (`alias/...`) that points at one of our keys.

Aliases cannot be tagged, so ownership comes from the key they target: an alias pointing at one of our
keys is ours, its logical id is `<key logical id>/alias` and its layer is the key's layer. That allows one
managed alias per key; should a key carry more (added by hand, or left by a crash mid-rename), the first
by name is the managed one and the rest are left alone, because nothing says they are ours to delete.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.naming import TAG_ID
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind
from platformctl.resources.kms_key import our_keys

ALIAS_SUFFIX = "/alias"


def alias_logical_id(key_logical_id: str) -> str:
    """The logical id of the alias of the key with logical id `key_logical_id`."""
    return f"{key_logical_id}{ALIAS_SUFFIX}"


class KmsAlias(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "kms.alias"
    service: ClassVar[str] = "kms"
    id_attr: ClassVar[str] = "AliasName"
    updatable: ClassVar[frozenset[str]] = frozenset({"target"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"NotFoundException"})

    def read(self, ctx: Context) -> list[LiveResource]:
        keys = {key.key_id: key for key in our_keys(ctx)}
        if not keys:
            return []  # nothing of ours to point at: skip listing the account's aliases
        by_key: dict[str, list[dict[str, Any]]] = {}
        for page in ctx.client("kms").get_paginator("list_aliases").paginate():
            for alias in page.get("Aliases", []):
                target = alias.get("TargetKeyId")
                if target in keys:
                    by_key.setdefault(target, []).append(alias)
        found: list[LiveResource] = []
        for key_id, aliases in by_key.items():
            key = keys[key_id]
            alias = min(aliases, key=lambda a: a["AliasName"])
            # The alias inherits the key's ownership tags, under its own logical id.
            tags = {**key.tags, TAG_ID: alias_logical_id(key.tags[TAG_ID])}
            live = self.live(
                ctx,
                tags,
                name=alias["AliasName"],
                physical_id=alias["AliasName"],
                props={"alias_name": alias["AliasName"], "target": key_id},
                attrs={"AliasName": alias["AliasName"], "AliasArn": alias["AliasArn"]},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        kms = ctx.client("kms")
        kms.create_alias(AliasName=props["alias_name"], TargetKeyId=props["target"])
        return {"AliasName": props["alias_name"], "AliasArn": _alias_arn(ctx, props["alias_name"], props["target"])}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        if props["target"] != live.props.get("target"):
            ctx.client("kms").update_alias(AliasName=live.physical_id, TargetKeyId=props["target"])
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        kms = ctx.client("kms")
        self.ignore_missing(lambda: kms.delete_alias(AliasName=live.physical_id))


def _alias_arn(ctx: Context, alias_name: str, key_id: str) -> str:
    """create_alias answers with nothing; the alias ARN shares the key ARN's partition, region and account.

    Built from describe_key rather than looked up in list_aliases, which can lag behind a fresh alias.
    """
    key_arn = ctx.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
    prefix = key_arn.rsplit(":", 1)[0]
    return f"{prefix}:{alias_name}"
