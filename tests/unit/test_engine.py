"""The engine on an in-memory cloud: planning, ordering and execution, independent of any AWS kind."""

from __future__ import annotations

import itertools
import json
import threading
import time
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

from platformctl.aws import CallCounter
from platformctl.engine import planfile
from platformctl.engine.executor import execute
from platformctl.engine.live import read_live
from platformctl.engine.model import UNKNOWN, Ref, Resource
from platformctl.engine.planner import make_plan
from platformctl.errors import PlatformctlError
from platformctl.resources.base import Context, ResourceKind

PLATFORM, ENV = "shop", "dev"


class FakeCloud:
    """Resources by physical id, an operation log, and failures to inject."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.log: list[tuple[str, str]] = []
        self.fail_on: set[tuple[str, str]] = set()
        self.delay = 0.0
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        # Every operation is one "AWS call", counted as Aws counts real ones.
        self.counter = CallCounter()
        self.throttle_on: set[tuple[str, str]] = set()

    def record(self, verb: str, logical_id: str) -> None:
        self.counter.record("fake", verb)
        if (verb, logical_id) in self.throttle_on:
            self.counter.record_throttle()
        if (verb, logical_id) in self.fail_on:
            raise RuntimeError(f"injected failure on {verb} {logical_id}")
        time.sleep(self.delay)
        with self.lock:
            self.log.append((verb, logical_id))

    def new_id(self, prefix: str) -> str:
        return f"arn:fake:{prefix}:{next(self._ids)}"  # shaped like AWS identifiers, as references are


class FakeKind(ResourceKind):
    service = "fake"
    id_attr = "Id"

    def __init__(self, cloud: FakeCloud):
        self.cloud = cloud

    def read(self, ctx: Context) -> list:
        found = []
        for phys, item in sorted(self.cloud.items.items()):
            if item["kind"] == self.kind:
                live = self.live(
                    ctx,
                    item["tags"],
                    name=item["tags"]["platformctl:id"],
                    physical_id=phys,
                    props=dict(item["props"]),
                    attrs={"Id": phys},
                )
                if live:
                    found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict) -> dict:
        self.cloud.record("create", resource.id)
        phys = self.cloud.new_id(self.kind)
        self.cloud.items[phys] = {"kind": self.kind, "tags": ctx.tags_for(resource), "props": props}
        return {"Id": phys}

    def update(self, ctx: Context, resource: Resource, live: Any, props: dict, changes: list) -> dict:
        self.cloud.record("update", resource.id)
        self.cloud.items[live.physical_id]["props"] = props
        return {}

    def delete(self, ctx: Context, live: Any) -> None:
        self.cloud.record("delete", live.id)
        self.cloud.items.pop(live.physical_id, None)


class Network(FakeKind):
    kind = "fake.network"
    updatable: ClassVar = frozenset({"label"})
    unordered: ClassVar = frozenset({"zones"})


class Gateway(FakeKind):
    kind = "fake.gateway"
    create_before_delete = True


class Group(FakeKind):
    kind = "fake.group"  # unique names: must be deleted before its successor is created
    unreadable: ClassVar = frozenset({"secret"})


class Member(FakeKind):
    kind = "fake.member"
    updatable: ClassVar = frozenset({"groups", "network"})


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud()


@pytest.fixture
def kinds(cloud: FakeCloud) -> dict[str, ResourceKind]:
    return {cls.kind: cls(cloud) for cls in (Network, Gateway, Group, Member)}


@pytest.fixture
def ctx(cloud: FakeCloud) -> Context:
    aws = SimpleNamespace(counter=cloud.counter)
    return Context(aws=aws, platform=PLATFORM, env=ENV, poll_interval=0.001)  # type: ignore[arg-type]


def graph(cidr: str = "10.0.0.0/16", label: str = "main", group_name: str = "g1", size: int = 1) -> list[Resource]:
    return [
        Resource("fake.network", "net", "platform", "net", {"cidr": cidr, "label": label, "zones": ["a", "b"]}),
        Resource("fake.gateway", "gw", "platform", "gw", {"network": Ref("net", "Id"), "size": size}),
        Resource(
            "fake.group", "grp", "platform", "grp", {"name": group_name, "network": Ref("net", "Id"), "secret": "s"}
        ),
        Resource("fake.member", "m1", "services", "m1", {"groups": [Ref("grp", "Id")], "network": Ref("net", "Id")}),
    ]


def read_all(kinds: dict, ctx: Context) -> list:
    return [live for kind in kinds.values() for live in kind.read(ctx)]


def plan_for(desired: list[Resource], kinds: dict, ctx: Context, layers=("platform", "messaging", "services", "api")):
    return make_plan(ENV, desired, read_all(kinds, ctx), kinds, layers)


def apply(desired: list[Resource], kinds: dict, ctx: Context, **kw):
    plan = plan_for(desired, kinds, ctx)
    return plan, execute(plan, kinds, ctx, **kw)


def actions(plan) -> dict[str, str]:
    return {s.id: s.action for s in plan.steps}


def test_from_empty_everything_is_created_then_in_sync(kinds, ctx, cloud) -> None:
    plan, report = apply(graph(), kinds, ctx)
    assert actions(plan) == {"net": "create", "gw": "create", "grp": "create", "m1": "create"}
    assert report.ok
    # References were resolved to the physical ids that creates returned.
    member = next(i for i in cloud.items.values() if i["kind"] == "fake.member")
    network = next(p for p, i in cloud.items.items() if i["kind"] == "fake.network")
    assert member["props"]["network"] == network
    assert plan_for(graph(), kinds, ctx).pending == []


def test_an_updatable_field_is_one_field_level_update(kinds, ctx, cloud) -> None:
    apply(graph(), kinds, ctx)
    plan = plan_for(graph(label="blue"), kinds, ctx)
    [step] = plan.pending
    assert (step.action, step.id) == ("update", "net")
    assert [(c.path, c.old, c.new) for c in step.changes] == [("label", "main", "blue")]
    assert execute(plan, kinds, ctx).ok
    assert plan_for(graph(label="blue"), kinds, ctx).pending == []


def test_list_order_of_an_unordered_field_is_not_a_change(kinds, ctx, cloud) -> None:
    apply(graph(), kinds, ctx)
    desired = graph()
    desired[0].props["zones"] = ["b", "a"]
    assert plan_for(desired, kinds, ctx).pending == []


def test_a_field_that_cannot_change_in_place_replaces_and_the_replacement_cascades(kinds, ctx, cloud) -> None:
    apply(graph(), kinds, ctx)
    cloud.log.clear()
    plan = plan_for(graph(cidr="10.1.0.0/16"), kinds, ctx)
    by_id = {s.id: s for s in plan.steps}
    assert by_id["net"].action == "replace" and by_id["net"].reason == "cidr forces replacement"
    # gw and grp hold the network id in a field they cannot update: replaced too, with the unknown new id.
    assert by_id["gw"].action == "replace" and by_id["gw"].reason == "network forces replacement"
    assert [(c.path, c.new) for c in by_id["gw"].changes] == [("network", UNKNOWN)]
    # m1 can update its references in place, but grp is deleted before its successor exists: m1 must let go.
    assert by_id["m1"].action == "replace"
    assert by_id["m1"].reason == "groups refers to grp, which is replaced first"

    report = execute(plan, kinds, ctx)
    assert report.ok, [(r.op.label(), r.error) for r in report.results if r.status != "done"]
    log = cloud.log
    # The gateway's kind could create before deleting, but what it stands on goes first: so must it.
    assert by_id["gw"].create_before_delete is False
    assert log.index(("delete", "gw")) < log.index(("delete", "net")) < log.index(("create", "net"))
    assert log.index(("create", "net")) < log.index(("create", "gw"))
    # delete-first kind: the old group is gone before the new one is created, after its members let go.
    assert log.index(("delete", "m1")) < log.index(("delete", "grp")) < log.index(("create", "grp"))
    assert plan_for(graph(cidr="10.1.0.0/16"), kinds, ctx).pending == []


def test_a_kind_that_allows_it_is_replaced_create_before_delete(kinds, ctx, cloud) -> None:
    apply(graph(), kinds, ctx)
    cloud.log.clear()
    plan = plan_for(graph(size=2), kinds, ctx)
    [step] = plan.pending
    assert (step.action, step.id, step.create_before_delete) == ("replace", "gw", True)
    assert execute(plan, kinds, ctx).ok
    assert cloud.log == [("create", "gw"), ("delete", "gw")]


def test_removed_resources_are_deleted_dependents_first(kinds, ctx, cloud) -> None:
    apply(graph(), kinds, ctx)
    cloud.log.clear()
    plan, report = apply([], kinds, ctx)
    assert set(actions(plan).values()) == {"delete"}
    assert all(s.reason == "no longer in the specs" for s in plan.steps)
    assert report.ok and cloud.items == {}
    log = cloud.log
    assert log.index(("delete", "m1")) < log.index(("delete", "grp")) < log.index(("delete", "net"))
    assert log.index(("delete", "gw")) < log.index(("delete", "net"))


def test_a_failure_skips_only_what_depends_on_it(kinds, ctx, cloud) -> None:
    cloud.fail_on.add(("create", "grp"))
    plan, report = apply(graph(), kinds, ctx)
    status = {r.op.step.id: r.status for r in report.results}
    assert status == {"net": "done", "gw": "done", "grp": "failed", "m1": "skipped"}
    failed = report.by_status("failed")[0]
    assert failed.error_code == "RuntimeError" and "injected failure" in (failed.error or "")
    assert "create grp" in (report.by_status("skipped")[0].error or "")
    # A re-run converges: only what failed or was skipped is planned again.
    cloud.fail_on.clear()
    again = plan_for(graph(), kinds, ctx)
    assert {s.id: s.action for s in again.pending} == {"grp": "create", "m1": "create"}
    assert execute(again, kinds, ctx).ok


def test_independent_steps_run_at_once(kinds, ctx, cloud) -> None:
    cloud.delay = 0.05
    desired = [
        Resource(
            "fake.network", f"net{i}", "platform", f"net{i}", {"cidr": f"10.{i}.0.0/16", "label": "x", "zones": []}
        )
        for i in range(6)
    ]
    _, report = apply(desired, kinds, ctx, parallelism=4)
    assert report.ok and report.peak_in_flight == 4
    _, serial = apply([], kinds, ctx, parallelism=1)
    assert serial.ok and serial.peak_in_flight == 1


def test_the_critical_path_is_the_longest_chain_of_dependent_calls(kinds, ctx, cloud) -> None:
    # net → grp → m1 and net → gw: one call each, so the longest chain is three calls through the group.
    _, report = apply(graph(), kinds, ctx)
    assert report.critical_path_calls == 3
    assert report.critical_path == ["create fake.network net", "create fake.group grp", "create fake.member m1"]
    assert report.api_calls == 4 and report.writes == 4


def test_when_steps_must_wait_the_longest_chain_goes_first(kinds, ctx, cloud) -> None:
    # One step at a time; "a-net" sorts first, but net has the chain net → grp → m1 behind it.
    loner = Resource("fake.network", "a-net", "platform", "a-net", {"cidr": "10.9.0.0/16", "label": "x", "zones": []})
    _, report = apply([loner, *graph()], kinds, ctx, parallelism=1)
    assert report.ok
    assert cloud.log[0] == ("create", "net")


def test_shared_reads_start_before_the_kinds_read(cloud, ctx) -> None:
    started: list[str] = []

    def shared(_: Context) -> None:
        started.append("shared")
        time.sleep(0.05)

    class Reader(Network):
        shared_reads: ClassVar = (shared,)

        def read(self, ctx: Context) -> list:
            started.append(self.kind)
            return super().read(ctx)

    class OtherReader(Reader):
        kind = "fake.other"

    read_live({k.kind: k for k in (Reader(cloud), OtherReader(cloud))}, ctx)
    assert started[0] == "shared" and started.count("shared") == 1


def test_throttling_narrows_the_concurrency_then_it_recovers(kinds, ctx, cloud) -> None:
    cloud.delay = 0.02
    props = {"label": "x", "zones": []}
    desired = [
        Resource("fake.network", f"net{i:02}", "platform", f"net{i:02}", {"cidr": f"10.{i}.0.0/16", **props})
        for i in range(40)
    ]
    cloud.throttle_on = {("create", "net00"), ("create", "net01")}
    _, report = apply(desired, kinds, ctx, parallelism=8)
    assert report.ok and report.throttled == 2
    assert report.lowest_parallelism < 8  # AWS said "slow down": fewer steps at once
    _, calm = apply([], kinds, ctx, parallelism=8)
    assert calm.ok and calm.throttled == 0 and calm.lowest_parallelism == 8 and calm.peak_in_flight == 8


def test_unreadable_fields_are_not_compared_unless_a_reference_changes(kinds, ctx, cloud) -> None:
    apply(graph(), kinds, ctx)
    for item in cloud.items.values():
        if item["kind"] == "fake.group":
            item["props"]["secret"] = None  # as AWS reports it: not at all
    assert plan_for(graph(), kinds, ctx).pending == []


def test_duplicates_left_by_a_crash_are_deleted_deterministically(kinds, ctx, cloud) -> None:
    apply(graph(), kinds, ctx)
    original = next(p for p, i in cloud.items.items() if i["kind"] == "fake.network")
    cloud.items["arn:fake:fake.network:999"] = json.loads(json.dumps(cloud.items[original]))
    plans = [plan_for(graph(), kinds, ctx) for _ in range(2)]
    assert [s.to_json() for s in plans[0].steps] == [s.to_json() for s in plans[1].steps]
    [dup] = plans[0].pending
    assert dup.action == "delete" and dup.id == "net#arn:fake:fake.network:999" and "duplicate" in dup.reason


def test_a_layer_cannot_be_applied_before_the_layer_it_needs(kinds, ctx) -> None:
    with pytest.raises(PlatformctlError, match="run `apply --layer platform` first"):
        plan_for(graph(), kinds, ctx, layers=("services",))


def test_resources_of_another_environment_are_invisible(kinds, ctx, cloud) -> None:
    other = Context(aws=ctx.aws, platform=PLATFORM, env="staging")
    apply(graph(), kinds, other)
    plan = plan_for(graph(), kinds, ctx)
    assert set(actions(plan).values()) == {"create"}
    plan_delete, report = apply([], kinds, ctx)
    assert plan_delete.steps == [] and len(cloud.items) == 4


def test_a_saved_plan_round_trips(kinds, ctx, tmp_path) -> None:
    apply(graph(), kinds, ctx)
    plan = plan_for(graph(cidr="10.2.0.0/16"), kinds, ctx)
    path = tmp_path / "p.json"
    planfile.save(plan, path, platform=PLATFORM, layers=["platform"])
    loaded = planfile.load(path)
    shown = json.loads(json.dumps([s.to_json() for s in plan.steps]))  # as `diff -o json` shows them
    assert [s.model_dump(mode="json") for s in loaded.steps] == shown
    again = plan_for(graph(cidr="10.2.0.0/16"), kinds, ctx)
    planfile.check_matches(loaded, again, path)  # the same specs and cloud: the same plan
    assert execute(again, kinds, ctx).ok
    with pytest.raises(PlatformctlError, match="no longer matches"):
        planfile.check_matches(loaded, plan_for(graph(cidr="10.2.0.0/16"), kinds, ctx), path)


def test_a_file_that_is_not_a_plan_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "p.json"
    path.write_text("{}")
    with pytest.raises(PlatformctlError, match="not a platformctl plan file"):
        planfile.load(path)
    path.write_text("\x00garbage")
    with pytest.raises(PlatformctlError, match="not a readable plan file"):
        planfile.load(path)


def test_a_shared_name_is_not_a_dependency_only_identifiers_are() -> None:
    """A service named "order" runs a task definition whose container is also named "order"."""
    from platformctl.engine.model import LiveResource
    from platformctl.engine.ordering import live_edges

    taskdef = LiveResource(
        "ecs.task_definition",
        "taskdef.order",
        "services",
        "order:1",
        "arn:aws:ecs:td/order:1",
        {"container": {"name": "order"}},
        {"TaskDefinitionArn": "arn:aws:ecs:td/order:1"},
    )
    service = LiveResource(
        "ecs.service",
        "svc.order",
        "services",
        "order",
        "arn:aws:ecs:service/order",
        {"name": "order", "task_definition": "arn:aws:ecs:td/order:1"},
        {"ServiceArn": "arn:aws:ecs:service/order", "Name": "order"},
    )
    edges = {(a.id, b.id) for a, b in live_edges([taskdef, service])}
    assert edges == {("svc.order", "taskdef.order")}


class Store(FakeKind):
    """A kind that holds data: its live facts say how many rows would go with it."""

    kind = "fake.store"
    updatable: ClassVar = frozenset({"label"})

    def read(self, ctx: Context) -> list:
        found = super().read(ctx)
        for live in found:
            live.facts = dict(self.cloud.items[live.physical_id].get("facts", {}))
        return found

    def data_loss(self, live: Any) -> str | None:
        rows = live.facts.get("rows", 0)
        return f"{rows} rows" if rows else None


def test_only_deletes_and_replacements_of_what_holds_data_are_marked_as_data_loss(kinds, ctx, cloud, tmp_path) -> None:
    from platformctl.render import summary_line

    kinds = {**kinds, "fake.store": Store(cloud)}

    def stores(size: int = 1, label: str = "a") -> list[Resource]:
        return [
            Resource("fake.store", "full", "platform", "full", {"size": size, "label": label}),
            Resource("fake.store", "empty", "platform", "empty", {"size": size, "label": label}),
        ]

    apply(graph() + stores(), kinds, ctx)
    for item in cloud.items.values():
        if item["kind"] == "fake.store":
            item["facts"] = {"rows": 3 if item["tags"]["platformctl:id"] == "full" else 0}

    def loss(plan) -> dict[str, tuple[str, str]]:
        return {s.id: (s.action, s.data_loss) for s in plan.steps if s.kind == "fake.store"}

    in_sync = plan_for(graph() + stores(), kinds, ctx)
    assert in_sync.pending == [] and loss(in_sync) == {"full": ("noop", ""), "empty": ("noop", "")}
    updated = plan_for(graph() + stores(label="b"), kinds, ctx)
    assert loss(updated) == {"full": ("update", ""), "empty": ("update", "")}
    replaced = plan_for(graph() + stores(size=2), kinds, ctx)
    assert loss(replaced) == {"full": ("replace", "3 rows"), "empty": ("replace", "")}
    assert [s.to_json()["data_loss"] for s in replaced.steps if s.id == "full"] == ["3 rows"]
    # Removing everything: only the store with rows is marked; kinds that hold nothing never are.
    deleted = plan_for([], kinds, ctx)
    assert {s.id: s.data_loss for s in deleted.steps} == {
        "full": "3 rows",
        "empty": "",
        "net": "",
        "gw": "",
        "grp": "",
        "m1": "",
    }
    assert summary_line(deleted).endswith("1 step loses data.")
    assert "lose" not in summary_line(updated)
    # A saved plan keeps the mark; facts are not compared, so rows coming and going do not stale it.
    path = tmp_path / "p.json"
    planfile.save(deleted, path, platform=PLATFORM, layers=["platform", "services"])
    loaded = planfile.load(path)
    assert {s.id: s.data_loss for s in loaded.steps}["full"] == "3 rows"
    for item in cloud.items.values():
        item.setdefault("facts", {})["rows"] = 7
    now = plan_for([], kinds, ctx)
    planfile.check_matches(loaded, now, path)
    assert {s.id: s.data_loss for s in now.steps}["full"] == "7 rows"  # judged by what is there now
