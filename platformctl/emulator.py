"""The local AWS emulator: moto's server, completed with the few calls platformctl makes that moto lacks.

moto 5.2.5 implements almost everything platformctl calls. One SQS behaviour is mended (a queue's policy
survives other attribute changes, as on AWS). The gaps are API Gateway v2 operations
(UpdateStage, GetAuthorizers, UpdateDomainName, UpdateApiMapping, DeleteAccessLogSettings); without them
the emulator could create an HTTP API but never read its authorizers or change its stage. They are added
here on moto's own backend objects, so requests still go through botocore's validation and moto's routing.
`python -m platformctl.emulator -H 127.0.0.1 -p PORT` takes moto.server's arguments.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any
from urllib.parse import unquote

_installed = False
Response = tuple[int, dict[str, str], str]


def install() -> None:
    """Add the missing operations to moto (idempotent); works for the server and for in-process mock_aws."""
    global _installed
    if _installed:
        return
    from moto.apigatewayv2 import urls
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    def update_stage(self: Any) -> Response:
        api_id, stage_name = self.path.split("/")[-3], unquote(self.path.split("/")[-1])
        params = json.loads(self.body)
        stage = self.apigatewayv2_backend.get_stage(api_id, stage_name)
        if "autoDeploy" in params:
            stage.auto_deploy = params["autoDeploy"]
        if "defaultRouteSettings" in params:
            stage.default_route_settings = {**stage.default_route_settings, **params["defaultRouteSettings"]}
        if "accessLogSettings" in params:
            stage.access_log_settings = params["accessLogSettings"]
        return 200, {}, json.dumps(stage.to_json())

    def delete_access_log_settings(self: Any) -> Response:
        parts = self.path.split("/")
        self.apigatewayv2_backend.get_stage(parts[-4], unquote(parts[-2])).access_log_settings = None
        return 204, {}, ""

    def get_authorizers(self: Any) -> Response:
        api = self.apigatewayv2_backend.get_api(self.path.split("/")[-2])
        return 200, {}, json.dumps({"items": [a.to_json() for a in api.authorizers.values()]})

    def update_domain_name(self: Any) -> Response:
        domain = self.apigatewayv2_backend.get_domain_name(unquote(self.path.split("/")[-1]))
        domain.domain_name_configurations = json.loads(self.body)["domainNameConfigurations"]
        return 200, {}, json.dumps(domain.to_json())

    def update_api_mapping(self: Any) -> Response:
        parts = self.path.split("/")
        mapping = self.apigatewayv2_backend.get_api_mapping(parts[-1], unquote(parts[-3]))
        params = json.loads(self.body)
        mapping.api_id = params.get("apiId", mapping.api_id)
        mapping.stage = params.get("stage", mapping.stage)
        return 200, {}, json.dumps(mapping.to_json())

    for name, method in {
        "update_stage": update_stage,
        "delete_access_log_settings": delete_access_log_settings,
        "get_authorizers": get_authorizers,
        "update_domain_name": update_domain_name,
        "update_api_mapping": update_api_mapping,
    }.items():
        if not hasattr(ApiGatewayV2Response, name):
            setattr(ApiGatewayV2Response, name, method)
    route = "{0}/v2/apis/(?P<api_id>[^/]+)/stages/(?P<stage_name>[^/]+)/accesslogsettings$"
    urls.url_paths.setdefault(route, ApiGatewayV2Response.dispatch)
    _keep_queue_policy_on_other_attribute_changes()
    _installed = True


def _keep_queue_policy_on_other_attribute_changes() -> None:
    """moto 5.2.5 clears a queue's Policy whenever SetQueueAttributes omits it; AWS leaves it as it is.

    Without this, changing a queue's visibility timeout on the emulator silently dropped its access policy,
    and the next diff asked to put it back.
    """
    from moto.sqs.models import Queue

    set_attributes = Queue._set_attributes

    def keep_policy(self: Any, attributes: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        policy = getattr(self, "policy", None)
        set_attributes(self, attributes, *args, **kwargs)
        if "Policy" not in attributes:
            self.policy = policy

    Queue._set_attributes = keep_policy


_READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Search", "Lookup")


class Harness:
    """A WSGI layer in front of moto for tests and benchmarks: latency, faults, counting, a kill switch.

    - `latency`: seconds added to every AWS call, as real control-plane calls take tens of milliseconds.
    - `fault_rate`: the share of AWS calls answered 503 before they reach moto (so a retry is always safe:
      throttling and 503s are what AWS sends under load).
    - counts calls by (service, action), writes, and the peak number of calls in flight.
    - `kill_pid` / `kill_after_writes`: SIGKILL a process once that many writes have been answered, to
      crash a run at a chosen point.
    Control: GET /_harness/stats, POST /_harness/config (JSON with any of the fields above), POST
    /_harness/reset (counters).
    """

    def __init__(self, app: Any, latency: float = 0.0, fault_rate: float = 0.0, seed: int = 0):
        import random
        import threading
        from collections import Counter

        self.app = app
        self.latency = latency
        self.fault_rate = fault_rate
        self.kill_pid: int | None = None
        self.kill_after_writes: int | None = None
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.writes = 0
        self.faults = 0
        self.in_flight = 0
        self.peak_in_flight = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_harness/"):
            return self._control(environ, start_response, path)
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)
        import time

        service, action, write = _describe_call(environ)
        with self._lock:
            fault = self.fault_rate > 0 and self._random.random() < self.fault_rate
            self.calls[f"{service}:{action}"] += 1
            self.faults += fault
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            if fault:
                # An empty body reads as a bare 503 under every AWS protocol; botocore retries it.
                start_response("503 Service Unavailable", [("Content-Length", "0")])
                return [b""]
            body = b"".join(self.app(environ, _capture(start_response)))
            if write:
                self._count_write()
            return [body]
        finally:
            with self._lock:
                self.in_flight -= 1

    def _count_write(self) -> None:
        import os
        import signal

        with self._lock:
            self.writes += 1
            kill = (
                self.kill_pid is not None
                and self.kill_after_writes is not None
                and (self.writes >= self.kill_after_writes)
            )
            pid = self.kill_pid
            if kill:
                self.kill_pid = None
        if kill and pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _control(self, environ: dict[str, Any], start_response: Any, path: str) -> Any:
        if path == "/_harness/config" and environ["REQUEST_METHOD"] == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            config = json.loads(environ["wsgi.input"].read(size) or b"{}")
            with self._lock:
                for key in ("latency", "fault_rate", "kill_pid", "kill_after_writes"):
                    if key in config:
                        setattr(self, key, config[key])
        elif path == "/_harness/reset" and environ["REQUEST_METHOD"] == "POST":
            with self._lock:
                self.calls.clear()
                self.writes = self.faults = self.peak_in_flight = 0
        with self._lock:
            stats = {
                "calls": dict(self.calls),
                "total": sum(self.calls.values()),
                "writes": self.writes,
                "faults": self.faults,
                "peak_in_flight": self.peak_in_flight,
                "latency": self.latency,
                "fault_rate": self.fault_rate,
            }
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(stats).encode()]


def _capture(start_response: Any) -> Any:
    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

    return capture


def _describe_call(environ: dict[str, Any]) -> tuple[str, str, bool]:
    """(service, action, is_write) of an AWS request, across the query, JSON and REST protocols."""
    import re
    from urllib.parse import parse_qs

    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", auth)
    service = match.group(1) if match else "unknown"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        action = target.rsplit(".", 1)[-1]
        return service, action, not action.startswith(_READ_PREFIXES)
    action = (parse_qs(environ.get("QUERY_STRING", "")).get("Action") or [None])[0]
    if action is None and environ.get("REQUEST_METHOD") == "POST" and "form" in environ.get("CONTENT_TYPE", ""):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(size)
        import io

        environ["wsgi.input"] = io.BytesIO(raw)
        action = (parse_qs(raw.decode(errors="replace")).get("Action") or [None])[0]
    if action:
        return service, action, not action.startswith(_READ_PREFIXES)
    method = environ.get("REQUEST_METHOD", "GET")  # REST protocols: the method says it
    return service, f"{method} {environ.get('PATH_INFO', '')}", method not in ("GET", "HEAD")


def serve(host: str, port: int, latency: float = 0.0, fault_rate: float = 0.0) -> None:
    """moto's WSGI app behind the Harness, on a threaded server (as moto.server runs it)."""
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    app = Harness(DomainDispatcherApplication(create_backend_app), latency=latency, fault_rate=fault_rate)
    run_simple(host, port, app, threaded=True, use_reloader=False)


def main(argv: list[str] | None = None) -> None:
    """`-H HOST -p PORT` as moto.server; `--harness` (with `--latency-ms`, `--fault-rate`) adds the Harness."""
    import argparse

    install()
    args = list(argv if argv is not None else sys.argv[1:])
    if "--harness" not in args:
        from moto.server import main as moto_main

        moto_main(args)
        return
    parser = argparse.ArgumentParser(prog="platformctl.emulator")
    parser.add_argument("--harness", action="store_true")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5055)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    options = parser.parse_args(args)
    serve(options.host, options.port, options.latency_ms / 1000, options.fault_rate)


if __name__ == "__main__":
    main()
