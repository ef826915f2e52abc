"""Read what we own in AWS: every registered kind at once, each in as few calls as its API allows."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource
from platformctl.errors import PlatformctlError
from platformctl.resources.base import Context, ResourceKind


def read_live(kinds: Mapping[str, ResourceKind], ctx: Context, parallelism: int = 16) -> list[LiveResource]:
    """All live resources of every kind owned by ctx's platform and env, in a deterministic order."""
    ctx.clear_cache()
    ordered = sorted(kinds.values(), key=lambda k: k.kind)
    workers = max(1, min(parallelism, len(ordered)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
        futures = [(kind, pool.submit(kind.read, ctx)) for kind in ordered]
    found: list[LiveResource] = []
    failures: list[str] = []
    for kind, future in futures:
        try:
            found.extend(future.result())
        except Exception as exc:
            failures.append(f"reading {kind.kind}: {error_code(exc) or type(exc).__name__}: {exc}")
    ctx.clear_cache()
    if failures:
        raise PlatformctlError("could not read live state from AWS:\n  " + "\n  ".join(failures))
    return sorted(found, key=lambda r: (r.id, r.kind, r.physical_id))
