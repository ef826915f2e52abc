"""Drive the real CLI in-process against the moto server, and look at the account the way a user would."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from platformctl import cli, local
from tests.seed import SEED_SPECS, store_seed_secrets


@dataclass
class CliResult:
    code: int
    out: str
    err: str


class Cli:
    """`platformctl --specs <copy> --endpoint-url <moto> ...`, returning exit code and output."""

    def __init__(self, endpoint: str, specs: Path, capsys: pytest.CaptureFixture[str]):
        self.endpoint, self.specs, self.capsys = endpoint, specs, capsys

    def __call__(self, *args: str) -> CliResult:
        self.capsys.readouterr()
        code = cli.run(["--specs", str(self.specs), "--endpoint-url", self.endpoint, *args])
        captured = self.capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.specs / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))


def applied_seed(endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], env: str = "dev") -> Cli:
    """A copy of the seed specs, applied to `env` on the emulator: the starting point of most stories."""
    cli = Cli(endpoint, copy_seed_specs(tmp_path), capsys)
    applied = cli("apply", "--env", env, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    return cli


class SharedSeed:
    """One applied seed platform (dev) that the tests of a module take turns on, instead of an apply each.

    It lives on the session's moto server, which the `endpoint` fixture empties before any test that asks for
    it; so each turn first checks that the VPC it applied is still there, and otherwise empties the account
    and applies a fresh copy of the seed, exactly as `applied_seed` does. Its queues are emptied for each turn,
    as a fresh platform's are. `read` is for tests that change nothing but messages; `take` hands the platform
    to a test that changes it, and the next turn starts over from an empty account. Readers must not ask for
    the `endpoint` fixture (it would empty the account): use `cli.endpoint`.
    """

    def __init__(self, server: str, tmp_path_factory: pytest.TempPathFactory):
        self.server, self.tmp_path_factory = server, tmp_path_factory
        self.specs: Path | None = None
        self.vpc_id: str | None = None

    def read(self, capsys: pytest.CaptureFixture[str]) -> Cli:
        return self._turn(capsys)

    def take(self, capsys: pytest.CaptureFixture[str]) -> Cli:
        cli = self._turn(capsys)
        self.specs = self.vpc_id = None  # whatever the test does, the next turn starts over
        return cli

    def _turn(self, capsys: pytest.CaptureFixture[str]) -> Cli:
        if self.specs is None or not self._still_there() or not self._empty_queues():
            reset(self.server)
            cli = applied_seed(self.server, self.tmp_path_factory.mktemp("shared-seed"), capsys)
            self.specs, self.vpc_id = cli.specs, self._vpcs()[0]
        return Cli(self.server, self.specs, capsys)

    def _vpcs(self) -> list[str]:
        filters = [{"Name": "tag:platformctl:platform", "Values": ["microservices"]}]
        filters.append({"Name": "tag:platformctl:env", "Values": ["dev"]})
        return [v["VpcId"] for v in client(self.server, "ec2").describe_vpcs(Filters=filters)["Vpcs"]]

    def _empty_queues(self) -> bool:
        """Purge every queue holding messages (waiting, in flight or delayed); False if one refuses (as SQS
        does within a minute of the last purge)."""
        sqs = client(self.server, "sqs")
        counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        counts.append("ApproximateNumberOfMessagesDelayed")
        for url in sqs.list_queues(QueueNamePrefix="microservices-dev").get("QueueUrls", []):
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=counts)["Attributes"]
            if any(int(attributes.get(name, "0")) for name in counts):
                try:
                    sqs.purge_queue(QueueUrl=url)
                except sqs.exceptions.PurgeQueueInProgress:
                    return False
        return True

    def _still_there(self) -> bool:
        return self._vpcs() == [self.vpc_id]  # moto draws new ids: another test's apply has another VPC


def reset(server: str) -> None:
    """Empty the moto server's account, but for the secrets the seed references (as before a first apply)."""
    request = urllib.request.Request(f"{server}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).close()
    store_seed_secrets(server)


def pending(cli: Cli, env: str = "dev") -> list[dict]:
    """The plan's steps that would change something, from `diff --output json`."""
    result = cli("diff", "--env", env, "--output", "json")
    assert result.code in (0, 2), result.err
    return [s for s in json.loads(result.out)["steps"] if s["action"] != "noop"]


def copy_seed_specs(tmp_path: Path) -> Path:
    target = tmp_path / "specs"
    shutil.copytree(SEED_SPECS, target)
    return target


def client(endpoint: str, service: str, region: str = "us-east-1") -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=region)


def our_live_arns(endpoint: str, platform: str, env: str) -> list[str]:
    """Every resource still carrying our tags that is not in a deleted state, as a user would check it."""
    ec2, ecs, kms, elb, logs, sd = (
        client(endpoint, s) for s in ("ec2", "ecs", "kms", "elbv2", "logs", "servicediscovery")
    )
    filters = [
        {"Name": "tag:platformctl:platform", "Values": [platform]},
        {"Name": "tag:platformctl:env", "Values": [env]},
    ]
    found: list[str] = []
    found += [v["VpcId"] for v in ec2.describe_vpcs(Filters=filters)["Vpcs"]]
    found += [s["SubnetId"] for s in ec2.describe_subnets(Filters=filters)["Subnets"]]
    found += [g["GroupId"] for g in ec2.describe_security_groups(Filters=filters)["SecurityGroups"]]
    found += [r["RouteTableId"] for r in ec2.describe_route_tables(Filters=filters)["RouteTables"]]
    found += [i["InternetGatewayId"] for i in ec2.describe_internet_gateways(Filters=filters)["InternetGateways"]]
    found += [a["AllocationId"] for a in ec2.describe_addresses(Filters=filters)["Addresses"]]
    found += [
        n["NatGatewayId"]
        for n in ec2.describe_nat_gateways(Filter=filters)["NatGateways"]
        # moto 5.2.5 ignores tag filters here: check the tags themselves.
        if n["State"] not in ("deleted", "deleting")
        and _ours({t["Key"]: t["Value"] for t in n.get("Tags", [])}, platform, env)
    ]
    clusters = ecs.list_clusters()["clusterArns"]
    if clusters:
        for c in ecs.describe_clusters(clusters=clusters, include=["TAGS"])["clusters"]:
            tags = {t["key"]: t["value"] for t in c.get("tags", [])}
            if c["status"] == "ACTIVE" and _ours(tags, platform, env):
                found.append(c["clusterArn"])
    for key in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]}
        if meta["KeyState"] != "PendingDeletion" and _ours(tags, platform, env):
            found.append(meta["Arn"])
    lbs = [lb["LoadBalancerArn"] for lb in elb.describe_load_balancers()["LoadBalancers"]]
    for i in range(0, len(lbs), 20):
        for desc in elb.describe_tags(ResourceArns=lbs[i : i + 20])["TagDescriptions"]:
            if _ours({t["Key"]: t["Value"] for t in desc["Tags"]}, platform, env):
                found.append(desc["ResourceArn"])
    for group in logs.describe_log_groups()["logGroups"]:
        tags = logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"]
        if _ours(tags, platform, env):
            found.append(group["logGroupName"])
    for ns in sd.list_namespaces()["Namespaces"]:
        tags = {t["Key"]: t["Value"] for t in sd.list_tags_for_resource(ResourceARN=ns["Arn"])["Tags"]}
        if _ours(tags, platform, env):
            found.append(ns["Arn"])
    return found


def _ours(tags: dict[str, str], platform: str, env: str) -> bool:
    return tags.get("platformctl:platform") == platform and tags.get("platformctl:env") == env


class Harness(local.HarnessControl):
    """The emulator's Harness as tests use it: calm between tests, fresh before a first apply."""

    def calm(self) -> None:
        """No latency, no faults, no armed kill, nothing denied."""
        self.configure(latency=0, fault_rate=0, kill_pid=None, kill_after_writes=None, deny=[])

    def fresh(self) -> None:
        """An empty account (but for the secrets the seed references) and zeroed counters, as before a first apply."""
        self.calm()
        self.reset_account()
        store_seed_secrets(self.endpoint)
        self.reset_counters()


def fresh_harness(endpoint: str) -> Iterator[Harness]:
    """A Harness over an empty account with zeroed counters; calm again (no latency, no faults) afterwards."""
    h = Harness(endpoint)
    h.fresh()
    yield h
    h.calm()
