"""The environment's CloudWatch dashboard: one per ECS cluster, showing the services running on it.

Dashboards cannot be tagged, so ownership comes from the ECS cluster and a natural key: the dashboard
named exactly like one of our clusters is ours, with logical id `<cluster logical id>/dashboard`. A
dashboard named like a cluster that is not ours (another env's, an untagged one, none at all) stays
invisible, and so do dashboards merely starting with the cluster's name.

Unlike other untaggable children it is placed in the api layer, not its cluster's: its body shows the
whole environment (the HTTP API by its id, the services, queues and topics), so it has to be created and
changed after all of them and removed first; in the platform layer it would depend on later layers.

Since the name alone decides, a read is one get_dashboard by that name per cluster of ours, with no
listing: ListDashboards could only show dashboards whose names are not exactly a cluster's, and those are
never ours anyway (the listing found nothing more before either). The cluster is named `<platform>-<env>`
by the platform layer, so the name cannot change within one platform and env: no dashboard of ours is left
behind under an older name.

PutDashboard silently overwrites a dashboard of the same name, so create refuses when one exists already:
had it been ours, read would have found it through our cluster. The body is compared as parsed JSON with
dict keys sorted (AWS need not keep our key order); widget lists keep their order, which is the layout.
Widgets are compared by title and a widget's metrics by what they measure (`keyed_lists`), so a service
added to the specs shows as its new widgets, not as every later widget shifted by one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.base import Context, KeyedList, unless_gone
from platformctl.resources.declarative import DeclarativeKind, Field, Owned
from platformctl.resources.ecs_cluster import our_clusters

LAYER = "api"
DASHBOARD_SUFFIX = "/dashboard"
NOT_FOUND = "ResourceNotFound"


def dashboard_logical_id(cluster_logical_id: str) -> str:
    """The logical id of the dashboard of the cluster with logical id `cluster_logical_id`."""
    return f"{cluster_logical_id}{DASHBOARD_SUFFIX}"


def sort_keys(value: Any) -> Any:
    """`value` with every dict's keys sorted, recursively; list order is kept (it is meaningful)."""
    if isinstance(value, dict):
        return {k: sort_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sort_keys(v) for v in value]
    return value


def widget_key(widget: Any) -> str:
    """A widget's title; a widget without one (a hand-made edit) is known by its whole content."""
    title = widget.get("properties", {}).get("title") if isinstance(widget, dict) else None
    if isinstance(title, str) and title:
        return title
    return json.dumps(widget, sort_keys=True, default=str)


def metric_key(metric: Any) -> str:
    """What a metric line measures: namespace, metric name and dimensions; its rendering options (a trailing
    `{"yAxis": ...}`) are not part of it."""
    if isinstance(metric, list):
        return " ".join(str(part) for part in metric if not isinstance(part, dict))
    return json.dumps(metric, sort_keys=True, default=str)


def _body_json(body: dict[str, Any]) -> str:
    return json.dumps(sort_keys(body), separators=(",", ":"))


class Dashboard(DeclarativeKind):
    kind: ClassVar[str] = "cloudwatch.dashboard"
    service: ClassVar[str] = "cloudwatch"
    id_attr: ClassVar[str] = "DashboardName"
    attrs: ClassVar[dict[str, str]] = {"DashboardName": "DashboardName", "DashboardArn": "DashboardArn"}
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("DashboardName"),
        "body": Field(lambda answer: sort_keys(_parse(answer.get("DashboardBody"))), setter="put"),
    }
    keyed_lists: ClassVar[dict[str, KeyedList]] = {
        "body.widgets": KeyedList("widget", widget_key),
        "body.widgets[].properties.metrics": KeyedList("metric", metric_key),
    }
    create_call: ClassVar[str] = "put_dashboard"
    tags_param: ClassVar[str | None] = None  # dashboards cannot be tagged
    taken_code: ClassVar[str] = "DashboardExists"
    delete_call: ClassVar[str] = "delete_dashboards"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({NOT_FOUND})

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        if isinstance(props.get("body"), dict):
            return {**props, "body": sort_keys(props["body"])}
        return props

    def owned(self, ctx: Context) -> list[Owned]:
        """Needs code: a dashboard is ours by its name, our cluster's: one get_dashboard per cluster, no listing."""
        clusters = our_clusters(ctx)
        answers = ctx.map(lambda cluster: self._get(ctx, cluster.name), clusters)
        return [
            # Not taggable itself: it carries the cluster's ownership under its own logical id and layer.
            Owned(
                {**answer, "DashboardName": cluster.name},
                {**cluster.tags, TAG_ID: dashboard_logical_id(cluster.logical_id), TAG_LAYER: LAYER},
                cluster.name,
                answer.get("DashboardArn", ""),
                cluster.name,
            )
            for cluster, answer in zip(clusters, answers, strict=True)
            if answer is not None  # none (yet, or any more)
        ]

    def _get(self, ctx: Context, name: str) -> dict[str, Any] | None:
        return unless_gone(self.not_found_codes, lambda: self.client(ctx).get_dashboard(DashboardName=name))

    def existing(self, ctx: Context, props: dict[str, Any]) -> Iterable[tuple[dict[str, Any], dict[str, str]]]:
        """PutDashboard overwrites a dashboard of the same name; had it been ours, read would have found it."""
        answer = self._get(ctx, props["name"])
        return [({**answer, "DashboardName": props["name"]}, {})] if answer is not None else []

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"DashboardName": props["name"], "DashboardBody": _body_json(props["body"])}

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """PutDashboard answers without the ARN; ask for it (briefly retrying a read that lags the write)."""
        cloudwatch, name = self.client(ctx), props["name"]
        answer = ctx.retry_on({NOT_FOUND}, lambda: cloudwatch.get_dashboard(DashboardName=name), timeout=30)
        return {"DashboardName": name, "DashboardArn": answer["DashboardArn"]}

    def put(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        self.call(ctx, "put_dashboard", DashboardName=live.physical_id, DashboardBody=_body_json(props["body"]))

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return {"DashboardNames": [live.physical_id]}


def _parse(text: str | None) -> dict[str, Any]:
    """The live body; text that is not a JSON object reads as itself, so it shows as drift."""
    try:
        body = json.loads(text or "{}")
    except ValueError:
        return {"unparsable": text}
    return body if isinstance(body, dict) else {"unparsable": text}
