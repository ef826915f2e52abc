"""What is not ours and stands in the way of a delete is named at once; the emulator frees what AWS frees.

A subnet made by hand in our VPC keeps AWS from deleting the VPC for ever: destroy must say so within
seconds, naming it, leave it as it is, and finish once the user has removed it. The other two stories are
changes that only work where the emulator behaves as AWS does (a deleted NAT gateway lets go of its address;
a log group's KMS key can be taken off).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from platformctl.engine.reconciler import Reconciler
from tests.e2e.helpers import applied_seed, client, our_live_arns, pending

PLATFORM = "microservices"


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waits bounded at 60 s instead of 15 minutes, so a destroy that waits in vain fails the test in a minute."""
    set_up = Reconciler.__post_init__

    def with_short_waits(self: Reconciler) -> None:
        set_up(self)
        self.ctx.wait_timeout = 60

    monkeypatch.setattr(Reconciler, "__post_init__", with_short_waits)


def test_a_subnet_made_by_hand_in_our_vpc_stops_destroy_at_once_naming_it(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], short_waits: None
) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    ec2 = client(endpoint, "ec2")
    ours = [
        {"Name": "tag:platformctl:platform", "Values": [PLATFORM]},
        {"Name": "tag:platformctl:env", "Values": ["dev"]},
    ]
    [vpc] = ec2.describe_vpcs(Filters=ours)["Vpcs"]
    hand_made = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.200.0/24", AvailabilityZone="us-east-1a")
    subnet_id = hand_made["Subnet"]["SubnetId"]
    before = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"]

    started = time.monotonic()
    refused = cli("destroy", "--env", "dev", "--auto-approve")
    seconds = time.monotonic() - started

    assert refused.code == 1, refused.out + refused.err
    assert seconds < 30, f"destroy waited {seconds:.0f} s for a subnet nothing will remove"
    said = refused.out + refused.err
    assert (
        f"vpc {vpc['VpcId']} cannot be deleted: subnet {subnet_id} (10.0.200.0/24, not created by platformctl) "
        "is still in it; delete it or move it out, then run apply or destroy again"
    ) in " ".join(said.split())
    assert "Traceback" not in said
    assert ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"] == before  # not ours: untouched
    assert our_live_arns(endpoint, PLATFORM, "dev") == [vpc["VpcId"]]  # everything else went

    ec2.delete_subnet(SubnetId=subnet_id)  # the user removes it, as the message says
    again = cli("destroy", "--env", "dev", "--auto-approve")
    assert again.code == 0, again.out + again.err
    assert our_live_arns(endpoint, PLATFORM, "dev") == []


def test_a_nat_gateway_replaced_on_the_same_address_applies_and_diffs_clean(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new VPC CIDR replaces the VPC, its subnets and the NAT gateway; the gateway's EIP stays and is reused.

    The new gateway takes the address the deleted one had, which works because a deleted gateway lets go
    of its address, on AWS and (patched) on the emulator.
    """
    cli = applied_seed(endpoint, tmp_path, capsys)
    cli.edit("platform.yaml", "cidr: 10.0.0.0/16", "cidr: 10.1.0.0/16")
    plan = {(s["kind"], s["action"]) for s in pending(cli)}
    assert {("ec2.nat_gateway", "replace"), ("ec2.subnet", "replace")} <= plan
    assert ("ec2.eip", "replace") not in plan

    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert pending(cli) == []
    nats = client(endpoint, "ec2").describe_nat_gateways(Filter=[{"Name": "state", "Values": ["available"]}])
    assert len(nats["NatGateways"]) == 1


def test_turning_kms_off_applies_and_diffs_clean(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = applied_seed(endpoint, tmp_path, capsys)
    cli.edit("platform.yaml", "kms: true ", "kms: false ")
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert pending(cli) == []
    groups = client(endpoint, "logs").describe_log_groups(logGroupNamePrefix=f"/aws/ecs/{PLATFORM}/dev")["logGroups"]
    assert groups and all("kmsKeyId" not in group for group in groups)
