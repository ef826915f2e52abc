"""Other platforms living in this account and region: what a renamed platform leaves behind.

Ownership is by tags, so renaming the platform (`platform: azt` → `aztnew`) makes everything of `azt` invisible
to `aztnew`: the plan creates a second platform and never deletes the first. That is right (we never touch
what these specs do not own), but silent. So a plan also says which other platforms have resources here, how
many, and how to remove them (`destroy --platform NAME`); nothing is deleted unless the user asks.

Finding them costs no call of its own: the read pass's one Tagging API read (`resources/tag_index.py`) takes
every platform in this env and counts the others (`Context.platforms_in_index`). That index lags and may
still list what was deleted, so it never decides alone: a platform it names is mentioned only when a
"witness" kind (`ResourceKind.witness`: a VPC, an ECS cluster, read with their own services for that
platform and env) confirms something of it really exists. Witness reads happen only when the index names
another platform. Other environments are not looked at: each env's plan speaks for its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from platformctl.commandline import command_line
from platformctl.errors import PlatformctlError
from platformctl.resources.base import Context, ResourceKind
from platformctl.specs import SpecSet
from platformctl.specs.models import PLATFORM_NAME

# (platform, env) → resources the index lists for it; a seam for tests of the confirmation rule.
IndexCounts = Callable[[Context], Mapping[tuple[str, str], int]]


@dataclass(frozen=True)
class OtherPlatform:
    """Another platform's resources in this account and region, for one of its environments."""

    platform: str
    env: str
    region: str
    # How many resources the Tagging API lists for it (of the types it indexes: a lower bound).
    resources: int

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "env": self.env, "region": self.region, "resources": self.resources}

    def note(self) -> str:
        """What the plan says about it: that it is left alone, and how to remove it."""
        count = f"{self.resources} resource{'s' if self.resources != 1 else ''}"
        return (
            f"Note: platform '{self.platform}' still has {count} in {self.region} (env "
            f"{self.env}) that these specs do not describe; platformctl leaves them alone. If you renamed the "
            f"platform, remove them with: {command_line('destroy', '--env', self.env, '--platform', self.platform)}"
        )


def other_platforms(
    ctx: Context, kinds: Mapping[str, ResourceKind], index_counts: IndexCounts | None = None
) -> list[OtherPlatform]:
    """Other platforms with resources in this env here, each confirmed by a witness kind's own read.

    Call it after a read pass (`read_live`), whose tag-index read counted them.
    """
    suspects = (index_counts or _counted_by_the_read)(ctx)
    others = sorted((p, e) for p, e in suspects if p != ctx.platform)
    if not others:
        return []
    witnesses = [kind for kind in kinds.values() if kind.witness]
    with ThreadPoolExecutor(max_workers=min(8, len(others)), thread_name_prefix="neighbours") as pool:
        confirmed = list(pool.map(lambda pe: _exists(ctx, witnesses, *pe), others))
    found = zip(others, confirmed, strict=True)
    return [OtherPlatform(p, e, ctx.region, suspects[(p, e)]) for (p, e), ok in found if ok]


def _counted_by_the_read(ctx: Context) -> Mapping[tuple[str, str], int]:
    return {(p, e): n for (p, e), n in ctx.platforms_in_index.items() if p and e == ctx.env}


def _exists(ctx: Context, witnesses: list[ResourceKind], platform: str, env: str) -> bool:
    """Whether a witness kind, read with its own service as that platform and env would, finds anything."""
    theirs = Context(aws=ctx.aws, platform=platform, env=env, home_region=ctx.home_region)
    return any(kind.read(theirs) for kind in sorted(witnesses, key=lambda k: k.kind))


def as_platform(specs: SpecSet, name: str) -> SpecSet:
    """These specs under another platform name: the shape of what `destroy --platform NAME` deletes.

    A renamed platform's resources have the same logical ids as these specs' (only names differ), so the
    current specs still say what stands on what, which is all a destroy needs from them. What is deleted
    is decided, as always, by the ownership tags of that platform and env alone.
    """
    if not PLATFORM_NAME.match(name):
        raise PlatformctlError(
            f"--platform: '{name}' is not a platform name (lowercase letters, digits and '-', at most 20 "
            "characters, starting with a letter)"
        )
    return dataclasses.replace(specs, platform=specs.platform.model_copy(update={"platform": name}))
