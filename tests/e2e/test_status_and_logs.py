"""`status` and `logs` through the real CLI on the emulator, after the seed platform is applied.

status: a summary a person reads at 80 columns (services with their tasks and rollout, queue depths,
alarms going off), `--all` for every resource, and JSON whose keys are snake_case and always the same.
logs: a service's container lines with their task ids, limited by `--since` and `--filter`, followed with
`--follow`, as JSON lines with `-o json`; bad input is one clear error.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.helpers import applied_seed, client

PREFIX = "microservices-dev"
LOG_GROUP = "/aws/ecs/microservices/dev/order"
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def _keys(value: object) -> set[str]:
    """Every key at every depth of a JSON document (values of `outputs` included, not their contents)."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_status_is_a_summary_that_fits_80_columns_with_queue_depths_and_alarms(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    sqs, cloudwatch = client(endpoint, "sqs"), client(endpoint, "cloudwatch")
    payment = sqs.get_queue_url(QueueName=f"{PREFIX}-payment")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=payment, MessageBody=f"order {n}")
    sqs.receive_message(QueueUrl=payment, MaxNumberOfMessages=1)  # one in flight, two waiting
    dead = sqs.get_queue_url(QueueName=f"{PREFIX}-user-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dead, MessageBody="poison")
    cloudwatch.set_alarm_state(
        AlarmName=f"{PREFIX}-user-dlq-depth", StateValue="ALARM", StateReason="Threshold Crossed: 1 datapoint"
    )
    # Someone else's alarm in ALARM under our prefix, without our tags: never shown.
    cloudwatch.put_metric_alarm(
        AlarmName=f"{PREFIX}-handmade", MetricName="CPUUtilization", Namespace="AWS/ECS", Statistic="Average",
        Period=60, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    cloudwatch.set_alarm_state(AlarmName=f"{PREFIX}-handmade", StateValue="ALARM", StateReason="not ours")

    document = json.loads(cli("status", "--env", "dev", "-o", "json").out)
    ids = {r["id"] for r in document["resources"]}
    monkeypatch.setenv("COLUMNS", "80")
    summary = cli("status", "--env", "dev")
    assert summary.code == 0, summary.err
    lines = [line.rstrip() for line in summary.out.splitlines()]  # cells are padded to their column's width
    assert max(len(line) for line in summary.out.splitlines()) <= 80, summary.out
    text = "\n".join(lines)
    assert f"microservices / dev: {len(ids)} resources" in text
    assert re.search(r"^  api url +https://\S+\.execute-api\.us-east-1\.amazonaws\.com$", text, re.M)
    assert re.search(r"^  cluster +microservices-dev$", text, re.M)
    # Every service, with its tasks and the state of its last deployment (the emulator's rollouts are instant).
    for name, desired in (("order", 2), ("payment", 1), ("user", 1)):
        assert re.search(rf"^  {name} +{desired}/{desired} running, 0 pending  rollout COMPLETED$", text, re.M)
    # Queue depths: waiting, in flight, and what sits in the dead-letter queue.
    assert re.search(rf"^  {PREFIX}-payment +2 +1 +0$", text, re.M), text
    assert re.search(rf"^  {PREFIX}-user +0 +0 +1$", text, re.M), text
    assert "Alarms in ALARM (1)" in text and f"✗ {PREFIX}-user-dlq-depth" in text
    assert "Threshold Crossed: 1 datapoint" in text and "handmade" not in text
    # The summary does not list every resource; --all does, each one's logical id, at 80 columns too.
    assert "sg.service.payment.ingress.order" in ids and "sg.service.payment.ingress.order" not in text
    every = cli("status", "--env", "dev", "--all")
    assert every.code == 0 and max(len(line) for line in every.out.splitlines()) <= 80
    assert [rid for rid in sorted(ids) if f"\n    {rid}  " not in every.out] == []

    assert list(document) == ["platform", "env", "outputs", "services", "queues", "alarms", "resources"]
    assert all(SNAKE.match(key) for key in _keys(document)), sorted(_keys(document))
    assert list(document["outputs"]) == [
        "api_url", "api_custom_domain", "api_domain_dns_target", "load_balancer_dns", "vpc", "cluster",
        "namespace", "kms_key", "event_bus",
    ]  # fmt: skip
    assert document["outputs"]["api_custom_domain"] is None  # the seed has none: the key is still there
    [order] = [s for s in document["services"] if s["service"] == "order"]
    assert (order["desired"], order["running"], order["pending"], order["rollout"]) == (2, 2, 0, "COMPLETED")
    assert order["events"] == []  # moto records no service events (see tests/unit/test_status_and_logs.py)
    queues = {q["service"]: q for q in document["queues"]}
    assert (queues["payment"]["messages"], queues["payment"]["in_flight"], queues["payment"]["depth"]) == (2, 1, 3)
    assert (queues["user"]["dlq"], queues["user"]["dlq_messages"]) == (f"{PREFIX}-user-dlq", 1)
    assert [a["name"] for a in document["alarms"]] == [f"{PREFIX}-user-dlq-depth"]
    assert document["alarms"][0]["since"].endswith("Z")


def _write(logs: object, task: str, events: list[tuple[int, str]]) -> None:
    stream = f"order/order/{task}"
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)  # type: ignore[attr-defined]
    logs.put_log_events(  # type: ignore[attr-defined]
        logGroupName=LOG_GROUP, logStreamName=stream, logEvents=[{"timestamp": t, "message": m} for t, m in events]
    )


def test_logs_show_a_services_lines_with_task_ids_since_a_time_filtered_followed_and_as_json(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    logs = client(endpoint, "logs")
    now = int(time.time() * 1000)
    first, second = "3f2a9c0e5b7d4e1fa0c2b4d6e8f01234", "9e8d7c6b5a4f43e2d1c0b9a8f7e6d5c4"
    _write(logs, first, [(now - 2 * 3600_000, "started long ago"), (now - 50 * 60_000, "GET /orders 200")])
    _write(logs, second, [(now - 20 * 60_000, 'ERROR payment "p-1" timed out'), (now - 5 * 60_000, "GET /orders 201")])

    shown = cli("logs", "order", "--env", "dev", "--since", "1h")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    # Newest last, each with its time and its task id; the line from two hours ago is left out.
    assert [line.split("  ", 2)[1:] for line in lines] == [
        [first, "GET /orders 200"],
        [second, 'ERROR payment "p-1" timed out'],
        [second, "GET /orders 201"],
    ]
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  ", line) for line in lines)
    assert "started long ago" in cli("logs", "order", "--env", "dev", "--since", "3h").out
    assert cli("logs", "order", "--env", "dev", "--since", "10m").out.splitlines()[0].endswith("GET /orders 201")

    filtered = cli("logs", "order", "--env", "dev", "--since", "1h", "--filter", "GET")
    assert [line.rsplit("  ", 1)[1] for line in filtered.out.splitlines()] == ["GET /orders 200", "GET /orders 201"]
    quoted = cli("logs", "order", "--env", "dev", "--since", "1h", "--filter", '"p-1"')
    assert [line.rsplit("  ", 1)[1] for line in quoted.out.splitlines()] == ['ERROR payment "p-1" timed out']

    as_json = cli("logs", "order", "--env", "dev", "--since", "1h", "-o", "json")
    records = [json.loads(line) for line in as_json.out.splitlines()]
    assert [r["message"] for r in records] == ["GET /orders 200", 'ERROR payment "p-1" timed out', "GET /orders 201"]
    assert set(records[0]) == {"timestamp", "task_id", "stream", "message", "event_id"}
    assert (records[0]["task_id"], records[0]["stream"]) == (first, f"order/order/{first}")

    # --follow prints what is already there, then what arrives while it runs.
    late = threading.Timer(1.0, _write, (logs, "a1b2c3d4", [(int(time.time() * 1000), "arrived while following")]))
    late.start()
    followed = cli("logs", "order", "--env", "dev", "--since", "30m", "--follow", "--follow-for", "4")
    late.join()
    assert followed.code == 0, followed.err
    assert [line.split("  ", 2)[2] for line in followed.out.splitlines()] == [
        'ERROR payment "p-1" timed out',
        "GET /orders 201",
        "arrived while following",
    ]

    unknown = cli("logs", "orders", "--env", "dev")
    assert unknown.code == 1 and "no service 'orders'" in unknown.err and "order, payment, user" in unknown.err
    bad_since = cli("logs", "order", "--env", "dev", "--since", "ten minutes")
    assert bad_since.code == 1 and "--since" in bad_since.err and "Traceback" not in bad_since.err
