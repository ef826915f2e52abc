"""The `$default` stage of our HTTP API: where throttling and access logging are set.

Stages live under an API and are found through it (`ApiChild`): only the `$default` stage of one of our
APIs is ours, with logical id `<api logical id>/stage`, in the API's layer. Any other stage (a hand-made
`test` stage) and every stage on an API that is not ours is never read, so never touched. The stage still
carries our tags from its create call, so it shows up as ours in the console and in cost reports.

AWS keeps the access-log format as a string; the specs give it as a JSON object (field → `$context`
variable). `read` parses it back and `canonical` sorts its keys, so the order keys were written in never
shows as drift. A format that is not JSON (changed by hand) is kept as the string and diffs as a change.
Access logging is switched off with DeleteAccessLogSettings: UpdateStage cannot remove settings.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.resources.apigw_api import ApiChild
from platformctl.resources.base import Context
from platformctl.resources.declarative import Field, Listing

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


def _throttling(stage: dict[str, Any]) -> dict[str, Any]:
    route = stage.get("DefaultRouteSettings") or {}
    return _canonical_throttling({"rate": route.get("ThrottlingRateLimit"), "burst": route.get("ThrottlingBurstLimit")})


def _access_log(stage: dict[str, Any]) -> dict[str, Any] | None:
    logs = stage.get("AccessLogSettings") or {}
    if not logs.get("DestinationArn"):
        return None
    return _canonical_access_log({"destination": logs["DestinationArn"], "format": _log_format(logs.get("Format"))})


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


class Stage(ApiChild):
    kind: ClassVar[str] = "apigw.stage"
    children = Listing("get_stages", "Items", keep=lambda ctx, item: item.get("StageName") == STAGE_NAME)
    one_per_api: ClassVar[bool] = True
    label_source: ClassVar[str] = "StageName"
    id_attr: ClassVar[str] = "StageName"
    tags_param: ClassVar[str | None] = "Tags"
    tags_shape: ClassVar[str] = "map"
    fields: ClassVar[dict[str, Field]] = {
        "api": Field("ApiId"),
        "name": Field("StageName"),
        "auto_deploy": Field(lambda stage: bool(stage.get("AutoDeploy", False)), setter="modify"),
        "throttling": Field(_throttling, setter="modify"),
        "access_log": Field(_access_log, setter="set_access_log"),
    }
    create_call: ClassVar[str] = "create_stage"
    delete_call: ClassVar[str] = "delete_stage"

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        result = dict(props)
        if "throttling" in result:
            result["throttling"] = _canonical_throttling(result["throttling"])
        if "access_log" in result:
            result["access_log"] = _canonical_access_log(result["access_log"])
        return result

    def child_id(self, api_logical_id: str, item: dict[str, Any]) -> str:
        return stage_logical_id(api_logical_id)

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        logs = {"AccessLogSettings": _access_log_settings(props["access_log"])} if props.get("access_log") else {}
        return {"ApiId": props["api"], "StageName": props["name"], **self._settings(props), **logs}

    def modify(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """One call sets both; sending an unchanged one is harmless."""
        self._update(ctx, live, **self._settings(props))

    def set_access_log(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """UpdateStage cannot remove access-log settings: switching logging off is a call of its own."""
        if props.get("access_log"):
            self._update(ctx, live, AccessLogSettings=_access_log_settings(props["access_log"]))
        else:
            self.call(ctx, "delete_access_log_settings", ApiId=live.props["api"], StageName=live.physical_id)

    def _settings(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"AutoDeploy": bool(props["auto_deploy"]), "DefaultRouteSettings": _route_settings(props["throttling"])}

    def _update(self, ctx: Context, live: LiveResource, **request: Any) -> None:
        self.call(ctx, "update_stage", ApiId=live.props["api"], StageName=live.physical_id, **request)
