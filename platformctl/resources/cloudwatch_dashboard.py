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
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.base import Context, ResourceKind
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


def _body_json(body: dict[str, Any]) -> str:
    return json.dumps(sort_keys(body), separators=(",", ":"))


class Dashboard(ResourceKind):
    kind: ClassVar[str] = "cloudwatch.dashboard"
    service: ClassVar[str] = "cloudwatch"
    id_attr: ClassVar[str] = "DashboardName"
    updatable: ClassVar[frozenset[str]] = frozenset({"body"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({NOT_FOUND})

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        if isinstance(props.get("body"), dict):
            return {**props, "body": sort_keys(props["body"])}
        return props

    def read(self, ctx: Context) -> list[LiveResource]:
        clusters = our_clusters(ctx)
        if not clusters:
            return []  # no cluster of ours: no dashboard can be ours, nothing to list
        cloudwatch = ctx.client("cloudwatch")
        found: list[LiveResource] = []
        for cluster in clusters:
            try:
                answer = cloudwatch.get_dashboard(DashboardName=cluster.name)
            except Exception as exc:
                if error_code(exc) == NOT_FOUND:
                    continue  # none (yet, or any more)
                raise
            # Not taggable itself: it carries the cluster's ownership under its own logical id and layer.
            tags = {**cluster.tags, TAG_ID: dashboard_logical_id(cluster.logical_id), TAG_LAYER: LAYER}
            live = self.live(
                ctx,
                tags,
                name=cluster.name,
                physical_id=cluster.name,
                props=self.canonical({"name": cluster.name, "body": _parse(answer.get("DashboardBody"))}),
                attrs={"DashboardName": cluster.name, "DashboardArn": answer.get("DashboardArn")},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        cloudwatch = ctx.client("cloudwatch")
        name = props["name"]
        try:
            cloudwatch.get_dashboard(DashboardName=name)
        except Exception as exc:
            if error_code(exc) != NOT_FOUND:
                raise
        else:
            raise AwsCallError(resource.id, "DashboardExists", f"a dashboard named {name} exists and is not ours")
        cloudwatch.put_dashboard(DashboardName=name, DashboardBody=_body_json(props["body"]))
        return self._attrs(ctx, name)

    def _attrs(self, ctx: Context, name: str) -> dict[str, Any]:
        """PutDashboard answers without the ARN; ask for it (briefly retrying a read that lags the write)."""
        cloudwatch = ctx.client("cloudwatch")
        answer = ctx.retry_on({NOT_FOUND}, lambda: cloudwatch.get_dashboard(DashboardName=name), timeout=30)
        return {"DashboardName": name, "DashboardArn": answer["DashboardArn"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        if sort_keys(props["body"]) != sort_keys(live.props.get("body")):
            ctx.client("cloudwatch").put_dashboard(
                DashboardName=live.physical_id, DashboardBody=_body_json(props["body"])
            )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        cloudwatch = ctx.client("cloudwatch")
        self.ignore_missing(lambda: cloudwatch.delete_dashboards(DashboardNames=[live.physical_id]))


def _parse(text: str | None) -> dict[str, Any]:
    """The live body; text that is not a JSON object reads as itself, so it shows as drift."""
    try:
        body = json.loads(text or "{}")
    except ValueError:
        return {"unparsable": text}
    return body if isinstance(body, dict) else {"unparsable": text}
