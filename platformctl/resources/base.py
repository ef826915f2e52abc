"""The contract every AWS resource kind implements, and the helpers they share.

A kind is mostly declarative: its boto3 service, which attr is its physical id, which top-level props
`update` can change in place (any other difference forces a replacement, so a change AWS cannot make in
place never turns into a silent no-op), and four verbs: read (all instances we own, in as few calls as AWS
allows), create (tags in the create call itself), update, delete.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from platformctl.aws import Aws, denied, error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.naming import TAG_ENV, TAG_ID, TAG_LAYER, TAG_PLATFORM, ownership_tags, user_tags
from platformctl.resources.waiting import NotYet, WaitTimedOut, keep_trying

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
    # platform.yaml's own region when `--region` points elsewhere; None when they are the same. Global
    # resources made before they carried a region tag belong to it (iam_role.owned_here).
    home_region: str | None = None
    # (platform, env) → resources the last tag-index read listed in this env, other platforms' included
    # (tag_index._fetch_index); engine/neighbours.py finds a renamed platform's leftovers in it.
    platforms_in_index: dict[tuple[str, str], int] = field(default_factory=dict)
    # Whether apply waits for the ECS deployments it starts to complete (`apply --no-wait` turns it off).
    wait_for_deployments: bool = True
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Per thread (one operation runs on one thread): whom to tell what the operation is waiting for.
    _wait_listeners: threading.local = field(default_factory=threading.local, repr=False)

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
    @contextmanager
    def waits_reported_to(self, listener: Callable[[str | None], None]) -> Iterator[None]:
        """While the block runs on this thread, `waiting(...)` calls go to `listener`.

        The executor wraps each operation in it, so a kind can say what it waits for (a NAT gateway to
        become available, ENIs of deleted tasks to go) without knowing who shows it, or how.
        """
        previous = getattr(self._wait_listeners, "listener", None)
        self._wait_listeners.listener = listener
        try:
            yield
        finally:
            self._wait_listeners.listener = previous

    def waiting(self, what: str | None) -> None:
        """Say what the current operation waits for (`waiting for ...`), or None once it no longer waits."""
        listener = getattr(self._wait_listeners, "listener", None)
        if listener is not None:
            listener(what)

    def wait_until(self, what: str, check: Callable[[], T | None], timeout: float | None = None) -> T:
        """Poll `check` until it returns something truthy; waiters, never fixed sleeps.

        Paced, reported (`waiting for <what>` from the first poll that finds it not done) and bounded by
        waiting.keep_trying; once time is up the step fails with WaitTimedOut naming `what`.
        """
        limit = timeout or self.wait_timeout

        def attempt() -> T | NotYet:
            result = check()
            return result if result else NotYet(f"waiting for {what}", WaitTimedOut(what, limit))

        return keep_trying(self, attempt, limit)

    def retry_on(
        self, codes: set[str], call: Callable[[], T], timeout: float | None = None, what: str | None = None
    ) -> T:
        """Retry `call` while AWS answers with one of `codes` (e.g. DependencyViolation while ENIs drain).

        With `what`, `waiting for <what>` is reported from the first retry on (see `waiting`). A refusal of
        the caller (aws.DENIED_CODES: a missing permission, expired credentials) fails at once even if
        `codes` names it: no wait makes a permission appear. Once time is up the last refusal is raised.
        """

        def attempt() -> T | NotYet:
            try:
                return call()
            except Exception as exc:
                if denied(exc) or error_code(exc) not in codes:
                    raise
                return NotYet(f"waiting for {what}" if what else None, exc)

        return keep_trying(self, attempt, timeout)


@dataclass(frozen=True)
class KeyedList:
    """How to tell the items of a list prop apart: what they are called and each one's key.

    The planner compares such a list item by item by key, not by position: adding one item is one change
    (`body.widgets[search: queue]`), not a shift of every later index. The items' order is still compared
    (it can be meaningful, a dashboard's layout): a different order of the same keys is one change of its own.
    """

    noun: str  # what one item is called, e.g. "widget"
    key: Callable[[Any], str]  # an item → its key, unique within the list


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
    # Props whose values, together, AWS allows only once among live resources of this kind (e.g. a group's
    # VPC and name): a create waits for the delete of a live resource holding the same values.
    unique_props: ClassVar[tuple[str, ...]] = ()
    # List props compared item by item by key (see KeyedList), by path: `body.widgets`; `[]` stands for every
    # item of a keyed list above it (`body.widgets[].properties.metrics`).
    keyed_lists: ClassVar[dict[str, KeyedList]] = {}
    # Reads this kind shares with others (each cached for the pass, e.g. the tag index): started before any
    # kind reads, so they run alongside the kinds' own listings instead of after the first of them.
    shared_reads: ClassVar[tuple[Callable[[Context], Any], ...]] = ()
    # How AWS tags this kind in place: a row of `resources/tagging.py` (e.g. "ec2", "ecs", "elbv2"), or None
    # for a kind AWS cannot tag, or whose read finds it through a parent and so cannot tell its own tags
    # (routes, aliases, subscriptions...): its tags are then set at create only and never compared.
    tagging: ClassVar[str | None] = None
    # Whether `read` takes this kind's tags from the shared tag index, which lags behind tag changes on AWS:
    # a tag difference the plan would show is then confirmed with the resource's own service first.
    tags_from_index: ClassVar[bool] = False
    # Whether this kind's read, by its own service in a call or two, can confirm that a platform the tag index
    # names really has resources here (engine/neighbours.py). Every platform has one; the index may be stale.
    witness: ClassVar[bool] = False

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

    def desired_tags(self, resource: Resource) -> dict[str, str]:
        """The user tags `resource` should carry: the specs' tags, plus any the kind adds (EC2's Name)."""
        return dict(resource.tags)

    def tag_target(self, ctx: Context, live: LiveResource) -> str:
        """What the kind's tagging calls name the resource by (an ARN, an id, a queue URL, a role name)."""
        return live.physical_id

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

    def conflicts(self, wanted: dict[str, Any], live: dict[str, Any]) -> bool:
        """Whether AWS refuses to create a resource with props `wanted` while one with props `live` exists.

        The engine then orders the create after that live resource's delete, when the plan deletes it,
        instead of letting AWS refuse the create. `wanted` is resolved against live attrs; a value not known
        before apply never conflicts. Override where uniqueness is more than equality (subnet CIDRs overlap).
        """
        return bool(self.unique_props) and all(
            wanted.get(prop) == live.get(prop) and wanted.get(prop) is not None for prop in self.unique_props
        )

    def data_loss(self, live: LiveResource) -> str | None:
        """What would be lost if this live resource went away, in words (from its facts), or None.

        The plan marks deletes and replacements of such a resource, and apply / destroy refuse them unless
        --allow-data-loss is given.
        """
        return None

    def undeletable(self, live: LiveResource) -> str | None:
        """Why AWS refuses to delete this live resource for now (it goes away by itself), or None.

        The plan leaves such a resource the specs no longer want as unchanged, with this reason, instead of
        a delete that cannot succeed and would show again after every apply (an SNS subscription pending
        confirmation).
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
            tags=user_tags(tags) if self.tagging is not None else None,
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
