"""Another platform is mentioned only when its own resources confirm what the (lagging) tag index says."""

from __future__ import annotations

from collections import Counter

import boto3

from platformctl.engine.neighbours import other_platforms
from platformctl.naming import ownership_tags
from platformctl.resources import tag_index
from platformctl.resources.base import tag_list
from platformctl.resources.registry import registry
from tests.unit.kind_harness import moto_context


def _log_group(name: str, platform: str, env: str) -> None:
    tags = ownership_tags(platform, env, "platform", "logs.exec")
    boto3.client("logs", region_name="us-east-1").create_log_group(logGroupName=name, tags=tags)


def _vpc(platform: str, env: str) -> None:
    tags = ownership_tags(platform, env, "platform", "vpc")
    boto3.client("ec2", region_name="us-east-1").create_vpc(
        CidrBlock="10.9.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tag_list(tags)}]
    )


def test_a_platform_the_index_names_is_reported_only_when_a_witness_kind_finds_it() -> None:
    with moto_context() as ctx:  # platform "shop", env "dev"
        _vpc("azt", "dev")
        _log_group("/aws/ecs/azt/dev/exec", "azt", "dev")
        _log_group("/aws/ecs/ghost/dev/exec", "ghost", "dev")  # indexed, but nothing of it a witness finds
        _log_group("/aws/ecs/shop/dev/exec", "shop", "dev")  # ours
        _vpc("old", "prod")  # another env's: that env's plan speaks of it
        _log_group("/aws/ecs/old/prod/exec", "old", "prod")
        assert list(tag_index.indexed_tags(ctx)) == [
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/shop/dev/exec"
        ], "the read pass's index holds only ours, and counts the others"
        found = other_platforms(ctx, registry())
    assert [o.to_json() for o in found] == [{"platform": "azt", "env": "dev", "region": "us-east-1", "resources": 1}]
    assert found[0].note() == (
        "Note: platform 'azt' still has 1 resource in us-east-1 (env dev) that these specs do not describe; "
        "platformctl leaves them alone. If you renamed the platform, remove them with: "
        "platformctl destroy --env dev --platform azt"
    )


def test_a_stale_index_entry_alone_is_never_reported() -> None:
    def stale_index(_ctx: object) -> Counter[tuple[str, str]]:
        return Counter({("azt", "dev"): 94})  # everything of it was deleted since; the index has not caught up

    with moto_context() as ctx:
        assert other_platforms(ctx, registry(), index_counts=stale_index) == []
        _vpc("azt", "dev")
        assert [o.platform for o in other_platforms(ctx, registry(), index_counts=stale_index)] == ["azt"]
