"""Declarative kinds: a kind says what it is, and one generic read, create, update and delete do the rest.

After Cloud Custodian's `resource_type` (one query manager, each kind a declaration) and Terraform's schema
(one attribute map drives create, read and update; a field without an updater is ForceNew). A kind declares:

- `service`: its boto3 service. Its own code calls `self.client(ctx)` (or `self.call(ctx, operation, ...)`).
- `listing`: `Listing(operation, key, request=, pages=, keep=)`: how to list every candidate, with the
  server-side filter (`request(ctx)`: EC2's tag filters, a name prefix) and a cheap pre-filter (`keep(ctx,
  item)`: our name prefix, a live state). Existence comes from the listing only, never from the tag index.
- `tags_from`: where the tags that decide ownership come from. "item": embedded in the listed items
  (`Tags`). "index": the shared tag index, by `arn_of(item)`; an ARN it does not know has its tags asked of
  the service (`fetch_tags`: by default the kind's `tagging` row, one ARN a call, in parallel; a kind with a
  batch tag read overrides it). "each": the index does not cover the service, `fetch_tags` for every item.
- `fields`: prop → `Field(source, convert=, setter=, initial=)`: where AWS keeps it in a listed item and the
  method that changes it in place. `updatable` is derived (the fields with a setter: any other difference
  is a replacement); so is `unreadable` (a field whose source is None). A field with an `initial` value is
  not sent in the create call: create makes the resource, then runs the setter from `initial` (what AWS
  gives a new resource) to the desired value, so create and update share one code path.
- `detail`: `Detail(operation, param, key)`: a read per resource of ours, for what the listing leaves out
  (SNS and SQS attributes: no batch read), in parallel; `facts_of(item)` what the plan needs beyond props.
- `attrs`: attr → source in a listed item, and in the create answer (`create_result` within it).
- `create_call` + `create_request(ctx, props)`; the ownership tags always go in the create call itself
  (`tags_param` / `tags_shape`; EC2 uses TagSpecifications). `existing(ctx, props)` names what already
  holds the name: ours under this logical id is taken over (a crash after create), anything else refused.
- `delete_call` / `delete_param`, by physical id; `not_found_codes` on delete mean "already gone".
- `retry_codes` (answers that pass by themselves: a just-created dependency not visible yet) are retried
  by create and setters for `retry_timeout`; `busy_codes` (a dependency still draining) by delete.
- `settles`: `Settling(...)` (settling.py) for what AWS builds and deletes asynchronously (a NAT gateway
  `pending`, a load balancer `provisioning`): create waits until it is ready, delete until it is gone.

The base provides `owned(ctx)` (the listing, tagged and filtered to ours, as `Owned` records: cached for the
read pass and shared with the kinds that find their resources under these), `read`, `create`, `update`
(each entry of `changes` goes to its field's setter, once per setter, in the order the fields are
declared) and `delete`. A kind overrides a verb only where it truly needs code, and says why in a line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list, unless_gone
from platformctl.resources.tag_index import tags_for_arns_batched
from platformctl.resources.tagging import calls_for

if TYPE_CHECKING:  # settling.py builds on this module
    from platformctl.resources.settling import Settling

# How long create and setters retry `retry_codes` by default: a fresh resource shows up within seconds.
RETRY_TIMEOUT = 60.0
# A field sent in the create call itself (the default), as opposed to one a setter applies after it.
IN_CREATE: Any = object()


def dig(item: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted path (`Matcher.HttpCode`, `LoadBalancers.0`) in an AWS answer, or `default`."""
    for step in path.split("."):
        if isinstance(item, list) and step.isdigit() and int(step) < len(item):
            item = item[int(step)]
        elif isinstance(item, dict) and step in item:
            item = item[step]
        else:
            return default
    return item


@dataclass(frozen=True)
class Field:
    """One top-level prop: where AWS keeps it, and how it changes in place, if it can."""

    # A dotted path in the listed item, a function of the item, or None: AWS never gives it back.
    source: str | Callable[[dict[str, Any]], Any] | None
    convert: Callable[[Any], Any] | None = None
    # The kind's method `(ctx, live, props) -> None` that changes it in place; None: a change replaces.
    setter: str | None = None
    # What AWS gives a new resource, when the create call does not take the field (its setter applies it).
    initial: Any = IN_CREATE

    def read(self, item: dict[str, Any]) -> Any:
        if self.source is None:
            return None
        value = self.source(item) if callable(self.source) else dig(item, self.source)
        return self.convert(value) if self.convert is not None else value

    @property
    def after_create(self) -> bool:
        return self.initial is not IN_CREATE


def _no_request(ctx: Context) -> dict[str, Any]:
    return {}


def _keep_all(ctx: Context, item: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class Listing:
    """How a kind lists every candidate: one operation, its result key, its filters and how it pages."""

    operation: str
    key: str
    request: Callable[[Context], dict[str, Any]] = _no_request
    # "paginator" (boto3's), "token" (NextToken by hand: boto3 has no paginator) or "one" (a single call).
    pages: str = "paginator"
    keep: Callable[[Context, dict[str, Any]], bool] = _keep_all


@dataclass(frozen=True)
class Detail:
    """A read per resource for what the listing leaves out, where the service has no batch read (SNS, SQS).

    Asked of our resources only, in parallel, after the tags said whose they are: `operation(**request,
    param=<physical id>)`, whose answer at `key` is merged into the listed item. One gone since it was
    listed (`not_found_codes`) is left out.
    """

    operation: str
    param: str
    key: str
    request: dict[str, Any] = dataclasses.field(default_factory=dict)  # the rest of the request


@dataclass(frozen=True)
class Owned:
    """One listed resource that carries our tags: the item as AWS listed it, its tags and its ids."""

    item: dict[str, Any]
    tags: dict[str, str]
    physical_id: str
    arn: str
    name: str

    @property
    def logical_id(self) -> str:
        return self.tags[TAG_ID]

    @property
    def layer(self) -> str:
        return self.tags.get(TAG_LAYER, "")


class DeclarativeKind(ResourceKind):
    """A kind made of declarations; see the module docstring for what each one means."""

    listing: ClassVar[Listing]
    detail: ClassVar[Detail | None] = None
    tags_from: ClassVar[str] = "item"  # "item", "index" or "each"
    fields: ClassVar[dict[str, Field]] = {}
    attrs: ClassVar[dict[str, str]] = {}  # attr → dotted path in a listed item; default {id_attr: id_attr}
    arn_source: ClassVar[str | None] = None  # the ARN in a listed item, when it is not the physical id
    name_source: ClassVar[str | None] = None  # the display name in a listed item; default the physical id
    create_call: ClassVar[str]
    create_result: ClassVar[str | None] = None  # where the created item is in the create answer
    tags_param: ClassVar[str | None] = "Tags"  # None: AWS cannot tag the kind
    tags_shape: ClassVar[str] = "pairs"  # "pairs" (Key/Value list) or "map"
    tag_pair: ClassVar[tuple[str, str]] = ("Key", "Value")  # a pair's names: ECS key/value, KMS TagKey/TagValue
    item_tags: ClassVar[str] = "Tags"  # where a listed item embeds its tags (`tags_from = "item"`)
    delete_call: ClassVar[str]
    delete_param: ClassVar[str | None] = None  # default: id_attr
    retry_codes: ClassVar[frozenset[str]] = frozenset()
    retry_timeout: ClassVar[float] = RETRY_TIMEOUT
    busy_codes: ClassVar[frozenset[str]] = frozenset()
    busy_timeout: ClassVar[float | None] = None  # None: the context's wait timeout
    taken_code: ClassVar[str] = "AlreadyExists"  # the error for a name held by something not ours
    settles: ClassVar[Settling | None] = None  # None: AWS makes and deletes it synchronously

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """`updatable` and `unreadable` follow from the fields, so they can never drift from the code."""
        super().__init_subclass__(**kwargs)
        if "fields" in cls.__dict__:
            cls.updatable = frozenset(name for name, f in cls.fields.items() if f.setter)
            if "unreadable" not in cls.__dict__:  # a kind reading a field by a call of its own says so
                cls.unreadable = frozenset(name for name, f in cls.fields.items() if f.source is None)

    # ---- talking to AWS --------------------------------------------------------------------------------
    def client(self, ctx: Context) -> Any:
        return ctx.client(self.service)

    def call(self, ctx: Context, operation: str, **request: Any) -> Any:
        """`operation(**request)` on the kind's client, retrying `retry_codes` (eventual consistency)."""
        method = getattr(self.client(ctx), operation)
        if not self.retry_codes:
            return method(**request)
        return ctx.retry_on(set(self.retry_codes), lambda: method(**request), timeout=self.retry_timeout)

    # ---- read ------------------------------------------------------------------------------------------
    def owned(self, ctx: Context) -> list[Owned]:
        """Everything of this kind carrying our tags, listed once per read pass (shared with other kinds)."""
        return ctx.cached(("owned", self.kind), lambda: self._fetch_owned(ctx))

    def _fetch_owned(self, ctx: Context) -> list[Owned]:
        found: list[Owned] = []
        for item, tags in self.tagged(ctx, self.listed(ctx)):
            if ctx.identity(tags) is not None:
                physical_id = self.attrs_of(item)[self.id_attr]
                name = tags.get("Name") if self.name_source == "tag:Name" else None
                name = name or (dig(item, self.name_source) if self.name_source else None) or physical_id
                found.append(Owned(item, tags, physical_id, self.arn_of(item), name))
        return self.detailed(ctx, found)

    def detailed(self, ctx: Context, found: list[Owned]) -> list[Owned]:
        """`found`, each item completed by the kind's `detail` read; those gone since they were listed left out."""
        detail = self.detail
        if detail is None or not found:
            return found
        operation = getattr(self.client(ctx), detail.operation)

        def one(owned: Owned) -> Any:
            return unless_gone(
                self.not_found_codes, lambda: operation(**detail.request, **{detail.param: owned.physical_id})
            )

        answers = zip(found, ctx.map(one, found), strict=True)
        return [replace(o, item={**o.item, **(dig(a, detail.key) or {})}) for o, a in answers if a is not None]

    def listed(self, ctx: Context) -> list[dict[str, Any]]:
        """Every candidate the listing returns (all pages) that passes its pre-filter."""
        return self._items(ctx, self.listing, self.listing.request(ctx))

    def listed_under(self, ctx: Context, listing: Listing, **parent: Any) -> list[dict[str, Any]]:
        """Every item a per-parent listing returns for one parent (an API's routes, a domain's mappings).

        A parent deleted since it was listed (`not_found_codes`) has none left: an empty list, not an error.
        """
        request = {**listing.request(ctx), **parent}
        return unless_gone(self.not_found_codes, lambda: self._items(ctx, listing, request)) or []

    def _items(self, ctx: Context, listing: Listing, request: dict[str, Any]) -> list[dict[str, Any]]:
        pages = self._pages(ctx, listing, request)
        return [item for page in pages for item in page.get(listing.key) or [] if listing.keep(ctx, item)]

    def _pages(self, ctx: Context, listing: Listing, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        client = self.client(ctx)
        if listing.pages == "paginator":
            yield from client.get_paginator(listing.operation).paginate(**request)
            return
        while True:
            page = getattr(client, listing.operation)(**request)
            yield page
            if listing.pages == "one" or not page.get("NextToken"):
                return
            request = {**request, "NextToken": page["NextToken"]}

    def tagged(self, ctx: Context, items: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """(item, tags) for each item whose tags could be read; an item gone before its tags were asked is left out."""
        if self.tags_from == "item":  # listed in the shape the create call takes them (`tags_shape`)
            pairs = self.tags_shape == "pairs"
            shape = (lambda tags: tag_dict(tags, *self.tag_pair)) if pairs else (lambda tags: dict(tags or {}))
            return [(item, shape(item.get(self.item_tags))) for item in items]
        arns = [self.arn_of(item) for item in items]
        if self.tags_from == "index":
            tags = tags_for_arns_batched(ctx, arns, lambda unknown: self.fetch_tags(ctx, unknown))
        else:
            tags = self.fetch_tags(ctx, arns) if arns else {}
        return [(item, tags[arn]) for item, arn in zip(items, arns, strict=True) if arn in tags]

    def fetch_tags(self, ctx: Context, arns: list[str]) -> dict[str, dict[str, str]]:
        """Tags asked of the service itself, one ARN a call in parallel (the `tagging` row's read call)."""
        calls = calls_for(self)

        def one(arn: str) -> dict[str, str] | None:
            return unless_gone(self.not_found_codes, lambda: calls.read(ctx.client(calls.client), arn))

        fetched = zip(arns, ctx.map(one, arns), strict=True)
        return {arn: tags for arn, tags in fetched if tags is not None}

    def arn_of(self, item: dict[str, Any]) -> str:
        return dig(item, self.arn_source) if self.arn_source else self.attrs_of(item)[self.id_attr]

    def props_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {name: field.read(item) for name, field in self.fields.items()}

    def attrs_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {attr: dig(item, path) for attr, path in (self.attrs or {self.id_attr: self.id_attr}).items()}

    def read(self, ctx: Context) -> list[LiveResource]:
        return [self.to_live(ctx, owned) for owned in self.owned(ctx)]

    def to_live(self, ctx: Context, owned: Owned, props: dict[str, Any] | None = None) -> LiveResource:
        live = self.live(
            ctx,
            owned.tags,
            name=owned.name,
            physical_id=owned.physical_id,
            props=self.props_of(owned.item) if props is None else props,
            attrs=self.attrs_of(owned.item),
            facts=self.facts_of(owned.item),
        )
        assert live is not None  # owned() keeps only what is ours
        return live

    def facts_of(self, item: dict[str, Any]) -> dict[str, Any]:
        """What the plan must know of a listed item beyond its props (data at stake, a pending state)."""
        return {}

    def tag_target(self, ctx: Context, live: LiveResource) -> str:
        return live.attrs.get("Arn") or live.physical_id

    # ---- create ----------------------------------------------------------------------------------------
    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        taken = self.claim_existing(ctx, resource, props)
        if taken is not None:
            return taken  # ours already (a crash after create): nothing to make
        request = {**self.create_request(ctx, props), **self.create_tags(ctx, resource)}
        answer = self.call(ctx, self.create_call, **request)
        attrs = self.created(ctx, resource, dig(answer, self.create_result) if self.create_result else answer, props)
        later = [name for name, f in self.fields.items() if f.after_create and props.get(name) != f.initial]
        if later:
            initial = {name: f.initial for name, f in self.fields.items() if f.after_create}
            fresh = LiveResource(
                self.kind, resource.id, resource.layer, resource.name, attrs[self.id_attr], initial, attrs
            )
            self.apply_setters(ctx, fresh, props, later)
        return attrs

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError(f"{self.kind}: declare create_request")

    def create_tags(self, ctx: Context, resource: Resource) -> dict[str, Any]:
        """Our tags, in the create call itself: a crash can never leave an untagged resource behind."""
        if self.tags_param is None:
            return {}
        tags = ctx.tags_for(resource)
        return {self.tags_param: tag_list(tags, *self.tag_pair) if self.tags_shape == "pairs" else tags}

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """The new resource's attrs: from the create answer's item, or once it `settles`, as described then."""
        if self.settles is not None:
            item = self.settles.until_ready(ctx, self, resource.id, self.attrs_of(item)[self.id_attr])
        return self.attrs_of(item)

    def existing(self, ctx: Context, props: dict[str, Any]) -> Iterable[tuple[dict[str, Any], dict[str, str]]]:
        """(item, tags) of what already holds the name `props` asks for, where AWS would not refuse a second."""
        return ()

    def claim_existing(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any] | None:
        """The attrs of what already exists as this very resource; raises if what exists is not ours."""
        for item, tags in self.existing(ctx, props):
            identity = ctx.identity(tags)
            if identity is None or identity[0] != resource.id:
                physical_id = self.attrs_of(item)[self.id_attr]
                raise AwsCallError(resource.id, self.taken_code, f"{self.kind} {physical_id} exists and is not ours")
            return self.attrs_of(item)
        return None

    # ---- update ----------------------------------------------------------------------------------------
    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        self.apply_setters(ctx, live, props, {_top_field(change.path) for change in changes})
        return dict(live.attrs)

    def apply_setters(self, ctx: Context, live: LiveResource, props: dict[str, Any], names: Iterable[str]) -> None:
        """Run the setter of each named field, once per setter, in the order the fields are declared."""
        names = set(names)
        unknown = sorted(names - set(self.updatable))
        if unknown:
            raise RuntimeError(f"{self.kind}: {', '.join(unknown)} cannot change in place (planner bug)")
        done: set[str] = set()
        for name, field in self.fields.items():
            if name in names and field.setter and field.setter not in done:
                done.add(field.setter)
                getattr(self, field.setter)(ctx, live, props)

    # ---- delete ----------------------------------------------------------------------------------------
    def delete(self, ctx: Context, live: LiveResource) -> None:
        method = getattr(self.client(ctx), self.delete_call)
        request = self.delete_request(live)

        def delete_once() -> None:
            self.ignore_missing(lambda: self.raise_refusal(method(**request)))

        if self.busy_codes:
            timeout = min(self.busy_timeout, ctx.wait_timeout) if self.busy_timeout else None
            ctx.retry_on(set(self.busy_codes), delete_once, timeout=timeout)
        else:
            delete_once()
        self.after_delete(ctx, live)

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return {self.delete_param or self.id_attr: live.physical_id}

    def raise_refusal(self, answer: Any) -> None:
        """Raise the refusal a delete reports in its answer rather than as an error (EC2's batch deletes)."""

    def after_delete(self, ctx: Context, live: LiveResource) -> None:
        """Wait for what AWS deletes asynchronously (`settles`): what is deleted next may depend on it being gone."""
        if self.settles is not None:
            self.settles.until_gone(ctx, self, live.id, live.physical_id)


def _top_field(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]
