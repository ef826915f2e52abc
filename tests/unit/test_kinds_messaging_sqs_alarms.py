"""SQS queues, queue policies and CloudWatch alarms against moto: create → read equals desired → update →
delete → gone, owned only by tags.

Beyond the lifecycle: redrive really moves a message to the dead-letter queue, queue depth is reported as
facts, a name AWS still blocks after a delete (`QueueDeletedRecently`, simulated) is retried, look-alikes
stay invisible and survive our deletes, and a read costs a small, known number of calls.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from platformctl.engine.model import LiveResource, Ref, Resource
from platformctl.errors import AwsCallError
from platformctl.naming import ownership_tags
from platformctl.resources.base import Context, ResourceKind
from platformctl.resources.cloudwatch_alarm import MetricAlarm
from platformctl.resources.policy import normalize_policy
from platformctl.resources.sqs_queue import OwnedQueue, SqsQueue, our_queues
from platformctl.resources.sqs_queue_policy import SqsQueuePolicy
from tests.unit import kind_harness
from tests.unit.kind_harness import (
    ENV,
    PLATFORM,
    KindDriver,
    client_error,
    moto_context,
    other_env_tags,
    read_calls,
    read_calls_by_action,
    read_one,
    update_as_planned,
    updated,
)

LAYER = "messaging"
DLQ_RETENTION = 14 * 24 * 3600


# ---- helpers ---------------------------------------------------------------------------------------------
empty_index = kind_harness.empty_index  # the fixture


def queue_resource(
    service: str, *, dlq: bool = False, redrive_from: str | None = None, kms: Any = None, max_receives: int = 3
) -> Resource:
    logical_id = f"queue.{service}.dlq" if dlq else f"queue.{service}"
    name = f"{PLATFORM}-{ENV}-{service}" + ("-dlq" if dlq else "")
    redrive = {"dead_letter": Ref(redrive_from, "Arn"), "max_receives": max_receives} if redrive_from else None
    props = {
        "name": name,
        "visibility_timeout": 30,
        "retention_seconds": DLQ_RETENTION if dlq else 4 * 24 * 3600,
        "kms_key": kms,
        "redrive": redrive,
    }
    return Resource("sqs.queue", logical_id, LAYER, name, props)


def queue_pair(driver: KindDriver, service: str = "orders", **kwargs: Any) -> tuple[Resource, Resource]:
    """A service queue redriving into its dead-letter queue (through a Ref to the DLQ's Arn), both created."""
    dlq = queue_resource(service, dlq=True)
    queue = queue_resource(service, redrive_from=dlq.id, **kwargs)
    driver.create(SqsQueue(), dlq)
    driver.create(SqsQueue(), queue)
    return queue, dlq


def kms_key_arn(ctx: Context) -> str:
    return ctx.client("kms").create_key(Description="queues")["KeyMetadata"]["Arn"]


def raw_queue(ctx: Context, name: str, tags: dict[str, str] | None = None) -> str:
    return ctx.client("sqs").create_queue(QueueName=name, tags=tags or {})["QueueUrl"]


def queue_names(ctx: Context) -> set[str]:
    return {url.rsplit("/", 1)[-1] for url in ctx.client("sqs").list_queues().get("QueueUrls", [])}


def read_one_of(driver: KindDriver, kind: ResourceKind, resource: Resource) -> LiveResource:
    """`resource` reads back as desired (other resources of the kind may exist)."""
    live = driver.read(kind)[resource.id]
    assert live.props == kind.canonical(driver.resolved(resource))
    return live


def our_queue(ctx: Context, logical_id: str) -> OwnedQueue:
    ctx.clear_cache()
    return next(q for q in our_queues(ctx) if q.logical_id == logical_id)


# ---- sqs.queue --------------------------------------------------------------------------------------------
def test_queue_lifecycle_with_dead_letter_redrive_and_look_alikes() -> None:
    with moto_context() as ctx:
        kind, driver = SqsQueue(), KindDriver(ctx)
        kms_arn = kms_key_arn(ctx)
        driver.outputs["kms"] = {"Arn": kms_arn}
        raw_queue(ctx, f"{PLATFORM}-{ENV}-handmade")
        raw_queue(ctx, f"{PLATFORM}-{ENV}-orders-copy", other_env_tags("queue.orders", LAYER))
        raw_queue(ctx, f"{PLATFORM}-prod-orders", other_env_tags("queue.orders", LAYER))

        queue, dlq = queue_pair(driver, kms=Ref("kms", "Arn"))
        attrs = driver.outputs[queue.id]
        assert set(attrs) == {"QueueUrl", "Arn", "Name"}
        assert attrs["Name"] == f"{PLATFORM}-{ENV}-orders"
        assert attrs["Arn"].endswith(f":{PLATFORM}-{ENV}-orders")

        found = driver.read(kind)
        assert sorted(found) == [queue.id, dlq.id]
        for resource in (queue, dlq):
            live = found[resource.id]
            assert live.layer == LAYER
            assert live.props == kind.canonical(driver.resolved(resource))
            assert live.attrs == driver.outputs[resource.id]
            assert live.physical_id == live.attrs["QueueUrl"]
        assert found[queue.id].props["redrive"] == {"dead_letter": driver.outputs[dlq.id]["Arn"], "max_receives": 3}
        assert found[queue.id].props["kms_key"] == kms_arn

        # Every updatable field, one at a time, including removing and restoring redrive and encryption.
        updated(driver, kind, queue, visibility_timeout=90)
        updated(driver, kind, queue, retention_seconds=7 * 24 * 3600)
        live = updated(driver, kind, queue, kms_key=None)
        assert "KmsMasterKeyId" not in our_queue(ctx, queue.id).attributes
        live = updated(driver, kind, queue, kms_key=Ref("kms", "Arn"))
        assert live.props["kms_key"] == kms_arn
        live = updated(driver, kind, queue, redrive={"dead_letter": Ref(dlq.id, "Arn"), "max_receives": 5})
        assert live.props["redrive"]["max_receives"] == 5
        live = updated(driver, kind, queue, redrive=None)
        assert live.props["redrive"] is None
        assert "RedrivePolicy" not in our_queue(ctx, queue.id).attributes
        live = updated(driver, kind, queue, redrive={"dead_letter": Ref(dlq.id, "Arn"), "max_receives": 2})
        read_one_of(driver, kind, queue)

        # Nothing changed: no write at all.
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, queue, live, driver.resolved(queue))
        assert ctx.aws.counter.writes == writes

        kind.delete(ctx, live)
        assert list(driver.read(kind)) == [dlq.id]
        kind.delete(ctx, live)  # already gone: fine
        kind.delete(ctx, driver.read(kind)[dlq.id])
        assert driver.read(kind) == {}
        assert queue_names(ctx) == {
            f"{PLATFORM}-{ENV}-handmade",
            f"{PLATFORM}-{ENV}-orders-copy",
            f"{PLATFORM}-prod-orders",
        }


def test_queue_without_encryption_or_redrive_reads_back_none() -> None:
    with moto_context() as ctx:
        kind, driver = SqsQueue(), KindDriver(ctx)
        resource = queue_resource("billing", dlq=True)
        driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        assert live.props["kms_key"] is None
        assert live.props["redrive"] is None


def test_redrive_moves_a_message_received_max_receives_times_to_the_dead_letter_queue() -> None:
    with moto_context() as ctx:
        driver = KindDriver(ctx)
        queue, dlq = queue_pair(driver, max_receives=2)
        sqs = ctx.client("sqs")
        url, dlq_url = driver.outputs[queue.id]["QueueUrl"], driver.outputs[dlq.id]["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="order-created")
        for _ in range(2):  # received, never deleted: a consumer failing on it
            messages = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", [])
            assert [m["Body"] for m in messages] == ["order-created"]
        assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", []) == []
        dead = sqs.receive_message(QueueUrl=dlq_url).get("Messages", [])
        assert [m["Body"] for m in dead] == ["order-created"]


def test_facts_report_waiting_and_in_flight_messages() -> None:
    with moto_context() as ctx:
        kind, driver = SqsQueue(), KindDriver(ctx)
        queue, dlq = queue_pair(driver)
        sqs = ctx.client("sqs")
        url = driver.outputs[queue.id]["QueueUrl"]
        for i in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=300)
        found = driver.read(kind)
        assert found[queue.id].facts == {"messages": 2, "in_flight": 1}
        assert found[dlq.id].facts == {"messages": 0, "in_flight": 0}


def test_create_retries_while_aws_blocks_a_recently_deleted_name() -> None:
    with moto_context() as ctx:
        kind, driver = SqsQueue(), KindDriver(ctx)
        sqs = ctx.client("sqs")
        real_create = sqs.create_queue
        attempts: list[str] = []

        def blocked_twice(**kwargs: Any) -> Any:
            attempts.append(kwargs["QueueName"])
            if len(attempts) == 1:
                raise client_error("AWS.SimpleQueueService.QueueDeletedRecently", "CreateQueue")
            if len(attempts) == 2:
                raise client_error("QueueDeletedRecently", "CreateQueue")
            return real_create(**kwargs)

        sqs.create_queue = blocked_twice
        resource = queue_resource("orders", dlq=True)
        attrs = driver.create(kind, resource)
        assert attempts == [resource.name] * 3
        assert attrs["Name"] == resource.name
        read_one(driver, kind, resource)


def test_create_does_not_retry_other_errors() -> None:
    with moto_context() as ctx:
        sqs = ctx.client("sqs")
        attempts: list[int] = []

        def fails(**kwargs: Any) -> Any:
            attempts.append(1)
            raise client_error("InvalidAttributeValue", "CreateQueue")

        sqs.create_queue = fails
        with pytest.raises(ClientError):
            SqsQueue().create(ctx, queue_resource("orders"), queue_resource("orders").props)
        assert attempts == [1]


def test_create_refuses_a_foreign_queue_of_the_same_name() -> None:
    with moto_context() as ctx:
        resource = queue_resource("orders", dlq=True)
        # Same name and attributes: CreateQueue would answer with the existing queue's URL.
        ctx.client("sqs").create_queue(
            QueueName=resource.name,
            Attributes={"VisibilityTimeout": "30", "MessageRetentionPeriod": str(DLQ_RETENTION)},
        )
        with pytest.raises(AwsCallError, match="not ours"):
            SqsQueue().create(ctx, resource, resource.props)
        assert ctx.client("sqs").list_queue_tags(QueueUrl=raw_queue(ctx, resource.name)).get("Tags", {}) == {}


def test_queue_read_is_one_listing_the_index_and_attributes_of_ours() -> None:
    with moto_context() as ctx:
        kind, driver = SqsQueue(), KindDriver(ctx)
        queue_pair(driver, "orders")
        driver.create(kind, queue_resource("billing", dlq=True))
        raw_queue(ctx, f"{PLATFORM}-{ENV}-untagged")
        raw_queue(ctx, f"{PLATFORM}-{ENV}-other", other_env_tags("queue.other", LAYER))
        for i in range(5):
            raw_queue(ctx, f"unrelated-{i}")
        found, calls = read_calls_by_action(ctx, kind)
        assert len(found) == 3
        assert calls == {
            ("sqs", "ListQueues"): 1,
            ("resourcegroupstaggingapi", "GetResources"): 1,
            # The untagged and the other env's look-alikes are not in our index: their tags are asked of SQS.
            ("sqs", "ListQueueTags"): 2,
            ("sqs", "GetQueueAttributes"): 3,  # ours only
        }


def test_queue_the_index_does_not_know_yet_is_read_through_its_own_tags(empty_index: None) -> None:
    with moto_context() as ctx:
        kind, driver = SqsQueue(), KindDriver(ctx)
        raw_queue(ctx, f"{PLATFORM}-{ENV}-handmade")
        raw_queue(ctx, f"{PLATFORM}-{ENV}-other", other_env_tags("queue.orders", LAYER))
        queue, dlq = queue_pair(driver)
        found, calls = read_calls_by_action(ctx, kind)
        assert sorted(live.id for live in found) == [queue.id, dlq.id]
        for live in found:
            assert live.attrs == driver.outputs[live.id]
            assert live.props == kind.canonical(driver.resolved(queue if live.id == queue.id else dlq))
        assert calls[("sqs", "ListQueueTags")] == 4
        assert calls[("sqs", "GetQueueAttributes")] == 2


def test_queue_arn_is_built_from_the_url() -> None:
    from platformctl.resources.sqs_queue import queue_arn

    with moto_context(region="eu-west-1") as ctx:
        url = raw_queue(ctx, f"{PLATFORM}-{ENV}-orders")
        real = ctx.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        assert queue_arn(ctx, url) == real["Attributes"]["QueueArn"]
        assert queue_arn(ctx, "https://sqs.eu-west-1.amazonaws.com/111122223333/q/") == (
            "arn:aws:sqs:eu-west-1:111122223333:q"
        )
    with moto_context(region="cn-north-1") as ctx:
        assert queue_arn(ctx, "https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q") == (
            "arn:aws-cn:sqs:cn-north-1:111122223333:q"
        )


def test_queue_listed_but_deleted_since_is_skipped() -> None:
    with moto_context() as ctx:
        kind, driver = SqsQueue(), KindDriver(ctx)
        resource = queue_resource("orders", dlq=True)
        driver.create(kind, resource)
        sqs = ctx.client("sqs")
        real_list = sqs.list_queues

        def lagging_list(**kwargs: Any) -> Any:
            page = real_list(**kwargs)
            page["QueueUrls"] = [*page.get("QueueUrls", []), page["QueueUrls"][0] + "-deleted"]
            return page

        sqs.list_queues = lagging_list
        ctx.clear_cache()
        assert [live.id for live in kind.read(ctx)] == [resource.id]


def test_queue_of_ours_deleted_before_its_attributes_were_read_is_skipped() -> None:
    with moto_context() as ctx:
        kind, driver = SqsQueue(), KindDriver(ctx)
        queue, dlq = queue_pair(driver)
        sqs = ctx.client("sqs")
        real_attributes = sqs.get_queue_attributes
        gone = driver.outputs[dlq.id]["QueueUrl"]

        def deleted_meanwhile(**kwargs: Any) -> Any:
            if kwargs["QueueUrl"] == gone:
                raise client_error("AWS.SimpleQueueService.NonExistentQueue", "GetQueueAttributes")
            return real_attributes(**kwargs)

        sqs.get_queue_attributes = deleted_meanwhile
        ctx.clear_cache()
        assert [live.id for live in kind.read(ctx)] == [queue.id]


# ---- sqs.queue_policy -------------------------------------------------------------------------------------
TOPIC_A = f"arn:aws:sns:us-east-1:123456789012:{PLATFORM}-{ENV}-a-events"
TOPIC_B = f"arn:aws:sns:us-east-1:123456789012:{PLATFORM}-{ENV}-b-events"
RULE = f"arn:aws:events:us-east-1:123456789012:rule/{PLATFORM}-{ENV}/{PLATFORM}-{ENV}-orders-paid"


def policy_document(queue: str, topics: list[Any], rules: list[Any]) -> dict[str, Any]:
    statements = [
        {
            "Sid": "FromSubscribedTopics",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": Ref(queue, "Arn"),
            "Condition": {"ArnEquals": {"aws:SourceArn": topics}},
        }
    ]
    if rules:
        statements.append({**statements[0], "Sid": "FromEventRules", "Principal": {"Service": "events.amazonaws.com"}})
        statements[1]["Condition"] = {"ArnEquals": {"aws:SourceArn": rules}}
    return {"Version": "2012-10-17", "Statement": statements}


def policy_resource(queue: Resource, topics: list[Any], rules: list[Any] | None = None) -> Resource:
    return Resource(
        "sqs.queue_policy",
        f"{queue.id}/policy",
        queue.layer,
        f"{queue.name} policy",
        {"queue": Ref(queue.id, "QueueUrl"), "policy": policy_document(queue.id, topics, rules or [])},
    )


def test_queue_policy_lifecycle_through_its_queue() -> None:
    with moto_context() as ctx:
        kind, driver = SqsQueuePolicy(), KindDriver(ctx)
        driver.outputs.update({"topic.a": {"TopicArn": TOPIC_A}, "topic.b": {"TopicArn": TOPIC_B}})
        queue, dlq = queue_pair(driver)
        assert driver.read(kind) == {}  # queues without a Policy attribute have no policy resource

        # The ARNs resolve in an order that is only known after resolution (b before a here).
        resource = policy_resource(queue, [Ref("topic.b", "TopicArn"), Ref("topic.a", "TopicArn")])
        attrs = driver.create(kind, resource)
        assert attrs == {"QueueUrl": driver.outputs[queue.id]["QueueUrl"]}
        live = read_one(driver, kind, resource)
        assert live.attrs == attrs
        assert live.physical_id == attrs["QueueUrl"]
        assert live.props["queue"] == attrs["QueueUrl"]
        assert live.props["policy"]["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] == [TOPIC_A, TOPIC_B]
        assert live.props["policy"]["Statement"][0]["Resource"] == driver.outputs[queue.id]["Arn"]

        live = updated(driver, kind, resource, policy=policy_document(queue.id, [Ref("topic.a", "TopicArn")], [RULE]))
        assert [s["Sid"] for s in live.props["policy"]["Statement"]] == ["FromSubscribedTopics", "FromEventRules"]
        read_one(driver, kind, resource)

        # Setting the policy leaves the queue's own settings alone.
        read_one_of(driver, SqsQueue(), queue)

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        assert sorted(driver.read(SqsQueue())) == [queue.id, dlq.id]
        kind.delete(ctx, live)  # no policy any more: fine
        SqsQueue().delete(ctx, driver.read(SqsQueue())[queue.id])
        kind.delete(ctx, live)  # queue gone: fine


def test_queue_policy_written_in_another_order_reads_equal_after_canonical() -> None:
    with moto_context() as ctx:
        kind, driver = SqsQueuePolicy(), KindDriver(ctx)
        driver.outputs.update({"topic.a": {"TopicArn": TOPIC_A}, "topic.b": {"TopicArn": TOPIC_B}})
        queue, _ = queue_pair(driver)
        resource = policy_resource(queue, [Ref("topic.a", "TopicArn"), Ref("topic.b", "TopicArn")])
        desired = driver.resolved(resource)
        statement = desired["policy"]["Statement"][0]
        # Same policy, spelled differently: keys reversed, lists reordered, a one-item list for Action.
        respelled = {
            "Statement": [
                {
                    **{k: statement[k] for k in reversed(list(statement))},
                    "Action": ["sqs:SendMessage"],
                    "Condition": {"ArnEquals": {"aws:SourceArn": [TOPIC_B, TOPIC_A, TOPIC_B]}},
                }
            ],
            "Version": "2012-10-17",
        }
        ctx.client("sqs").set_queue_attributes(QueueUrl=desired["queue"], Attributes={"Policy": json.dumps(respelled)})
        live = driver.read(kind)[resource.id]
        assert kind.canonical(live.props) == kind.canonical(desired)
        assert kind.canonical(desired)["policy"] == normalize_policy(respelled)

        # Nothing to change: update writes nothing.
        writes = ctx.aws.counter.writes
        update_as_planned(kind, ctx, resource, live, kind.canonical(desired))
        assert ctx.aws.counter.writes == writes


def test_queue_policy_canonical_leaves_unknown_policies_alone() -> None:
    from platformctl.engine.model import UNKNOWN

    kind = SqsQueuePolicy()
    assert kind.canonical({"queue": UNKNOWN, "policy": UNKNOWN}) == {"queue": UNKNOWN, "policy": UNKNOWN}
    assert kind.canonical({"queue": "u", "policy": {"Statement": {"Action": ["a"]}}}) == {
        "queue": "u",
        "policy": {"Statement": [{"Action": "a"}]},
    }


def test_queue_policy_of_a_look_alike_queue_is_invisible_and_survives() -> None:
    with moto_context() as ctx:
        kind, driver = SqsQueuePolicy(), KindDriver(ctx)
        policy = json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*"}]}
        )
        untagged = raw_queue(ctx, f"{PLATFORM}-{ENV}-handmade")
        other_env = raw_queue(ctx, f"{PLATFORM}-{ENV}-other", other_env_tags("queue.orders", LAYER))
        sqs = ctx.client("sqs")
        for url in (untagged, other_env):
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        driver.outputs.update({"topic.a": {"TopicArn": TOPIC_A}})
        queue, _ = queue_pair(driver)
        resource = policy_resource(queue, [Ref("topic.a", "TopicArn")])
        driver.create(kind, resource)
        live = read_one(driver, kind, resource)
        kind.delete(ctx, live)
        for url in (untagged, other_env):
            assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"] == policy


def test_queue_and_policy_kinds_share_one_listing() -> None:
    with moto_context() as ctx:
        queues, policies, driver = SqsQueue(), SqsQueuePolicy(), KindDriver(ctx)
        driver.outputs.update({"topic.a": {"TopicArn": TOPIC_A}})
        for service in ("orders", "billing"):
            queue, _ = queue_pair(driver, service)
            driver.create(policies, policy_resource(queue, [Ref("topic.a", "TopicArn")]))
        before = dict(ctx.aws.counter.calls)
        found, calls = read_calls(ctx, queues, policies)
        assert sorted(live.id for live in found if live.kind == "sqs.queue_policy") == [
            "queue.billing/policy",
            "queue.orders/policy",
        ]
        assert all(live.layer == LAYER for live in found)
        assert len(found) == 4 + 2
        assert calls == 1 + 1 + 4  # listing, index, attributes of each queue: the policy kind makes no call of its own
        after = ctx.aws.counter.calls
        assert after[("sqs", "ListQueues")] - before.get(("sqs", "ListQueues"), 0) == 1
        assert after[("sqs", "GetQueueAttributes")] - before.get(("sqs", "GetQueueAttributes"), 0) == 4


# ---- cloudwatch.alarm -------------------------------------------------------------------------------------
def alarm_resource(service: str = "orders") -> Resource:
    name = f"{PLATFORM}-{ENV}-{service}-dlq-depth"
    return Resource(
        "cloudwatch.alarm",
        f"alarm.{service}.dlq",
        LAYER,
        name,
        {
            "name": name,
            "description": f"{PLATFORM}-{ENV}: messages for {service} wait in its dead-letter queue",
            "namespace": "AWS/SQS",
            "metric": "ApproximateNumberOfMessagesVisible",
            "dimensions": {"QueueName": f"{PLATFORM}-{ENV}-{service}-dlq"},
            "statistic": "Maximum",
            "period": 60,
            "evaluation_periods": 1,
            "threshold": 1.0,
            "comparison": "GreaterThanOrEqualToThreshold",
            "treat_missing": "notBreaching",
            "alarm_actions": [],
            "ok_actions": [],
        },
    )


def raw_alarm(ctx: Context, name: str, tags: dict[str, str] | None = None) -> None:
    ctx.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )


def alarm_names(ctx: Context) -> set[str]:
    return {a["AlarmName"] for a in ctx.client("cloudwatch").describe_alarms()["MetricAlarms"]}


def test_alarm_lifecycle_and_look_alikes() -> None:
    with moto_context() as ctx:
        kind, driver = MetricAlarm(), KindDriver(ctx)
        raw_alarm(ctx, f"{PLATFORM}-{ENV}-handmade")
        raw_alarm(ctx, f"{PLATFORM}-{ENV}-orders-copy", other_env_tags("alarm.orders.dlq", LAYER))

        resource = alarm_resource()
        attrs = driver.create(kind, resource)
        assert attrs["AlarmName"] == resource.name
        assert attrs["AlarmArn"].endswith(f":alarm:{resource.name}")
        live = read_one(driver, kind, resource)
        assert live.attrs == attrs
        assert live.physical_id == attrs["AlarmArn"]

        for field, value in {
            "description": "changed",
            "namespace": "Custom/Shop",
            "metric": "ApproximateAgeOfOldestMessage",
            "dimensions": {"QueueName": "q", "Extra": "x"},
            "statistic": "Average",
            "period": 300,
            "evaluation_periods": 3,
            "threshold": 10.5,
            "comparison": "GreaterThanThreshold",
            "treat_missing": "breaching",
        }.items():
            live = updated(driver, kind, resource, **{field: value})
            assert live.props[field] == value
            read_one(driver, kind, resource)
        assert set(kind.updatable) == set(resource.props) - {"name"}

        # Overwriting the alarm keeps its tags: it is still ours.
        tags = ctx.client("cloudwatch").list_tags_for_resource(ResourceARN=attrs["AlarmArn"])["Tags"]
        assert {"Key": "platformctl:id", "Value": resource.id} in tags

        kind.delete(ctx, live)
        assert driver.read(kind) == {}
        kind.delete(ctx, live)  # already gone: fine
        assert alarm_names(ctx) == {f"{PLATFORM}-{ENV}-handmade", f"{PLATFORM}-{ENV}-orders-copy"}


def test_alarm_without_description_or_treat_missing_reads_aws_defaults() -> None:
    with moto_context() as ctx:
        name = f"{PLATFORM}-{ENV}-bare"
        raw_alarm(ctx, name, ownership_tags(PLATFORM, ENV, LAYER, "alarm.bare"))
        live = MetricAlarm().read(ctx)[0]
        assert live.props["description"] == ""
        assert live.props["treat_missing"] == "missing"
        assert live.props["dimensions"] == {}


def test_alarm_create_refuses_a_foreign_alarm_of_the_same_name() -> None:
    with moto_context() as ctx:
        resource = alarm_resource()
        raw_alarm(ctx, resource.name)
        with pytest.raises(AwsCallError, match="not ours"):
            MetricAlarm().create(ctx, resource, resource.props)
        alarm = ctx.client("cloudwatch").describe_alarms(AlarmNames=[resource.name])["MetricAlarms"][0]
        assert "AlarmDescription" not in alarm  # untouched


def test_alarm_read_is_one_listing_plus_the_index() -> None:
    with moto_context() as ctx:
        kind, driver = MetricAlarm(), KindDriver(ctx)
        for service in ("a", "b", "c"):
            driver.create(kind, alarm_resource(service))
        raw_alarm(ctx, f"{PLATFORM}-{ENV}-untagged")
        for i in range(4):
            raw_alarm(ctx, f"unrelated-{i}")
        found, calls = read_calls_by_action(ctx, kind)
        assert sorted(live.id for live in found) == ["alarm.a.dlq", "alarm.b.dlq", "alarm.c.dlq"]
        assert calls == {
            ("cloudwatch", "DescribeAlarms"): 1,
            ("resourcegroupstaggingapi", "GetResources"): 1,
            ("cloudwatch", "ListTagsForResource"): 1,  # the prefixed look-alike, which the index does not know
        }


def test_alarm_the_index_does_not_know_yet_is_read_through_its_own_tags(empty_index: None) -> None:
    with moto_context() as ctx:
        kind, driver = MetricAlarm(), KindDriver(ctx)
        raw_alarm(ctx, f"{PLATFORM}-{ENV}-handmade")
        raw_alarm(ctx, f"{PLATFORM}-{ENV}-orders-copy", other_env_tags("alarm.orders.dlq", LAYER))
        resource = alarm_resource()
        driver.create(kind, resource)
        before = ctx.aws.counter.calls[("cloudwatch", "ListTagsForResource")]
        live = read_one(driver, kind, resource)
        assert live.attrs == driver.outputs[resource.id]
        assert ctx.aws.counter.calls[("cloudwatch", "ListTagsForResource")] - before == 3
