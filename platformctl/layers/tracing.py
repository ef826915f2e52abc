"""X-Ray tracing: the AWS Distro for OpenTelemetry (ADOT) collector beside each traced service.

`tracing: xray` in platform.yaml traces every service; a service's own `tracing` (`none` or `xray`) overrides
it. A traced service's task definition gets a second container, the ADOT collector (AWS's replacement for
the X-Ray daemon, which reaches end of support in February 2027), and its app container learns where to
send traces. The collector runs in the task's network namespace (awsvpc), so the app reaches it on
127.0.0.1: OTLP on 4317 (gRPC) and 4318 (HTTP), X-Ray SDK segments on UDP 2000. It is not essential: a
collector that stops loses traces, never the service.

The collector's configuration is written here rather than taken from the image's `/etc/ecs/*.yaml`: the
image's `ecs-default-config.yaml` also exports EMF metrics (CloudWatch Logs writes the task role would need)
and `ecs-xray.yaml` has no X-Ray UDP receiver. This one receives OTLP and X-Ray segments and exports to X-Ray,
nothing else, so the task role needs exactly the X-Ray write and sampling actions (`XRAY_ACTIONS`).
"""

from __future__ import annotations

import json
from typing import Any

from platformctl.specs import PlatformSpec, ServiceSpec

# Pinned: a collector that changes under a running platform would change what its tasks run.
COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1"
COLLECTOR_NAME = "aws-otel-collector"  # a reserved service name (specs/models.py), so never the app's
CONFIG_VARIABLE = "AOT_CONFIG_CONTENT"
OTLP_GRPC_PORT, OTLP_HTTP_PORT, XRAY_UDP_PORT = 4317, 4318, 2000

# What the collector calls: the managed policy AWSXRayDaemonWriteAccess's actions (X-Ray developer guide,
# "Identity-based policy examples"). X-Ray defines no resource types for them (Service Authorization
# Reference, "Actions, resources, and condition keys for AWS X-Ray"), so "*" is the only resource AWS accepts.
XRAY_ACTIONS = (
    "xray:GetSamplingRules",
    "xray:GetSamplingStatisticSummaries",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
)

COLLECTOR_CONFIG: dict[str, Any] = {
    "receivers": {
        "otlp": {
            "protocols": {
                "grpc": {"endpoint": f"127.0.0.1:{OTLP_GRPC_PORT}"},
                "http": {"endpoint": f"127.0.0.1:{OTLP_HTTP_PORT}"},
            }
        },
        "awsxray": {"endpoint": f"127.0.0.1:{XRAY_UDP_PORT}", "transport": "udp"},
    },
    "processors": {"batch/traces": {"timeout": "1s", "send_batch_size": 50}},
    "exporters": {"awsxray": {}},
    "service": {
        "pipelines": {
            "traces": {"receivers": ["otlp", "awsxray"], "processors": ["batch/traces"], "exporters": ["awsxray"]}
        }
    },
}


def traced(platform: PlatformSpec, service: ServiceSpec) -> bool:
    """Whether `service` runs the collector: its own `tracing` when set, else platform.yaml's."""
    return (service.tracing or platform.tracing) == "xray"


def collector_container(log_group: str, log_region: str) -> dict[str, Any]:
    """The sidecar as task-definition props; it logs to the service's log group under its own stream prefix."""
    return {
        "name": COLLECTOR_NAME,
        "image": COLLECTOR_IMAGE,
        # JSON is YAML: the collector reads its whole configuration from the variable.
        "command": [f"--config=env:{CONFIG_VARIABLE}"],
        "environment": {CONFIG_VARIABLE: json.dumps(COLLECTOR_CONFIG, sort_keys=True, separators=(",", ":"))},
        "log_group": log_group,
        "log_region": log_region,
        "log_prefix": "otel",
    }


def app_environment(service_name: str) -> dict[str, str]:
    """What the app's SDK reads to find the collector: the OTel SDKs' standard variables and the X-Ray SDKs'."""
    return {
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{XRAY_UDP_PORT}",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{OTLP_HTTP_PORT}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_SERVICE_NAME": service_name,
    }


def task_role_statement() -> dict[str, Any]:
    """The task role's grant for the collector: the X-Ray actions on "*", the only resource X-Ray takes."""
    return {"Sid": "SendTracesToXRay", "Effect": "Allow", "Action": list(XRAY_ACTIONS), "Resource": "*"}
