"""The spec schema as pydantic models.

The YAML is camelCase, the engine reads snake_case attributes; the alias generator bridges them so neither
side bends. Every check that can be made from one file alone lives here, so it also runs against each
environment's merged spec; checks that need several files live in checks.py. Validators raise `fail()` so
the message reaches the user verbatim and, where useful, points at the offending key or item.
"""

from __future__ import annotations

import ipaddress
import re
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

from platformctl.specs.network import MAX_AZS, carve_subnets

PLATFORM_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
ENV_KEY = re.compile(r"^[A-Z_][A-Z0-9_]*$")
RULE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
ROUTE_METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
RESERVED_SERVICE_NAMES = frozenset({"platform"})  # `SpecSet.files` uses it for platform.yaml
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

APPMESH_MESSAGE = (
    "App Mesh is not supported: AWS discontinued App Mesh on 2026-09-30; use 'service-connect' (ECS Service Connect)"
)


def fail(message: str, *sub: str | int) -> NoReturn:
    """Raise a validation error whose text is shown as is; `sub` narrows the location below the field."""
    raise PydanticCustomError("spec", "{message}", {"message": message, "sub": list(sub)})


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
        return value
    fail(f"expected 'ssm:/parameter/path' or 'secretsmanager:NAME_OR_ARN' (got '{value}')")


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
    parse_route(value)
    return value


def _tag_key(value: str) -> str:
    lowered = value.lower()
    if lowered.startswith("platformctl:") or lowered.startswith("aws:"):
        fail(f"tag keys starting with 'platformctl:' or 'aws:' are reserved (got '{value}')")
    if not 1 <= len(value) <= 128:
        fail(f"expected a tag key of 1 to 128 characters (got {len(value)})")
    return value


def _tag_value(value: str) -> str:
    if len(value) > 256:
        fail(f"expected a tag value of at most 256 characters (got {len(value)})")
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


PlatformName = Annotated[str, AfterValidator(_name(PLATFORM_NAME, "platform", 20))]
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
    # azs comes first so the cidr check can see it.
    azs: int = Field(default=3, ge=1, le=MAX_AZS)
    cidr: str = "10.0.0.0/16"
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
        azs = info.data.get("azs")
        if isinstance(azs, int):
            try:
                carve_subnets(value, azs)
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
    approval: Literal["none", "required"] = "none"
    tags: dict[TagKey, TagValue] = Field(default_factory=dict)
    environments: dict[EnvName, Overrides] = Field(min_length=1)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not REGION.match(value):
            fail(f"expected an AWS region such as us-east-1 (got '{value}')")
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


class ServiceSpec(SpecModel):
    service: ServiceName
    image: str
    port: int = Field(default=8080, ge=1, le=65535)
    cpu: int = 256
    memory: int = 512
    count: int = Field(default=1, ge=0, le=1000)
    autoscaling: AutoscalingSpec | None = None
    health: str = "/health"
    routes: list[Route] = Field(default_factory=list)
    # Routes that stay open when api.auth puts a JWT authorizer on the API (health checks, webhooks).
    public_routes: list[str] = Field(default_factory=list)
    publishes: list[EventName] = Field(default_factory=list)
    subscribes: list[Subscription] = Field(default_factory=list)
    calls: list[ServiceName] = Field(default_factory=list)
    env: dict[EnvKey, EnvValue] = Field(default_factory=dict)
    secrets: dict[EnvKey, SecretRef] = Field(default_factory=dict)
    queue: QueueSpec = Field(default_factory=QueueSpec)
    rules: list[RuleSpec] = Field(default_factory=list)
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
