"""The contract every AWS resource kind implements, and the helpers they share.

A kind is mostly declarative: its boto3 service, which attr is its physical id, which top-level props
`update` can change in place (any other difference forces a replacement, so a change AWS cannot make in
place never turns into a silent no-op), and four verbs: read (all instances we own, in as few calls as AWS
allows), create (tags in the create call itself), update, delete.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from platformctl.aws import Aws, error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.naming import TAG_ENV, TAG_ID, TAG_LAYER, TAG_PLATFORM, ownership_tags

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Context:
    """What a kind needs to talk to AWS on behalf of one platform environment."""

    aws: Aws
    platform: str
    env: str
    extra_tags: dict[str, str] = field(default_factory=dict)
    # Seconds between polls of asynchronous work; tests against the emulator use small values.
    poll_interval: float = 2.0
    wait_timeout: float = 900.0
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def region(self) -> str:
        return self.aws.target.region

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    def cached(self, key: Any, fetch: Callable[[], T]) -> T:
        """One read shared by every kind in a pass (e.g. the ALB list serves ALBs and listeners).

        Call `ctx.clear_cache()` between reads: a cache must never hide a change made since.
        """
        with self._cache_lock:
            slot = self._cache.setdefault(key, {"lock": threading.Lock()})
        with slot["lock"]:
            if "value" not in slot:
                slot["value"] = fetch()
            return slot["value"]

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def map(self, call: Callable[[T], R], items: Iterable[T], workers: int = 16) -> list[R]:
        """`call` on each item, up to `workers` at once, results in the items' order.

        For the per-resource reads AWS offers no batch for (queue attributes, subscription attributes): they
        overlap instead of queueing one behind the other.
        """
        items = list(items)
        if len(items) <= 1:
            return [call(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="read-each") as pool:
            return list(pool.map(call, items))

    # ---- ownership -------------------------------------------------------------------------------------
    def tags_for(self, resource: Resource) -> dict[str, str]:
        """User tags first, ownership tags last so they can never be overridden."""
        return {**self.extra_tags, **ownership_tags(self.platform, self.env, resource.layer, resource.id)}

    def identity(self, tags: dict[str, str]) -> tuple[str, str] | None:
        """(logical id, layer) when `tags` mark the resource as ours for this platform and env, else None."""
        if tags.get(TAG_PLATFORM) != self.platform or tags.get(TAG_ENV) != self.env:
            return None
        if TAG_ID not in tags:
            return None
        return tags[TAG_ID], tags.get(TAG_LAYER, "")

    def ec2_owner_filters(self) -> list[dict[str, Any]]:
        """EC2 describe filters that return only resources we own in this platform and env."""
        return [
            {"Name": f"tag:{TAG_PLATFORM}", "Values": [self.platform]},
            {"Name": f"tag:{TAG_ENV}", "Values": [self.env]},
        ]

    # ---- waiting and eventual consistency --------------------------------------------------------------
    def wait_until(self, what: str, check: Callable[[], T | None], timeout: float | None = None) -> T:
        """Poll `check` with backoff until it returns something truthy; waiters, never fixed sleeps."""
        deadline = time.monotonic() + (timeout or self.wait_timeout)
        delay = self.poll_interval
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            time.sleep(delay)
            delay = min(delay * 1.5, 30.0)

    def retry_on(self, codes: set[str], call: Callable[[], T], timeout: float | None = None) -> T:
        """Retry `call` while AWS answers with one of `codes` (e.g. DependencyViolation while ENIs drain)."""
        deadline = time.monotonic() + (timeout or self.wait_timeout)
        delay = self.poll_interval
        while True:
            try:
                return call()
            except Exception as exc:
                if error_code(exc) not in codes or time.monotonic() > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 1.5, 30.0)


class ResourceKind:
    """Base of every kind. Subclasses set the class attributes and implement the four verbs."""

    kind: ClassVar[str]
    service: ClassVar[str]
    # attrs key holding the physical id (shown in reports, used for deletes).
    id_attr: ClassVar[str]
    # Top-level props `update` changes in place; a difference anywhere else forces a replacement.
    updatable: ClassVar[frozenset[str]] = frozenset()
    # Top-level props whose list order carries no meaning (compared as sets).
    unordered: ClassVar[frozenset[str]] = frozenset()
    # Top-level props AWS does not give back; they change only when a referenced resource is replaced.
    unreadable: ClassVar[frozenset[str]] = frozenset()
    # Whether a replacement can create the new resource before deleting the old (no unique-name clash).
    create_before_delete: ClassVar[bool] = False
    # Error codes that mean "already gone" on delete.
    not_found_codes: ClassVar[frozenset[str]] = frozenset()
    # Reads this kind shares with others (each cached for the pass, e.g. the tag index): started before any
    # kind reads, so they run alongside the kinds' own listings instead of after the first of them.
    shared_reads: ClassVar[tuple[Callable[[Context], Any], ...]] = ()

    def read(self, ctx: Context) -> list[LiveResource]:
        raise NotImplementedError

    def describe(self, ctx: Context, live: LiveResource) -> LiveResource:
        """One live resource in full, for a kind whose `read` may return fingerprints (see LiveResource).

        Called by the planner only where a fingerprint differs from the desired props'.
        """
        raise NotImplementedError(f"{self.kind} reads props, not fingerprints")

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        """Both sides' props in one canonical form before they are compared (after Refs are resolved).

        Override where AWS spells the same thing more than one way, e.g. policy documents.
        """
        return props

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        raise NotImplementedError(f"{self.kind} has no in-place update")

    def delete(self, ctx: Context, live: LiveResource) -> None:
        raise NotImplementedError

    def data_loss(self, live: LiveResource) -> str | None:
        """What would be lost if this live resource went away, in words (from its facts), or None.

        The plan marks deletes and replacements of such a resource, and apply / destroy refuse them unless
        --allow-data-loss is given.
        """
        return None

    # ---- helpers for subclasses ------------------------------------------------------------------------
    def live(
        self,
        ctx: Context,
        tags: dict[str, str],
        *,
        name: str,
        physical_id: str,
        props: dict[str, Any],
        attrs: dict[str, Any],
        facts: dict[str, Any] | None = None,
    ) -> LiveResource | None:
        """A LiveResource when `tags` say it is ours, else None (it stays invisible)."""
        identity = ctx.identity(tags)
        if identity is None:
            return None
        logical_id, layer = identity
        return LiveResource(
            kind=self.kind,
            id=logical_id,
            layer=layer,
            name=name,
            physical_id=physical_id,
            props=props,
            attrs=attrs,
            facts=facts or {},
        )

    def ignore_missing(self, call: Callable[[], Any]) -> None:
        """Run a delete call, treating 'not found' as success: someone (or a crash) got there first."""
        try:
            call()
        except Exception as exc:
            if error_code(exc) not in self.not_found_codes:
                raise


def unless_gone(codes: Collection[str], call: Callable[[], T]) -> T | None:
    """`call()`, or None when AWS answers with one of `codes`: the resource is gone.

    Listings lag behind deletes, so something listed a moment ago may be gone when it is asked about; for
    a read that simply means it is not live.
    """
    try:
        return call()
    except Exception as exc:
        if error_code(exc) in codes:
            return None
        raise


def tag_dict(tags: list[dict[str, str]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS tag list → dict; kinds name the key/value fields their API uses (TagKey, key, ...)."""
    return {t[key]: t[value] for t in tags or []}


def tag_list(tags: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    """dict → AWS tag list, sorted so requests are deterministic."""
    return [{key: k, value: v} for k, v in sorted(tags.items())]


def ec2_tag_spec(resource_type: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    """TagSpecifications for an EC2 create call."""
    return [{"ResourceType": resource_type, "Tags": tag_list(tags)}]
