"""Plans a reviewer can judge (issue 13, items 7–9): what a create makes is shown, a dashboard change is
summarised by widget, `show` prints the desired resources without AWS, and destroy speaks of destroying."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.helpers import Cli, applied_seed, copy_seed_specs, pending

pytestmark = pytest.mark.e2e

SEARCH = """\
service: search
image: public.ecr.aws/nginx/nginx:1.27
routes: ["ANY /search/{proxy+}"]
publishes: [search_done]
subscribes:
  - {from: order, events: [order_created]}
queue: {visibilityTimeout: 45}
"""


def test_adding_a_service_shows_what_is_created_and_the_dashboard_by_widget(endpoint, tmp_path, capsys) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    (cli.specs / "services" / "search.yaml").write_text(SEARCH)

    text = cli("diff", "--env", "dev")
    assert text.code == 2, text.err
    role = _step_block(text.out, "iam.role role.search.task")
    # The policy, one line per statement: what is live already is resolved, what is created is named.
    assert re.search(r"^\s+Allow kms:Decrypt, kms:GenerateDataKey on arn:aws:kms:us-east-1:\d{12}:key/\S+ ", role, re.M)
    assert "Allow sns:Publish on ${topic.search.TopicArn} (PublishOwnEvents)" in role
    queue = _step_block(text.out, "sqs.queue queue.search ")
    assert "visibility_timeout: 45" in queue and "redrive.max_receives: 5" in queue
    # The dashboard: the new service's widgets, by title, and no index-shifted path.
    assert (
        "body.widgets: +3 widgets (search: CPU and memory %, search: events delivered and failed, "
        "search: queue depth and age (s))" in text.out
    )
    assert "widgets[" not in text.out

    steps = {s["id"]: s for s in pending(cli)}
    props = steps["role.search.task"]["props"]
    statements = props["policies"]["messaging"]["Statement"]
    assert {"Sid": "PublishOwnEvents", "Effect": "Allow", "Action": "sns:Publish",
            "Resource": "${topic.search.TopicArn}"} in statements  # fmt: skip
    assert steps["queue.search"]["props"]["visibility_timeout"] == 45
    assert steps["taskdef.search"]["props"]["container"]["image"] == "public.ecr.aws/nginx/nginx:1.27"
    dashboard = steps["ecs.cluster/dashboard"]
    assert dashboard["action"] == "update" and dashboard["props"] is None
    assert sorted(c["path"] for c in dashboard["changes"]) == [
        "body.widgets[search: CPU and memory %]",
        "body.widgets[search: events delivered and failed]",
        "body.widgets[search: queue depth and age (s)]",
    ]
    assert all(c["old"] is None and c["new"]["properties"]["title"] in c["path"] for c in dashboard["changes"])

    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert pending(cli) == []


def test_show_prints_the_desired_resources_without_any_aws_call(tmp_path, capsys) -> None:
    # An endpoint nothing listens on: any AWS call would fail the command.
    cli = Cli("http://127.0.0.1:9", copy_seed_specs(tmp_path), capsys)

    shown = cli("show", "--env", "dev", "role.order.task", "queue.order")
    assert shown.code == 0, shown.err
    assert "iam.role role.order.task" in shown.out and "sqs.queue queue.order" in shown.out
    assert "Allow sns:Publish on ${topic.order.TopicArn} (PublishOwnEvents)" in shown.out
    assert "visibility_timeout: 60" in shown.out
    assert "taskdef.order" not in shown.out  # only what was named

    as_json = json.loads(cli("show", "--env", "dev", "-o", "json", "taskdef.order").out)
    [taskdef] = as_json["resources"]
    assert taskdef["props"]["task_role"] == "${role.order.task.Arn}"
    assert taskdef["props"]["container"]["secrets"]["DB_URL"].startswith("arn:aws:ssm:us-east-1:<account-id>:")

    everything = json.loads(cli("show", "--env", "dev", "-o", "json").out)["resources"]
    assert len(everything) == 97

    unknown = cli("show", "--env", "dev", "role.ordr.task")
    assert unknown.code == 1
    assert "no resource 'role.ordr.task' in dev (did you mean role.order.task" in unknown.err
    assert "Traceback" not in unknown.err


def test_destroy_says_destroying_gives_no_reason_and_closes_with_one_summary(endpoint, tmp_path, capsys) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    destroyed = cli("destroy", "--env", "dev", "--layer", "api", "--auto-approve")
    assert destroyed.code == 0, destroyed.err
    deletes = re.findall(r"^\s+- \S+ \S+", destroyed.out, re.M)
    assert len(deletes) > 5 and "(no longer in the specs)" not in destroyed.out
    assert f"Plan for dev: {len(deletes)} to delete," in destroyed.out
    assert "destroying" in destroyed.err and "applying" not in destroyed.err
    closing = re.findall(r"^.*(?:complete|Done).*$", destroyed.out + destroyed.err, re.M)
    assert closing == [f"Destroy complete: {len(deletes)} done, 0 failed, 0 skipped."]


def _step_block(text: str, header: str) -> str:
    """The lines of one plan step: its header line and the indented lines under it."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if header in line)
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("        "):
            break
        block.append(line)
    return "\n".join(block)
