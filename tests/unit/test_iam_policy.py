"""The IAM policy table covers every kind the engine manages (issue 12, item 12)."""

from __future__ import annotations

from platformctl.permissions import KIND_CALLS, Scope, operations, policy
from platformctl.resources.registry import registry


def test_every_registered_kind_declares_the_operations_it_calls() -> None:
    kinds = registry()
    assert sorted(set(kinds) - set(KIND_CALLS)) == [], "add the new kind's operations to permissions.KIND_CALLS"
    assert sorted(set(KIND_CALLS) - set(kinds)) == [], "a row for a kind that no longer exists"


def test_the_policy_is_in_the_regions_partition_and_the_read_only_one_holds_only_reads() -> None:
    kinds = registry()
    document = policy(kinds, Scope("shop", "cn-north-1", "123456789012"), "apply")
    resources = [
        r for s in document["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    ]
    assert [r for r in resources if r != "*" and not r.startswith("arn:aws-cn:")] == []
    assert "arn:aws-cn:sqs:cn-north-1:123456789012:shop-*" in resources
    assert operations(kinds, "diff") < operations(kinds, "apply")
    assert "ecs:CreateService" not in operations(kinds, "diff")
