"""The `$default` stage of our HTTP API: where throttling and access logging are set.

Stages live under an API and are found through it: only the `$default` stage of one of our APIs is ours,
with logical id `<api logical id>/stage`, in the API's layer. Any other stage (a hand-made `test` stage) and
every stage on an API that is not ours is never read, so never touched. The stage still carries our tags
from its create call, so it shows up as ours in the console and in cost reports.

AWS keeps the access-log format as a string; the specs give it as a JSON object (field → `$context`
variable). `read` parses it back and `canonical` sorts its keys, so the order keys were written in never
shows as drift. A format that is not JSON (changed by hand) is kept as the string and diffs as a change.
Access logging is switched off with DeleteAccessLogSettings: UpdateStage cannot remove settings.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.naming import TAG_ID, TAG_LAYER
from platformctl.resources.apigw_api import NOT_FOUND, api_children, our_apis
from platformctl.resources.base import Context, ResourceKind

STAGE_NAME = "$default"
STAGE_SUFFIX = "/stage"


def stage_logical_id(api_logical_id: str) -> str:
    return f"{api_logical_id}{STAGE_SUFFIX}"


def _log_format(text: str | None) -> Any:
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


def _format_text(log_format: Any) -> str:
    if isinstance(log_format, str):
        return log_format
    return json.dumps(log_format, sort_keys=True, separators=(",", ":"))


def _props(api_id: str, stage: dict[str, Any]) -> dict[str, Any]:
    route = stage.get("DefaultRouteSettings") or {}
    logs = stage.get("AccessLogSettings") or {}
    return {
        "api": api_id,
        "name": stage["StageName"],
        "auto_deploy": bool(stage.get("AutoDeploy", False)),
        "throttling": {"rate": route.get("ThrottlingRateLimit"), "burst": route.get("ThrottlingBurstLimit")},
        "access_log": (
            {"destination": logs["DestinationArn"], "format": _log_format(logs.get("Format"))}
            if logs.get("DestinationArn")
            else None
        ),
    }


def _canonical_throttling(throttling: Any) -> Any:
    if not isinstance(throttling, dict):
        return throttling
    rate, burst = throttling.get("rate"), throttling.get("burst")
    return {
        "rate": float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else rate,
        "burst": int(burst) if isinstance(burst, (int, float)) and not isinstance(burst, bool) else burst,
    }


def _canonical_access_log(access_log: Any) -> Any:
    if not isinstance(access_log, dict):
        return access_log
    log_format = access_log.get("format")
    if isinstance(log_format, dict):
        log_format = dict(sorted(log_format.items()))
    return {**access_log, "format": log_format}


def _route_settings(throttling: dict[str, Any]) -> dict[str, Any]:
    return {"ThrottlingRateLimit": float(throttling["rate"]), "ThrottlingBurstLimit": int(throttling["burst"])}


def _access_log_settings(access_log: dict[str, Any]) -> dict[str, Any]:
    return {"DestinationArn": access_log["destination"], "Format": _format_text(access_log["format"])}


class Stage(ResourceKind):
    kind: ClassVar[str] = "apigw.stage"
    service: ClassVar[str] = "apigatewayv2"
    id_attr: ClassVar[str] = "StageName"
    updatable: ClassVar[frozenset[str]] = frozenset({"auto_deploy", "throttling", "access_log"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        result = dict(props)
        if "throttling" in result:
            result["throttling"] = _canonical_throttling(result["throttling"])
        if "access_log" in result:
            result["access_log"] = _canonical_access_log(result["access_log"])
        return result

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for api in our_apis(ctx):
            stage = next((s for s in api_children(ctx, api, "get_stages") if s.get("StageName") == STAGE_NAME), None)
            if stage is None:
                continue
            # The API's ownership under the stage's own logical id and the API's layer.
            tags = {**api.tags, TAG_ID: stage_logical_id(api.logical_id), TAG_LAYER: api.layer}
            live = self.live(
                ctx,
                tags,
                name=f"{api.name} {STAGE_NAME}",
                physical_id=STAGE_NAME,
                props=self.canonical(_props(api.api_id, stage)),
                attrs={"StageName": STAGE_NAME},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "ApiId": props["api"],
            "StageName": props["name"],
            "AutoDeploy": bool(props["auto_deploy"]),
            "DefaultRouteSettings": _route_settings(props["throttling"]),
            "Tags": ctx.tags_for(resource),
        }
        if props.get("access_log"):
            params["AccessLogSettings"] = _access_log_settings(props["access_log"])
        answer = ctx.client("apigatewayv2").create_stage(**params)
        return {"StageName": answer.get("StageName", props["name"])}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        apigw = ctx.client("apigatewayv2")
        api_id, name = live.props["api"], live.physical_id
        wanted, current = self.canonical(props), self.canonical(live.props)
        params: dict[str, Any] = {}
        if bool(wanted["auto_deploy"]) != bool(current.get("auto_deploy")):
            params["AutoDeploy"] = bool(wanted["auto_deploy"])
        if wanted["throttling"] != current.get("throttling"):
            params["DefaultRouteSettings"] = _route_settings(wanted["throttling"])
        if wanted.get("access_log") != current.get("access_log") and wanted.get("access_log"):
            params["AccessLogSettings"] = _access_log_settings(wanted["access_log"])
        if params:
            apigw.update_stage(ApiId=api_id, StageName=name, **params)
        if not wanted.get("access_log") and current.get("access_log"):
            apigw.delete_access_log_settings(ApiId=api_id, StageName=name)
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        apigw = ctx.client("apigatewayv2")
        self.ignore_missing(lambda: apigw.delete_stage(ApiId=live.props["api"], StageName=live.physical_id))
