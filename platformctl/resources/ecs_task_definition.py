"""ECS task definitions: one Fargate container per service, with its image, environment and secret references.

A task definition revision is immutable, so nothing is updatable: any change registers a new revision, which
the planner runs as a create-before-delete replacement (register the new revision, the service moves to it,
then the old revision is deregistered). Revisions of one family share no name AWS could clash on.

A task runs the service's container and, where the layer asks for one, a non-essential `sidecar` (the
tracing collector): its own image, command, environment and log stream, no port, no secrets. A container
health check is written only when the props carry one (`health_check`): a check is a command run inside the
image, and only the image knows what it can run.

Secrets are references only (`valueFrom`: a Secrets Manager or SSM parameter ARN), resolved by ECS when a
task starts; no secret value is ever read, written or shown.

Reading: ListTaskDefinitions' `familyPrefix` is, despite its name, an exact family name, so a per-family
listing would cost a call per family. Instead one listing of every ACTIVE revision in the region (100 a
page) is filtered here by our family prefix (`<platform>-<env>-`): one call in an account that holds only
a few hundred ACTIVE revisions, a page per hundred in a busy shared one. An interrupted run can leave
several ACTIVE revisions for one logical id: all are returned, and the planner keeps one and deletes the
others.

Revisions are immutable, so a revision needs no describe to be compared: at register time it is tagged
with the fingerprint of the props it was registered with (`platformctl:fingerprint`), and a read returns
that fingerprint, with the tags from the shared index (no call per revision). The planner compares it with
the desired props' fingerprint and calls `describe` only where they differ, so a change is still shown
field by field. A revision without the tag (registered by an older platformctl) is described as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource, Resource, props_fingerprint
from platformctl.errors import PlatformctlError
from platformctl.naming import TAG_FINGERPRINT
from platformctl.resources import tag_index
from platformctl.resources.base import Context, tag_dict, tag_list, unless_gone
from platformctl.resources.declarative import DeclarativeKind, Field, Listing

# ECS answers "does not exist" with the generic ClientException; delete confirms with a describe.
_CLIENT_ERROR = "ClientException"


def family_prefix(ctx: Context) -> str:
    """Every family we register starts with this."""
    return f"{ctx.platform}-{ctx.env}-"


def _log_configuration(container: dict[str, Any]) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": container["log_group"],
            "awslogs-region": container["log_region"],
            "awslogs-stream-prefix": container["log_prefix"],
        },
    }


def _log_props(definition: dict[str, Any]) -> dict[str, Any]:
    options = (definition.get("logConfiguration") or {}).get("options") or {}
    return {
        "log_group": options.get("awslogs-group"),
        "log_region": options.get("awslogs-region"),
        "log_prefix": options.get("awslogs-stream-prefix"),
    }


def _environment(values: dict[str, Any] | None) -> list[dict[str, str]]:
    return [{"name": k, "value": _env_text(v)} for k, v in sorted((values or {}).items())]


def _health_check(check: dict[str, Any]) -> dict[str, Any]:
    return {
        "command": list(check["command"]),
        "interval": check["interval"],
        "timeout": check["timeout"],
        "retries": check["retries"],
        "startPeriod": check["start_period"],
    }


def _health_check_props(check: dict[str, Any] | None) -> dict[str, Any] | None:
    if not check:
        return None
    return {
        "command": list(check.get("command") or []),
        "interval": check.get("interval"),
        "timeout": check.get("timeout"),
        "retries": check.get("retries"),
        "start_period": check.get("startPeriod"),
    }


def _sidecar_definition(sidecar: dict[str, Any]) -> dict[str, Any]:
    """A helper container (the tracing collector): not essential, so its failure never stops the task."""
    return {
        "name": sidecar["name"],
        "image": sidecar["image"],
        "essential": False,
        "command": list(sidecar.get("command") or []),
        "environment": _environment(sidecar.get("environment")),
        "logConfiguration": _log_configuration(sidecar),
    }


def _sidecar_props(definition: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": definition.get("name"),
        "image": definition.get("image"),
        "command": list(definition.get("command") or []),
        "environment": {e["name"]: e.get("value", "") for e in definition.get("environment") or []},
        **_log_props(definition),
    }


def _container_definition(container: dict[str, Any]) -> dict[str, Any]:
    port = int(container["port"])
    definition = {
        "name": container["name"],
        "image": container["image"],
        "essential": True,
        "portMappings": [
            {"containerPort": port, "protocol": "tcp", "name": container["port_name"], "appProtocol": "http"}
        ],
        "environment": _environment(container.get("environment")),
        # References only: ECS fetches the value when a task starts.
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted((container.get("secrets") or {}).items())],
        "logConfiguration": _log_configuration(container),
    }
    if container.get("health_check"):
        definition["healthCheck"] = _health_check(container["health_check"])
    return definition


def _container_props(definition: dict[str, Any]) -> dict[str, Any]:
    mapping = (definition.get("portMappings") or [{}])[0]
    return {
        "name": definition.get("name"),
        "image": definition.get("image"),
        "port": mapping.get("containerPort"),
        "port_name": mapping.get("name"),
        "environment": {e["name"]: e.get("value", "") for e in definition.get("environment") or []},
        "secrets": {s["name"]: s["valueFrom"] for s in definition.get("secrets") or []},
        **_log_props(definition),
        # A check we did not write (or none) comes back as it is, so a difference shows as drift.
        "health_check": _health_check_props(definition.get("healthCheck")),
    }


def _props(td: dict[str, Any]) -> dict[str, Any]:
    """Registered order: the service's container first, then the sidecar, if any."""
    containers = td.get("containerDefinitions") or []
    props = {
        "family": td["family"],
        "cpu": _int(td.get("cpu")),
        "memory": _int(td.get("memory")),
        "execution_role": td.get("executionRoleArn"),
        "task_role": td.get("taskRoleArn"),
        "container": _container_props(containers[0]) if containers else None,
    }
    if len(containers) > 1:
        # More than one extra container is not ours to have written: show them all, so it reads as drift.
        sidecars = [_sidecar_props(c) for c in containers[1:]]
        props["sidecar"] = sidecars[0] if len(sidecars) == 1 else sidecars
    return props


def _attrs(td: dict[str, Any]) -> dict[str, Any]:
    return {"TaskDefinitionArn": td["taskDefinitionArn"], "Family": td["family"], "Revision": td["revision"]}


def _listed_item(arn: str) -> dict[str, Any]:
    """A revision as its ARN alone says it (`.../task-definition/<family>:<revision>`): what the listing gives."""
    family, revision = arn.rsplit("/", 1)[-1].rsplit(":", 1)
    return {"TaskDefinitionArn": arn, "Family": family, "Revision": int(revision), "Name": f"{family}:{revision}"}


def _describe(ctx: Context, arn: str) -> dict[str, Any] | None:
    """A revision with its tags; None when it no longer exists (ECS says so with ClientException)."""
    return unless_gone(
        {_CLIENT_ERROR}, lambda: ctx.client("ecs").describe_task_definition(taskDefinition=arn, include=["TAGS"])
    )


class TaskDefinition(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "ecs.task_definition"
    service: ClassVar[str] = "ecs"
    tagging: ClassVar[str | None] = "ecs"
    tags_from: ClassVar[str] = "index"
    tags_from_index: ClassVar[bool] = True
    listing = Listing("list_task_definitions", "taskDefinitionArns", lambda ctx: {"status": "ACTIVE"})
    id_attr: ClassVar[str] = "TaskDefinitionArn"
    name_source: ClassVar[str | None] = "Name"
    attrs: ClassVar[dict[str, str]] = {key: key for key in ("TaskDefinitionArn", "Family", "Revision")}
    # No field: a revision is immutable (nothing is updatable), and its props come from a describe (`_props`).
    fields: ClassVar[dict[str, Field]] = {}
    create_before_delete: ClassVar[bool] = True
    taken_code: ClassVar[str] = "FamilyNotOurs"
    # How ECS answers a tag read of a revision it no longer knows; delete confirms ClientException by a describe.
    not_found_codes: ClassVar[frozenset[str]] = frozenset({_CLIENT_ERROR, "InvalidParameterException"})

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        """Environment values are strings in ECS; the specs may say `3` or `true`."""
        container = props.get("container")
        if not isinstance(container, dict) or not isinstance(container.get("environment"), dict):
            return props
        environment = {
            k: _env_text(v) if isinstance(v, (bool, int, float)) else v
            for k, v in sorted(container["environment"].items())
        }
        return {**props, "container": {**container, "environment": environment}}

    def listed(self, ctx: Context) -> list[dict[str, Any]]:
        """Needs code: the listing gives bare ARNs of every family in the region; ours are kept by their prefix."""
        pages = self._pages(ctx, self.listing, self.listing.request(ctx))
        items = [_listed_item(arn) for page in pages for arn in page.get(self.listing.key) or []]
        return [item for item in items if item["Family"].startswith(family_prefix(ctx))]

    def read(self, ctx: Context) -> list[LiveResource]:
        """Needs code: a revision is returned as its fingerprint, or described whole where it has none."""
        found: list[LiveResource] = []
        to_describe: list[str] = []
        for owned in self.owned(ctx):
            fingerprint = owned.tags.get(TAG_FINGERPRINT)
            if fingerprint is None:
                to_describe.append(owned.physical_id)  # registered without one (by an older platformctl)
            else:
                found.append(replace(self.to_live(ctx, owned, props={}), fingerprint=fingerprint))
        for answer in ctx.map(lambda arn: _describe(ctx, arn), to_describe):
            live = self._whole(ctx, answer)
            if live:
                found.append(live)
        return found

    def describe(self, ctx: Context, live: LiveResource) -> LiveResource:
        whole = self._whole(ctx, _describe(ctx, live.physical_id))
        if whole is None:
            raise PlatformctlError(
                f"{live.id}: task definition {live.name} was deregistered while planning; run the command again"
            )
        return whole

    def _whole(self, ctx: Context, answer: dict[str, Any] | None) -> LiveResource | None:
        """A described revision as a LiveResource with its props; None when it is gone, inactive or not ours."""
        if answer is None:
            return None  # deregistered or deleted since it was listed
        td = answer["taskDefinition"]
        tags = tag_dict(answer.get("tags"), key="key", value="value")
        if td.get("status") != "ACTIVE":
            return None
        return self.live(
            ctx,
            tags,
            name=f"{td['family']}:{td['revision']}",
            physical_id=td["taskDefinitionArn"],
            props=_props(td),
            attrs=_attrs(td),
        )

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        """Needs code: the family must carry our prefix, a revision of ours in it is no reason not to register
        (revisions are immutable), and the new revision's tags carry the fingerprint of its props."""
        family = props["family"]
        if not family.startswith(family_prefix(ctx)):
            # `read` lists only families with that prefix: this one would be registered again on every apply.
            raise PlatformctlError(
                f"{resource.id}: task definition family {family} does not start with {family_prefix(ctx)}"
            )
        self.claim_existing(ctx, resource, props)  # raises when the family's latest revision is not ours
        tags = {**ctx.tags_for(resource), TAG_FINGERPRINT: props_fingerprint(self.canonical(props))}
        request = {**self.create_request(ctx, props), "tags": tag_list(tags, key="key", value="value")}
        return _attrs(self.call(ctx, "register_task_definition", **request)["taskDefinition"])

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "family": props["family"],
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": str(props["cpu"]),
            "memory": str(props["memory"]),
            "executionRoleArn": props["execution_role"],
            "taskRoleArn": props["task_role"],
            "containerDefinitions": [_container_definition(props["container"])]
            + ([_sidecar_definition(props["sidecar"])] if props.get("sidecar") else []),
        }

    def existing(self, ctx: Context, props: dict[str, Any]) -> Iterable[tuple[dict[str, Any], dict[str, str]]]:
        """The family's latest ACTIVE revision. Registering on top of somebody else's would quietly hand ours to
        whatever runs that family by name (no revision) on its next deployment."""
        answer = _describe(ctx, props["family"])  # None: no such family (or no ACTIVE revision in it)
        if answer is None or answer["taskDefinition"].get("status") != "ACTIVE":
            return []
        tags = tag_dict(answer.get("tags"), key="key", value="value")
        return [(_listed_item(answer["taskDefinition"]["taskDefinitionArn"]), tags)]

    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Needs code: ECS answers ClientException both for a revision already gone and for a bad request.

        Deregistering makes the revision INACTIVE: running tasks keep it, new ones cannot use it.
        """
        try:
            self.client(ctx).deregister_task_definition(taskDefinition=live.physical_id)
        except Exception as exc:
            if error_code(exc) != _CLIENT_ERROR or not self._gone(ctx, live.physical_id):
                raise

    def _gone(self, ctx: Context, arn: str) -> bool:
        """Whether a revision is already INACTIVE or deleted (ClientException also means a bad request)."""
        answer = _describe(ctx, arn)
        return answer is None or answer["taskDefinition"].get("status") != "ACTIVE"


def _int(value: Any) -> int | None:
    """Task-level cpu and memory come back as strings; a definition registered by hand may lack them."""
    return int(value) if value not in (None, "") else None


def _env_text(value: Any) -> str:
    """How a scalar from YAML reaches the container: ECS environment values are strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
