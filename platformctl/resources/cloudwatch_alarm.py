"""CloudWatch metric alarms, e.g. one per dead-letter queue so failed messages are never silent.

DescribeAlarms carries no tags and cannot filter by them, so alarms are listed by our name prefix (the
listing alone says which exist) and the shared tag index (`tag_index`, one Tagging API read per pass) says
whose they are; an alarm the index does not know yet has its tags asked of CloudWatch, one call each. Only
alarms tagged ours for this platform and env are read.

PutMetricAlarm both creates and overwrites: an update sends the whole alarm again. Because it would just as
happily overwrite someone else's alarm of the same name, create first makes sure no such alarm exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources import tag_index
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Field, Listing

# AWS's default when an alarm was written without TreatMissingData.
_DEFAULT_TREAT_MISSING = "missing"


def _facts(alarm: dict[str, Any]) -> dict[str, Any]:
    """Its state, for `status`: in the listing the read makes anyway, so it costs no call."""
    return {
        "state": alarm.get("StateValue"),
        "reason": alarm.get("StateReason", ""),
        "since": alarm.get("StateUpdatedTimestamp"),
    }


def _request(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "AlarmName": props["name"],
        "AlarmDescription": props["description"],
        "Namespace": props["namespace"],
        "MetricName": props["metric"],
        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(props["dimensions"].items())],
        "Statistic": props["statistic"],
        "Period": int(props["period"]),
        "EvaluationPeriods": int(props["evaluation_periods"]),
        "Threshold": float(props["threshold"]),
        "ComparisonOperator": props["comparison"],
        "TreatMissingData": props["treat_missing"],
        # Whom the alarm notifies going into ALARM and back to OK (the alerts topic: layers/alerts.py).
        "AlarmActions": list(props.get("alarm_actions") or []),
        "OKActions": list(props.get("ok_actions") or []),
    }


def _put(source: Any, convert: Any = None) -> Field:
    """A field PutMetricAlarm rewrites in place: every one but the name, all in one call (`put`)."""
    return Field(source, convert, setter="put")


class MetricAlarm(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "cloudwatch.alarm"
    service: ClassVar[str] = "cloudwatch"
    tagging: ClassVar[str | None] = "cloudwatch"
    tags_from: ClassVar[str] = "index"
    tags_from_index: ClassVar[bool] = True
    listing = Listing(
        "describe_alarms",
        "MetricAlarms",
        lambda ctx: {"AlarmNamePrefix": f"{ctx.platform}-{ctx.env}-", "AlarmTypes": ["MetricAlarm"]},
    )
    id_attr: ClassVar[str] = "AlarmArn"
    name_source: ClassVar[str | None] = "AlarmName"
    attrs: ClassVar[dict[str, str]] = {"AlarmArn": "AlarmArn", "AlarmName": "AlarmName"}
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("AlarmName"),
        "description": _put(lambda alarm: alarm.get("AlarmDescription", "")),
        "namespace": _put("Namespace"),
        "metric": _put("MetricName"),
        "dimensions": _put(lambda alarm: {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}),
        "statistic": _put(lambda alarm: alarm.get("Statistic", "")),
        "period": _put("Period", int),
        "evaluation_periods": _put("EvaluationPeriods", int),
        "threshold": _put("Threshold", float),
        "comparison": _put("ComparisonOperator"),
        "treat_missing": _put(lambda alarm: alarm.get("TreatMissingData", _DEFAULT_TREAT_MISSING)),
        "alarm_actions": _put(lambda alarm: sorted(alarm.get("AlarmActions", []))),
        "ok_actions": _put(lambda alarm: sorted(alarm.get("OKActions", []))),
    }
    unordered: ClassVar[frozenset[str]] = frozenset({"alarm_actions", "ok_actions"})
    create_call: ClassVar[str] = "put_metric_alarm"
    taken_code: ClassVar[str] = "AlarmExists"
    delete_call: ClassVar[str] = "delete_alarms"
    not_found_codes: ClassVar[frozenset[str]] = frozenset({"ResourceNotFound", "ResourceNotFoundException"})

    def facts_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return _facts(item)

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return _request(props)

    def existing(self, ctx: Context, props: dict[str, Any]) -> Iterable[tuple[dict[str, Any], dict[str, str]]]:
        """PutMetricAlarm would overwrite an alarm of the same name instead of failing."""
        alarm = _describe(ctx, props["name"])
        tags = self.fetch_tags(ctx, [alarm["AlarmArn"]]) if alarm is not None else {}
        return [(alarm, tags[alarm["AlarmArn"]])] if alarm is not None and alarm["AlarmArn"] in tags else []

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """PutMetricAlarm answers with nothing: the ARN is the listed alarm's (listing lags the write)."""
        alarm = ctx.wait_until(f"alarm {props['name']} to be listed", lambda: _describe(ctx, props["name"]), timeout=60)
        return self.attrs_of(alarm)

    def put(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """The whole alarm is written again (AWS ignores tags on an update, and they are unchanged)."""
        self.call(ctx, "put_metric_alarm", **_request({**props, "name": live.name}))

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return {"AlarmNames": [live.name]}


def _describe(ctx: Context, name: str) -> dict[str, Any] | None:
    alarms = ctx.client("cloudwatch").describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"])["MetricAlarms"]
    return alarms[0] if alarms else None
