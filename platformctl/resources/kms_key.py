"""Customer-managed KMS keys: the environment's encryption keys (logs, queues, topics).

Our keys are found in the shared tag index (`tag_index`: the one Resource Groups Tagging API read of the
pass, filtered by our tags server-side) instead of list_keys plus a list_resource_tags per key in the
account. The index lags behind AWS, so each key it names is confirmed with describe_key (a key deleted since
is skipped). AWS never deletes a key at once; deletion is scheduled (7 days here) and the key lingers as
PendingDeletion. For us such a key is already gone: it cannot be used, and a new apply must create a fresh
one rather than "find" the dying key.

The key policy is compared as a parsed document in one canonical form (`normalize_policy`), because AWS
stores and returns policy JSON in whatever spelling it was written: key order, a bare string or a
one-element list for an action, a bare statement object or a list of one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind, tag_list
from platformctl.resources.policy import normalize_policy

# Key states that mean the key is on its way out and no longer ours to manage.
_DYING_STATES = frozenset({"PendingDeletion", "PendingReplicaDeletion"})
# IAM principals named in a policy take a while to propagate; KMS rejects a policy naming one too early.
_POLICY_NOT_READY = {"MalformedPolicyDocumentException"}
PENDING_WINDOW_DAYS = 7


@dataclass(frozen=True)
class OwnedKey:
    """A key carrying our tags for this platform and env that is not scheduled for deletion."""

    key_id: str
    arn: str
    tags: dict[str, str]
    metadata: dict[str, Any]


def our_keys(ctx: Context) -> list[OwnedKey]:
    """Our live keys, fetched once per read pass: the key kind and the alias kind both need them."""
    return ctx.cached(("kms", "our-keys"), lambda: _fetch_our_keys(ctx))


def _fetch_our_keys(ctx: Context) -> list[OwnedKey]:
    kms = ctx.client("kms")
    keys: list[OwnedKey] = []
    for arn, tags in tag_index.indexed_tags(ctx).items():
        if not _is_key_arn(arn) or ctx.identity(tags) is None:
            continue
        try:
            metadata = kms.describe_key(KeyId=arn)["KeyMetadata"]
        except Exception as exc:
            # The tagging index lags behind: a key deleted since is still listed for a while.
            if error_code(exc) == "NotFoundException":
                continue
            raise
        if metadata.get("KeyState") in _DYING_STATES:
            continue
        keys.append(OwnedKey(metadata["KeyId"], metadata["Arn"], tags, metadata))
    return keys


def _is_key_arn(arn: str) -> bool:
    """`arn:aws:kms:<region>:<account>:key/<id>`, as opposed to the index's other KMS entries."""
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[2] == "kms" and parts[5].startswith("key/")


class KmsKey(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "kms.key"
    service: ClassVar[str] = "kms"
    id_attr: ClassVar[str] = "KeyId"
    updatable: ClassVar[frozenset[str]] = frozenset({"description", "rotation", "policy"})
    # Keys have no unique name: a replacement can exist before the old one is scheduled for deletion.
    create_before_delete: ClassVar[bool] = True
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"NotFoundException"})

    def read(self, ctx: Context) -> list[LiveResource]:
        kms = ctx.client("kms")
        found: list[LiveResource] = []
        for key in our_keys(ctx):
            rotation = kms.get_key_rotation_status(KeyId=key.key_id)["KeyRotationEnabled"]
            policy = kms.get_key_policy(KeyId=key.key_id, PolicyName="default")["Policy"]
            live = self.live(
                ctx,
                key.tags,
                name=key.metadata.get("Description") or key.key_id,
                physical_id=key.key_id,
                props={
                    "description": key.metadata.get("Description", ""),
                    "rotation": bool(rotation),
                    "policy": normalize_policy(policy),
                },
                attrs={"KeyId": key.key_id, "Arn": key.arn},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        kms = ctx.client("kms")
        tags = tag_list(ctx.tags_for(resource), "TagKey", "TagValue")
        metadata = ctx.retry_on(
            _POLICY_NOT_READY,
            lambda: kms.create_key(
                Description=props["description"],
                Policy=json.dumps(normalize_policy(props["policy"])),
                Tags=tags,
            )["KeyMetadata"],
            timeout=120,
        )
        if props["rotation"]:
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        return {"KeyId": metadata["KeyId"], "Arn": metadata["Arn"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        kms = ctx.client("kms")
        key_id = live.physical_id
        if props["description"] != live.props.get("description"):
            kms.update_key_description(KeyId=key_id, Description=props["description"])
        if bool(props["rotation"]) != live.props.get("rotation"):
            if props["rotation"]:
                kms.enable_key_rotation(KeyId=key_id)
            else:
                kms.disable_key_rotation(KeyId=key_id)
        policy = normalize_policy(props["policy"])
        if policy != live.props.get("policy"):
            ctx.retry_on(
                _POLICY_NOT_READY,
                lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy)),
                timeout=120,
            )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        kms = ctx.client("kms")
        # The bare key id, not the ARN: the emulator rejects an ARN here (AWS takes either).
        key_id = live.attrs.get("KeyId") or live.physical_id.rsplit("/", 1)[-1]
        try:
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=PENDING_WINDOW_DAYS)
        except Exception as exc:
            code = error_code(exc)
            if code in self.not_found_codes:
                return
            # AWS refuses to schedule a key that is already scheduled: that is the outcome we want.
            if code == "KMSInvalidStateException" and _state(ctx, key_id) in _DYING_STATES | {None}:
                return
            raise


def _state(ctx: Context, key_id: str) -> str | None:
    try:
        return ctx.client("kms").describe_key(KeyId=key_id)["KeyMetadata"].get("KeyState")
    except Exception as exc:
        if error_code(exc) == "NotFoundException":
            return None
        raise
