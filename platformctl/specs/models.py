"""The spec schema as pydantic models.

The YAML is camelCase, the engine reads snake_case attributes; the alias generator bridges them so neither
side bends. Every check that can be made from one file alone lives here, so it also runs against each
environment's merged spec; checks that need several files live in checks.py. Validators raise `fail()` so
the message reaches the user verbatim and, where useful, points at the offending key or item.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Annotated, Any, Literal, NoReturn

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from platformctl.naming import MAX_TAGS_PER_RESOURCE, REFUSED_NAME_STARTS, most_tags_on_a_resource, own_tag_keys
from platformctl.secret_refs import reference_problem
from platformctl.specs.network import MAX_AZS, ZoneError, carve_subnets

PLATFORM_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
ENV_KEY = re.compile(r"^[A-Z_][A-Z0-9_]*$")
RULE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
ROUTE_METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# `platform`: `SpecSet.files` uses it for platform.yaml; `aws-otel-collector`: the tracing sidecar's container
# name, which must differ from the service's own container in the task definition (layers/tracing.py).
RESERVED_SERVICE_NAMES = frozenset({"platform", "aws-otel-collector"})
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Fargate task sizes: cpu units -> allowed memory (MiB).
FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

DEFAULT_VPC_CIDR = "10.0.0.0/16"

APPMESH_MESSAGE = (
    "App Mesh is not supported: AWS discontinued App Mesh on 2026-09-30; use 'service-connect' (ECS Service Connect)"
)


def fail(message: str, *sub: str | int) -> NoReturn:
    """Raise a validation error whose text is shown as is; `sub` narrows the location below the field."""
    raise PydanticCustomError("spec", "{message}", {"message": message, "sub": list(sub)})


def region_problem(value: str) -> str | None:
    """Why `value` is not an AWS region name, or None; shared by the spec field and the `--region` override."""
    if not REGION.match(value):
        return f"expected an AWS region such as us-east-1 (got '{value}')"
    return None


def zone_problems(zones: list[str] | None, region: str) -> list[tuple[int, str]]:
    """(index, message) for each pinned zone outside `region`.

    A zone's name is its region's name plus a letter (`us-east-1a`) or, for Local and Wavelength Zones, a
    dash and more (`us-west-2-lax-1a`). A zone of another region would make AWS refuse the subnet after
    half the platform exists, so the loader checks the pinned zones against the effective region (the
    spec's, or `--region`'s) before the first call.
    """
    problems = []
    for index, zone in enumerate(zones or []):
        rest = zone[len(region) :] if zone.startswith(region) else ""
        if not (re.fullmatch(r"[a-z]", rest) or re.fullmatch(r"-[a-z0-9-]*[a-z0-9]", rest)):
            problems.append((index, f"{zone} is not a zone of {region}"))
    return problems


def _join(values: tuple[Any, ...] | list[Any]) -> str:
    return ", ".join(str(v) for v in values)


# --- item-level checks, used through Annotated so every bad item is reported, not just the first -------


def _name(pattern: re.Pattern[str], what: str, limit: int):
    def check(value: str) -> str:
        if not pattern.match(value):
            fail(
                f"expected a {what} name: lowercase letter first, then lowercase letters, digits or '-', "
                f"at most {limit} characters (got '{value}')"
            )
        return value

    return check


def _event_name(value: str) -> str:
    if not EVENT_NAME.match(value):
        fail(f"expected an event name of lowercase letters, digits and '_', starting with a letter (got '{value}')")
    return value


def _env_key(value: str) -> str:
    if not ENV_KEY.match(value):
        fail(f"expected an environment variable name of A-Z, 0-9 and '_', not starting with a digit (got '{value}')")
    return value


def _to_str(value: Any) -> Any:
    """YAML reads `PORT: 8080` and `DEBUG: true` as numbers and booleans; container env is always text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _secret_ref(value: str) -> str:
    if value.startswith("ssm:/") and len(value) > len("ssm:/"):
        return value
    if value.startswith("secretsmanager:") and len(value) > len("secretsmanager:"):
        problem = reference_problem(value)
        if problem:
            fail(problem)
        return value
    fail(f"expected 'ssm:/parameter/path' or 'secretsmanager:NAME_OR_ARN' (got '{value}')")


# A KMS key's ARN (not an alias's: IAM grants kms:Decrypt on keys, and an alias ARN in a policy matches no key).
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


def _kms_key_arn(value: str) -> str:
    if not KMS_KEY_ARN.match(value):
        fail(f"expected a KMS key ARN such as 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-...' (got '{value}')")
    return value


def route_prefix(path: str) -> str:
    """The literal start of a route path, before any {parameter}: what the internal ALB routes on."""
    literal = path.split("{", 1)[0]
    if literal == path:
        return path.rstrip("/") or "/"
    return literal.rstrip("/") or "/"


def parse_route(value: str) -> tuple[str, str]:
    """Split `METHOD /path` and check it; shared with the collision check so both agree on the syntax."""
    parts = value.split()
    if len(parts) != 2:
        fail(f"expected a route as 'METHOD /path', e.g. 'GET /orders/{{id}}' (got '{value}')")
    method, path = parts
    if method not in ROUTE_METHODS:
        fail(f"expected a method among {_join(ROUTE_METHODS)} (got '{method}' in '{value}')")
    if not path.startswith("/"):
        fail(f"expected the route path to start with '/' (got '{path}' in '{value}')")
    segments = path.split("/")[1:]
    for index, segment in enumerate(segments):
        if "{" in segment or "}" in segment:
            if not re.fullmatch(r"\{[A-Za-z_][A-Za-z0-9_]*\+?\}", segment):
                fail(f"expected a path parameter like '{{id}}' or '{{proxy+}}' (got '{segment}' in '{value}')")
            if segment.endswith("+}") and index != len(segments) - 1:
                fail(f"a greedy parameter like '{segment}' must be the last path segment (in '{value}')")
        elif segment == "" and index != len(segments) - 1:
            fail(f"empty path segment ('//') in '{value}'")
    return method, path


def _route(value: str) -> str:
    _, path = parse_route(value)
    # The literal prefix names the ALB listener rule's logical id, which is its `platformctl:id` tag, and is its
    # path pattern: it must suit both (ELB tags: refused_tag_characters; ALB path patterns: ASCII only).
    refused = [c for c in route_prefix(path) if not c.isascii()] + refused_tag_characters(route_prefix(path))
    if refused:
        fail(
            f"the route path '{path}' has {', '.join(repr(c) for c in dict.fromkeys(refused))} before its first "
            "parameter, which the load balancer refuses in its rules' tags or path patterns: use A-Z, a-z, 0-9 "
            "and _ - . / @ : +"
        )
    return value


# What ELB, IAM, CloudWatch Logs and API Gateway accept in tag keys and values: letters (any script), digits,
# spaces and these (Elastic Load Balancing, IAM, Logs and API Gateway "Tagging" pages: `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`).
# Every tag goes on every resource, so every tag must suit the strictest of them.
TAG_PUNCTUATION = "_.:/=+-@"


def refused_tag_characters(text: str) -> list[str]:
    """The characters of `text` that ELB, IAM, Logs or API Gateway refuse in a tag, in order of appearance."""
    allowed = lambda c: unicodedata.category(c)[0] in "LNZ" or c in TAG_PUNCTUATION  # noqa: E731
    return list(dict.fromkeys(c for c in text if not allowed(c)))


def _tag_characters(what: str, value: str) -> None:
    refused = refused_tag_characters(value)
    if refused:
        shown = ", ".join(repr(c) for c in refused)
        fail(
            f"{what} '{value}' has {shown}, which load balancers, IAM, CloudWatch Logs and API Gateway refuse "
            f"in tags: use letters, digits, spaces and {' '.join(TAG_PUNCTUATION)}"
        )


def _tag_key(value: str) -> str:
    lowered = value.lower()
    if lowered.startswith("platformctl:") or lowered.startswith("aws:"):
        fail(f"tag keys starting with 'platformctl:' or 'aws:' are reserved (got '{value}')")
    if not 1 <= len(value) <= 128:
        fail(f"expected a tag key of 1 to 128 characters (got {len(value)})")
    _tag_characters("the tag key", value)
    return value


def _tag_value(value: str) -> str:
    if len(value) > 256:
        fail(f"expected a tag value of at most 256 characters (got {len(value)})")
    _tag_characters("the tag value", value)
    return value


def _none_to_empty(value: Any) -> Any:
    """`staging:` with nothing after it means "no overrides", not an error."""
    return {} if value is None else value


def _unique(values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for index, value in enumerate(values):
        if value in seen:
            fail(f"duplicate {what} '{value}'", index)
        seen.add(value)


def _platform_name_accepted_by_aws(value: str) -> str:
    for what, start in REFUSED_NAME_STARTS.items():
        if f"{value}-".startswith(start):
            fail(
                f"the platform name '{value}' starts every {what} name with '{start}' ('{value}-<env>-...'), "
                f"which AWS refuses; choose another name"
            )
    return value


PlatformName = Annotated[
    str, AfterValidator(_name(PLATFORM_NAME, "platform", 20)), AfterValidator(_platform_name_accepted_by_aws)
]
ServiceName = Annotated[str, AfterValidator(_name(SERVICE_NAME, "service", 30))]
EnvName = Annotated[str, AfterValidator(_name(ENV_NAME, "environment", 16))]
EventName = Annotated[str, AfterValidator(_event_name)]
EnvKey = Annotated[str, AfterValidator(_env_key)]
EnvValue = Annotated[str, BeforeValidator(_to_str)]
SecretRef = Annotated[str, AfterValidator(_secret_ref)]
Route = Annotated[str, AfterValidator(_route)]
TagKey = Annotated[str, AfterValidator(_tag_key)]
TagValue = Annotated[str, BeforeValidator(_to_str), AfterValidator(_tag_value)]
Overrides = Annotated[dict[str, Any], BeforeValidator(_none_to_empty)]


class SpecModel(BaseModel):
    """Shared config: unknown keys are errors (a typo must not be silently ignored), camelCase in YAML."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel)


# --- platform.yaml ------------------------------------------------------------------------------------


class NetworkSpec(SpecModel):
    # azs comes first so the zones check can see it, cidr before the zones so their check can carve it.
    azs: int = Field(default=3, ge=1, le=MAX_AZS)
    cidr: str = DEFAULT_VPC_CIDR
    nat: Literal["per-az", "single", "none"] = "per-az"
    availability_zones: list[str] | None = None

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str, info: ValidationInfo) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            fail(f"expected an IPv4 network CIDR such as 10.0.0.0/16 (got '{value}': {exc})")
        if not 16 <= network.prefixlen <= 28:
            fail(f"expected a VPC CIDR between /16 and /28 (got /{network.prefixlen})")
        try:
            carve_subnets(value, [])  # the slots' size depends on the CIDR alone; zones are checked below
        except ValueError as exc:
            fail(str(exc))
        return value

    @field_validator("availability_zones")
    @classmethod
    def _zones(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return None
        azs = info.data.get("azs")
        if isinstance(azs, int) and len(value) != azs:
            fail(f"expected {azs} availability zones to match azs (got {len(value)})")
        _unique(value, "availability zone")
        try:
            carve_subnets(info.data.get("cidr", DEFAULT_VPC_CIDR), value)
        except ZoneError as exc:
            fail(str(exc), exc.index)
        return value


class CapacityItem(SpecModel):
    provider: Literal["FARGATE", "FARGATE_SPOT"]
    base: int = Field(default=0, ge=0, le=100000)
    weight: int = Field(default=1, ge=0, le=1000)


class ClusterSpec(SpecModel):
    container_insights: bool = True
    capacity: list[CapacityItem] = Field(
        default_factory=lambda: [CapacityItem(provider="FARGATE", base=1, weight=1)], min_length=1
    )

    @field_validator("capacity")
    @classmethod
    def _capacity(cls, value: list[CapacityItem]) -> list[CapacityItem]:
        _unique([item.provider for item in value], "capacity provider")
        based = [i for i, item in enumerate(value) if item.base > 0]
        if len(based) > 1:
            fail("only one capacity provider may have a base greater than 0 (an ECS rule)", based[1], "base")
        if not any(item.weight > 0 for item in value):
            fail("at least one capacity provider needs a weight greater than 0")
        return value


class DiscoverySpec(SpecModel):
    namespace: str | None = None  # None → "<platform>.local", filled in by PlatformSpec

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str | None) -> str | None:
        if value is not None and not DNS_NAME.match(value):
            fail(f"expected a lowercase DNS name such as 'shop.local' (got '{value}')")
        return value


class LogsSpec(SpecModel):
    retention_days: int = 30

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            fail(f"expected one of the CloudWatch retention periods {_join(LOG_RETENTION_DAYS)} (got {value})")
        return value


class EncryptionSpec(SpecModel):
    kms: bool = True


class MessagingSpec(SpecModel):
    event_bus: bool = True
    dlq_max_receives: int = Field(default=5, ge=1, le=1000)
    # SNS's TracingConfig: PassThrough forwards a publisher's trace header; Active adds SNS's own segments.
    topic_tracing: Literal["PassThrough", "Active"] = "PassThrough"


class ThrottlingSpec(SpecModel):
    rate: float = Field(default=100, ge=0)
    burst: int = Field(default=200, ge=0)


class AuthSpec(SpecModel):
    issuer: str
    audience: list[str] = Field(min_length=1)

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        if not value.startswith("https://"):
            fail(f"expected the JWT issuer to be an https:// URL (got '{value}')")
        return value

    @field_validator("audience", mode="before")
    @classmethod
    def _audience(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


# An address SNS can mail: a local part, '@', and a domain of at least two dot-separated labels.
EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def _email(value: str) -> str:
    if not EMAIL.match(value):
        fail(f"expected an email address such as ops@example.com (got '{value}')")
    return value


def _https_url(value: str) -> str:
    host = value[len("https://") :].split("/", 1)[0] if value.startswith("https://") else ""
    if not host or any(c.isspace() for c in value):
        fail(f"expected an https:// URL such as https://alerts.example.com/sns (got '{value}')")
    return value


class AlertsSpec(SpecModel):
    """Who hears the environment's alarms: each address and URL is subscribed to its alerts topic."""

    email: list[Annotated[str, AfterValidator(_email)]] = Field(default_factory=list)
    https: list[Annotated[str, AfterValidator(_https_url)]] = Field(default_factory=list)

    @field_validator("email", "https")
    @classmethod
    def _unique_endpoints(cls, value: list[str], info: ValidationInfo) -> list[str]:
        _unique(value, "email address" if info.field_name == "email" else "URL")
        return value


def _empty_to_none(value: Any) -> Any:
    """`${API_DOMAIN:-}` yields '' when unset, which means "no custom domain"."""
    return None if value == "" else value


class ApiSpec(SpecModel):
    enabled: bool = True
    throttling: ThrottlingSpec = Field(default_factory=ThrottlingSpec)
    access_logs: bool = True
    domain: Annotated[str | None, BeforeValidator(_empty_to_none)] = None
    certificate_arn: Annotated[str | None, BeforeValidator(_empty_to_none)] = Field(default=None, validate_default=True)
    auth: AuthSpec | None = None

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and ("." not in value or not DNS_NAME.match(value)):
            fail(f"expected a lowercase domain name such as 'api.example.com' (got '{value}')")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not value.startswith("arn:aws"):
            fail(f"expected an ACM certificate ARN starting with 'arn:aws' (got '{value}')")
        if value is None and info.data.get("domain"):
            fail(f"required when api.domain is set (domain is '{info.data['domain']}')")
        return value


class PlatformSpec(SpecModel):
    platform: PlatformName
    region: str
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    cluster: ClusterSpec = Field(default_factory=ClusterSpec)
    discovery: DiscoverySpec = Field(default_factory=DiscoverySpec)
    mesh: Literal["service-connect"] = "service-connect"
    logs: LogsSpec = Field(default_factory=LogsSpec)
    encryption: EncryptionSpec = Field(default_factory=EncryptionSpec)
    messaging: MessagingSpec = Field(default_factory=MessagingSpec)
    api: ApiSpec = Field(default_factory=ApiSpec)
    alerts: AlertsSpec = Field(default_factory=AlertsSpec)
    # `xray`: every service's task runs the ADOT collector sidecar (platformctl/layers/tracing.py).
    tracing: Literal["xray", "none"] = "none"
    approval: Literal["none", "required"] = "none"
    tags: dict[TagKey, TagValue] = Field(default_factory=dict)
    environments: dict[EnvName, Overrides] = Field(min_length=1)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        problem = region_problem(value)
        if problem:
            fail(problem)
        return value

    @field_validator("mesh", mode="before")
    @classmethod
    def _mesh(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lower().replace("-", "").replace("_", "") == "appmesh":
            fail(APPMESH_MESSAGE)
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        return _none_to_empty(value)

    @field_validator("tags")
    @classmethod
    def _tag_count(cls, value: dict[str, str]) -> dict[str, str]:
        count, kind = most_tags_on_a_resource(value)
        if count > MAX_TAGS_PER_RESOURCE:
            ours = len(own_tag_keys(kind))
            fail(
                f"{len(value)} tags, and platformctl adds up to {ours} of its own ({kind}): {count} on one resource, "
                f"but AWS allows at most {MAX_TAGS_PER_RESOURCE}; keep at most {MAX_TAGS_PER_RESOURCE - ours} tags"
            )
        return value

    @model_validator(mode="after")
    def _tracing_needs_egress(self) -> PlatformSpec:
        if self.tracing == "xray" and self.network.nat == "none":
            fail(
                "tracing pulls its collector from ECR Public, but network.nat is none, so tasks have no internet "
                "access and can pull only from private ECR; set tracing: none, or network.nat: single",
                "tracing",
            )
        return self

    @model_validator(mode="after")
    def _default_namespace(self) -> PlatformSpec:
        if self.discovery.namespace is None:
            self.discovery = DiscoverySpec(namespace=f"{self.platform}.local")
        return self


# --- services/*.yaml ----------------------------------------------------------------------------------


class AutoscalingSpec(SpecModel):
    min: int = Field(ge=0, le=1000)
    max: int = Field(ge=1, le=1000)
    cpu: int = Field(default=60, ge=1, le=100)

    @field_validator("max")
    @classmethod
    def _max(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("min")
        if isinstance(low, int) and value < low:
            fail(f"expected max to be at least min ({low}) (got {value})")
        return value


class Subscription(SpecModel):
    from_: ServiceName = Field(alias="from")
    events: list[EventName] = Field(min_length=1)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        _unique(value, "event")
        return value


class QueueSpec(SpecModel):
    visibility_timeout: int = Field(default=30, ge=0, le=43200)
    retention_days: int = Field(default=4, ge=1, le=14)


class RuleSpec(SpecModel):
    name: Annotated[str, AfterValidator(_name(RULE_NAME, "rule", 30))]
    pattern: dict[str, Any] = Field(min_length=1)
    target: Literal["queue"] = "queue"


class HealthCheckSpec(SpecModel):
    """A container health check ECS runs inside the task, opt-in: only the image knows what it can run.

    Bounds are ECS's (API reference, HealthCheck); the defaults are ECS's, except a 60 s start period
    that matches the load balancer's grace period.
    """

    command: list[str] = Field(min_length=2)
    interval: int = Field(default=30, ge=5, le=300)
    timeout: int = Field(default=5, ge=2, le=60)
    retries: int = Field(default=3, ge=1, le=10)
    start_period: int = Field(default=60, ge=0, le=300)

    @field_validator("command")
    @classmethod
    def _command(cls, value: list[str]) -> list[str]:
        if value[0] not in ("CMD", "CMD-SHELL"):
            fail(
                "expected the command to start with 'CMD' (run the program directly) or 'CMD-SHELL' "
                f"(run it with the image's /bin/sh), e.g. [CMD, /bin/healthcheck] (got '{value[0]}')",
                0,
            )
        if any(not part for part in value[1:]):
            fail("expected no empty part in the command")
        return value


class ServiceSpec(SpecModel):
    service: ServiceName
    image: str
    port: int = Field(default=8080, ge=1, le=65535)
    cpu: int = 256
    memory: int = 512
    count: int = Field(default=1, ge=0, le=1000)
    autoscaling: AutoscalingSpec | None = None
    health: str = "/health"
    health_check: HealthCheckSpec | None = None
    # Seconds the load balancer lets a stopping task finish its requests (the target group's deregistration
    # delay): every rollout behind the ALB lasts at least this long. AWS's default is 300 s; 30 s suits
    # services that answer within seconds, so a deploy takes about a minute, not five. AWS's bounds.
    deregistration_delay: int = Field(default=30, ge=0, le=3600)
    tracing: Literal["xray", "none"] | None = None  # None: platform.yaml's `tracing`
    routes: list[Route] = Field(default_factory=list)
    # Routes that stay open when api.auth puts a JWT authorizer on the API (health checks, webhooks).
    public_routes: list[str] = Field(default_factory=list)
    publishes: list[EventName] = Field(default_factory=list)
    subscribes: list[Subscription] = Field(default_factory=list)
    calls: list[ServiceName] = Field(default_factory=list)
    env: dict[EnvKey, EnvValue] = Field(default_factory=dict)
    secrets: dict[EnvKey, SecretRef] = Field(default_factory=dict)
    # Customer-managed keys the `secrets` are encrypted with: the execution role may decrypt with them, only
    # through Secrets Manager and SSM (kms:ViaService). Secrets under AWS's own keys need none.
    secrets_kms_keys: list[Annotated[str, AfterValidator(_kms_key_arn)]] = Field(default_factory=list)
    queue: QueueSpec = Field(default_factory=QueueSpec)
    rules: list[RuleSpec] = Field(default_factory=list)
    # The task role may call events:PutEvents on the platform bus (only there); off, it may not touch the bus.
    publishes_to_bus: bool = False
    environments: dict[EnvName, Overrides] = Field(default_factory=dict)

    @field_validator("service")
    @classmethod
    def _service(cls, value: str) -> str:
        if value in RESERVED_SERVICE_NAMES:
            fail(f"the service name '{value}' is reserved")
        return value

    @field_validator("public_routes")
    @classmethod
    def _public_routes(cls, value: list[str], info: ValidationInfo) -> list[str]:
        routes = info.data.get("routes") or []
        for route in value:
            if route not in routes:
                fail(f"expected one of this service's routes, written the same way (got '{route}')")
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not value or any(c.isspace() for c in value):
            fail(f"expected a container image reference such as 'repo/name:tag' (got '{value}')")
        return value

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, value: int) -> int:
        if value not in FARGATE_MEMORY:
            fail(f"expected a Fargate cpu of {_join(tuple(FARGATE_MEMORY))} (got {value})")
        return value

    @field_validator("memory")
    @classmethod
    def _memory(cls, value: int, info: ValidationInfo) -> int:
        cpu = info.data.get("cpu")
        allowed = FARGATE_MEMORY.get(cpu) if isinstance(cpu, int) else None
        if allowed is not None and value not in allowed:
            fail(f"expected memory for cpu {cpu} to be one of {_join(allowed)} (got {value})")
        return value

    @field_validator("health")
    @classmethod
    def _health(cls, value: str) -> str:
        if not value.startswith("/"):
            fail(f"expected a health check path starting with '/' (got '{value}')")
        return value

    @field_validator("publishes", "calls")
    @classmethod
    def _unique_items(cls, value: list[str], info: ValidationInfo) -> list[str]:
        _unique(value, "event" if info.field_name == "publishes" else "service")
        return value

    @field_validator("subscribes")
    @classmethod
    def _subscribes(cls, value: list[Subscription]) -> list[Subscription]:
        seen: set[str] = set()
        for index, sub in enumerate(value):
            if sub.from_ in seen:
                fail(
                    f"duplicate subscription to '{sub.from_}' (list all its events in one entry)",
                    index,
                    "from",
                )
            seen.add(sub.from_)
        return value

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        env = info.data.get("env") or {}
        for key in value:
            if key in env:
                fail(f"'{key}' is set in both env and secrets; keep one", key)
        return value

    @field_validator("secrets_kms_keys")
    @classmethod
    def _secrets_kms_keys(cls, value: list[str], info: ValidationInfo) -> list[str]:
        _unique(value, "key")
        if value and "secrets" in info.data and not info.data["secrets"]:  # absent: secrets had its own error
            fail("secretsKmsKeys grants decrypting the service's secrets, but it has no secrets")
        return value

    @field_validator("rules")
    @classmethod
    def _rules(cls, value: list[RuleSpec]) -> list[RuleSpec]:
        seen: set[str] = set()
        for index, rule in enumerate(value):
            if rule.name in seen:
                fail(f"duplicate rule name '{rule.name}'", index, "name")
            seen.add(rule.name)
        return value

    @field_validator("env", "secrets", mode="before")
    @classmethod
    def _empty_mapping(cls, value: Any) -> Any:
        return _none_to_empty(value)
