"""CloudWatch metric alarms, e.g. one per dead-letter queue so failed messages are never silent.

DescribeAlarms carries no tags and cannot filter by them, so alarms are listed by our name prefix (the
listing alone says which exist) and the shared tag index (`tag_index`, one Tagging API read per pass) says
whose they are; an alarm the index does not know yet has its tags asked of CloudWatch, one call each. Only
alarms tagged ours for this platform and env are read.

PutMetricAlarm both creates and overwrites: an update sends the whole alarm again. Because it would just as
happily overwrite someone else's alarm of the same name, create first makes sure no such alarm exists.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list, unless_gone
from platformctl.resources.tag_index import tags_for_arns

_NOT_FOUND = frozenset({"ResourceNotFound", "ResourceNotFoundException"})
# AWS's default when an alarm was written without TreatMissingData.
_DEFAULT_TREAT_MISSING = "missing"


def _props(alarm: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": alarm["AlarmName"],
        "description": alarm.get("AlarmDescription", ""),
        "namespace": alarm["Namespace"],
        "metric": alarm["MetricName"],
        "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])},
        "statistic": alarm.get("Statistic", ""),
        "period": int(alarm["Period"]),
        "evaluation_periods": int(alarm["EvaluationPeriods"]),
        "threshold": float(alarm["Threshold"]),
        "comparison": alarm["ComparisonOperator"],
        "treat_missing": alarm.get("TreatMissingData", _DEFAULT_TREAT_MISSING),
    }


def _attrs(alarm: dict[str, Any]) -> dict[str, Any]:
    return {"AlarmArn": alarm["AlarmArn"], "AlarmName": alarm["AlarmName"]}


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
    }


class MetricAlarm(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "cloudwatch.alarm"
    service: ClassVar[str] = "cloudwatch"
    id_attr: ClassVar[str] = "AlarmArn"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {
            "description",
            "namespace",
            "metric",
            "dimensions",
            "statistic",
            "period",
            "evaluation_periods",
            "threshold",
            "comparison",
            "treat_missing",
        }
    )
    not_found_codes: ClassVar[frozenset[str]] = _NOT_FOUND

    def read(self, ctx: Context) -> list[LiveResource]:
        cloudwatch = ctx.client("cloudwatch")
        pages = cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=f"{ctx.platform}-{ctx.env}-", AlarmTypes=["MetricAlarm"]
        )
        alarms = [alarm for page in pages for alarm in page.get("MetricAlarms", [])]
        tags = tags_for_arns(ctx, (alarm["AlarmArn"] for alarm in alarms), lambda arn: _tags(ctx, arn))
        found: list[LiveResource] = []
        for alarm in alarms:
            if alarm["AlarmArn"] not in tags:
                continue  # deleted between the listing and the tag call
            live = self.live(
                ctx,
                tags[alarm["AlarmArn"]],
                name=alarm["AlarmName"],
                physical_id=alarm["AlarmArn"],
                props=_props(alarm),
                attrs=_attrs(alarm),
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        cloudwatch = ctx.client("cloudwatch")
        name = props["name"]
        existing = _describe(ctx, name)
        existing_tags = _tags(ctx, existing["AlarmArn"]) if existing is not None else None
        if existing_tags is not None:
            owner = ctx.identity(existing_tags)
            if owner is None or owner[0] != resource.id:
                raise AwsCallError(
                    resource.id, "AlarmExists", f"a CloudWatch alarm named {name} exists and is not ours"
                )
        cloudwatch.put_metric_alarm(**_request(props), Tags=tag_list(ctx.tags_for(resource)))
        alarm = ctx.wait_until(f"alarm {name} to be listed", lambda: _describe(ctx, name), timeout=60)
        return _attrs(alarm)

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        desired = {key: props[key] for key in self.updatable}
        current = {key: live.props.get(key) for key in self.updatable}
        if desired != current:
            # The whole alarm is written again (AWS ignores tags on an update, and they are unchanged).
            ctx.client("cloudwatch").put_metric_alarm(**_request({**props, "name": live.name}))
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        cloudwatch = ctx.client("cloudwatch")
        self.ignore_missing(lambda: cloudwatch.delete_alarms(AlarmNames=[live.name]))


def _describe(ctx: Context, name: str) -> dict[str, Any] | None:
    alarms = ctx.client("cloudwatch").describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"])["MetricAlarms"]
    return alarms[0] if alarms else None


def _tags(ctx: Context, arn: str) -> dict[str, str] | None:
    """An alarm's tags asked of CloudWatch itself; None when it was deleted since it was listed."""
    return unless_gone(
        _NOT_FOUND, lambda: tag_dict(ctx.client("cloudwatch").list_tags_for_resource(ResourceARN=arn).get("Tags"))
    )
