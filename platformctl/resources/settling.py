"""Resources AWS builds and deletes asynchronously, as a declaration: how to ask for one, which states mean what.

A NAT gateway is `pending` for minutes, a load balancer `provisioning`, a VPC link `PENDING`; each is also
deleted in the background, holding its subnets and security groups until it is gone. A kind declares
`settles = Settling(...)`: the describe that asks for one resource by id, where the state is, the state
that means ready, the states that mean AWS gave up (and where it says why), and the states that mean gone.
The declarative base then makes create wait until the new resource is ready, and delete until it is gone,
through `waiting.poll`: paced, reported (`waiting for nat-a to become available: pending`) and bounded.

The state is asked, never taken from the create answer (an emulator answers ACTIVE while it provisions).
Create fails the step at once (`WaitFailed`, naming the resource, with AWS's failure code and reason) when the
state says AWS gave up or the resource was deleted meanwhile. Not yet known to describe right after create is
eventual consistency: it is waited for. States compare without regard to case (EC2 answers `available`, some
endpoints `Available`). A kind that waits for another kind's resource (an integration for its VPC link)
calls `until_ready(..., fresh=False)`: there, not known means gone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from platformctl.resources.base import Context, unless_gone
from platformctl.resources.declarative import DeclarativeKind, dig
from platformctl.resources.waiting import WaitFailed, poll


@dataclass(frozen=True)
class Settling:
    """How to watch one resource of a kind settle: `describe(by_ids=[id] | by_id=id)`, its item and its state.

    By default the describe is the kind's listing operation, asked for this one id, and the resource is the
    first item under the listing's key (EC2 and ELBv2 describe by id with the same call they list with).
    """

    state: str  # the dotted path of its state in the described item
    ready: str  # the state create waits for
    by_ids: str | None = None  # the describe's parameter taking a list of ids (`NatGatewayIds`)...
    by_id: str | None = None  # ...or taking one id (`VpcLinkId`)
    describe: str | None = None  # the operation that describes one resource by id; default: the listing's
    item: str | None = None  # the dotted path of the resource in the answer; None: the answer itself
    failed: Collection[str] = ()  # states in which AWS gave up building it
    gone: Collection[str] = ()  # deleted states; a failed one holds nothing either, and describe may forget it
    reason: str | None = None  # the dotted path of AWS's reason for a failure
    code: str | None = None  # the dotted path of AWS's failure code; default `<KindClass>Failed`

    def __post_init__(self) -> None:
        if (self.by_ids is None) == (self.by_id is None):
            raise TypeError("Settling: declare exactly one of by_ids and by_id")

    def current(self, ctx: Context, kind: DeclarativeKind, physical_id: str) -> dict[str, Any] | None:
        """The resource as AWS describes it now, or None when describe does not know it."""
        request = {self.by_ids: [physical_id]} if self.by_ids else {str(self.by_id): physical_id}
        operation = self.describe or kind.listing.operation
        item = self.item or (None if self.describe else f"{kind.listing.key}.0")
        answer = unless_gone(kind.not_found_codes, lambda: getattr(kind.client(ctx), operation)(**request))
        return dig(answer, item) if item and answer is not None else answer

    def until_ready(
        self, ctx: Context, kind: DeclarativeKind, who: str, physical_id: str, fresh: bool = True
    ) -> dict[str, Any]:
        """The described resource once it is ready; AWS giving up, or a delete meanwhile, fails the step.

        `who` is what the progress display calls it (`waiting for nat-a to become available`).
        """
        name = f"{kind.kind} {physical_id}"

        def check() -> tuple[dict[str, Any] | None, str]:
            item = self.current(ctx, kind, physical_id)
            if item is None and not fresh:
                raise WaitFailed(f"{type(kind).__name__}NotFound", f"{name} does not exist")
            if item is None:
                return None, "not visible yet"
            state = dig(item, self.state)
            if state is None or _among(state, {self.ready}):  # no state at all: nothing to wait for
                return item, ""
            if _among(state, self.failed):
                why = (dig(item, self.reason) if self.reason else None) or "AWS gave no reason"
                code = (dig(item, self.code) if self.code else None) or f"{type(kind).__name__}Failed"
                raise WaitFailed(code, f"{name} is {state}: {why}")
            if _among(state, self.gone):
                raise WaitFailed(f"{type(kind).__name__}Deleted", f"{name} is {state}: deleted before it was ready")
            return None, str(state)

        return poll(ctx, f"{who} to become {self.ready}", check)

    def until_gone(self, ctx: Context, kind: DeclarativeKind, who: str, physical_id: str) -> None:
        """Once describe no longer knows the resource, or knows it deleted or failed (it holds nothing then)."""

        def check() -> tuple[bool | None, str]:
            item = self.current(ctx, kind, physical_id)
            state = None if item is None else dig(item, self.state)
            if item is None or (state is not None and _among(state, [*self.gone, *self.failed])):
                return True, ""
            return None, str(state or "still listed")

        poll(ctx, f"{who} to be deleted", check)


def _among(state: Any, states: Collection[str]) -> bool:
    return str(state).lower() in {s.lower() for s in states}
