"""The local AWS emulator: moto's server, completed with the few calls platformctl makes that moto lacks.

moto 5.2.5 implements almost everything platformctl calls. One SQS behaviour is mended (a queue's policy
survives other attribute changes, as on AWS). The gaps are API Gateway v2 operations
(UpdateStage, GetAuthorizers, UpdateDomainName, UpdateApiMapping, DeleteAccessLogSettings); without them
the emulator could create an HTTP API but never read its authorizers or change its stage. CloudWatch Logs
lacks AssociateKmsKey / DisassociateKmsKey, and a deleted NAT gateway kept its Elastic IP (AWS releases it).
They are added here on moto's own backend objects, so requests still go through botocore's validation and
moto's routing.
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
    _nat_gateways_let_go_of_their_address_when_deleted()
    _log_groups_change_their_kms_key()
    _topics_report_their_tracing_mode()
    _ecs_deployments_complete_at_once()
    _one_request_at_a_time()
    _installed = True


def _one_request_at_a_time() -> None:
    """moto answers one request at a time, as its backends expect.

    moto's backends are plain dicts with no locking, while its server is threaded and platformctl sends
    calls in parallel: two SNS Subscribe calls at once failed one of them with `OrderedDict mutated during
    iteration` (a 500). Holding one lock around each request's dispatch keeps the answers right; the
    harness's simulated latency is spent outside it, so calls still overlap as they do on AWS.
    """
    import threading

    from moto.core.responses import BaseResponse

    lock = threading.RLock()
    dispatch = BaseResponse._dispatch

    def one_at_a_time(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return dispatch(self, *args, **kwargs)

    BaseResponse._dispatch = one_at_a_time  # type: ignore[method-assign]


def _nat_gateways_let_go_of_their_address_when_deleted() -> None:
    """A deleted NAT gateway releases its Elastic IP and network interface, as on AWS.

    moto 5.2.5 kept the address associated with the deleted gateway's interface, so any NAT replacement
    (`network.nat: per-az → single → per-az`, a NAT whose subnet is replaced) failed with
    `Resource.AlreadyAssociated` when the new gateway took the same address. The gateway's interface also
    looks as AWS shows it: requester-managed, of type `nat_gateway`, which is how deletes tell it will go.
    """
    from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend

    build = NatGateway.__init__

    def aws_like_interface(self: Any, *args: Any, **kwargs: Any) -> None:
        build(self, *args, **kwargs)
        self._eni.requester_managed = True
        self._eni.interface_type = "nat_gateway"
        self._eni.description = f"Interface for NAT Gateway {self.id}"

    delete = NatGatewayBackend.delete_nat_gateway

    def release_on_delete(self: Any, nat_gateway_id: str) -> Any:
        gateway = delete(self, nat_gateway_id)
        interface = gateway._eni
        for address in list(self.addresses):
            if address.eni is interface:
                self.disassociate_address(address=address.public_ip)
        self.enis.pop(interface.id, None)
        return gateway

    NatGateway.__init__ = aws_like_interface
    NatGatewayBackend.delete_nat_gateway = release_on_delete


def _ecs_deployments_complete_at_once() -> None:
    """A service's deployment is COMPLETED, its tasks all running, as soon as it is created or updated.

    moto leaves every deployment IN_PROGRESS with no task running, forever: `apply` waits for rollouts (as
    on AWS), so it would wait out its timeout. Like every other answer of this emulator, the rollout is
    instant; the realistic profile (emulator_realistic) makes it take time, or fail, instead.
    """
    from moto.ecs.models import EC2ContainerServiceBackend

    from platformctl import emulator_realistic

    def completing(method: Any) -> Any:
        def completed(self: Any, *args: Any, **kwargs: Any) -> Any:
            service = method(self, *args, **kwargs)
            if not emulator_realistic.PROFILE.enabled:
                for deployment in service.deployments:
                    if deployment.get("status") == "PRIMARY":
                        deployment.update(
                            desiredCount=service.desired_count, runningCount=service.desired_count, pendingCount=0,
                            rolloutState="COMPLETED", rolloutStateReason=f"ECS deployment {deployment['id']} done.",
                        )  # fmt: skip
                service.running_count, service.pending_count = service.desired_count, 0
            return service

        return completed

    for name in ("create_service", "update_service"):
        setattr(EC2ContainerServiceBackend, name, completing(getattr(EC2ContainerServiceBackend, name)))


def _log_groups_change_their_kms_key() -> None:
    """logs.AssociateKmsKey / DisassociateKmsKey, which moto 5.2.5 lacks (HTTP 500).

    Without them `encryption.kms: true → false` (or back) could not be applied on the emulator.
    """
    from moto.logs.responses import LogsResponse

    def associate_kms_key(self: Any) -> str:
        group = self.logs_backend._find_log_group(log_group_name=self._get_param("logGroupName"))
        group.kms_key_id = self._get_param("kmsKeyId")
        return ""

    def disassociate_kms_key(self: Any) -> str:
        group = self.logs_backend._find_log_group(log_group_name=self._get_param("logGroupName"))
        group.kms_key_id = None
        return ""

    for name, method in {"associate_kms_key": associate_kms_key, "disassociate_kms_key": disassociate_kms_key}.items():
        if not hasattr(LogsResponse, name):
            setattr(LogsResponse, name, method)


def _topics_report_their_tracing_mode() -> None:
    """sns.GetTopicAttributes returns TracingConfig, which moto 5.2.5 stores but never reports.

    Without it a topic made with `messaging.topicTracing: Active` would read back as PassThrough, and every
    diff would ask to turn Active tracing on again.
    """
    from moto.sns.responses import SNSResponse

    get_attributes = SNSResponse.get_topic_attributes

    def with_tracing(self: Any) -> Any:
        answer = get_attributes(self)
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        answer.result["Attributes"]["TracingConfig"] = getattr(topic, "tracing_config", None) or "PassThrough"
        return answer

    SNSResponse.get_topic_attributes = with_tracing


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


_READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Search", "Lookup", "Filter")


class Harness:
    """A WSGI layer in front of moto for tests and benchmarks: latency, faults, counting, a kill switch.

    - `latency`: seconds added to every AWS call, as real control-plane calls take tens of milliseconds.
    - `fault_rate`: the share of AWS calls answered 503 before they reach moto (so a retry is always safe:
      throttling and 503s are what AWS sends under load).
    - counts calls by (service, action), writes, and the peak number of calls in flight.
    - `kill_pid` / `kill_after_writes`: SIGKILL a process once that many writes have been answered, to
      crash a run at a chosen point.
    - `deny`: operations answered 403 as AWS answers a missing IAM permission, before they reach moto: a list
      of `Action` or `service:Action` (the service as requests are signed: `ecs`, `elasticloadbalancing`),
      answered with the protocol's usual code (`denial_code`), or a mapping of them to the code to answer
      with (`{"ec2:ReleaseAddress": "AuthFailure"}`).
    Control: GET /_harness/stats, POST /_harness/config (JSON with any of the fields above, and `realistic`:
    see emulator_realistic.configure; an unknown field or a value that makes no sense is answered 400 naming
    it, and nothing changes), POST /_harness/reset (counters).
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
        self.deny: list[str] | dict[str, str | None] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.writes = 0
        self.faults = 0
        self.denied = 0
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
            refusal = self._refusal(service, action)
            self.calls[f"{service}:{action}"] += 1
            self.faults += fault
            self.denied += refusal is not None
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            if fault:
                # An empty body reads as a bare 503 under every AWS protocol; botocore retries it.
                start_response("503 Service Unavailable", [("Content-Length", "0")])
                return [b""]
            if refusal is not None:
                return _answer_denied(environ, start_response, service, action, refusal)
            body = b"".join(self.app(environ, _capture(start_response)))
            if write:
                self._count_write()
            return [body]
        finally:
            with self._lock:
                self.in_flight -= 1

    def _configure(self, raw: bytes) -> None:
        """Apply a POSTed configuration: all of it, or (ValueError) none of it."""
        config = _checked_settings(raw)
        if "realistic" in config:  # {"enabled", "scale", "durations", "throttling"}: see emulator_realistic
            from platformctl import emulator_realistic

            realistic = config["realistic"]
            if not isinstance(realistic, dict) or set(realistic) - set(emulator_realistic.SETTINGS):
                raise ValueError(
                    f"realistic must be a mapping of {', '.join(emulator_realistic.SETTINGS)}, not {realistic!r}"
                )
            emulator_realistic.configure(**realistic)  # checks every value before it changes any
        with self._lock:
            for key in _SETTINGS:
                if key in config:
                    setattr(self, key, config[key])

    def _refusal(self, service: str, action: str) -> str | None:
        """The error code to refuse `service:action` with, when `deny` names it; else None. Under the lock."""
        deny = self.deny
        for key in (f"{service}:{action}", action):
            if key in deny:
                code = deny.get(key) if isinstance(deny, dict) else None
                return code or denial_code(service)
        return None

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
            try:
                self._configure(environ["wsgi.input"].read(size))
            except ValueError as refused:  # a setting that makes no sense: say which, change nothing
                body = json.dumps({"error": str(refused)}).encode()
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [body]
        elif path == "/_harness/reset" and environ["REQUEST_METHOD"] == "POST":
            with self._lock:
                self.calls.clear()
                self.writes = self.faults = self.denied = self.peak_in_flight = 0
        with self._lock:
            stats = {
                "calls": dict(self.calls),
                "total": sum(self.calls.values()),
                "writes": self.writes,
                "faults": self.faults,
                "denied": self.denied,
                "deny": self.deny,
                "peak_in_flight": self.peak_in_flight,
                "latency": self.latency,
                "fault_rate": self.fault_rate,
                "realistic": _realistic_settings(),
            }
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(stats).encode()]


_SETTINGS: dict[str, Any] = {  # Harness settings: what a value must be
    "latency": lambda v: _is_number(v),
    "fault_rate": lambda v: _is_number(v) and v <= 1,
    "kill_pid": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0),
    "kill_after_writes": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0),
    "deny": lambda v: (isinstance(v, list) and all(isinstance(o, str) for o in v))
    or (isinstance(v, dict) and all(isinstance(o, str) and (c is None or isinstance(c, str)) for o, c in v.items())),
}
_SETTING_SHAPES = {
    "latency": "a number of seconds ≥ 0",
    "fault_rate": "a number from 0 to 1",
    "kill_pid": "a process id or null",
    "kill_after_writes": "a number of writes or null",
    "deny": "a list of operations, or a mapping of operations to error codes",
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < float("inf")


def _checked_settings(raw: bytes) -> dict[str, Any]:
    """The POSTed configuration, each key known and each value of its shape; ValueError naming what is not."""
    try:
        config = json.loads(raw or b"{}")
    except ValueError as exc:
        raise ValueError(f"the configuration is not JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ValueError(f"the configuration must be a JSON object, not {config!r}")
    unknown = sorted(set(config) - {*_SETTINGS, "realistic"})
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(unknown)} (known: {', '.join([*_SETTINGS, 'realistic'])})")
    for key, value in config.items():
        if key in _SETTINGS and not _SETTINGS[key](value):
            raise ValueError(f"{key} must be {_SETTING_SHAPES[key]}, not {value!r}")
    return config


def _realistic_settings() -> dict[str, Any]:
    from platformctl import emulator_realistic

    return emulator_realistic.PROFILE.as_dict()


def denial_code(service: str) -> str:
    """The code AWS refuses a call the caller has no permission for with, by the service's protocol: EC2 says
    UnauthorizedOperation, the other query services AccessDenied, the JSON and REST ones AccessDeniedException."""
    if service == "ec2":
        return "UnauthorizedOperation"
    if service in _QUERY_SERVICES:
        return "AccessDenied"
    return "AccessDeniedException"


# Services platformctl calls over the query protocol (XML errors), by the name requests are signed with.
_QUERY_SERVICES = frozenset({"ec2", "elasticloadbalancing", "iam", "sts", "sns", "autoscaling", "cloudformation"})


def _answer_denied(environ: dict[str, Any], start_response: Any, service: str, action: str, code: str) -> Any:
    """A 403 as AWS sends it for a missing permission, in the protocol the request came in: botocore parses
    the code and message from it exactly as from AWS, and does not retry it."""
    message = (
        f"User: arn:aws:iam::123456789012:user/platformctl-test is not authorized to perform: {service}:{action} "
        f"because no identity-based policy allows the {service}:{action} action"
    )
    body: str | bytes
    if service in _QUERY_SERVICES:
        from xml.sax.saxutils import escape

        if service == "ec2":
            body = (
                f"<Response><Errors><Error><Code>{code}</Code><Message>{escape(message)}</Message></Error></Errors>"
                "<RequestID>denied-by-harness</RequestID></Response>"
            )
        else:
            body = (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
                "</Error><RequestId>denied-by-harness</RequestId></ErrorResponse>"
            )
        headers = [("Content-Type", "text/xml")]
    elif environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":  # CloudWatch, Cloud Map, the Tagging API
        body = _cbor_text_map({"__type": code, "message": message})
        headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    else:
        body = json.dumps({"__type": code, "message": message, "Message": message})
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    raw = body if isinstance(body, bytes) else body.encode()
    start_response("403 Forbidden", [*headers, ("Content-Length", str(len(raw)))])
    return [raw]


def _cbor_text_map(fields: dict[str, str]) -> bytes:
    """A CBOR map of text to text (RFC 8949), enough for an error body; no CBOR library needed."""

    def head(major: int, length: int) -> bytes:
        if length < 24:
            return bytes([major << 5 | length])
        if length < 256:
            return bytes([major << 5 | 24, length])
        return bytes([major << 5 | 25]) + length.to_bytes(2, "big")

    def text(value: str) -> bytes:
        raw = value.encode()
        return head(3, len(raw)) + raw

    return head(5, len(fields)) + b"".join(text(k) + text(v) for k, v in fields.items())


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
    """`-H HOST -p PORT` as moto.server; `--harness` (with `--latency-ms`, `--fault-rate`, `--realistic`,
    `--realistic-scale`) adds the Harness."""
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
    parser.add_argument("--realistic", action="store_true", help="AWS's delays and refusals, scaled down")
    parser.add_argument("--realistic-scale", type=float, default=None, help="their share of AWS's figures")
    options = parser.parse_args(args)
    if options.realistic:
        from platformctl import emulator_realistic

        emulator_realistic.configure(enabled=True, scale=options.realistic_scale)
    serve(options.host, options.port, options.latency_ms / 1000, options.fault_rate)


if __name__ == "__main__":
    main()
