"""Specs → desired resource graph, one module per layer.

Each layer module has `build(ctx: BuildContext) -> list[Resource]`. Layers are ordered (naming.LAYERS):
a resource may reference resources in its own or earlier layers, never later ones.
"""

from __future__ import annotations

from collections import Counter

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


def desired_resources(ctx: BuildContext) -> list[Resource]:
    """The whole desired graph for one environment, every layer, in a stable order.

    Every resource gets the platform's `tags` here, once: they are desired state wherever AWS can tag.
    """
    resources: list[Resource] = []
    tags = {str(k): str(v) for k, v in ctx.specs.platform.tags.items()}
    for layer, build in BUILDERS.items():
        for resource in build(ctx):
            if resource.layer != layer:
                raise AssertionError(f"{resource.id} built by layer {layer} claims layer {resource.layer}")
            resource.tags = dict(tags)
            resources.append(resource)
    duplicates = sorted(i for i, n in Counter(r.id for r in resources).items() if n > 1)
    if duplicates:
        raise AssertionError(f"duplicate logical ids in the desired graph: {duplicates}")
    return resources


__all__ = ["BUILDERS", "BuildContext", "desired_resources"]
