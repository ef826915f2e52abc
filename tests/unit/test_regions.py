"""One effective region: `--region` (load_specs' `region=`) moves the whole desired graph, and IAM roles, the
only global resources we make, are owned per region (with a rule for roles made before they had one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platformctl.aws import Aws, AwsTarget
from platformctl.engine.model import Resource
from platformctl.engine.planner import make_plan
from platformctl.errors import PlatformctlError
from platformctl.layers import BuildContext, desired_resources
from platformctl.naming import ownership_tags
from platformctl.resources.base import Context, tag_list
from platformctl.resources.iam_role import IamRole
from platformctl.specs import load_specs
from tests.unit.kind_harness import ENV, PLATFORM, moto_context
from tests.unit.spec_helpers import SEED, edit, issues, line_of, seed_copy

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


# ---- the effective region in the desired graph -------------------------------------------------------------
def test_the_region_override_moves_the_whole_desired_graph_and_keeps_the_home_region() -> None:
    specs = load_specs(SEED, ENV, environ={}, region="us-west-2")
    assert (specs.platform.region, specs.home_region) == ("us-west-2", "us-east-1")
    resources = desired_resources(BuildContext(specs, account_id="123456789012"))
    subnets = sorted(r.props["az"] for r in resources if r.kind == "ec2.subnet")
    assert subnets and all(az.startswith("us-west-2") and az[-1] in "abc" for az in subnets), subnets
    text = json.dumps([r.props for r in resources], default=str)
    assert "us-east-1" not in text  # no ARN, log region or zone still names the spec's region
    roles = [r for r in resources if r.kind == "iam.role"]
    assert roles and all(r.name.endswith("-us-west-2") for r in roles), [r.name for r in roles]
    assert {r.props["path"] for r in roles} == {"/platformctl/microservices/dev/us-west-2/"}
    assert all(len(r.name) <= 64 for r in roles)


def test_without_an_override_the_spec_region_is_both_the_effective_and_the_home_region() -> None:
    specs = load_specs(SEED, ENV, environ={})
    assert (specs.platform.region, specs.home_region) == ("us-east-1", "us-east-1")


def test_a_bad_region_override_is_refused_like_the_spec_field() -> None:
    with pytest.raises(PlatformctlError, match=r"--region: expected an AWS region such as us-east-1 \(got 'mars'\)"):
        load_specs(SEED, ENV, environ={}, region="mars")


def test_pinned_zones_must_belong_to_the_effective_region(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "platform.yaml", "  azs: 3 ", "  azs: 2\n  availabilityZones: [us-east-1a, us-east-1-bos-1b]\n ")
    assert load_specs(specs, ENV, environ={}).platform.network.availability_zones == ["us-east-1a", "us-east-1-bos-1b"]
    with pytest.raises(PlatformctlError) as caught:
        load_specs(specs, ENV, environ={}, region="us-west-2")
    line = line_of(specs, "platform.yaml", "availabilityZones")
    shown = str(caught.value)
    assert f"platform.yaml:{line}: network.availabilityZones[0]: us-east-1a is not a zone of us-west-2" in shown
    assert "network.availabilityZones[1]: us-east-1-bos-1b is not a zone of us-west-2" in shown
    # Without an override the spec's own region is the one checked.
    edit(specs, "platform.yaml", "region: us-east-1", "region: us-east-2")
    found = [(i.path, i.message) for i in issues(specs, ENV)]
    assert ("network.availabilityZones[0]", "us-east-1a is not a zone of us-east-2") in found


# ---- IAM roles owned per region ----------------------------------------------------------------------------
def _role(ctx: Context, name: str, path: str, tags: dict[str, str]) -> None:
    ctx.client("iam").create_role(
        RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(TRUST), Tags=tag_list(tags)
    )


def _in_region(ctx: Context, region: str, home_region: str | None) -> Context:
    """The same account seen from `region`, for specs whose platform.yaml says `home_region`."""
    return Context(aws=Aws(AwsTarget(region=region)), platform=PLATFORM, env=ENV, home_region=home_region)


def _desired_role(region: str) -> Resource:
    name = f"{PLATFORM}-{ENV}-orders-task-{region}"
    props = {
        "name": name,
        "path": f"/platformctl/{PLATFORM}/{ENV}/{region}/",
        "description": "orders task role",
        "trust": TRUST,
        "policies": {},
    }
    return Resource("iam.role", "role.orders.task", "services", name, props)


def test_each_region_sees_only_the_roles_created_in_it() -> None:
    with moto_context(region="us-east-1") as east:
        kind = IamRole()
        kind.create(east, _desired_role("us-east-1"), _desired_role("us-east-1").props)
        west = _in_region(east, "us-west-2", home_region="us-east-1")
        kind.create(west, _desired_role("us-west-2"), _desired_role("us-west-2").props)
        assert [r.name for r in kind.read(east)] == [f"{PLATFORM}-{ENV}-orders-task-us-east-1"]
        assert [r.name for r in kind.read(west)] == [f"{PLATFORM}-{ENV}-orders-task-us-west-2"]
        tags = east.client("iam").list_role_tags(RoleName=f"{PLATFORM}-{ENV}-orders-task-us-west-2")["Tags"]
        assert {"Key": "platformctl:region", "Value": "us-west-2"} in tags


def test_a_role_from_before_roles_carried_their_region_belongs_to_the_home_region_only() -> None:
    with moto_context(region="us-east-1") as east:
        kind = IamRole()
        legacy_name = f"{PLATFORM}-{ENV}-orders-task"
        _role(
            east,
            legacy_name,
            f"/platformctl/{PLATFORM}/{ENV}/",
            ownership_tags(PLATFORM, ENV, "services", "role.orders.task"),
        )
        # Elsewhere (--region us-west-2 on us-east-1 specs) it is invisible: not rewritten, not deleted.
        west = _in_region(east, "us-west-2", home_region="us-east-1")
        assert kind.read(west) == []
        # Also for specs whose home is us-west-2 read in us-east-1 (--region us-east-1): not its home.
        assert kind.read(_in_region(east, "us-east-1", home_region="us-west-2")) == []

        # In the home region it is ours: replaced by the role with the region in its name and path.
        live = kind.read(_in_region(east, "us-east-1", home_region="us-east-1"))
        assert [(r.id, r.name) for r in live] == [("role.orders.task", legacy_name)]
        assert [r.id for r in kind.read(east)] == ["role.orders.task"]  # home_region None: the same region
        plan = make_plan(ENV, [_desired_role("us-east-1")], live, {kind.kind: kind}, ["services"])
        (step,) = plan.steps
        assert step.action == "replace" and step.create_before_delete
        assert {c.path for c in step.changes} >= {"name", "path"}
