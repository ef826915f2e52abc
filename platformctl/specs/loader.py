"""Loading a spec directory into one validated SpecSet, or one SpecError listing every problem.

Validation covers the base of every file and the merged result for every declared environment, whichever
environment was asked for: a broken production override must fail `diff dev` too, long before someone runs
`apply production`.
"""

from __future__ import annotations

import copy
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from platformctl.errors import PlatformctlError, SpecError, SpecIssue, UnknownEnvironment
from platformctl.specs.checks import (
    FORBIDDEN_OVERRIDE_KEYS,
    Finding,
    ServiceEntry,
    cross_file_findings,
    override_findings,
    suggest,
)
from platformctl.specs.models import PlatformSpec, ServiceSpec, region_problem, zone_problems
from platformctl.specs.yaml_source import (
    Loc,
    SourceDoc,
    SourceProblem,
    SourceProblems,
    format_path,
    load_yaml,
)

PLATFORM_FILE = "platform.yaml"
SERVICES_DIR = "services"


@dataclass(frozen=True)
class SpecSet:
    """The validated specs for one environment (or the base specs when `env` is None)."""

    root: Path
    env: str | None
    platform: PlatformSpec
    services: dict[str, ServiceSpec]
    environments: list[str]
    files: dict[str, Path] = field(default_factory=dict)
    # platform.yaml's own region for this environment. `platform.region` is the effective region: the same,
    # unless `--region` overrode it. Roles made before roles carried their region belong to this one.
    home_region: str = ""

    @property
    def approval_required(self) -> bool:
        """Whether applying needs an explicit approval; set per environment, typically for production."""
        return self.platform.approval == "required"


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; lists and scalars replace, because merging lists has no obvious meaning."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# --- pydantic errors → user messages --------------------------------------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated/Optional so the walk below sees the container or model inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _alias_loc(model: type[BaseModel], loc: Loc) -> tuple[Loc, type[BaseModel] | None]:
    """Rewrite field names in `loc` to their YAML aliases; return the model that owns the last element.

    pydantic reports some errors (defaults it validated itself) under the Python name; users only ever see
    the YAML name, so every path is normalised to it.
    """
    out: list[str | int] = []
    current: Any = model
    owner: type[BaseModel] | None = None
    for part in loc:
        if part == "[key]":
            continue
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner = current
            found = None
            for name, info in current.model_fields.items():
                if part in (name, info.alias):
                    found = (info.alias or name, info.annotation)
                    break
            if found is None:
                out.append(part)
                current = None
                continue
            out.append(found[0])
            current = found[1]
            continue
        out.append(part)
        origin = typing.get_origin(current)
        args = typing.get_args(current)
        if origin is list and args:
            current = args[0]
        elif origin is dict and len(args) == 2:
            current = args[1]
        else:
            current = None
        owner = None
    return tuple(out), owner


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class whose fields live at `loc`, to suggest a known name for an unknown one."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            match = [i.annotation for n, i in current.model_fields.items() if part in (n, i.alias)]
            current = match[0] if match else None
        else:
            args = typing.get_args(current)
            current = args[-1] if args else None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _message(model: type[BaseModel], error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = _show(error.get("input"))
    if kind == "spec":
        return str(ctx["message"])
    if kind == "missing":
        return "required field missing"
    if kind == "extra_forbidden":
        field_name = str(error["loc"][-1])
        owner = _model_at(model, tuple(error["loc"][:-1]))
        known = [i.alias or n for n, i in owner.model_fields.items()] if owner else []
        return f"unknown field '{field_name}'{suggest(field_name, known)}"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"expected one of {', '.join(options)} (got {got})"
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        word = "at least" if kind == "greater_than_equal" else "more than"
        return f"expected {word} {bound} (got {got})"
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        word = "at most" if kind == "less_than_equal" else "less than"
        return f"expected {word} {bound} (got {got})"
    if kind == "too_short":
        n = ctx.get("min_length")
        return f"expected at least {n} item{'s' if n != 1 else ''} (got {ctx.get('actual_length')})"
    if kind == "too_long":
        n = ctx.get("max_length")
        return f"expected at most {n} item{'s' if n != 1 else ''} (got {ctx.get('actual_length')})"
    simple = {
        "int_parsing": "an integer",
        "int_type": "an integer",
        "int_from_float": "a whole number",
        "float_parsing": "a number",
        "float_type": "a number",
        "bool_parsing": "true or false",
        "bool_type": "true or false",
        "string_type": "a string",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "list_type": "a list",
    }
    if kind in simple:
        return f"expected {simple[kind]} (got {got})"
    return f"{error['msg']} (got {got})"


def _findings(model: type[BaseModel], doc: SourceDoc, exc: ValidationError) -> list[Finding]:
    out = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        ctx = error.get("ctx") or {}
        if error["type"] == "spec":
            loc = (*loc, *ctx.get("sub", []))
        aliased, _ = _alias_loc(model, loc)
        out.append(Finding(doc, aliased, _message(model, error)))
    return out


# --- loading --------------------------------------------------------------------------------------------


@dataclass
class _Collector:
    """Turns findings into issues, attributing merged-environment errors to the override that caused them."""

    issues: list[SpecIssue] = field(default_factory=list)
    base_keys: set[tuple[str, Loc, str]] = field(default_factory=set)
    skip: set[tuple[str, Loc]] = field(default_factory=set)

    def add(self, findings: list[Finding], env: str | None = None) -> None:
        for f in findings:
            key = (f.doc.file, f.loc, f.message)
            if (f.doc.file, f.loc) in self.skip:
                continue
            if env is None:
                self.base_keys.add(key)
                path, line, _ = f.doc.locate(f.loc)
                self.issue(SpecIssue(f.doc.file, line, path, f.message))
                continue
            if key in self.base_keys:
                continue  # the base already fails the same way; one report is enough
            path, line, from_override = f.doc.locate(f.loc, env)
            message = f.message if from_override else f"{f.message} (in environment '{env}')"
            self.issue(SpecIssue(f.doc.file, line, path, message))

    def problem(self, file: str, problem: SourceProblem) -> None:
        self.issue(SpecIssue(file, problem.line, format_path(problem.loc), problem.message))

    def issue(self, issue: SpecIssue) -> None:
        if issue not in self.issues:
            self.issues.append(issue)


def _read(path: Path, collector: _Collector, environ: Mapping[str, str] | None) -> SourceDoc | None:
    display = str(path)
    try:
        return load_yaml(path, display, environ)
    except SourceProblem as problem:
        collector.problem(display, problem)
        return None
    except SourceProblems as problems:
        for each in problems.problems:
            collector.problem(display, each)
            collector.skip.add((display, each.loc))
        return problems.doc


def _validate(model: type[BaseModel], doc: SourceDoc, data: Mapping[str, Any]) -> tuple[Any, list[Finding]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, _findings(model, doc, exc)


def _merged(doc: SourceDoc, env: str) -> dict[str, Any]:
    envs = doc.data.get("environments")
    override = envs.get(env) if isinstance(envs, dict) else None
    if not isinstance(override, dict):
        return doc.data
    override = {k: v for k, v in override.items() if k not in FORBIDDEN_OVERRIDE_KEYS}
    return deep_merge(doc.data, override)


def _zone_findings(doc: SourceDoc, spec: PlatformSpec | None, region: str | None) -> list[Finding]:
    """Pinned zones outside the effective region (`region` when overridden, else the spec's own)."""
    if spec is None:
        return []
    zones = spec.network.availability_zones
    return [
        Finding(doc, ("network", "availabilityZones", index), message)
        for index, message in zone_problems(zones, region or spec.region)
    ]


def load_specs(
    specs_dir: Path,
    env: str | None = None,
    environ: Mapping[str, str] | None = None,
    region: str | None = None,
) -> SpecSet:
    """Load, interpolate and validate `specs_dir`; with `env`, return that environment's merged specs.

    Raises one SpecError with every issue found across all files and environments, so a user fixes the
    specs in one pass instead of one error per run. `environ` replaces the process environment for `${VAR}`
    (tests use it; the CLI does not). `region` (the CLI's `--region`) replaces platform.yaml's region in the
    result, so the desired graph, the clients and the lock all use one region; pinned zones are checked
    against it, and `home_region` keeps the one platform.yaml gives.
    """
    if region is not None and (problem := region_problem(region)):
        raise PlatformctlError(f"--region: {problem}")
    specs_dir = Path(specs_dir)
    environ = os.environ if environ is None else environ
    collector = _Collector()
    platform_path = specs_dir / PLATFORM_FILE
    platform_doc: SourceDoc | None = None
    if os.path.lexists(platform_path):  # a directory or a broken link by that name is reported by _read
        platform_doc = _read(platform_path, collector, environ)
    else:
        collector.issue(SpecIssue(str(platform_path), None, "", "file not found: every spec set needs platform.yaml"))
    service_paths: list[Path] = []
    services_dir = specs_dir / SERVICES_DIR
    if services_dir.is_dir():
        # Every *.yaml / *.yml entry, whatever it is: skipping a broken link or a directory would make its
        # service vanish from the desired state, and `diff` would plan to delete it. _read reports them.
        service_paths = sorted(p for p in services_dir.iterdir() if p.suffix in (".yaml", ".yml"))
    service_docs: list[SourceDoc] = []
    unreadable: list[str] = []
    for path in service_paths:
        doc = _read(path, collector, environ)
        if doc is None:
            unreadable.append(path.stem)
        else:
            service_docs.append(doc)

    base_platform: PlatformSpec | None = None
    if platform_doc is not None:
        base_platform, findings = _validate(PlatformSpec, platform_doc, platform_doc.data)
        collector.add(findings)
        collector.add(_zone_findings(platform_doc, base_platform, region))
    base_entries = []
    for doc in service_docs:
        spec, findings = _validate(ServiceSpec, doc, doc.data)
        collector.add(findings)
        base_entries.append(ServiceEntry(doc, spec))

    declared: list[str] = []
    known_envs: list[str] | None = None
    if platform_doc is not None and isinstance(platform_doc.data.get("environments"), dict):
        declared = [str(k) for k in platform_doc.data["environments"]]
        known_envs = declared
    collector.add(override_findings(platform_doc, service_docs, known_envs))
    collector.add(cross_file_findings(base_platform, base_entries, declared, tuple(unreadable)))

    merged: dict[str, tuple[PlatformSpec | None, list[ServiceEntry]]] = {}
    for name in declared:
        platform_spec: PlatformSpec | None = None
        if platform_doc is not None:
            platform_spec, findings = _validate(PlatformSpec, platform_doc, _merged(platform_doc, name))
            collector.add(findings, name)
            collector.add(_zone_findings(platform_doc, platform_spec, region), name)
        entries = []
        for doc in service_docs:
            spec, findings = _validate(ServiceSpec, doc, _merged(doc, name))
            collector.add(findings, name)
            entries.append(ServiceEntry(doc, spec))
        collector.add(cross_file_findings(platform_spec, entries, [name], tuple(unreadable)), name)
        merged[name] = (platform_spec, entries)

    if env is not None and platform_doc is not None and env not in declared:
        unknown = SpecIssue(
            platform_doc.file,
            platform_doc.line_of(("environments",)),
            "environments",
            f"unknown environment '{env}'{suggest(env, declared)}; declared environments: "
            f"{', '.join(declared) or 'none'}",
        )
        if declared and not collector.issues:
            # Valid specs and an environment they do not declare: the caller's --env is wrong, not the specs.
            raise UnknownEnvironment(unknown, env, declared, suggest(env, declared))
        collector.issue(unknown)
    if collector.issues:
        raise SpecError(collector.issues)

    assert platform_doc is not None and base_platform is not None
    chosen_platform, chosen_entries = (base_platform, base_entries) if env is None else merged[env]
    assert chosen_platform is not None
    services = {e.spec.service: e.spec for e in sorted(chosen_entries, key=lambda e: e.name) if e.spec}
    files = {"platform": platform_doc.path, **{e.spec.service: e.doc.path for e in chosen_entries if e.spec}}
    home_region = chosen_platform.region
    if region is not None:
        chosen_platform = chosen_platform.model_copy(update={"region": region})
    return SpecSet(
        root=specs_dir,
        env=env,
        platform=chosen_platform,
        services=services,
        environments=declared,
        files=files,
        home_region=home_region,
    )
