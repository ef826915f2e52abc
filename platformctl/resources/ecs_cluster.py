"""The environment's ECS cluster (Fargate capacity providers, Container Insights).

describe_clusters returns tags and settings for up to 100 clusters per call, so a read is one listing plus
one describe per hundred clusters. A deleted cluster lingers as INACTIVE for a while; it is not live.

Container Insights is changed with update_cluster(settings=...) rather than update_cluster_settings: both
exist in AWS with the same effect, and only the former exists in the emulator.

The first CreateCluster of a fresh account makes AWS create the ECS service-linked role, and fails with
`Unable to assume the service linked role` until that role has propagated: create retries that message
for up to 2 minutes (terraform-provider-aws's propagation timeout). A cluster can then be PROVISIONING for
a while (documented, rare): create waits until it is ACTIVE, as terraform's cluster create does; with
capacity providers AWS deprovisions before deleting, and the name is reusable only once the cluster is
INACTIVE, so delete waits for that (`settles`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource
from platformctl.resources.base import Context, tag_dict
from platformctl.resources.declarative import DeclarativeKind, Field, Listing, Owned
from platformctl.resources.settling import Settling
from platformctl.resources.waiting import aws_message, retry_while

_BATCH = 100
_NOT_FOUND = "ClusterNotFoundException"
# Services and tasks take a while to drain after their own deletion; the cluster refuses until then.
_STILL_IN_USE = {"ClusterContainsServicesException", "ClusterContainsTasksException", "UpdateInProgressException"}
# ECS serialises cluster updates; a second one while the first runs is refused, not queued.
_BUSY = {"UpdateInProgressException"}
_SERVICE_LINKED_ROLE_MESSAGE = "unable to assume the service linked role"
SERVICE_LINKED_ROLE_TIMEOUT = 120.0


def _service_linked_role_not_ready(exc: BaseException) -> str | None:
    if error_code(exc) == "InvalidParameterException" and _SERVICE_LINKED_ROLE_MESSAGE in aws_message(exc).lower():
        return "the ECS service-linked role to propagate"
    return None


def _settings(insights: str) -> list[dict[str, str]]:
    return [{"name": "containerInsights", "value": insights}]


def _strategy_request(strategy: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"capacityProvider": s["provider"], "base": int(s.get("base", 0)), "weight": int(s.get("weight", 0))}
        for s in strategy
    ]


# Live cluster → desired shape; the emulator omits unset lists, AWS returns them empty.
def _insights(cluster: dict[str, Any]) -> str:
    settings = {s["name"]: s.get("value") for s in cluster.get("settings") or []}
    return settings.get("containerInsights") or "disabled"


def _strategy(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"provider": s["capacityProvider"], "base": int(s.get("base", 0)), "weight": int(s.get("weight", 0))}
        for s in cluster.get("defaultCapacityProviderStrategy") or []
    ]


def our_clusters(ctx: Context) -> list[Owned]:
    """Our active clusters, listed once per read pass for the cluster, service and dashboard kinds."""
    return EcsCluster().owned(ctx)


class EcsCluster(DeclarativeKind):
    kind: ClassVar[str] = "ecs.cluster"
    witness: ClassVar[bool] = True
    tagging: ClassVar[str | None] = "ecs"
    service: ClassVar[str] = "ecs"
    id_attr: ClassVar[str] = "ClusterArn"
    unordered: ClassVar[frozenset[str]] = frozenset({"capacity_providers"})
    not_found_codes: ClassVar[frozenset[str]] = frozenset({_NOT_FOUND})
    listing = Listing("list_clusters", "clusterArns")
    tags_from: ClassVar[str] = "item"
    item_tags: ClassVar[str] = "tags"
    tag_pair: ClassVar[tuple[str, str]] = ("key", "value")
    tags_param: ClassVar[str | None] = "tags"
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("clusterName"),
        "container_insights": Field(_insights, setter="set_insights"),
        "capacity_providers": Field(lambda c: list(c.get("capacityProviders") or []), setter="set_capacity"),
        "strategy": Field(_strategy, setter="set_capacity"),
    }
    attrs: ClassVar[dict[str, str]] = {"ClusterArn": "clusterArn", "ClusterName": "clusterName"}
    name_source: ClassVar[str | None] = "clusterName"
    create_call: ClassVar[str] = "create_cluster"
    create_result: ClassVar[str | None] = "cluster"
    taken_code: ClassVar[str] = "ClusterExists"
    delete_call: ClassVar[str] = "delete_cluster"
    delete_param: ClassVar[str | None] = "cluster"
    busy_codes: ClassVar[frozenset[str]] = frozenset(_STILL_IN_USE)
    settles = Settling(
        describe="describe_clusters",
        by_ids="clusters",
        item="clusters.0",
        state="status",
        ready="ACTIVE",
        failed={"FAILED"},
        gone={"INACTIVE"},
    )

    def listed(self, ctx: Context) -> list[dict[str, Any]]:
        """ListClusters gives ARNs only; describe_clusters adds tags and settings, a hundred clusters a call.

        A deleted cluster lingers as INACTIVE for a while; it is not live.
        """
        arns = super().listed(ctx)
        described = [
            cluster
            for start in range(0, len(arns), _BATCH)
            for cluster in self.client(ctx).describe_clusters(
                clusters=arns[start : start + _BATCH], include=["TAGS", "SETTINGS"]
            )["clusters"]
        ]
        return [cluster for cluster in described if cluster.get("status") != "INACTIVE"]

    def existing(self, ctx: Context, props: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """CreateCluster is idempotent by name in AWS: on an existing cluster it answers with that cluster, so a
        look-alike would silently pass for ours. It is looked up first."""
        clusters = self.client(ctx).describe_clusters(clusters=[props["name"]], include=["TAGS"])["clusters"]
        return [(c, tag_dict(c.get("tags"), "key", "value")) for c in clusters if c.get("status") != "INACTIVE"]

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {"clusterName": props["name"], "settings": _settings(props["container_insights"])}
        if props.get("capacity_providers"):
            request["capacityProviders"] = list(props["capacity_providers"])
        if props.get("strategy"):
            request["defaultCapacityProviderStrategy"] = _strategy_request(props["strategy"])
        return request

    def call(self, ctx: Context, operation: str, **request: Any) -> Any:
        """The first CreateCluster of an account fails until the service-linked role it made has propagated."""
        send = lambda: super(EcsCluster, self).call(ctx, operation, **request)  # noqa: E731
        if operation != self.create_call:
            return send()
        return retry_while(ctx, _service_linked_role_not_ready, send, SERVICE_LINKED_ROLE_TIMEOUT)

    def set_insights(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        # update_cluster(settings=...) rather than update_cluster_settings: same effect in AWS, and only the
        # former exists in the emulator.
        settings = _settings(props["container_insights"])
        ctx.retry_on(_BUSY, lambda: self.client(ctx).update_cluster(cluster=live.physical_id, settings=settings))

    def set_capacity(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """One call sets both: AWS requires the full provider list and the full default strategy."""
        request = {
            "cluster": live.physical_id,
            "capacityProviders": list(props["capacity_providers"]),
            "defaultCapacityProviderStrategy": _strategy_request(props["strategy"]),
        }
        ctx.retry_on(_BUSY, lambda: self.client(ctx).put_cluster_capacity_providers(**request))
