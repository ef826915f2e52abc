"""Issue 12, item 5, through the CLI: `network.nat: none` builds the VPC endpoints tasks need, owned like the rest.

With no NAT gateway the private subnets reach AWS only through endpoints: apply creates an interface endpoint
for each service a task calls (ECR api and dkr, logs, ssm, secretsmanager, sns, sqs, events) in the private
subnets behind a group admitting HTTPS from the VPC, and an S3 gateway endpoint on the private route tables,
each tagged in its create call; `diff` is then clean, and destroy removes them. An image that would need the
internet is refused before any AWS call.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.naming import TAG_ENV, TAG_ID, TAG_LAYER, TAG_PLATFORM
from platformctl.vpc_endpoints import INTERFACE_SERVICES
from tests.e2e.helpers import Cli, client, copy_seed_specs

pytestmark = pytest.mark.e2e

PUBLIC_IMAGE = "image: public.ecr.aws/nginx/nginx-unprivileged:1.27"
NO_NAT = ("  dev:        {network: {nat: single}}", "  dev:        {network: {nat: none}}")


def no_nat_specs(tmp_path: Path, capsys, endpoint: str, private_images: bool = True) -> Cli:
    cli = Cli(endpoint, copy_seed_specs(tmp_path), capsys)
    cli.edit("platform.yaml", *NO_NAT)
    if private_images:
        for service in ("order", "payment", "user"):
            cli.edit(
                f"services/{service}.yaml",
                PUBLIC_IMAGE,
                f"image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/{service}:1.0 #",
            )
    return cli


def our_endpoints(endpoint: str) -> list[dict]:
    found = client(endpoint, "ec2").describe_vpc_endpoints(
        Filters=[{"Name": "vpc-endpoint-state", "Values": ["pending", "available"]}]
    )["VpcEndpoints"]
    return [e for e in found if {t["Key"]: t["Value"] for t in e.get("Tags", [])}.get(TAG_ENV) == "dev"]


def test_nat_none_applies_the_endpoints_tasks_need_then_diff_is_clean_and_destroy_removes_them(
    endpoint: str, tmp_path: Path, capsys
) -> None:
    cli = no_nat_specs(tmp_path, capsys, endpoint)
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err

    ec2 = client(endpoint, "ec2")
    endpoints = {e["ServiceName"].rsplit("us-east-1.", 1)[1]: e for e in our_endpoints(endpoint)}
    assert sorted(endpoints) == sorted([*INTERFACE_SERVICES, "s3"])
    assert not ec2.describe_nat_gateways(Filter=[{"Name": f"tag:{TAG_ENV}", "Values": ["dev"]}])["NatGateways"]
    subnets = ec2.describe_subnets(Filters=[{"Name": f"tag:{TAG_ENV}", "Values": ["dev"]}])["Subnets"]
    private = sorted(s["SubnetId"] for s in subnets if not s["MapPublicIpOnLaunch"])
    tables = ec2.describe_route_tables(Filters=[{"Name": f"tag:{TAG_ENV}", "Values": ["dev"]}])["RouteTables"]
    private_tables = sorted(
        t["RouteTableId"] for t in tables if "-private-" in {x["Key"]: x["Value"] for x in t["Tags"]}["Name"]
    )
    for service, found in endpoints.items():
        tags = {t["Key"]: t["Value"] for t in found["Tags"]}
        assert (tags[TAG_PLATFORM], tags[TAG_ENV], tags[TAG_LAYER], tags[TAG_ID]) == (
            "microservices",
            "dev",
            "platform",
            f"endpoint.{service}",
        )
        if service == "s3":
            assert (found["VpcEndpointType"], sorted(found["RouteTableIds"])) == ("Gateway", private_tables)
        else:
            assert (found["VpcEndpointType"], found["PrivateDnsEnabled"]) == ("Interface", True)
            assert sorted(found["SubnetIds"]) == private
            (group,) = found["Groups"]
            rules = ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"][0]["IpPermissions"]
            assert [(r["FromPort"], r["ToPort"], r["IpRanges"][0]["CidrIp"]) for r in rules] == [
                (443, 443, "10.0.0.0/16")
            ]

    clean = cli("diff", "--env", "dev", "-o", "json")
    assert clean.code == 0, clean.out + clean.err

    destroyed = cli("destroy", "--env", "dev", "--auto-approve")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert our_endpoints(endpoint) == []


def test_a_public_image_with_nat_none_is_an_error_at_its_line(endpoint: str, tmp_path: Path, capsys) -> None:
    cli = no_nat_specs(tmp_path, capsys, endpoint, private_images=False)
    result = cli("diff", "--env", "dev")
    assert result.code == 1
    assert "Traceback" not in result.err
    where = (
        f"{cli.specs / 'services' / 'order.yaml'}:3: image: cannot pull 'public.ecr.aws/nginx/nginx-unprivileged:1.27'"
    )
    assert where in result.err, result.err
    assert "push the image there, or set network.nat: single" in result.err
