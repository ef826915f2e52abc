"""Which credentials platformctl signs with against a custom endpoint, and what its first call retries."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from platformctl.aws import Aws, AwsTarget
from platformctl.aws_access import retry_delay

ENDPOINT = "http://127.0.0.1:5055"


@pytest.fixture
def profile_x(monkeypatch, tmp_path) -> None:
    """No credentials in the environment; a credentials file with one profile, `x`."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    credentials = tmp_path / "credentials"
    credentials.write_text("[x]\naws_access_key_id = AKIAPROFILEX\naws_secret_access_key = secret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))


def signing_key(aws: Aws) -> str:
    return aws._session.get_credentials().access_key


def test_a_custom_endpoint_without_credentials_signs_with_the_emulator_s_dummy_ones(profile_x) -> None:
    assert signing_key(Aws(AwsTarget(region="us-east-1", endpoint_url=ENDPOINT))) == "testing"


def test_a_profile_given_with_a_custom_endpoint_is_the_one_used(profile_x) -> None:
    assert signing_key(Aws(AwsTarget(region="us-east-1", profile="x", endpoint_url=ENDPOINT))) == "AKIAPROFILEX"


def client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


def test_the_first_call_retries_only_what_may_pass() -> None:
    unavailable = client_error("ServiceUnavailable", 503)
    assert [retry_delay(unavailable, n) for n in (1, 2, 3, 4)] == [0.25, 0.5, 1.0, None]
    assert retry_delay(client_error("Throttling", 400), 1) == 0.25
    refused = EndpointConnectionError(endpoint_url=ENDPOINT, error=ConnectionRefusedError())
    assert [retry_delay(refused, n) for n in (1, 2)] == [0.25, None]
    assert retry_delay(NoCredentialsError(), 1) is None
    assert retry_delay(client_error("InvalidClientTokenId", 403), 1) is None
