"""Which availability zones the platform runs in: the ones the account really has, that can host it.

Zone names are per account: `us-east-1a` is one data centre for one account and another for the next, and
an account may have no `b` (ap-northeast-1 often offers a, c, d) or only two zones (us-west-1). So the
desired graph is built from the zones `DescribeAvailabilityZones` lists (state `available`, type
`availability-zone`, no Local or Wavelength Zones), in name order, first `azs` of them; pinned names are
checked against that list. Whether a zone can host the platform depends on its zone ID (the same data
centre for every account), not its name: the two tables below say where Fargate and HTTP API VPC links run.

`validate` makes no AWS call: it derives names from the letters (`specs.availability_zones`), which gives
the same number of zones and so the same resource counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from platformctl.errors import PlatformctlError, SpecError, SpecIssue
from platformctl.specs.network import ZONE_LETTERS

# AWS Fargate runs Linux tasks only in these zone IDs of these regions; every zone elsewhere.
# Source: Amazon ECS Developer Guide, "AWS Fargate Regions" → "Linux containers on AWS Fargate"
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate-Regions.html).
FARGATE_ZONE_IDS: dict[str, frozenset[str]] = {
    "us-west-1": frozenset({"usw1-az1", "usw1-az3"}),
    "ap-northeast-1": frozenset({"apne1-az1", "apne1-az2", "apne1-az4"}),
    "cn-north-1": frozenset({"cnn1-az1", "cnn1-az2"}),
}

# An HTTP API's VPC link can place its network interfaces only in these zone IDs of these regions (only the
# regions whose list leaves some of their zones out are here); every zone elsewhere.
# Source: API Gateway Developer Guide, "Set up VPC links for HTTP APIs" → availability by Region
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vpc-links.html).
HTTP_API_VPC_LINK_ZONE_IDS: dict[str, frozenset[str]] = {
    "us-east-1": frozenset({"use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"}),
    "us-west-1": frozenset({"usw1-az1", "usw1-az3"}),
    "ap-east-1": frozenset({"ape1-az2", "ape1-az3"}),
    "ap-northeast-1": frozenset({"apne1-az1", "apne1-az2", "apne1-az4"}),
    "ap-northeast-2": frozenset({"apne2-az1", "apne2-az2", "apne2-az3"}),
}


@dataclass(frozen=True, order=True)
class Zone:
    """An availability zone as the account sees it: its name (per account) and its ID (the same for all)."""

    name: str
    zone_id: str

    def __str__(self) -> str:
        return f"{self.name} ({self.zone_id})"


def read_zones(aws: Any) -> tuple[Zone, ...]:
    """The account's available availability zones in the client's region, in name order: one AWS call."""
    answer = aws.client("ec2").describe_availability_zones(
        Filters=[
            {"Name": "state", "Values": ["available"]},
            {"Name": "zone-type", "Values": ["availability-zone"]},
        ]
    )
    return tuple(sorted(Zone(z["ZoneName"], z["ZoneId"]) for z in answer["AvailabilityZones"]))


def why_it_cannot_host(zone: Zone, region: str, api: bool) -> str | None:
    """Why the platform cannot run in `zone` (its tasks, or with `api` the HTTP API's VPC link), or None."""
    if zone.name[-1:] not in ZONE_LETTERS:
        return "its name does not end in a letter from a to h, which places a zone's subnets"
    fargate = FARGATE_ZONE_IDS.get(region)
    if fargate is not None and zone.zone_id not in fargate:
        return f"AWS Fargate does not run in {zone.zone_id} (in {region} only in {', '.join(sorted(fargate))})"
    vpc_link = HTTP_API_VPC_LINK_ZONE_IDS.get(region)
    if api and vpc_link is not None and zone.zone_id not in vpc_link:
        return (
            f"API Gateway HTTP API VPC links do not reach {zone.zone_id} "
            f"(in {region} only {', '.join(sorted(vpc_link))})"
        )
    return None


class ZoneChoiceError(PlatformctlError):
    """The account's zones cannot give the platform what the spec asks; each problem is (spec path, message)."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def choose_zones(
    region: str, azs: int, pinned: Sequence[str] | None, offered: Sequence[Zone], api: bool
) -> list[str]:
    """The zone names the platform uses: the pinned ones, checked, else the first `azs` that can host it.

    `offered` is what the account lists (read_zones). The choice is by name order among the zones that can
    host the platform, so the same account always gets the same zones, and a zone that cannot (Fargate or a
    VPC link does not run there) is passed over rather than chosen and refused by AWS halfway through an apply.
    """
    offered = sorted(offered)
    usable = [z for z in offered if why_it_cannot_host(z, region, api) is None]
    if pinned:
        by_name = {z.name: z for z in offered}
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for index, name in enumerate(pinned):
            loc = ("network", "availabilityZones", index)
            zone = by_name.get(name)
            if zone is None:
                message = f"{name} is not an availability zone of this account in {region}; its zones are "
                problems.append((loc, message + _listing(offered)))
            elif (reason := why_it_cannot_host(zone, region, api)) is not None:
                message = f"{zone} cannot host the platform: {reason}; zones that can: {_listing(usable)}"
                problems.append((loc, message))
        if problems:
            raise ZoneChoiceError(problems)
        return list(pinned)
    if len(usable) < azs:
        passed_over = [f"{z}: {why_it_cannot_host(z, region, api)}" for z in offered if z not in usable]
        message = (
            f"{azs} availability zones asked for, but this account has {len(usable)} in {region} that can host "
            f"the platform: {_listing(usable)}; set azs to {len(usable)} or fewer"
        )
        if passed_over:
            message += f" (passed over: {'; '.join(passed_over)})"
        raise ZoneChoiceError([(("network", "azs"), message)])
    return [z.name for z in usable[:azs]]


def _listing(zones: Sequence[Zone]) -> str:
    return ", ".join(str(z) for z in zones) or "none"


def located(error: ZoneChoiceError, specs: Any) -> SpecError:
    """`error` as a spec error at platform.yaml's line for each problem (the environment's override if it set
    the field), like every other spec problem; the file is read again, only here, to find the lines."""
    from platformctl.specs.loader import PLATFORM_FILE
    from platformctl.specs.yaml_source import SourceProblem, SourceProblems, format_path, load_yaml

    path = specs.root / PLATFORM_FILE
    try:
        doc = load_yaml(path, str(path))
    except SourceProblems as partly:
        doc = partly.doc
    except (SourceProblem, OSError):
        doc = None
    issues = []
    for loc, message in error.problems:
        if doc is None:
            issues.append(SpecIssue(str(path), None, format_path(loc), message))
            continue
        # The environment's override is where to look only if it sets this field itself (`network.azs`), not
        # merely another key of `network`.
        override = ("environments", specs.env)
        in_override = [(*override, *loc[:end]) for end in range(len(loc), 1, -1)]
        found = next((key for key in in_override if key in doc.lines), None)
        if found is not None:
            issues.append(SpecIssue(doc.file, doc.lines[found], format_path((*override, *loc)), message))
        else:
            issues.append(SpecIssue(doc.file, doc.line_of(loc), format_path(loc), message))
    return SpecError(issues)
