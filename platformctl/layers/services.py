"""The services layer: ECS services, task definitions, roles, target groups, autoscaling.

Recognised by the engine, the CLI and the spec models, but it builds no resources yet (tracked as issue
4). Until then `diff --layer services` shows nothing to do and `validate` still checks every field these
resources will come from.
"""

from __future__ import annotations

from platformctl.engine.model import Resource
from platformctl.layers.context import BuildContext


def build(ctx: BuildContext) -> list[Resource]:
    return []
