"""KMS aliases: the stable, readable name (`alias/...`) that points at one of our keys.

Aliases cannot be tagged, so ownership comes from the key they target: an alias pointing at one of our
keys is ours, its logical id is `<key logical id>/alias` and its layer is the key's layer. That allows one
managed alias per key; should a key carry more (added by hand, or left by a crash mid-rename), the first
by name is the managed one and the rest are left alone, because nothing says they are ours to delete.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.naming import TAG_ID
from platformctl.resources import tag_index
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Field, Owned
from platformctl.resources.kms_key import our_keys

ALIAS_SUFFIX = "/alias"


def alias_logical_id(key_logical_id: str) -> str:
    """The logical id of the alias of the key with logical id `key_logical_id`."""
    return f"{key_logical_id}{ALIAS_SUFFIX}"


class KmsAlias(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "kms.alias"
    service: ClassVar[str] = "kms"
    id_attr: ClassVar[str] = "AliasName"
    attrs: ClassVar[dict[str, str]] = {"AliasName": "AliasName", "AliasArn": "AliasArn"}
    fields: ClassVar[dict[str, Field]] = {
        "alias_name": Field("AliasName"),
        "target": Field("TargetKeyId", setter="set_target"),
    }
    create_call: ClassVar[str] = "create_alias"
    tags_param: ClassVar[str | None] = None  # AWS cannot tag an alias
    delete_call: ClassVar[str] = "delete_alias"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"NotFoundException"})

    def owned(self, ctx: Context) -> list[Owned]:
        """Needs code: an alias has no tags; it is ours when it points at one of our keys (see above)."""
        keys = {key.key_id: key for key in our_keys(ctx)}
        if not keys:
            return []  # nothing of ours to point at: skip listing the account's aliases
        by_key: dict[str, list[dict[str, Any]]] = {}
        for page in self.client(ctx).get_paginator("list_aliases").paginate():
            for alias in page.get("Aliases", []):
                if alias.get("TargetKeyId") in keys:
                    by_key.setdefault(alias["TargetKeyId"], []).append(alias)
        found: list[Owned] = []
        for key_id, aliases in by_key.items():
            alias = min(aliases, key=lambda a: a["AliasName"])
            # The alias inherits the key's ownership tags, under its own logical id.
            tags = {**keys[key_id].tags, TAG_ID: alias_logical_id(keys[key_id].tags[TAG_ID])}
            if ctx.identity(tags) is not None:
                found.append(Owned(alias, tags, alias["AliasName"], alias["AliasArn"], alias["AliasName"]))
        return found

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"AliasName": props["alias_name"], "TargetKeyId": props["target"]}

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        return {"AliasName": props["alias_name"], "AliasArn": _alias_arn(ctx, props["alias_name"], props["target"])}

    def set_target(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        self.client(ctx).update_alias(AliasName=live.physical_id, TargetKeyId=props["target"])


def _alias_arn(ctx: Context, alias_name: str, key_id: str) -> str:
    """create_alias answers with nothing; the alias ARN shares the key ARN's partition, region and account.

    Built from describe_key rather than looked up in list_aliases, which can lag behind a fresh alias.
    """
    key_arn = ctx.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
    prefix = key_arn.rsplit(":", 1)[0]
    return f"{prefix}:{alias_name}"
