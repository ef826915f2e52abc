"""Where the suite's seed platform lives: a fixed copy of the seed specs, kept under tests/ on purpose.

The checkout's own `specs/` belongs to the user: the README sends newcomers to `platformctl add-service x`
and to editing those files, and `make test` must keep passing after they do. So every test (and the
benchmark, whose figures must stay comparable between runs) reads this copy, through this one constant,
and never `specs/`. When the seed in `specs/` changes on purpose, copy it here too.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Any

SEED_SPECS = Path(__file__).resolve().parent / "fixtures" / "seed"

# Regions the suite runs the seed in (tests move it with `region:` or `--region`). Its Secrets Manager secrets
# are stored in each, as a user creates them before the first apply: a plan refuses a name no secret has.
SEED_REGIONS = ("us-east-1", "us-west-1", "us-west-2", "ap-northeast-1", "eu-west-1")


@functools.cache
def seed_secret_names() -> tuple[str, ...]:
    """The Secrets Manager names the seed's services reference (base and every environment)."""
    from platformctl.secret_refs import SECRETS_MANAGER, parse_reference
    from platformctl.specs import load_specs

    names: set[str] = set()
    base = load_specs(SEED_SPECS, environ={})
    for env in (None, *base.environments):
        specs = base if env is None else load_specs(SEED_SPECS, env, environ={})
        for service in specs.services.values():
            refs = map(parse_reference, service.secrets.values())
            names |= {r.target for r in refs if r.store == SECRETS_MANAGER and not r.by_arn}
    return tuple(sorted(names))


@functools.cache
def _secrets_client(endpoint: str | None, region: str) -> Any:
    import boto3

    # An emulator takes any credentials; the benchmark runs on machines that have none configured.
    fake = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"} if endpoint else {}
    return boto3.client("secretsmanager", endpoint_url=endpoint, region_name=region, **fake)


def store_seed_secrets(endpoint: str | None, regions: tuple[str, ...] = SEED_REGIONS) -> None:
    """Create the seed's secrets (if absent) in `regions` of the account at `endpoint` (None: in-process moto)."""
    for region in regions:
        # In-process moto (no endpoint) intercepts the clients made while it runs: make one each time there.
        client = _secrets_client(endpoint, region) if endpoint else _secrets_client.__wrapped__(None, region)
        for name in seed_secret_names():
            with contextlib.suppress(client.exceptions.ResourceExistsException):
                client.create_secret(Name=name, SecretString=f"seed value of {name}")
