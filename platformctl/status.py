"""`platformctl status`: how a running environment is doing, in a form a person reads at 80 columns.

Everything comes from one read pass of the kinds (the same reads a no-op `diff` makes, batched per kind):
the ECS service kind keeps task counts, the primary deployment's rollout state and the newest service events
from the describe_services answer it already has; the queue kind keeps queue depths from the attributes it
reads for data-loss checks; the alarm kind keeps each alarm's state from its describe_alarms listing. So
`status` costs no call a `diff` would not make.

`gather` turns the live resources into a `StatusReport`; `report_json` is its stable, snake_case JSON form
(every key always present, null when the resource is not live); `print_report` lays it out for people.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from platformctl.commandline import command_line
from platformctl.engine.model import LiveResource
from platformctl.layers.api import API_DOMAIN_ID, API_ID
from platformctl.layers.messaging import BUS_ID, dlq_id, queue_id, topic_id
from platformctl.layers.platform import ALB_ID, CLUSTER_ID, KMS_KEY_ID, NAMESPACE_ID, VPC_ID
from platformctl.naming import LAYERS
from platformctl.resources.sns_alert_subscription import is_pending

# The outputs people look for first: JSON key → (logical id, attribute). The order is the order shown.
# The ids are the layers' own (layers/platform.py, api.py, messaging.py): a renamed id cannot hide an output.
OUTPUTS: dict[str, tuple[str, str]] = {
    "api_url": (API_ID, "ApiEndpoint"),
    "api_custom_domain": (API_DOMAIN_ID, "DomainName"),
    "api_domain_dns_target": (API_DOMAIN_ID, "TargetDomainName"),
    "load_balancer_dns": (ALB_ID, "DNSName"),
    "vpc": (VPC_ID, "VpcId"),
    "cluster": (CLUSTER_ID, "ClusterArn"),
    "namespace": (NAMESPACE_ID, "NamespaceId"),
    "kms_key": (KMS_KEY_ID, "Arn"),
    "event_bus": (BUS_ID, "Name"),
}
# What an unconfirmed alert subscription needs: AWS sent the confirmation, only its recipient can answer it.
UNCONFIRMED_HINT = (
    "Each was sent a confirmation request by AWS: an email recipient clicks its link, an https endpoint visits "
    "its SubscribeURL. Unconfirmed, AWS drops it after 48 hours; the next apply subscribes it again."
)
# Off a terminal, with no COLUMNS set, lines are this wide: ids and ARNs stay whole for people who copy them.
PIPE_WIDTH = 240


@dataclass(frozen=True)
class ServiceEvent:
    at: datetime | None
    message: str


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    status: str | None
    desired: int
    running: int
    pending: int
    rollout: str | None  # the PRIMARY deployment's rolloutState: COMPLETED, IN_PROGRESS or FAILED
    rollout_reason: str | None
    events: list[ServiceEvent]  # newest first
    queue: str | None
    topic: str | None


@dataclass(frozen=True)
class QueueStatus:
    service: str
    name: str
    url: str
    messages: int  # ApproximateNumberOfMessages: waiting
    in_flight: int  # ApproximateNumberOfMessagesNotVisible: received, not yet deleted
    dlq: str | None
    dlq_messages: int | None  # waiting + in flight in the dead-letter queue

    @property
    def depth(self) -> int:
        return self.messages + self.in_flight


@dataclass(frozen=True)
class AlarmStatus:
    name: str
    reason: str
    since: datetime | None


@dataclass
class StatusReport:
    platform: str
    env: str
    now: datetime
    outputs: dict[str, Any]
    services: list[ServiceStatus] = field(default_factory=list)
    queues: list[QueueStatus] = field(default_factory=list)
    alarms: list[AlarmStatus] = field(default_factory=list)  # ours, currently in ALARM
    # Alert subscriptions (`alerts` in platform.yaml) not confirmed yet: "email: ops@example.com".
    unconfirmed_alerts: list[str] = field(default_factory=list)
    resources: list[LiveResource] = field(default_factory=list)


def gather(platform: str, env: str, live: list[LiveResource], now: datetime | None = None) -> StatusReport:
    """The report of what `live` (one read pass) says about the environment; no AWS call."""
    by_id = {r.id: r for r in live}
    return StatusReport(
        platform=platform,
        env=env,
        now=now or datetime.now(UTC),
        outputs={key: _attr(by_id.get(logical_id), attr) for key, (logical_id, attr) in OUTPUTS.items()},
        services=[_service(r, by_id) for r in sorted(_of_kind(live, "ecs.service"), key=lambda r: r.name)],
        queues=_queues(live, by_id),
        alarms=[
            AlarmStatus(r.name, str(r.facts.get("reason") or ""), r.facts.get("since"))
            for r in sorted(_of_kind(live, "cloudwatch.alarm"), key=lambda r: r.name)
            if r.facts.get("state") == "ALARM"
        ],
        unconfirmed_alerts=sorted(
            f"{r.props['protocol']}: {r.props['endpoint']}"
            for r in _of_kind(live, "sns.alert_subscription")
            if is_pending(r)
        ),
        resources=sorted(live, key=_resource_order),
    )


def _of_kind(live: list[LiveResource], kind: str) -> list[LiveResource]:
    return [r for r in live if r.kind == kind]


def _attr(resource: LiveResource | None, attr: str) -> Any:
    return (resource.attrs.get(attr) or None) if resource is not None else None


def _service(r: LiveResource, by_id: dict[str, LiveResource]) -> ServiceStatus:
    facts = r.facts
    queue, topic = by_id.get(queue_id(r.name)), by_id.get(topic_id(r.name))
    return ServiceStatus(
        name=r.name,
        status=facts.get("status"),
        desired=int(facts.get("desired") or 0),
        running=int(facts.get("running") or 0),
        pending=int(facts.get("pending") or 0),
        rollout=facts.get("rollout"),
        rollout_reason=facts.get("rollout_reason"),
        events=[ServiceEvent(e.get("at"), str(e.get("message") or "")) for e in facts.get("events") or []],
        queue=queue.name if queue else None,
        topic=_attr(topic, "TopicArn"),
    )


def _queues(live: list[LiveResource], by_id: dict[str, LiveResource]) -> list[QueueStatus]:
    """Each service queue with its depth and its dead-letter queue's (`queue.<service>`, `queue.<service>.dlq`)."""
    found = []
    for r in _of_kind(live, "sqs.queue"):
        service = r.id.removeprefix(queue_id(""))  # the layer's own prefix, whatever it is
        if r.id != queue_id(service) or r.id == dlq_id(service.removesuffix(".dlq")):
            continue  # a dead-letter queue: shown with its queue
        dlq = by_id.get(dlq_id(service))
        found.append(
            QueueStatus(
                service=service,
                name=r.name,
                url=r.physical_id,
                messages=int(r.facts.get("messages") or 0),
                in_flight=int(r.facts.get("in_flight") or 0),
                dlq=dlq.name if dlq else None,
                dlq_messages=_depth(dlq),
            )
        )
    return sorted(found, key=lambda q: q.service)


def _depth(queue: LiveResource | None) -> int | None:
    if queue is None:
        return None
    return int(queue.facts.get("messages") or 0) + int(queue.facts.get("in_flight") or 0)


def _resource_order(r: LiveResource) -> tuple[int, str, str]:
    rank = {name: i for i, name in enumerate(LAYERS)}
    return (rank.get(r.layer, len(LAYERS)), r.kind, r.id)


# ---- JSON ------------------------------------------------------------------------------------------------
def report_json(report: StatusReport) -> dict[str, Any]:
    """The report as JSON: the same keys on every run (documented in the README), times in ISO 8601 UTC."""
    return {
        "platform": report.platform,
        "env": report.env,
        "outputs": dict(report.outputs),
        "services": [
            {
                "service": s.name,
                "status": s.status,
                "desired": s.desired,
                "running": s.running,
                "pending": s.pending,
                "rollout": s.rollout,
                "rollout_reason": s.rollout_reason,
                "events": [{"at": _iso(e.at), "message": e.message} for e in s.events],
                "queue": s.queue,
                "topic": s.topic,
            }
            for s in report.services
        ],
        "queues": [
            {
                "service": q.service,
                "name": q.name,
                "url": q.url,
                "messages": q.messages,
                "in_flight": q.in_flight,
                "depth": q.depth,
                "dlq": q.dlq,
                "dlq_messages": q.dlq_messages,
            }
            for q in report.queues
        ],
        "alarms": [{"name": a.name, "reason": a.reason, "since": _iso(a.since)} for a in report.alarms],
        "resources": [
            {"layer": r.layer, "kind": r.kind, "id": r.id, "name": r.name, "physical_id": r.physical_id}
            for r in report.resources
        ],
    }


def _iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ---- text ------------------------------------------------------------------------------------------------
def console_for_people() -> Console:
    """A console as wide as the terminal, or as COLUMNS says; off a terminal without COLUMNS, PIPE_WIDTH."""
    columns = os.environ.get("COLUMNS", "")
    width = None if sys.stdout.isatty() else int(columns) if columns.isdigit() else PIPE_WIDTH
    return Console(highlight=False, width=width)


def print_report(console: Console, report: StatusReport, *, every_resource: bool = False) -> None:
    """The summary (outputs, services, queues, alarms), then with `every_resource` each resource we own."""
    count = len(report.resources)
    console.print(
        Text.assemble((f"{report.platform} / {report.env}", "bold"), f": {count} resource{'s' if count != 1 else ''}")
    )
    outputs = _grid()
    for key, value in report.outputs.items():
        if value is not None:
            outputs.add_row(f"  {key.replace('_', ' ')}", _short(key, str(value)))
    console.print(outputs)
    if report.services:
        console.print()
        console.print(Text("Services", style="bold"))
        width = max(len(s.name) for s in report.services)
        for service in report.services:
            console.print(_service_block(service, report.now, width))
    if report.queues:
        console.print()
        console.print(_queues_table(report.queues))
    console.print()
    if report.alarms:
        console.print(Text(f"Alarms in ALARM ({len(report.alarms)})", style="bold red"))
        for alarm in report.alarms:
            since = f" (since {_age(alarm.since, report.now)} ago)" if alarm.since else ""
            console.print(Text.assemble("  ", ("✗ ", "red"), alarm.name, (since, "dim")))
            if alarm.reason:
                console.print(Padding(Text(alarm.reason, style="dim"), (0, 0, 0, 4)))
    else:
        console.print(Text("No alarm of ours is in ALARM.", style="green"))
    if report.unconfirmed_alerts:
        count = len(report.unconfirmed_alerts)
        heading = f"Alert subscriptions pending confirmation ({count}): alarms do not reach them yet"
        console.print(Text(heading, style="bold yellow"))
        for endpoint in report.unconfirmed_alerts:
            console.print(Text.assemble("  ", ("? ", "yellow"), endpoint))
        console.print(Padding(Text(UNCONFIRMED_HINT, style="dim"), (0, 0, 0, 4)))
    if every_resource:
        console.print()
        console.print(resources_listing(report.resources))
    else:
        console.print()
        console.print(Text(f"Every resource: {command_line('status', '--env', report.env, '--all')}", style="dim"))


def _grid() -> Table:
    """Label/value rows that fold long values (ARNs, URLs) instead of cutting them."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def _service_block(service: ServiceStatus, now: datetime, name_width: int) -> Group:
    """One service: its task counts and rollout on a line, then its newest events, each with its age."""
    rollout = service.rollout or "-"
    colour = {"COMPLETED": "green", "IN_PROGRESS": "yellow", "FAILED": "red"}.get(rollout, "")
    head = Text.assemble(
        "  ",
        (service.name.ljust(name_width), "bold"),
        f"  {service.running}/{service.desired} running, {service.pending} pending  rollout ",
        (rollout, colour),
    )
    if service.status and service.status != "ACTIVE":
        head.append(f"  ({service.status})", style="red")
    lines: list[Any] = [head]
    if service.rollout == "FAILED" and service.rollout_reason:
        lines.append(Padding(Text(service.rollout_reason, style="red"), (0, 0, 0, 4)))
    if service.events:
        events = Table.grid(padding=(0, 2))
        events.add_column(no_wrap=True, justify="right", style="dim")
        events.add_column(overflow="fold")
        for event in service.events:
            events.add_row(f"{_age(event.at, now)} ago" if event.at else "", Text(event.message))
        lines.append(Padding(events, (0, 0, 0, 4)))
    else:
        lines.append(Padding(Text("no service events yet", style="dim"), (0, 0, 0, 4)))
    return Group(*lines)


def _queues_table(queues: list[QueueStatus]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    table.add_column("Queues", overflow="fold", ratio=1)
    table.add_column("waiting", justify="right", no_wrap=True)
    table.add_column("in flight", justify="right", no_wrap=True)
    table.add_column("dead letters", justify="right", no_wrap=True)
    for queue in queues:
        dead = "-" if queue.dlq_messages is None else str(queue.dlq_messages)
        table.add_row(
            f"  {queue.name}",
            str(queue.messages),
            str(queue.in_flight),
            Text(dead, style="bold red" if queue.dlq_messages else ""),
        )
    return table


def resources_listing(resources: list[LiveResource]) -> Group:
    """Every resource we own, by layer and kind: its logical id, physical id and (when different) AWS name.

    Two columns that wrap within themselves rather than cut: a table of five columns cannot show ARNs at 80.
    """
    parts: list[Any] = []
    by_layer: dict[str, dict[str, list[LiveResource]]] = {}
    for r in resources:
        by_layer.setdefault(r.layer, {}).setdefault(r.kind, []).append(r)
    for layer, kinds in by_layer.items():
        count = sum(len(rs) for rs in kinds.values())
        parts.append(Text.assemble(("\n" if parts else "") + layer, (f" ({count})", "dim"), style="bold"))
        for kind, rs in kinds.items():
            parts.append(Padding(Text(kind, style="cyan"), (0, 0, 0, 2)))
            grid = Table.grid(padding=(0, 2))
            grid.add_column(overflow="fold")
            grid.add_column(overflow="fold")
            for r in rs:
                where = Text(r.physical_id)
                if r.name and r.name != r.id and r.name not in r.physical_id:
                    where.append(f" ({r.name})", style="dim")
                grid.add_row(r.id, where)
            parts.append(Padding(grid, (0, 0, 0, 4)))
    return Group(*parts)


def _short(key: str, value: str) -> str:
    """The cluster by its name (its ARN is in the JSON); other values whole, folded when long."""
    return value.rsplit("/", 1)[-1] if key == "cluster" else value


def _age(at: datetime | None, now: datetime) -> str:
    """How long ago, in the largest unit that fits: 45s, 12m, 3h, 2d."""
    if at is None:
        return "?"
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    seconds = max(0, int((now - at).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
