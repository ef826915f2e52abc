"""The emulator's settings: a setting it does not know, or a value that makes no sense, is refused with a
400 naming it (and nothing changes), and the realistic durations go back to their defaults when asked.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from platformctl import emulator_realistic
from platformctl.emulator import Harness
from platformctl.local import HarnessControl, HarnessRefused


@pytest.fixture
def control() -> Iterator[HarnessControl]:
    """The Harness over a stand-in for moto, served over HTTP as the emulator serves it."""

    def not_aws(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [])
        return [b""]

    server = make_server("127.0.0.1", 0, Harness(not_aws), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HarnessControl(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        emulator_realistic.reset()


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"latncy": 0.1}, "unknown setting(s): latncy"),
        ({"fault_rate": 2}, "fault_rate must be a number from 0 to 1, not 2"),
        ({"latency": "slow"}, "latency must be a number of seconds ≥ 0, not 'slow'"),
        ({"realistic": {"enabled": True, "speed": 2}}, "realistic must be a mapping of enabled, scale, durations"),
        ({"realistic": {"scale": -1}}, "realistic.scale must be a number ≥ 0, not -1"),
        ({"realistic": {"durations": {"nat_creation": 1}}}, "unknown realistic durations name(s): nat_creation"),
        ({"realistic": {"durations": {"nat_create": "1s"}}}, "realistic.durations.nat_create must be a number"),
        ({"realistic": {"throttling": {"apigateway": {"rate": 1}}}}, "realistic.throttling.apigateway must be"),
    ],
)
def test_a_setting_it_does_not_know_or_a_value_that_makes_no_sense_is_a_400_naming_it_and_changes_nothing(
    control: HarnessControl, config: dict[str, Any], named: str
) -> None:
    before = control.stats()
    with pytest.raises(HarnessRefused) as refused:
        control.configure(**{"latency": 0.25, **config})  # a good setting too: not applied either
    assert named in str(refused.value)
    after = control.stats()
    assert after == before
    assert after["realistic"]["enabled"] is False and after["latency"] == 0.0


def test_a_body_that_is_not_json_is_a_400(control: HarnessControl) -> None:
    request = urllib.request.Request(f"{control.endpoint}/_harness/config", data=b"{latency: 1", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert b"the configuration is not JSON" in refused.value.read()


def test_good_settings_still_apply(control: HarnessControl) -> None:
    stats = control.configure(latency=0.01, deny={"ec2:ReleaseAddress": "AuthFailure"}, realistic={"scale": 0.5})
    assert stats["latency"] == 0.01 and stats["deny"] == {"ec2:ReleaseAddress": "AuthFailure"}
    assert stats["realistic"]["durations"]["nat_create"] == 60  # 120 s at 1/2


def test_durations_go_back_to_the_scale_one_by_one_or_all_at_once() -> None:
    try:
        emulator_realistic.configure(scale=0.01, durations={"nat_create": 0.3, "vpc_link_create": 0.2})
        settings = emulator_realistic.configure(durations={"nat_create": None})  # this one back to its default
        assert settings["durations"]["nat_create"] == pytest.approx(1.2)  # 120 s at 1/100
        assert settings["durations"]["vpc_link_create"] == 0.2
        settings = emulator_realistic.configure(durations={})  # none set: every one follows the scale
        assert settings["durations"] == {name: pytest.approx(aws / 100) for name, aws in emulator_realistic.AWS_SECONDS.items()}  # noqa: E501
        emulator_realistic.configure(throttling={"apigateway": {"burst": 1}})
        settings = emulator_realistic.configure(throttling={})
        assert settings["throttling"] == emulator_realistic.AWS_RATES
    finally:
        emulator_realistic.reset()
