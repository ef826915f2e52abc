"""What a layer needs to derive resources: the environment's merged specs and the account they go to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from platformctl import partitions, vpc_endpoints
from platformctl.specs import SpecSet, availability_zones
from platformctl.vpc_endpoints import EndpointService
from platformctl.zones import Zone, choose_zones

# Used where no AWS call may be made (validate): the graph's shape does not depend on the account.
PLACEHOLDER_ACCOUNT = "000000000000"


@dataclass(frozen=True)
class BuildContext:
    specs: SpecSet
    account_id: str = PLACEHOLDER_ACCOUNT
    # The account's partition, from the caller identity (`Aws.partition`). Left empty (validate, no AWS call):
    # the partition the region belongs to, so an offline graph already holds the ARNs a real run would.
    partition: str = ""
    # The zones the account offers in the region (`zones.read_zones`). None (validate, no AWS call): zone
    # names come from the region and the letters a, b, c..., as many as a real run would choose.
    offered_zones: tuple[Zone, ...] | None = None
    # Secrets Manager name → the secret's complete ARN (`secret_refs.resolve_secret_arns`). None (validate,
    # show, destroy: no lookup): a name stays a name-only ARN, and IAM grants the `name-??????` pattern.
    secret_arns: Mapping[str, str] | None = None
    # (service, endpoint type) → what the region calls it (`vpc_endpoints.read_endpoint_services`), for a
    # platform without NAT. None (validate, destroy: no lookup): the usual `com.amazonaws.<region>.<service>`.
    endpoint_services: Mapping[tuple[str, str], EndpointService] | None = None

    def __post_init__(self) -> None:
        if not self.partition:
            object.__setattr__(self, "partition", partitions.partition_of_region(self.region))

    @property
    def platform(self) -> str:
        return self.specs.platform.platform

    @property
    def env(self) -> str:
        assert self.specs.env is not None, "a desired graph is always for one environment"
        return self.specs.env

    @property
    def region(self) -> str:
        """The effective region: platform.yaml's, or `--region`'s (the loader put it in the specs)."""
        return self.specs.platform.region

    @cached_property
    def zones(self) -> list[str]:
        """The zone names the platform uses, in order: chosen from the offered zones (a ZoneChoiceError if the
        account cannot give what the spec asks), or derived from the letters when none were read."""
        net = self.specs.platform.network
        if self.offered_zones is None:
            return availability_zones(self.region, net.azs, net.availability_zones)
        api = self.specs.platform.api.enabled
        return choose_zones(self.region, net.azs, net.availability_zones, self.offered_zones, api)

    @property
    def vpc_endpoints(self) -> list[EndpointService]:
        """The VPC endpoints the platform needs (none unless `nat: none`), as the region names them."""
        wanted = vpc_endpoints.needed(self.specs.platform.network.nat)
        known = self.endpoint_services if self.endpoint_services is not None else {}
        assumed = vpc_endpoints.assumed(self.region, wanted)
        return [known.get(key) or assumed[key] for key in wanted]

    @property
    def prefix(self) -> str:
        """`<platform>-<env>`: the start of every name we give in this environment."""
        return f"{self.platform}-{self.env}"

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        """An ARN in this account's partition; region and account default to ours (IAM: `region=""`)."""
        return partitions.arn(
            self.partition,
            service,
            self.region if region is None else region,
            self.account_id if account is None else account,
            resource,
        )

    def service_principal(self, service: str, *, regional: bool = False) -> str:
        """The principal `service` acts as in this partition (`regional`: `logs.<region>.<suffix>`)."""
        return partitions.service_principal(service, self.partition, self.region if regional else None)
