"""Keyed lists (ResourceKind.keyed_lists) are compared item by item by key, and plans summarise them; props
read as a reviewer reads them (platformctl/props_view.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import Ref
from platformctl.engine.planner import diff_props
from platformctl.props_view import FOLD_AT, props_lines
from platformctl.render import change_lines
from platformctl.resources.base import KeyedList, ResourceKind
from platformctl.resources.cloudwatch_dashboard import Dashboard


class Board(ResourceKind):
    kind: ClassVar[str] = "test.board"
    keyed_lists: ClassVar[dict[str, KeyedList]] = {
        "body.widgets": KeyedList("widget", lambda w: w["title"]),
        "body.widgets[].metrics": KeyedList("metric", lambda m: " ".join(m)),
    }


def widget(title: str, *metrics: str, stat: str = "Sum") -> dict[str, Any]:
    return {"title": title, "stat": stat, "metrics": [[m, "QueueName", title] for m in metrics]}


def board(*widgets: dict[str, Any]) -> dict[str, Any]:
    return {"name": "b", "body": {"widgets": list(widgets)}}


def test_an_item_inserted_in_the_middle_is_one_change_not_a_shift_of_every_later_index() -> None:
    old = board(widget("a", "Depth"), widget("c", "Depth"))
    new = board(widget("a", "Depth"), widget("b", "Depth"), widget("c", "Depth"))
    [change] = diff_props(old, new, Board())
    assert (change.path, change.old, change.new) == ("body.widgets[b]", None, widget("b", "Depth"))
    assert (change.item_of, change.noun, change.item) == ("body.widgets", "widget", "b")
    assert change_lines([change]) == ["body.widgets: +1 widget (b)"]
    # Without the declaration, the same edit is positional: every later item shifts.
    positional = [c.path for c in diff_props(old, new, ResourceKind())]
    assert "body.widgets[1].title" in positional and "body.widgets[2]" in positional


def test_added_removed_changed_and_reordered_items_are_each_summarised_once() -> None:
    old = board(widget("a", "Depth"), widget("b", "Depth"), widget("c", "Depth"), widget("gone", "Depth"))
    new = board(widget("b", "Depth"), widget("a", "Depth", "Age"), widget("c", "Depth", stat="Max"), widget("n1"))
    changes = diff_props(old, new, Board())
    assert [c.path for c in changes] == [
        "body.widgets",
        "body.widgets[a].metrics[Age QueueName a]",
        "body.widgets[c].stat",
        "body.widgets[gone]",
        "body.widgets[n1]",
    ]
    assert changes[0].old == ["a", "b", "c"] and changes[0].new == ["b", "a", "c"]
    assert change_lines(changes) == [
        "body.widgets: +1 widget (n1), ~2 widgets (a, c), -1 widget (gone), widgets reordered",
        'body.widgets[a].metrics[Age QueueName a]: (none) → ["Age", "QueueName", "a"]',
        'body.widgets[c].stat: "Sum" → "Max"',
    ]


def test_items_sharing_a_key_are_compared_by_position() -> None:
    old = board(widget("a", "Depth"), widget("a", "Age"))
    new = board(widget("a", "Depth"), widget("a", "Sent"))
    [change] = diff_props(old, new, Board())
    assert change.path == "body.widgets[1].metrics[0][0]" and not change.item_of


def test_the_dashboard_keys_widgets_by_title_and_metrics_by_what_they_measure() -> None:
    def dash(*metrics: list[Any]) -> dict[str, Any]:
        return {"name": "d", "body": {"widgets": [{"properties": {"title": "q", "metrics": list(metrics)}}]}}

    depth = ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "x"]
    age = ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "x"]
    # A metric's rendering options are not what it measures: moving it to the right axis changes it in place.
    [moved] = diff_props(dash(depth, age), dash(depth, [*age, {"yAxis": "right"}]), Dashboard())
    assert moved.path.startswith("body.widgets[q].properties.metrics[AWS/SQS ApproximateAgeOfOldestMessage")
    assert change_lines([moved])[0] == "body.widgets: ~1 widget (q)"


def test_a_policy_reads_one_line_per_statement_and_long_values_are_folded() -> None:
    props = {
        "name": "r",
        "unset": None,
        "policies": {
            "messaging": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "Pub", "Effect": "Allow", "Action": "sns:Publish", "Resource": Ref("topic.a", "Arn")},
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sns.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": "arn:aws:sqs:us-east-1:1:q",
                        "Condition": {"ArnEquals": {"aws:SourceArn": ["arn:t1", "arn:t2"]}},
                    },
                ],
            }
        },
        "env": {"LONG": "x" * (FOLD_AT + 40)},
        "subnets": ["subnet-1", Ref("subnet.b", "SubnetId")],
    }
    assert props_lines(props) == [
        "name: r",
        "policies.messaging:",
        "  Allow sns:Publish on ${topic.a.Arn} (Pub)",
        "  Allow sqs:SendMessage on arn:aws:sqs:us-east-1:1:q by service sns.amazonaws.com "
        "when aws:SourceArn ArnEquals arn:t1, arn:t2",
        f"env.LONG: {'x' * FOLD_AT}… (40 more characters; -o json shows all)",
        "subnets: subnet-1, ${subnet.b.SubnetId}",
    ]
