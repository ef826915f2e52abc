"""AWS partitions: the one place that knows how ARNs, host names and service principals differ between them.

An account lives in one partition: `aws` (commercial), `aws-cn` (China), `aws-us-gov` (GovCloud (US)) or an
isolated one. The partition is the second field of every ARN, so an ARN written as `arn:aws:...` names
nothing in China or GovCloud, and a policy holding one is refused or, worse, grants nothing. The run takes
its partition from the caller identity (STS GetCallerIdentity's ARN, `Aws.partition`); `validate`, which
makes no AWS call, takes it from the region name (`partition_of_region`).

Host names end in the partition's DNS suffix (`<account>.dkr.ecr.cn-north-1.amazonaws.com.cn`), but service
principals mostly do not: in `aws-cn` nearly every service is still `<service>.amazonaws.com`, and only a few
take the partition's suffix (CloudWatch Logs among them). Both tables follow terraform-provider-aws's
`names.DNSSuffixForPartition` and `names.ServicePrincipalNameForPartition` (names/names.go), which take the
principals from aws-cdk's region-info (`packages/aws-cdk-lib/region-info/lib/default.ts`); AWS documents
them per partition in "Amazon Web Services in China: IAM" and the GovCloud (US) User Guide.
"""

from __future__ import annotations

import re

STANDARD = "aws"

# names.DNSSuffixForPartition: the domain every endpoint of the partition ends in; `aws` and `aws-us-gov`
# share amazonaws.com.
_DNS_SUFFIX = {
    "aws-cn": "amazonaws.com.cn",
    "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov",
    "aws-iso-e": "cloud.adc-e.uk",
    "aws-iso-f": "csp.hci.ic.gov",
}
DEFAULT_DNS_SUFFIX = "amazonaws.com"
DNS_SUFFIXES = (DEFAULT_DNS_SUFFIX, *_DNS_SUFFIX.values())
# A private ECR image: `<account>.dkr.ecr[-fips].<region>.<the partition's DNS suffix>/<repo>`, the suffix being
# amazonaws.com.cn in China. Everything else (Docker Hub, ECR Public, another registry) is pulled over the internet.
PRIVATE_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\."
    rf"(?:{'|'.join(re.escape(s) for s in sorted(DNS_SUFFIXES, key=len, reverse=True))})/(?P<repo>[^:@]+)"
)

# names.ServicePrincipalNameForPartition: the services whose principal ends in the partition's DNS suffix.
# Every other service, in every partition, is `<service>.amazonaws.com`.
_PRINCIPALS_WITH_PARTITION_SUFFIX = {
    "aws-cn": frozenset({"codedeploy", "elasticmapreduce", "logs"}),
    "aws-iso": frozenset({"cloudhsm", "config", "logs", "workspaces"}),
    "aws-iso-b": frozenset({"dms", "logs"}),
}

# Region name prefixes of the partitions other than `aws` (longest first: `us-isob-` before `us-iso-`).
_REGION_PREFIXES = (
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("us-gov-", "aws-us-gov"),
    ("cn-", "aws-cn"),
)


def partition_of_region(region: str) -> str:
    """The partition a region belongs to, from its name: where no caller identity may be asked (validate)."""
    for prefix, partition in _REGION_PREFIXES:
        if region.startswith(prefix):
            return partition
    return STANDARD


def partition_of_arn(arn: str) -> str:
    """`arn:<partition>:...` → the partition (of the caller identity, say)."""
    parts = arn.split(":", 2)
    if len(parts) < 3 or parts[0] != "arn" or not parts[1]:
        raise ValueError(f"not an ARN: {arn!r}")
    return parts[1]


def dns_suffix(partition: str) -> str:
    """The domain the partition's endpoints end in: `amazonaws.com`, `amazonaws.com.cn`, ..."""
    return _DNS_SUFFIX.get(partition, DEFAULT_DNS_SUFFIX)


def service_principal(service: str, partition: str, region: str | None = None) -> str:
    """The principal `service` acts as in `partition`, e.g. `sns.amazonaws.com` (also in aws-cn).

    `region` asks for the regional form some policies need (CloudWatch Logs in a KMS key policy:
    `logs.<region>.amazonaws.com`, `logs.cn-north-1.amazonaws.com.cn`).
    """
    suffix = dns_suffix(partition) if service in _PRINCIPALS_WITH_PARTITION_SUFFIX.get(partition, ()) else None
    host = f"{service}.{region}" if region else service
    return f"{host}.{suffix or DEFAULT_DNS_SUFFIX}"


def arn(partition: str, service: str, region: str, account: str, resource: str) -> str:
    """`arn:<partition>:<service>:<region>:<account>:<resource>`; region (IAM) or account (S3) may be empty."""
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"
