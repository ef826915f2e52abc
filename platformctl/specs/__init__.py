"""The YAML specs: loading, `${VAR}` interpolation, validation with file:line errors, and scaffolding.

Everything else in platformctl consumes a SpecSet and never reads YAML itself, so what the validator
accepts is exactly what the engine will deploy.
"""

from platformctl.specs.loader import SpecSet, deep_merge, load_specs
from platformctl.specs.models import (
    ApiSpec,
    AuthSpec,
    AutoscalingSpec,
    CapacityItem,
    ClusterSpec,
    DiscoverySpec,
    EncryptionSpec,
    LogsSpec,
    MessagingSpec,
    NetworkSpec,
    PlatformSpec,
    QueueSpec,
    RuleSpec,
    ServiceSpec,
    Subscription,
    ThrottlingSpec,
)
from platformctl.specs.network import availability_zones, carve_subnets
from platformctl.specs.scaffold import scaffold_service

__all__ = [
    "ApiSpec",
    "AuthSpec",
    "AutoscalingSpec",
    "CapacityItem",
    "ClusterSpec",
    "DiscoverySpec",
    "EncryptionSpec",
    "LogsSpec",
    "MessagingSpec",
    "NetworkSpec",
    "PlatformSpec",
    "QueueSpec",
    "RuleSpec",
    "ServiceSpec",
    "SpecSet",
    "Subscription",
    "ThrottlingSpec",
    "availability_zones",
    "carve_subnets",
    "deep_merge",
    "load_specs",
    "scaffold_service",
]
