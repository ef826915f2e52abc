"""Secret references in service specs: what ECS is given to read at task start, and what its role may read.

A spec writes `ssm:/parameter/path` or `secretsmanager:NAME_OR_ARN`, optionally followed by the three fields
ECS reads one JSON key of a secret with (`secretsmanager:db/creds:password::`, or an ARN with them).

ECS wants a Secrets Manager secret's *complete* ARN, with the six random characters Secrets Manager appends
to its name (`...:secret:db/creds-AbCdEf`); a bare name works only for SSM parameters in the same region
(Amazon ECS Developer Guide, "Pass Secrets Manager secrets through Amazon ECS environment variables"). So a
name is resolved to its ARN when a run plans (`resolve_secret_arns`, DescribeSecret, once per distinct
name, in parallel), and a name that names no secret is a spec error at its line before anything is written.
A secret given by ARN is taken as written (it may live in another account, which we need not be able to see).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from platformctl.aws import error_code
from platformctl.errors import SpecError, SpecIssue

SSM = "ssm"
SECRETS_MANAGER = "secretsmanager"
# ECS's JSON-key reference adds `:json-key:version-stage:version-id` (any of them empty) after the secret.
JSON_KEY_FIELDS = 3
# A secret's ARN has 7 colon-separated fields: arn:partition:secretsmanager:region:account:secret:name-AbCdEf.
SECRET_ARN_FIELDS = 7
# What Secrets Manager appends to a secret's name in its ARN: a dash and six characters (IAM: `-??????`).
SUFFIX_PATTERN = "-??????"


@dataclass(frozen=True)
class SecretReference:
    """One parsed reference: its store, the parameter path / secret name or ARN, and ECS's JSON-key fields."""

    store: str
    target: str
    json_key_fields: str = ""  # "" or ":json-key:version-stage:version-id"

    @property
    def by_arn(self) -> bool:
        return self.target.startswith("arn:")


def parse_reference(reference: str) -> SecretReference:
    """`secretsmanager:db/creds:password::` → (secretsmanager, db/creds, ":password::"). Assumes a valid spec."""
    store, _, target = reference.partition(":")
    if store != SECRETS_MANAGER:
        return SecretReference(store, target)
    fields = target.split(":")
    keep = SECRET_ARN_FIELDS if target.startswith("arn:") else 1
    extra = fields[keep:]
    return SecretReference(store, ":".join(fields[:keep]), ":" + ":".join(extra) if extra else "")


def reference_problem(reference: str) -> str | None:
    """Why a `secretsmanager:` reference cannot be what ECS reads, or None (the spec's field check uses it)."""
    target = reference.partition(":")[2]
    fields = target.split(":")
    if target.startswith("arn:"):
        if len(fields) < SECRET_ARN_FIELDS or fields[2] != SECRETS_MANAGER or fields[5] != "secret" or not fields[6]:
            return (
                "expected a secret ARN 'arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>' "
                f"(got '{target}')"
            )
        extra = len(fields) - SECRET_ARN_FIELDS
    else:
        if not fields[0]:
            return f"expected 'secretsmanager:NAME_OR_ARN' (got '{reference}')"
        extra = len(fields) - 1
    if extra not in (0, JSON_KEY_FIELDS):
        return (
            "expected the secret alone, or the secret and three more fields for one JSON key, as ECS reads them: "
            "'secretsmanager:NAME:json-key:version-stage:version-id' (empty fields allowed: 'NAME:password::'), "
            f"got '{reference}'"
        )
    return None


def secret_names(services: Mapping[str, Any]) -> list[str]:
    """The distinct Secrets Manager names (not ARNs) the services reference: what a run must resolve."""
    names = {
        ref.target
        for service in services.values()
        for ref in map(parse_reference, service.secrets.values())
        if ref.store == SECRETS_MANAGER and not ref.by_arn
    }
    return sorted(names)


class MissingSecrets(Exception):
    """Names that no secret has, in this account and region."""

    def __init__(self, names: list[str], region: str):
        super().__init__(", ".join(names))
        self.names, self.region = names, region


def resolve_secret_arns(
    client: Any, names: Iterable[str], region: str, map_: Callable[..., list[Any]]
) -> dict[str, str]:
    """Each name's complete ARN (DescribeSecret, each name once, `map_` running them at once).

    Raises MissingSecrets naming every name that is not a secret here (ResourceNotFoundException). A secret
    scheduled for deletion is still described but cannot be read: it counts as missing, as ECS would find.
    """
    names = list(names)

    def describe(name: str) -> str | None:
        try:
            answer = client.describe_secret(SecretId=name)
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise
        return None if answer.get("DeletedDate") else answer["ARN"]

    arns = dict(zip(names, map_(describe, names), strict=True))
    missing = sorted(name for name, arn in arns.items() if arn is None)
    if missing:
        raise MissingSecrets(missing, region)
    return {name: arn for name, arn in arns.items() if arn is not None}


def missing_secrets_error(error: MissingSecrets, specs: Any) -> SpecError:
    """Each reference to a missing secret as a spec error at its line in the service file (or the override that
    set it), like every other spec problem; the files are read again, only here, to find the lines."""
    from platformctl.specs.yaml_source import SourceProblem, SourceProblems, load_yaml

    issues = []
    for service_name, service in sorted(specs.services.items()):
        path = specs.files.get(service_name)
        for key, reference in sorted(service.secrets.items()):
            ref = parse_reference(reference)
            if ref.store != SECRETS_MANAGER or ref.target not in error.names:
                continue
            message = (
                f"no Secrets Manager secret named '{ref.target}' in {error.region}: create it "
                f"(aws secretsmanager create-secret --name {ref.target} --region {error.region}) or fix the name"
            )
            try:
                doc = load_yaml(path, str(path))
            except SourceProblems as partly:
                doc = partly.doc
            except (SourceProblem, OSError, TypeError):
                issues.append(SpecIssue(str(path), None, f"secrets.{key}", message))
                continue
            where, line, _ = doc.locate(("secrets", key), specs.env)
            issues.append(SpecIssue(doc.file, line, where, message))
    return SpecError(issues)
