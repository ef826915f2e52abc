"""How platformctl names and tags what it owns.

Names are derived, never stored: the same specs always give the same names, which is what lets live AWS be
the only state. Where an AWS limit bites (ALB and target-group names are 32 characters, IAM roles 64) the
name is cut and a short hash of the full name keeps it unique and stable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

TAG_PLATFORM = "platformctl:platform"
TAG_ENV = "platformctl:env"
TAG_LAYER = "platformctl:layer"
TAG_ID = "platformctl:id"
# On resources that never change after creation (task definition revisions): a digest of the props they were
# created with, so a read can compare it instead of describing each one (engine.model.props_fingerprint).
TAG_FINGERPRINT = "platformctl:fingerprint"
# On global resources (IAM roles): the region whose platform owns them. The same platform and env applied in
# two regions would otherwise find, rewrite and delete each other's roles.
TAG_REGION = "platformctl:region"

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


# Name starts AWS refuses, by what is named (EC2 API Reference, CreateSecurityGroup: "cannot start with sg-";
# ELB API Reference, CreateLoadBalancer: "must not begin with internal-"). Every security group and load
# balancer name we give starts with `<platform>-<env>-`, so the platform name alone decides (specs/models.py).
REFUSED_NAME_STARTS = {"security group": "sg-", "load balancer": "internal-"}


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


# Every tag under this prefix is ours to set (ownership, fingerprints): never the user's to change.
OWNERSHIP_PREFIX = "platformctl:"
# Tags AWS itself puts on resources (CloudFormation, Service Catalog...); no one may set or remove them.
AWS_PREFIX = "aws:"


def user_tags(tags: dict[str, str]) -> dict[str, str]:
    """The tags that are desired state (the specs' `tags`): everything but ours and AWS's own."""
    return {k: v for k, v in tags.items() if not k.startswith((OWNERSHIP_PREFIX, AWS_PREFIX))}


def role_name(platform: str, env: str, service: str, role: str, region: str) -> str:
    """An IAM role's name. IAM is global, so the region is part of it: each region's platform has its own."""
    return aws_name("iam-role", platform, env, service, role, region)


def env_role_path(platform: str, env: str) -> str:
    """The IAM path of one platform env's roles in every region (and of roles made before roles had one)."""
    return f"/platformctl/{platform}/{env}/"


def role_path(platform: str, env: str, region: str) -> str:
    """The IAM path of one platform env's roles in one region: lets a read list only those."""
    return f"{env_role_path(platform, env)}{region}/"


def service_log_group(platform: str, env: str, service: str) -> str:
    """The CloudWatch Logs group a service's containers write to (the services layer makes it, `logs` reads it)."""
    return f"/aws/ecs/{platform}/{env}/{service}"


# AWS's limit on the tags of one resource, ours included (tags starting with `aws:` do not count). It is 50
# on every kind we create (EC2, ELB, ECS, IAM, KMS, Logs, CloudWatch, SNS, SQS, EventBridge, Cloud Map,
# Application Auto Scaling, API Gateway; each service's "Tagging" / "Quotas" page).
MAX_TAGS_PER_RESOURCE = 50
OWNERSHIP_TAG_KEYS = (TAG_PLATFORM, TAG_ENV, TAG_LAYER, TAG_ID)
# The tags a kind carries beyond the ownership tags and the specs' `tags`: EC2's `Name` (ec2_base), the owning
# region on IAM roles (iam_role), the props fingerprint on task definition revisions (ecs_task_definition).
EXTRA_TAG_KEYS: dict[str, tuple[str, ...]] = {
    "ec2.": ("Name",),
    "iam.role": (TAG_REGION,),
    "ecs.task_definition": (TAG_FINGERPRINT,),
}


def own_tag_keys(kind: str) -> frozenset[str]:
    """The keys of the tags platformctl itself puts on a resource of `kind`."""
    extra = [key for prefix, keys in EXTRA_TAG_KEYS.items() if kind.startswith(prefix) for key in keys]
    return frozenset((*OWNERSHIP_TAG_KEYS, *extra))


def most_tags_on_a_resource(user_keys: Iterable[str]) -> tuple[int, str]:
    """(count, kind) of the resource that would carry the most tags with these user tag keys: what AWS's
    50-tag limit applies to. A user `Name` is EC2's own `Name` there (one tag), another tag elsewhere."""
    keys = {key for key in user_keys if not key.startswith(AWS_PREFIX)}
    kinds = [*EXTRA_TAG_KEYS, "any other kind"]
    return max((len(keys | own_tag_keys(kind)), kind.rstrip(".")) for kind in kinds)


def ownership_tags(platform: str, env: str, layer: str, logical_id: str) -> dict[str, str]:
    """The tags that make a resource ours; set in the create call itself so a crash cannot orphan it."""
    return {TAG_PLATFORM: platform, TAG_ENV: env, TAG_LAYER: layer, TAG_ID: logical_id}
