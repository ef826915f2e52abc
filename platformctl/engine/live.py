"""Read what we own in AWS: every registered kind at once, each in as few calls as its API allows."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource
from platformctl.errors import PlatformctlError
from platformctl.resources.base import Context, ResourceKind


def read_live(kinds: Mapping[str, ResourceKind], ctx: Context) -> list[LiveResource]:
    """All live resources of every kind owned by ctx's platform and env, in a deterministic order.

    One thread per kind: most of a kind's time is spent waiting on AWS (or on a read it shares), and the
    calls actually in flight are bounded by `Aws` whatever the number of threads.
    """
    ctx.clear_cache()
    ordered = sorted(kinds.values(), key=lambda k: k.kind)
    shared = list(dict.fromkeys(read for kind in ordered for read in kind.shared_reads))
    with ThreadPoolExecutor(max_workers=max(1, len(ordered) + len(shared)), thread_name_prefix="read") as pool:
        for read in shared:
            pool.submit(_start_early, read, ctx)
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


def _start_early(read: Callable[[Context], Any], ctx: Context) -> None:
    """A shared read, begun ahead; a failure here is left for the kind that needs the result to report."""
    with contextlib.suppress(Exception):  # the kind calling it again gets (and reports) the error itself
        read(ctx)
