"""The api layer: the HTTP API, VPC link, routes, stage, custom domain.

Recognised by the engine, the CLI and the spec models, but it builds no resources yet (tracked as issue
4). Until then `diff --layer api` shows nothing to do and `validate` still checks every field these
resources will come from.
"""

from __future__ import annotations

from platformctl.engine.model import Resource
from platformctl.layers.context import BuildContext


def build(ctx: BuildContext) -> list[Resource]:
    return []
