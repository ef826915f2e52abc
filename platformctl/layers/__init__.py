"""Specs → desired resource graph, one module per layer.

Each layer module has `build(ctx: BuildContext) -> list[Resource]`. Layers are ordered (naming.LAYERS):
a resource may reference resources in its own or earlier layers, never later ones.
"""

from __future__ import annotations

from platformctl.engine.model import Resource
from platformctl.layers import api, messaging, platform, services
from platformctl.layers.context import BuildContext
from platformctl.naming import LAYERS

BUILDERS = {
    "platform": platform.build,
    "messaging": messaging.build,
    "services": services.build,
    "api": api.build,
}
assert tuple(BUILDERS) == LAYERS

# Layers whose resources platformctl builds today; the others are recognised but not built yet.
BUILT_LAYERS: tuple[str, ...] = LAYERS


def desired_resources(ctx: BuildContext) -> list[Resource]:
    """The whole desired graph for one environment, every layer, in a stable order."""
    resources: list[Resource] = []
    for layer, build in BUILDERS.items():
        if layer not in BUILT_LAYERS:
            continue
        for resource in build(ctx):
            if resource.layer != layer:
                raise AssertionError(f"{resource.id} built by layer {layer} claims layer {resource.layer}")
            resources.append(resource)
    ids = [r.id for r in resources]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise AssertionError(f"duplicate logical ids in the desired graph: {duplicates}")
    return resources


__all__ = ["BUILDERS", "BUILT_LAYERS", "BuildContext", "desired_resources"]
