"""The messaging layer: the event backbone the services' specs describe.

- one SNS topic per service that publishes (`<platform>-<env>-<service>-events`);
- one SQS queue, with its dead-letter queue and redrive, per service that receives anything (subscribes
  to another service's events, or has EventBridge rules). A service that receives nothing gets no queue:
  an empty queue would only be one more thing to secure and watch;
- one SNS → SQS subscription per `subscribes` entry, raw delivery, filtered on the `event_type`
  message attribute to exactly the listed events;
- a queue policy allowing `sqs:SendMessage` only from the topics (and rules) that feed the queue;
- the EventBridge bus `<platform>-<env>` and each service's `rules` targeting its queue;
- a CloudWatch alarm per dead-letter queue (depth ≥ 1), so failed messages are never silent.
"""

from __future__ import annotations

from typing import Any

from platformctl.engine.model import Ref, Resource
from platformctl.layers.alerts import alarm_actions
from platformctl.layers.context import BuildContext
from platformctl.naming import aws_name
from platformctl.specs import ServiceSpec

LAYER = "messaging"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum: failed messages wait as long as AWS allows
DLQ_VISIBILITY_TIMEOUT = 30
EVENT_ATTRIBUTE = "event_type"
BUS_ID = "bus"  # the logical id of the EventBridge bus, as `status` looks it up


def topic_id(service: str) -> str:
    return f"topic.{service}"


def topic_name(ctx: BuildContext, service: str) -> str:
    """The AWS name of a publishing service's topic: `<platform>-<env>-<service>-events`."""
    return aws_name("sns-topic", ctx.prefix, service, "events")


def topics_feeding_queues(ctx: BuildContext) -> list[str]:
    """Names of our topics that some service's queue subscribes to: SNS delivers from each to a queue."""
    return sorted({topic_name(ctx, sub.from_) for service in ctx.specs.services.values() for sub in service.subscribes})


def rules_feed_queues(ctx: BuildContext) -> bool:
    """Whether EventBridge delivers to any of our queues: some service has rules on the platform bus."""
    return ctx.specs.platform.messaging.event_bus and any(s.rules for s in ctx.specs.services.values())


def queue_id(service: str) -> str:
    return f"queue.{service}"


def dlq_id(service: str) -> str:
    return f"queue.{service}.dlq"


def receives_queue(ctx: BuildContext, service: ServiceSpec) -> bool:
    """Whether a service gets a queue: it subscribes to events, or has rules on the platform bus."""
    return bool(service.subscribes or (service.rules and ctx.specs.platform.messaging.event_bus))


def build(ctx: BuildContext) -> list[Resource]:
    spec = ctx.specs.platform
    services = ctx.specs.services
    kms_key = Ref("kms", "Arn") if spec.encryption.kms else None
    out: list[Resource] = []

    def add(kind: str, logical_id: str, name: str, props: dict[str, Any], depends_on: tuple[str, ...] = ()) -> None:
        out.append(Resource(kind, logical_id, LAYER, name, props, depends_on))

    for name, service in services.items():
        if service.publishes:
            topic = topic_name(ctx, name)
            tracing = spec.messaging.topic_tracing  # Active: SNS adds its own X-Ray segments
            add("sns.topic", topic_id(name), topic, {"name": topic, "kms_key": kms_key, "tracing": tracing})

    bus = None
    if spec.messaging.event_bus:
        bus_name = aws_name("event-bus", ctx.prefix)
        add("events.bus", BUS_ID, bus_name, {"name": bus_name})
        bus = Ref(BUS_ID, "Name")

    for name, service in services.items():
        if not receives_queue(ctx, service):
            continue
        rules = service.rules if bus is not None else []
        queue, dlq = queue_id(name), dlq_id(name)
        dlq_name = aws_name("sqs-queue", ctx.prefix, name, "dlq")
        queue_name = aws_name("sqs-queue", ctx.prefix, name)
        add(
            "sqs.queue",
            dlq,
            dlq_name,
            {
                "name": dlq_name,
                "visibility_timeout": DLQ_VISIBILITY_TIMEOUT,
                "retention_seconds": DLQ_RETENTION_SECONDS,
                "kms_key": kms_key,
                "redrive": None,
            },
        )
        add(
            "sqs.queue",
            queue,
            queue_name,
            {
                "name": queue_name,
                "visibility_timeout": service.queue.visibility_timeout,
                "retention_seconds": service.queue.retention_days * 24 * 3600,
                "kms_key": kms_key,
                "redrive": {"dead_letter": Ref(dlq, "Arn"), "max_receives": spec.messaging.dlq_max_receives},
            },
        )
        alarm_name = aws_name("alarm", ctx.prefix, name, "dlq-depth")
        add(
            "cloudwatch.alarm",
            f"alarm.{name}.dlq",
            alarm_name,
            {
                "name": alarm_name,
                "description": f"{ctx.prefix}: messages for {name} failed {spec.messaging.dlq_max_receives} "
                "times and wait in its dead-letter queue",
                "namespace": "AWS/SQS",
                "metric": "ApproximateNumberOfMessagesVisible",
                "dimensions": {"QueueName": dlq_name},
                "statistic": "Maximum",
                "period": 60,
                "evaluation_periods": 1,
                "threshold": 1.0,
                "comparison": "GreaterThanOrEqualToThreshold",
                "treat_missing": "notBreaching",
                **alarm_actions(),
            },
            depends_on=(dlq,),
        )

        rule_ids = [f"rule.{name}.{rule.name}" for rule in rules]
        add(
            "sqs.queue_policy",
            f"{queue}/policy",
            f"{queue_name} policy",
            {
                "queue": Ref(queue, "QueueUrl"),
                "policy": queue_policy(
                    ctx,
                    Ref(queue, "Arn"),
                    topics=[Ref(topic_id(sub.from_), "TopicArn") for sub in service.subscribes],
                    rules=[Ref(rule_id, "Arn") for rule_id in rule_ids],
                ),
            },
        )
        for sub in service.subscribes:
            add(
                "sns.subscription",
                f"{topic_id(sub.from_)}/{queue}",
                f"{sub.from_} → {name}",
                {
                    "topic": Ref(topic_id(sub.from_), "TopicArn"),
                    "queue": Ref(queue, "Arn"),
                    "raw_delivery": True,
                    "filter_policy": {EVENT_ATTRIBUTE: sorted(sub.events)},
                },
                # Deliveries before the queue policy allows them would be dropped.
                depends_on=(f"{queue}/policy",),
            )
        for rule, rule_id in zip(rules, rule_ids, strict=True):
            rule_name = aws_name("event-rule", ctx.prefix, name, rule.name)
            add(
                "events.rule",
                rule_id,
                rule_name,
                {
                    "name": rule_name,
                    "bus": bus,
                    "pattern": rule.pattern,
                    "state": "ENABLED",
                    "description": f"{ctx.prefix}: {rule.name} → {name} queue",
                },
            )
            add(
                "events.target",
                f"{rule_id}/target",
                f"{rule_name} → {queue_name}",
                {"rule": Ref(rule_id, "Name"), "bus": bus, "target_id": "queue", "arn": Ref(queue, "Arn")},
                depends_on=(f"{queue}/policy",),
            )
    return out


def queue_policy(ctx: BuildContext, queue_arn: Ref, *, topics: list[Ref], rules: list[Ref]) -> dict[str, Any]:
    """Only the topics this queue subscribes to (and its own rules) may send to it; nothing else."""
    statements: list[dict[str, Any]] = []
    for sid, principal, sources in (
        ("FromSubscribedTopics", ctx.service_principal("sns"), topics),
        ("FromEventRules", ctx.service_principal("events"), rules),
    ):
        if sources:
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"Service": principal},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": sources}},
                }
            )
    return {"Version": "2012-10-17", "Statement": statements}
