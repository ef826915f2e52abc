"""Checks that need more than one file (or more than one environment) to decide.

A service file can be perfect on its own and still subscribe to an event nobody publishes, or claim a route
another service already serves. These checks run on the base specs and again on every environment's merged
specs, because an override can break a reference that the base got right.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic_core import PydanticCustomError

from platformctl.naming import aws_name, role_name
from platformctl.partitions import PRIVATE_ECR_IMAGE, dns_suffix, partition_of_region
from platformctl.specs.models import PlatformSpec, ServiceSpec, parse_route, route_prefix
from platformctl.specs.yaml_source import Loc, SourceDoc

FORBIDDEN_OVERRIDE_KEYS = ("service", "platform", "environments")

# Derived names that carry the service name and are cut to an AWS length limit: if shortening made two
# services' names equal, one would silently take over the other's resource.
_DERIVED_NAMES: tuple[tuple[str, str], ...] = (
    ("target-group", ""),
    ("iam-role", "task"),
    ("iam-role", "execution"),
    ("sqs-queue", ""),
    ("sqs-queue", "dlq"),
)


@dataclass(frozen=True)
class Finding:
    """A problem at a path of one file, before it is given a line (which depends on the environment)."""

    doc: SourceDoc
    loc: Loc
    message: str


@dataclass(frozen=True)
class ServiceEntry:
    """One service file in a check run: its doc, and its model if it validated in this run."""

    doc: SourceDoc
    spec: ServiceSpec | None

    @property
    def name(self) -> str:
        raw = self.doc.data.get("service")
        return raw if isinstance(raw, str) else Path(self.doc.file).stem


def suggest(word: str, candidates: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when something close exists: most spec typos are one or two letters off."""
    options = list(candidates)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    close = close or [c for c in options if len(word) >= 3 and c.startswith(word)][:1]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _where(doc: SourceDoc, loc: Loc) -> str:
    line = doc.line_of(loc)
    return f"{doc.file}:{line}" if line else doc.file


def override_findings(
    platform_doc: SourceDoc | None, service_docs: list[SourceDoc], declared: list[str] | None
) -> list[Finding]:
    """Overrides that name an undeclared environment or try to change identity keys.

    `declared` is None when platform.yaml could not be read: then nothing is known to be undeclared.
    `service`, `platform` and `environments` decide which resources exist and what they are called; letting
    an environment change them would make environments disagree about what they are deploying.
    """
    findings: list[Finding] = []
    for doc in [d for d in [platform_doc] if d is not None] + service_docs:
        envs = doc.data.get("environments")
        if not isinstance(envs, dict):
            continue
        for env, override in envs.items():
            if doc is not platform_doc and declared is not None and env not in declared:
                known = ", ".join(declared) or "none"
                findings.append(
                    Finding(
                        doc,
                        ("environments", env),
                        f"unknown environment '{env}'{suggest(env, declared)}; platform.yaml declares: {known}",
                    )
                )
            if isinstance(override, dict):
                for key in FORBIDDEN_OVERRIDE_KEYS:
                    if key in override:
                        findings.append(
                            Finding(
                                doc,
                                ("environments", env, key),
                                f"'{key}' cannot be overridden per environment (it is the same in every environment)",
                            )
                        )
    return findings


def cross_file_findings(
    platform: PlatformSpec | None,
    services: list[ServiceEntry],
    envs: list[str],
    unreadable: tuple[str, ...] = (),
) -> list[Finding]:
    """Every check that relates one service to another, or to the platform's derived names.

    `unreadable` names services whose files could not be parsed: references to them are not reported,
    since the real problem (already reported) is their file, not the reference.
    """
    findings: list[Finding] = []
    by_name: dict[str, ServiceEntry] = {}
    for entry in services:
        first = by_name.get(entry.name)
        if first is not None:
            findings.append(
                Finding(
                    entry.doc,
                    ("service",),
                    f"service '{entry.name}' is already defined in {_where(first.doc, ('service',))}",
                )
            )
            continue
        by_name[entry.name] = entry
        stem = Path(entry.doc.file).stem
        if entry.spec is not None and entry.name != stem:
            findings.append(
                Finding(
                    entry.doc,
                    ("service",),
                    f"expected the service name to match the file name '{stem}' (got '{entry.name}')",
                )
            )
    names = sorted(by_name)
    # A file whose `service` is wrong still tells what it was meant to be called; references to that name
    # are not the problem, the file is (and it is reported).
    known = set(unreadable) | {Path(e.doc.file).stem for e in services}
    for entry in services:
        if entry.spec is not None:
            findings += _reference_findings(entry, by_name, names, known)
    findings += _route_findings(services)
    if platform is not None:
        findings += _derived_name_findings(platform, services, envs)
        if platform.network.nat == "none":
            findings += _no_nat_findings(platform, services)
        if not platform.messaging.event_bus:
            # Rules live on the platform bus; without it they would silently do nothing.
            findings += [
                Finding(e.doc, ("rules",), "rules need the event bus: set messaging.eventBus: true in platform.yaml")
                for e in services
                if e.spec is not None and e.spec.rules
            ]
            # Without the bus there is nothing to grant events:PutEvents on.
            findings += [
                Finding(
                    e.doc,
                    ("publishesToBus",),
                    "publishing to the bus needs the event bus: set messaging.eventBus: true in platform.yaml",
                )
                for e in services
                if e.spec is not None and e.spec.publishes_to_bus
            ]
    return findings


def _reference_findings(
    entry: ServiceEntry, by_name: dict[str, ServiceEntry], names: list[str], unreadable: set[str]
) -> list[Finding]:
    spec = entry.spec
    assert spec is not None
    findings: list[Finding] = []
    for i, sub in enumerate(spec.subscribes):
        publisher = by_name.get(sub.from_)
        if sub.from_ in unreadable and publisher is None:
            continue
        if publisher is None:
            findings.append(
                Finding(
                    entry.doc,
                    ("subscribes", i, "from"),
                    f"unknown service '{sub.from_}'{suggest(sub.from_, names)}",
                )
            )
            continue
        if publisher.spec is None:
            continue  # its own errors are reported; guessing its events would only add noise
        published = publisher.spec.publishes
        for j, event in enumerate(sub.events):
            if event not in published:
                offered = ", ".join(published) or "nothing"
                findings.append(
                    Finding(
                        entry.doc,
                        ("subscribes", i, "events", j),
                        f"service '{sub.from_}' does not publish '{event}'{suggest(event, published)}"
                        f" (it publishes: {offered})",
                    )
                )
    for i, target in enumerate(spec.calls):
        if target == spec.service:
            findings.append(Finding(entry.doc, ("calls", i), f"a service cannot call itself ('{target}')"))
        elif target not in by_name and target not in unreadable:
            findings.append(Finding(entry.doc, ("calls", i), f"unknown service '{target}'{suggest(target, names)}"))
    return findings


def _no_nat_findings(platform: PlatformSpec, services: list[ServiceEntry]) -> list[Finding]:
    """Without NAT a task reaches only the AWS services the VPC has endpoints for: its images must come from
    private ECR in the platform's region (any account), never Docker Hub, ECR Public or another registry."""
    findings = []
    why = "network.nat is none, so tasks have no internet access and can pull only from private ECR in "
    for entry in services:
        if entry.spec is None:
            continue
        ecr = PRIVATE_ECR_IMAGE.match(entry.spec.image)
        if ecr is None or ecr.group("region") != platform.region:
            message = (
                f"cannot pull '{entry.spec.image}': {why}{platform.region} (<account>.dkr.ecr.{platform.region}."
                f"{dns_suffix(partition_of_region(platform.region))}/<repo>); push the image there, "
                "or set network.nat: single in platform.yaml"
            )
            findings.append(Finding(entry.doc, ("image",), message))
        if entry.spec.tracing == "xray":  # platform.yaml's own `tracing: xray` is refused there (models.py)
            message = (
                f"tracing pulls its collector from ECR Public, but {why}{platform.region}; "
                "set tracing: none, or network.nat: single in platform.yaml"
            )
            findings.append(Finding(entry.doc, ("tracing",), message))
    return findings


def normalise_route_path(path: str) -> str:
    """`/orders/{id}` and `/orders/{orderId}` are the same API Gateway route; compare them as one."""
    path = re.sub(r"\{[^}/]*\+\}", "{+}", path)
    return re.sub(r"\{[^}/+]*\}", "{}", path)


def _methods_overlap(a: str, b: str) -> bool:
    return a == b or "ANY" in (a, b)


def _route_findings(services: list[ServiceEntry]) -> list[Finding]:
    seen: list[tuple[ServiceEntry, int, str, str, str]] = []
    findings: list[Finding] = []
    for entry in services:
        if entry.spec is None:
            continue
        for i, route in enumerate(entry.spec.routes):
            try:
                method, path = parse_route(route)
            except PydanticCustomError:
                continue
            norm = normalise_route_path(path)
            for other, j, other_method, other_norm, other_route in seen:
                if other_norm == norm and _methods_overlap(method, other_method):
                    findings.append(
                        Finding(
                            entry.doc,
                            ("routes", i),
                            f"route '{route}' in {entry.doc.file} collides with '{other_route}' in "
                            f"{_where(other.doc, ('routes', j))}",
                        )
                    )
                    break
            else:
                seen.append((entry, i, method, norm, route))
    collided = {(f.doc.file, f.loc) for f in findings}
    return findings + [f for f in _prefix_findings(services) if (f.doc.file, f.loc) not in collided]


def _prefix_findings(services: list[ServiceEntry]) -> list[Finding]:
    """Two services may not share a route prefix: the internal ALB routes on the path alone."""
    owner: dict[str, tuple[ServiceEntry, int]] = {}
    findings: list[Finding] = []
    for entry in services:
        if entry.spec is None:
            continue
        for i, route in enumerate(entry.spec.routes):
            try:
                _, path = parse_route(route)
            except PydanticCustomError:
                continue
            prefix = route_prefix(path)
            first = owner.setdefault(prefix, (entry, i))
            if first[0].name != entry.name:
                findings.append(
                    Finding(
                        entry.doc,
                        ("routes", i),
                        f"route '{route}' shares the path prefix '{prefix}' with service '{first[0].name}' "
                        f"({_where(first[0].doc, ('routes', first[1]))}); the load balancer routes on paths, "
                        "so a prefix belongs to one service",
                    )
                )
    return findings


def _derived_name_findings(platform: PlatformSpec, services: list[ServiceEntry], envs: list[str]) -> list[Finding]:
    findings: list[Finding] = []
    reported: set[tuple[str, str]] = set()
    for env in envs:
        for kind, suffix in _DERIVED_NAMES:
            owners: dict[str, ServiceEntry] = {}
            for entry in services:
                if entry.spec is None:
                    continue
                service = entry.spec.service
                name = (
                    role_name(platform.platform, env, service, suffix, platform.region)
                    if kind == "iam-role"
                    else aws_name(kind, platform.platform, env, service, suffix)
                )
                other = owners.get(name)
                if other is None:
                    owners[name] = entry
                    continue
                key = (entry.name, other.name)
                if key in reported or entry.name == other.name:
                    continue  # the same name twice is reported once, as a duplicate service
                reported.add(key)
                findings.append(
                    Finding(
                        entry.doc,
                        ("service",),
                        f"derived {kind} name '{name}' (environment '{env}') collides with service "
                        f"'{other.name}' ({other.doc.file}); choose a more distinct service name",
                    )
                )
    return findings
