"""ECS task definitions: one Fargate container per service, with its image, environment and secret references.

A task definition revision is immutable, so nothing is updatable: any change registers a new revision, which
the planner runs as a create-before-delete replacement (register the new revision, the service moves to it,
then the old revision is deregistered). Revisions of one family share no name AWS could clash on.

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

import re
from dataclasses import replace
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource, Resource, props_fingerprint
from platformctl.errors import AwsCallError, PlatformctlError
from platformctl.naming import TAG_FINGERPRINT
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list, unless_gone

# ECS answers "does not exist" with the generic ClientException; delete confirms with a describe.
_CLIENT_ERROR = "ClientException"
_HEALTH = re.compile(r"^curl -fs http://localhost:(?P<port>\d+)(?P<path>\S*) \|\| exit 1$")


def family_prefix(ctx: Context) -> str:
    """Every family we register starts with this."""
    return f"{ctx.platform}-{ctx.env}-"


def health_command(port: int, health_path: str) -> list[str]:
    return ["CMD-SHELL", f"curl -fs http://localhost:{port}{health_path} || exit 1"]


def _container_definition(container: dict[str, Any]) -> dict[str, Any]:
    port = int(container["port"])
    return {
        "name": container["name"],
        "image": container["image"],
        "essential": True,
        "portMappings": [
            {"containerPort": port, "protocol": "tcp", "name": container["port_name"], "appProtocol": "http"}
        ],
        "environment": [
            {"name": k, "value": _env_text(v)} for k, v in sorted((container.get("environment") or {}).items())
        ],
        # References only: ECS fetches the value when a task starts.
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted((container.get("secrets") or {}).items())],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": container["log_group"],
                "awslogs-region": container["log_region"],
                "awslogs-stream-prefix": container["log_prefix"],
            },
        },
        "healthCheck": {
            "command": health_command(port, container["health_path"]),
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 60,
        },
    }


def _health_path(health: dict[str, Any] | None) -> str | None:
    """The path our health check probes; a command we did not write comes back whole, so it shows as drift."""
    command = (health or {}).get("command") or []
    if len(command) != 2 or command[0] != "CMD-SHELL":
        return " ".join(command) if command else None
    match = _HEALTH.match(command[1])
    return match.group("path") if match else command[1]


def _container_props(definition: dict[str, Any]) -> dict[str, Any]:
    mapping = (definition.get("portMappings") or [{}])[0]
    options = (definition.get("logConfiguration") or {}).get("options") or {}
    return {
        "name": definition.get("name"),
        "image": definition.get("image"),
        "port": mapping.get("containerPort"),
        "port_name": mapping.get("name"),
        "environment": {e["name"]: e.get("value", "") for e in definition.get("environment") or []},
        "secrets": {s["name"]: s["valueFrom"] for s in definition.get("secrets") or []},
        "log_group": options.get("awslogs-group"),
        "log_region": options.get("awslogs-region"),
        "log_prefix": options.get("awslogs-stream-prefix"),
        "health_path": _health_path(definition.get("healthCheck")),
    }


def _props(td: dict[str, Any]) -> dict[str, Any]:
    containers = td.get("containerDefinitions") or []
    return {
        "family": td["family"],
        "cpu": _int(td.get("cpu")),
        "memory": _int(td.get("memory")),
        "execution_role": td.get("executionRoleArn"),
        "task_role": td.get("taskRoleArn"),
        "container": _container_props(containers[0]) if containers else None,
    }


def _attrs(td: dict[str, Any]) -> dict[str, Any]:
    return {"TaskDefinitionArn": td["taskDefinitionArn"], "Family": td["family"], "Revision": td["revision"]}


def _attrs_of_arn(arn: str) -> dict[str, Any]:
    """_attrs from the ARN alone: `.../task-definition/<family>:<revision>`."""
    family, revision = arn.rsplit("/", 1)[-1].rsplit(":", 1)
    return {"TaskDefinitionArn": arn, "Family": family, "Revision": int(revision)}


def _tags(ctx: Context, arn: str) -> dict[str, str] | None:
    """A revision's tags asked of ECS (the index did not know it yet); None when it is gone."""
    try:
        answer = ctx.client("ecs").list_tags_for_resource(resourceArn=arn)
    except Exception as exc:
        if error_code(exc) in (_CLIENT_ERROR, "InvalidParameterException"):
            return None
        raise
    return tag_dict(answer.get("tags"), key="key", value="value")


def _family(arn: str) -> str:
    """The family of a revision ARN, `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`."""
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


def _describe(ctx: Context, arn: str) -> dict[str, Any] | None:
    """A revision with its tags; None when it no longer exists (ECS says so with ClientException)."""
    return unless_gone(
        {_CLIENT_ERROR}, lambda: ctx.client("ecs").describe_task_definition(taskDefinition=arn, include=["TAGS"])
    )


def _paginate(ctx: Context, operation: str, key: str, **kwargs: Any) -> list[str]:
    items: list[str] = []
    for page in ctx.client("ecs").get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


class TaskDefinition(ResourceKind):
    kind: ClassVar[str] = "ecs.task_definition"
    service: ClassVar[str] = "ecs"
    id_attr: ClassVar[str] = "TaskDefinitionArn"
    updatable: ClassVar[frozenset[str]] = frozenset()
    create_before_delete: ClassVar[bool] = True

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

    shared_reads: ClassVar = (tag_index.indexed_tags,)

    def read(self, ctx: Context) -> list[LiveResource]:
        prefix = family_prefix(ctx)
        arns = [
            arn
            for arn in _paginate(ctx, "list_task_definitions", "taskDefinitionArns", status="ACTIVE")
            if _family(arn).startswith(prefix)
        ]
        tags = tag_index.tags_for_arns(ctx, arns, lambda arn: _tags(ctx, arn))
        found: list[LiveResource] = []
        to_describe: list[str] = []
        for arn in arns:
            if arn not in tags or ctx.identity(tags[arn]) is None:
                continue  # gone since it was listed, or not ours: its shape is none of our business
            fingerprint = tags[arn].get(TAG_FINGERPRINT)
            if fingerprint is None:
                to_describe.append(arn)  # registered without one (by an older platformctl): read it whole
                continue
            summary = self.live(
                ctx,
                tags[arn],
                name=arn.rsplit("/", 1)[-1],
                physical_id=arn,
                props={},
                attrs=_attrs_of_arn(arn),
            )
            if summary:
                found.append(replace(summary, fingerprint=fingerprint))
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
        ecs = ctx.client("ecs")
        family = props["family"]
        if not family.startswith(family_prefix(ctx)):
            # `read` lists only families with that prefix: this one would be registered again on every apply.
            raise PlatformctlError(
                f"{resource.id}: task definition family {family} does not start with {family_prefix(ctx)}"
            )
        self._refuse_foreign(ctx, resource, family)
        td = ecs.register_task_definition(
            family=family,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu=str(props["cpu"]),
            memory=str(props["memory"]),
            executionRoleArn=props["execution_role"],
            taskRoleArn=props["task_role"],
            containerDefinitions=[_container_definition(props["container"])],
            tags=tag_list(
                {**ctx.tags_for(resource), TAG_FINGERPRINT: props_fingerprint(self.canonical(props))},
                key="key",
                value="value",
            ),
        )["taskDefinition"]
        return _attrs(td)

    def _refuse_foreign(self, ctx: Context, resource: Resource, family: str) -> None:
        """Fail when the family's latest ACTIVE revision is somebody else's.

        Registering would quietly add our revision on top of it, and whatever runs that family by name
        (no revision) would pick ours up on its next deployment.
        """
        try:
            answer = ctx.client("ecs").describe_task_definition(taskDefinition=family, include=["TAGS"])
        except Exception as exc:
            if error_code(exc) == _CLIENT_ERROR:
                return  # no such family (or no ACTIVE revision in it)
            raise
        if answer["taskDefinition"].get("status") != "ACTIVE":
            return
        owner = ctx.identity(tag_dict(answer.get("tags"), key="key", value="value"))
        if owner is None or owner[0] != resource.id:
            raise AwsCallError(
                resource.id, "FamilyNotOurs", f"task definition family {family} has revisions that are not ours"
            )

    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Deregistering makes the revision INACTIVE: running tasks keep it, new ones cannot use it."""
        ecs = ctx.client("ecs")
        try:
            ecs.deregister_task_definition(taskDefinition=live.physical_id)
        except Exception as exc:
            if error_code(exc) != _CLIENT_ERROR or not self._gone(ctx, live.physical_id):
                raise

    def _gone(self, ctx: Context, arn: str) -> bool:
        """Whether a revision is already INACTIVE or deleted (ClientException also means a bad request)."""
        try:
            td = ctx.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]
        except Exception as exc:
            if error_code(exc) == _CLIENT_ERROR:
                return True
            raise
        return td.get("status") != "ACTIVE"


def _int(value: Any) -> int | None:
    """Task-level cpu and memory come back as strings; a definition registered by hand may lack them."""
    return int(value) if value not in (None, "") else None


def _env_text(value: Any) -> str:
    """How a scalar from YAML reaches the container: ECS environment values are strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
