"""The messaging layer: SNS topics, SQS queues with dead-letter queues, filtered subscriptions, EventBridge.

Recognised by the engine, the CLI and the spec models, but it builds no resources yet (tracked as issue
3). Until then `diff --layer messaging` shows nothing to do and `validate` still checks every field these
resources will come from.
"""

from __future__ import annotations

from platformctl.engine.model import Resource
from platformctl.layers.context import BuildContext


def build(ctx: BuildContext) -> list[Resource]:
    return []
