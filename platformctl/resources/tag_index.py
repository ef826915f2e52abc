"""The tags of everything we own, from one paginated Resource Groups Tagging API read per pass.

Most listings (log groups, topics, queues, alarms, load balancers, rules, task definitions) carry no tags,
and their services answer tags one resource per call. The Tagging API answers them all at once, filtered
server-side by our env tag and the platform tag's presence (every platform in this env: see `_fetch_index`;
ours are kept, others only counted): a no-op diff then costs a few calls per resource kind instead of
one or more per resource.

Two rules keep it honest, because AWS updates this index asynchronously (seconds, sometimes longer):
- Existence never comes from the index. Each kind still lists its resources with its own service; the index
  only says whose they are. A resource deleted since is simply not listed.
- A listed resource the index does not know yet (just created, or of a type the index does not cover) has
  its tags asked of its own service, one call each (`tags_for_arns`). In a steady state that is none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from platformctl.naming import TAG_ENV, TAG_PLATFORM
from platformctl.resources.base import Context, tag_dict

# The resource types whose kinds take their tags from the index: service-wide filters where every taggable
# type of the service is one of ours, so the same filter works on AWS and on the emulator (which spells
# some types differently, e.g. logs:loggroup). EC2 and ECS are absent: their describes filter or carry tags.
INDEXED_TYPES = (
    "cloudwatch",
    "elasticloadbalancing",
    "events",
    "kms",
    "logs",
    "sns",
    "sqs",
    "ecs:task-definition",
)
# AWS accepts 100 to 500; 500 makes the fewest pages (ResourcesPerPage and TagsPerPage exclude each other).
_TAGS_PER_PAGE = 500

# Asks a resource's own service for its tags: None when the resource is gone.
TagFetcher = Callable[[str], dict[str, str] | None]
# The same for many at once (services with a batch tag read): ARNs that are gone are left out.
TagBatchFetcher = Callable[[list[str]], dict[str, dict[str, str]]]


def indexed_tags(ctx: Context) -> dict[str, dict[str, str]]:
    """ARN → tags of every indexed resource carrying our platform and env tags, read once per pass."""
    return ctx.cached(("tagging", "index"), lambda: _fetch_index(ctx))


def _fetch_index(ctx: Context) -> dict[str, dict[str, str]]:
    """Ours, by ARN. The filter takes every platform in this env (any value of the platform tag): the same
    read then tells, at no extra call, which other platforms live here (`Context.platforms_in_index`, for
    engine/neighbours.py); their entries are counted, never returned."""
    tagging = ctx.client("resourcegroupstaggingapi")
    index: dict[str, dict[str, str]] = {}
    census: Counter[tuple[str, str]] = Counter()
    pages = tagging.get_paginator("get_resources").paginate(
        TagFilters=[
            {"Key": TAG_PLATFORM},
            {"Key": TAG_ENV, "Values": [ctx.env]},
        ],
        ResourceTypeFilters=list(INDEXED_TYPES),
        TagsPerPage=_TAGS_PER_PAGE,
    )
    for page in pages:
        for mapping in page.get("ResourceTagMappingList", []):
            tags = tag_dict(mapping.get("Tags"))
            census[(tags.get(TAG_PLATFORM, ""), tags.get(TAG_ENV, ""))] += 1
            if tags.get(TAG_PLATFORM) == ctx.platform:
                index[mapping["ResourceARN"]] = tags
    ctx.platforms_in_index = dict(census)
    return index


def tags_for_arns(ctx: Context, arns: Iterable[str], fetch_one: TagFetcher) -> dict[str, dict[str, str]]:
    """Tags of each listed ARN: the index where it knows the ARN, else `fetch_one` (in parallel).

    ARNs whose resource vanished before its tags could be asked are left out: they are gone.
    """

    def fetch_each(unknown: list[str]) -> dict[str, dict[str, str]]:
        fetched = zip(unknown, ctx.map(fetch_one, unknown), strict=True)
        return {arn: tags for arn, tags in fetched if tags is not None}

    return tags_for_arns_batched(ctx, arns, fetch_each)


def tags_for_arns_batched(ctx: Context, arns: Iterable[str], fetch_many: TagBatchFetcher) -> dict[str, dict[str, str]]:
    """`tags_for_arns` for a service that reads many resources' tags in one call (ELBv2's describe_tags)."""
    wanted = list(dict.fromkeys(arns))
    if not wanted:
        return {}  # nothing listed: no reason to read the index
    index = indexed_tags(ctx)
    tags = {arn: index[arn] for arn in wanted if arn in index}
    unknown = [arn for arn in wanted if arn not in index]
    if unknown:
        tags.update(fetch_many(unknown))
    return tags
