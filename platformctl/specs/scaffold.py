"""`platformctl new service`: write a commented service spec that is valid the moment it exists.

The scaffold validates the whole spec set (every environment) after writing and removes the file again if
anything is wrong, so a bad reference such as subscribing to an event nobody publishes never leaves a
half-made service behind.
"""

from __future__ import annotations

import json
from pathlib import Path

from platformctl.errors import PlatformctlError
from platformctl.specs.loader import SERVICES_DIR, load_specs
from platformctl.specs.models import RESERVED_SERVICE_NAMES, SERVICE_NAME

# What `add-service` writes when told nothing else: an image, its port and a path that answers there, taken
# together from the image's documentation (NGINX's unprivileged image listens on 8080, and / serves its
# welcome page). A port or health path the image does not serve would leave every task unhealthy.
DEFAULT_IMAGE = "public.ecr.aws/nginx/nginx-unprivileged:1.27"
DEFAULT_PORT = 8080
DEFAULT_HEALTH = "/"


def _flow(items: list[str]) -> str:
    # JSON strings are valid YAML flow scalars, and quoting keeps `{proxy+}` and `ANY /x` unambiguous.
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def _group_subscriptions(subscribes: list[str]) -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for item in subscribes:
        source, sep, event = item.partition(":")
        if not sep or not source or not event:
            raise PlatformctlError(f"--subscribes expects SERVICE:EVENT (got '{item}')")
        events = grouped.setdefault(source.strip(), [])
        if event.strip() not in events:
            events.append(event.strip())
    return list(grouped.items())


def render_service(
    name: str,
    *,
    port: int = DEFAULT_PORT,
    image: str = DEFAULT_IMAGE,
    health: str = DEFAULT_HEALTH,
    cpu: int = 256,
    memory: int = 512,
    routes: list[str] | None = None,
    publishes: list[str] | None = None,
    subscribes: list[str] | None = None,
    calls: list[str] | None = None,
) -> str:
    """The YAML text of a new service spec; comments explain each field so the file teaches the format."""
    routes = routes if routes is not None else [f"ANY /{name}/{{proxy+}}"]

    def line(text: str, comment: str) -> str:
        return f"{text:<31} # {comment}"

    lines = [
        f"# The {name} service. Field reference: README.md, section Spec reference",
        line(f"service: {name}", "must equal the file name"),
        line(f"image: {image}", "container image; pin a tag or digest"),
        line(f"port: {port}", "container port the API and callers reach"),
        line(f"cpu: {cpu}", "Fargate cpu units; cpu and memory must be a valid Fargate pair"),
        line(f"memory: {memory}", "MiB"),
        line("count: 1", "desired tasks (the starting point when autoscaling is set)"),
        line("# autoscaling: {min: 1, max: 4, cpu: 60}", "target tracking on average CPU percent"),
        line(f"health: {health}", "HTTP path the load balancer health check requests"),
        line("# healthCheck: {command: [CMD, /bin/healthcheck]}", "container check, only if the image has one"),
        line(f"routes: {_flow(routes)}", "API Gateway routes: 'METHOD /path', METHOD is ANY, GET, POST, ..."),
        line(f"publishes: {_flow(publishes or [])}", "event types on this service's topic (lower_snake_case)"),
    ]
    groups = _group_subscriptions(subscribes or [])
    if groups:
        lines.append(line("subscribes:", "events from other services' topics, delivered to its queue"))
        lines += [f"  - {{from: {source}, events: {_flow(events)}}}" for source, events in groups]
    else:
        lines.append(line("subscribes: []", "e.g. - {from: order, events: [order_created]}"))
    lines += [
        line(f"calls: {_flow(calls or [])}", "services it may call over Service Connect"),
        line("env: {}", "plain environment variables, e.g. {LOG_LEVEL: info}"),
        line("secrets: {}", "e.g. {DB_URL: 'ssm:/path'} or {API_KEY: 'secretsmanager:name'}"),
        line("environments: {}", "per-environment overrides, e.g. {production: {count: 3}}"),
    ]
    return "\n".join(lines) + "\n"


def scaffold_service(
    specs_dir: Path,
    name: str,
    *,
    port: int = DEFAULT_PORT,
    image: str = DEFAULT_IMAGE,
    health: str = DEFAULT_HEALTH,
    cpu: int = 256,
    memory: int = 512,
    routes: list[str] | None = None,
    publishes: list[str] | None = None,
    subscribes: list[str] | None = None,
    calls: list[str] | None = None,
) -> Path:
    """Write `specs/services/NAME.yaml` and return its path, or raise and leave the spec set unchanged.

    `subscribes` items are `SERVICE:EVENT`; several events from one service become one entry. Raises
    PlatformctlError for an invalid or taken name and the SpecError from validation (after removing the
    file) when the new service does not fit the existing specs. `routes=None` gives `ANY /NAME/{proxy+}`.
    """
    specs_dir = Path(specs_dir)
    if not SERVICE_NAME.match(name) or name in RESERVED_SERVICE_NAMES:
        raise PlatformctlError(
            f"invalid service name '{name}': expected a lowercase letter first, "
            "then lowercase letters, digits "
            "or '-', at most 30 characters"
        )
    services_dir = specs_dir / SERVICES_DIR
    for suffix in (".yaml", ".yml"):
        existing = services_dir / f"{name}{suffix}"
        if existing.exists():
            raise PlatformctlError(f"service '{name}' already exists: {existing}")
    if not (specs_dir / "platform.yaml").is_file():
        raise PlatformctlError(f"no platform.yaml in {specs_dir}; is this a specs directory?")
    text = render_service(
        name,
        port=port,
        image=image,
        health=health,
        cpu=cpu,
        memory=memory,
        routes=routes,
        publishes=publishes,
        subscribes=subscribes,
        calls=calls,
    )
    created_dir = not services_dir.exists()
    services_dir.mkdir(parents=True, exist_ok=True)
    target = services_dir / f"{name}.yaml"
    try:
        with target.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError as exc:
        raise PlatformctlError(f"service '{name}' already exists: {target}") from exc
    try:
        # load_specs validates the base and every declared environment's merged specs.
        load_specs(specs_dir)
    except BaseException:
        target.unlink(missing_ok=True)
        if created_dir:
            services_dir.rmdir()
        raise
    return target
