"""Customer-managed KMS keys: the environment's encryption keys (logs, queues, topics).

Our keys are found in the shared tag index (`tag_index`: the one Resource Groups Tagging API read of the
pass, filtered by our tags server-side) instead of list_keys plus a list_resource_tags per key in the
account. The index lags behind AWS, so each key it names is confirmed with describe_key (a key deleted since
is skipped). AWS never deletes a key at once; deletion is scheduled (7 days here) and the key lingers as
PendingDeletion, still listed with its tags. For us such a key is already gone: it cannot be used, and a new
apply must create a fresh one rather than "find" the dying key.

The index also learns of a new key late (seconds, minutes on a busy account), so it cannot say a key does
not exist: a re-run right after an apply would plan a second key, and a destroy right after one would leave
the key behind. When the index names no usable key of ours, the key is looked up by the environment's alias
(`alias/<platform>-<env>`, made with the key): describe_key on it, one call, plus list_resource_tags when the
index does not know that key yet; its tags still decide whether it is ours.

The key policy is compared as a parsed document in one canonical form (`normalize_policy`), because AWS
stores and returns policy JSON in whatever spelling it was written: key order, a bare string or a
one-element list for an action, a bare statement object or a list of one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource
from platformctl.resources import tag_index
from platformctl.resources.base import Context, unless_gone
from platformctl.resources.declarative import DeclarativeKind, Field, Owned
from platformctl.resources.policy import normalize_policy

# Key states that mean the key is on its way out and no longer ours to manage.
_DYING_STATES = frozenset({"PendingDeletion", "PendingReplicaDeletion"})
# IAM principals named in a policy take a while to propagate; KMS rejects a policy naming one too early.
_POLICY_NOT_READY = frozenset({"MalformedPolicyDocumentException"})
_NOT_FOUND = frozenset({"NotFoundException"})
PENDING_WINDOW_DAYS = 7


@dataclass(frozen=True)
class OwnedKey:
    """A key carrying our tags for this platform and env that is not scheduled for deletion."""

    key_id: str
    arn: str
    tags: dict[str, str]
    metadata: dict[str, Any]


def our_keys(ctx: Context) -> list[OwnedKey]:
    """Our live keys, fetched once per read pass (`KmsKey.owned`): the key kind and the alias kind both need them."""
    return [OwnedKey(key.physical_id, key.arn, key.tags, key.item) for key in KmsKey().owned(ctx)]


def alias_name(ctx: Context) -> str:
    """The environment's alias (the platform layer gives the key this one, `alias/<platform>-<env>`)."""
    return f"alias/{ctx.platform}-{ctx.env}"


def _is_key_arn(arn: str) -> bool:
    """`arn:aws:kms:<region>:<account>:key/<id>`, as opposed to the index's other KMS entries."""
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[2] == "kms" and parts[5].startswith("key/")


class KmsKey(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "kms.key"
    tagging: ClassVar[str | None] = "kms"
    tags_from_index: ClassVar[bool] = True
    service: ClassVar[str] = "kms"
    id_attr: ClassVar[str] = "KeyId"
    # Keys have no unique name: a replacement can exist before the old one is scheduled for deletion.
    create_before_delete: ClassVar[bool] = True
    not_found_codes: ClassVar[frozenset[str]] = _NOT_FOUND
    tags_from: ClassVar[str] = "index"  # a key the index does not know yet (the alias's) is asked of KMS
    fields: ClassVar[dict[str, Field]] = {
        "description": Field("Description", lambda text: text or "", setter="set_description"),
        "rotation": Field("KeyRotationEnabled", bool, setter="set_rotation", initial=False),
        "policy": Field("Policy", normalize_policy, setter="set_policy"),
    }
    attrs: ClassVar[dict[str, str]] = {"KeyId": "KeyId", "Arn": "Arn"}
    arn_source: ClassVar[str | None] = "Arn"
    name_source: ClassVar[str | None] = "Description"
    create_call: ClassVar[str] = "create_key"
    create_result: ClassVar[str | None] = "KeyMetadata"
    tag_pair: ClassVar[tuple[str, str]] = ("TagKey", "TagValue")
    retry_codes: ClassVar[frozenset[str]] = _POLICY_NOT_READY
    retry_timeout: ClassVar[float] = 120.0

    def listed(self, ctx: Context) -> list[dict[str, Any]]:
        """Our keys named by the tag index, each confirmed with describe_key; else the key behind our alias.

        list_keys would list every key in the account, each needing a tag call. The index lags behind AWS
        both ways: a key deleted since is still named (describe_key says it is gone), and a new key is
        named late, so when it names none, the environment's alias (made with the key) is asked.
        """
        index = tag_index.indexed_tags(ctx)
        named = [arn for arn, tags in index.items() if _is_key_arn(arn) and ctx.identity(tags) is not None]
        keys = [key for key in map(lambda arn: self._usable(ctx, arn), named) if key is not None]
        if not keys:
            keys = [key for key in [self._usable(ctx, alias_name(ctx))] if key is not None]
        return keys

    def _usable(self, ctx: Context, key_id: str) -> dict[str, Any] | None:
        """A key's metadata; None when it is gone or scheduled for deletion (for us it is already gone)."""
        metadata = unless_gone(_NOT_FOUND, lambda: self.client(ctx).describe_key(KeyId=key_id)["KeyMetadata"])
        return None if metadata is None or metadata.get("KeyState") in _DYING_STATES else metadata

    def read(self, ctx: Context) -> list[LiveResource]:
        """Rotation and policy take a call each per key (no batch read): asked here, not in the `owned` the
        alias kind shares, which needs neither."""
        return [self.to_live(ctx, self._with_rotation_and_policy(ctx, key)) for key in self.owned(ctx)]

    def _with_rotation_and_policy(self, ctx: Context, key: Owned) -> Owned:
        kms = self.client(ctx)
        rotation = kms.get_key_rotation_status(KeyId=key.physical_id)["KeyRotationEnabled"]
        policy = kms.get_key_policy(KeyId=key.physical_id, PolicyName="default")["Policy"]
        return replace(key, item={**key.item, "KeyRotationEnabled": rotation, "Policy": policy})

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"Description": props["description"], "Policy": json.dumps(normalize_policy(props["policy"]))}

    def set_description(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        self.call(ctx, "update_key_description", KeyId=live.physical_id, Description=props["description"])

    def set_rotation(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        self.call(ctx, "enable_key_rotation" if props["rotation"] else "disable_key_rotation", KeyId=live.physical_id)

    def set_policy(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        policy = json.dumps(normalize_policy(props["policy"]))
        self.call(ctx, "put_key_policy", KeyId=live.physical_id, PolicyName="default", Policy=policy)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Overridden: KMS schedules a deletion, and refuses to schedule one already scheduled."""
        kms = self.client(ctx)
        # The bare key id, not the ARN: the emulator rejects an ARN here (AWS takes either).
        key_id = live.attrs.get("KeyId") or live.physical_id.rsplit("/", 1)[-1]
        try:
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=PENDING_WINDOW_DAYS)
        except Exception as exc:
            code = error_code(exc)
            if code in self.not_found_codes:
                return
            # AWS refuses to schedule a key that is already scheduled: that is the outcome we want.
            if code == "KMSInvalidStateException" and self._usable(ctx, key_id) is None:
                return
            raise
