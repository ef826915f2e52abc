"""How platformctl names and tags what it owns.

Names are derived, never stored: the same specs always give the same names, which is what lets live AWS be
the only state. Where an AWS limit bites (ALB and target-group names are 32 characters, IAM roles 64) the
name is cut and a short hash of the full name keeps it unique and stable.
"""

from __future__ import annotations

import hashlib

TAG_PLATFORM = "platformctl:platform"
TAG_ENV = "platformctl:env"
TAG_LAYER = "platformctl:layer"
TAG_ID = "platformctl:id"
# On resources that never change after creation (task definition revisions): a digest of the props they were
# created with, so a read can compare it instead of describing each one (engine.model.props_fingerprint).
TAG_FINGERPRINT = "platformctl:fingerprint"

# Dependency order of the layers: each may reference the ones before it, never after.
LAYERS: tuple[str, ...] = ("platform", "messaging", "services", "api")

# AWS name-length limits that matter for what we create.
LIMITS = {
    "alb": 32,
    "target-group": 32,
    "iam-role": 64,
    "sqs-queue": 80,
    "sns-topic": 256,
    "security-group": 255,
    "ecs-cluster": 255,
    "ecs-service": 255,
    "log-group": 512,
    "kms-alias": 256,
    "event-bus": 256,
    "event-rule": 64,
    "alarm": 255,
    "http-api": 128,
}


def shorten(name: str, limit: int) -> str:
    """Fit `name` into `limit` characters, keeping it unique with an 8-character hash of the whole name."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    head = name[: limit - len(digest) - 1].rstrip("-")
    return f"{head}-{digest}"


def aws_name(kind: str, *parts: str) -> str:
    """The AWS name of a resource of `kind` built from `parts` joined with '-', shortened to its limit."""
    return shorten("-".join(p for p in parts if p), LIMITS[kind])


def ownership_tags(platform: str, env: str, layer: str, logical_id: str) -> dict[str, str]:
    """The tags that make a resource ours; set in the create call itself so a crash cannot orphan it."""
    return {TAG_PLATFORM: platform, TAG_ENV: env, TAG_LAYER: layer, TAG_ID: logical_id}
