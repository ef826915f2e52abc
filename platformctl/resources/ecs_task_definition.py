"""ECS task definitions: one Fargate container per service, with its image, environment and secret references.

A task definition revision is immutable, so nothing is updatable: any change registers a new revision, which
the planner runs as a create-before-delete replacement (register the new revision, the service moves to it,
then the old revision is deregistered). Revisions of one family share no name AWS could clash on.

Secrets are references only (`valueFrom`: a Secrets Manager or SSM parameter ARN), resolved by ECS when a
task starts; no secret value is ever read, written or shown.

Reading: ListTaskDefinitions' `familyPrefix` is, despite its name, an exact family name, so a per-family
listing would cost a call per family. Instead one listing of every ACTIVE revision in the region (100 a
page) is filtered here by our family prefix (`<platform>-<env>-`): one call in an account that holds only
a few hundred ACTIVE revisions, a page per hundred in a busy shared one. Each revision under our prefix is
then described with its tags (in parallel; ECS has no batch describe for task definitions). The describe
is what `read` needs anyway: live props are the planner's input, so the tag index could not spare it (nor
can the index say which revisions exist: a deregistered revision keeps its tags and may still be listed). An
interrupted run can leave several ACTIVE revisions for one logical id: all are returned, and the planner
keeps one and deletes the others.

A content hash stored as a tag at register time would let a read compare hashes instead of describing
(revisions are immutable, so the hash could not go stale), but `read` does not know the desired props, and
the planner diffs, shows and replaces on props; the hash would need a planner hook, and a revision read
without its props could not show what changed. So every revision under our prefix is still described.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource, Resource
from platformctl.errors import AwsCallError, PlatformctlError
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list

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


def _family(arn: str) -> str:
    """The family of a revision ARN, `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`."""
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


def _describe(ctx: Context, arn: str) -> dict[str, Any] | None:
    """A revision with its tags; None when it no longer exists (ECS says so with ClientException)."""
    try:
        return ctx.client("ecs").describe_task_definition(taskDefinition=arn, include=["TAGS"])
    except Exception as exc:
        if error_code(exc) == _CLIENT_ERROR:
            return None
        raise


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

    def read(self, ctx: Context) -> list[LiveResource]:
        prefix = family_prefix(ctx)
        arns = [
            arn
            for arn in _paginate(ctx, "list_task_definitions", "taskDefinitionArns", status="ACTIVE")
            if _family(arn).startswith(prefix)
        ]
        found: list[LiveResource] = []
        for answer in ctx.map(lambda arn: _describe(ctx, arn), arns):
            if answer is None:
                continue  # deregistered or deleted since it was listed
            td = answer["taskDefinition"]
            tags = tag_dict(answer.get("tags"), key="key", value="value")
            if td.get("status") != "ACTIVE" or ctx.identity(tags) is None:
                continue  # not ours: its shape is none of our business
            live = self.live(
                ctx,
                tags,
                name=f"{td['family']}:{td['revision']}",
                physical_id=td["taskDefinitionArn"],
                props=_props(td),
                attrs=_attrs(td),
            )
            if live:
                found.append(live)
        return found

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
            tags=tag_list(ctx.tags_for(resource), key="key", value="value"),
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
