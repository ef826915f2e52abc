"""The environment's ECS cluster (Fargate capacity providers, Container Insights).

describe_clusters returns tags and settings for up to 100 clusters per call, so a read is one listing plus
one describe per hundred clusters. A deleted cluster lingers as INACTIVE for a while; it is not live.

Container Insights is changed with update_cluster(settings=...) rather than update_cluster_settings: both
exist in AWS with the same effect, and only the former exists in the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list

_BATCH = 100
_NOT_FOUND = "ClusterNotFoundException"
# Services and tasks take a while to drain after their own deletion; the cluster refuses until then.
_STILL_IN_USE = {"ClusterContainsServicesException", "ClusterContainsTasksException", "UpdateInProgressException"}
# ECS serialises cluster updates; a second one while the first runs is refused, not queued.
_BUSY = {"UpdateInProgressException"}


def _settings(insights: str) -> list[dict[str, str]]:
    return [{"name": "containerInsights", "value": insights}]


def _strategy_request(strategy: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"capacityProvider": s["provider"], "base": int(s.get("base", 0)), "weight": int(s.get("weight", 0))}
        for s in strategy
    ]


def _props(cluster: dict[str, Any]) -> dict[str, Any]:
    """Live cluster → desired shape; the emulator omits unset lists, AWS returns them empty."""
    settings = {s["name"]: s.get("value") for s in cluster.get("settings") or []}
    return {
        "name": cluster["clusterName"],
        "container_insights": settings.get("containerInsights") or "disabled",
        "capacity_providers": list(cluster.get("capacityProviders") or []),
        "strategy": [
            {"provider": s["capacityProvider"], "base": int(s.get("base", 0)), "weight": int(s.get("weight", 0))}
            for s in cluster.get("defaultCapacityProviderStrategy") or []
        ],
    }


@dataclass(frozen=True)
class OwnedCluster:
    """An active ECS cluster carrying our tags for this platform and env, as describe_clusters gave it."""

    arn: str
    name: str
    logical_id: str
    layer: str
    tags: dict[str, str]
    description: dict[str, Any]


def our_clusters(ctx: Context) -> list[OwnedCluster]:
    """Our active clusters, listed once per read pass for the cluster, service and dashboard kinds."""
    return ctx.cached(("ecs", "our-clusters"), lambda: _fetch_our_clusters(ctx))


def _fetch_our_clusters(ctx: Context) -> list[OwnedCluster]:
    ecs = ctx.client("ecs")
    arns: list[str] = []
    for page in ecs.get_paginator("list_clusters").paginate():
        arns.extend(page.get("clusterArns", []))
    owned: list[OwnedCluster] = []
    for start in range(0, len(arns), _BATCH):
        batch = arns[start : start + _BATCH]
        for cluster in ecs.describe_clusters(clusters=batch, include=["TAGS", "SETTINGS"])["clusters"]:
            if cluster.get("status") == "INACTIVE":
                continue  # deleted, lingering for a while
            tags = tag_dict(cluster.get("tags"), "key", "value")
            identity = ctx.identity(tags)
            if identity is not None:
                owned.append(OwnedCluster(cluster["clusterArn"], cluster["clusterName"], *identity, tags, cluster))
    return owned


class EcsCluster(ResourceKind):
    kind: ClassVar[str] = "ecs.cluster"
    service: ClassVar[str] = "ecs"
    id_attr: ClassVar[str] = "ClusterArn"
    updatable: ClassVar[frozenset[str]] = frozenset({"container_insights", "capacity_providers", "strategy"})
    unordered: ClassVar[frozenset[str]] = frozenset({"capacity_providers"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({_NOT_FOUND})

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for cluster in our_clusters(ctx):
            live = self.live(
                ctx,
                cluster.tags,
                name=cluster.name,
                physical_id=cluster.arn,
                props=_props(cluster.description),
                attrs={"ClusterArn": cluster.arn, "ClusterName": cluster.name},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        ecs = ctx.client("ecs")
        name = props["name"]
        # CreateCluster is idempotent by name in AWS: on an existing cluster it answers with that cluster,
        # so a look-alike would silently pass for ours. Refuse instead.
        existing = ecs.describe_clusters(clusters=[name], include=["TAGS"])["clusters"]
        for cluster in existing:
            if cluster.get("status") != "INACTIVE":
                owner = ctx.identity(tag_dict(cluster.get("tags"), "key", "value"))
                if owner is None or owner[0] != resource.id:
                    raise AwsCallError(
                        resource.id, "ClusterExists", f"an ECS cluster named {name} exists and is not ours"
                    )
        request: dict[str, Any] = {
            "clusterName": name,
            "settings": _settings(props["container_insights"]),
            "tags": tag_list(ctx.tags_for(resource), "key", "value"),
        }
        if props.get("capacity_providers"):
            request["capacityProviders"] = list(props["capacity_providers"])
        if props.get("strategy"):
            request["defaultCapacityProviderStrategy"] = _strategy_request(props["strategy"])
        cluster = ecs.create_cluster(**request)["cluster"]
        return {"ClusterArn": cluster["clusterArn"], "ClusterName": cluster["clusterName"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        ecs = ctx.client("ecs")
        arn = live.physical_id
        if props["container_insights"] != live.props.get("container_insights"):
            ctx.retry_on(
                _BUSY, lambda: ecs.update_cluster(cluster=arn, settings=_settings(props["container_insights"]))
            )
        providers_changed = sorted(props["capacity_providers"]) != sorted(live.props.get("capacity_providers", []))
        wanted = [{**s, "base": int(s.get("base", 0)), "weight": int(s.get("weight", 0))} for s in props["strategy"]]
        if providers_changed or wanted != live.props.get("strategy"):
            # One call sets both: AWS requires the full provider list and the full default strategy.
            ctx.retry_on(
                _BUSY,
                lambda: ecs.put_cluster_capacity_providers(
                    cluster=arn,
                    capacityProviders=list(props["capacity_providers"]),
                    defaultCapacityProviderStrategy=_strategy_request(props["strategy"]),
                ),
            )
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ecs = ctx.client("ecs")
        arn = live.physical_id
        ctx.retry_on(_STILL_IN_USE, lambda: self.ignore_missing(lambda: ecs.delete_cluster(cluster=arn)))

        def gone() -> bool:
            try:
                clusters = ecs.describe_clusters(clusters=[arn])["clusters"]
            except Exception as exc:
                if error_code(exc) == _NOT_FOUND:
                    return True
                raise
            return all(c.get("status") == "INACTIVE" for c in clusters)

        # With capacity providers AWS deprovisions first; the name is reusable only once INACTIVE.
        ctx.wait_until(f"ECS cluster {arn} ({live.id}) to be deleted", gone)
