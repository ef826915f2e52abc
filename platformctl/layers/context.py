"""What a layer needs to derive resources: the environment's merged specs and the account they go to."""

from __future__ import annotations

from dataclasses import dataclass

from platformctl.specs import SpecSet

# Used where no AWS call may be made (validate): the graph's shape does not depend on the account.
PLACEHOLDER_ACCOUNT = "000000000000"


@dataclass(frozen=True)
class BuildContext:
    specs: SpecSet
    account_id: str = PLACEHOLDER_ACCOUNT

    @property
    def platform(self) -> str:
        return self.specs.platform.platform

    @property
    def env(self) -> str:
        assert self.specs.env is not None, "a desired graph is always for one environment"
        return self.specs.env

    @property
    def region(self) -> str:
        return self.specs.platform.region

    @property
    def prefix(self) -> str:
        """`<platform>-<env>`: the start of every name we give in this environment."""
        return f"{self.platform}-{self.env}"
