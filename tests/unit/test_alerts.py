"""Alarms reach someone: the alerts topic, its email / https subscriptions, the key grant and the `alerts` spec.

The subscription kind runs against in-process moto. moto confirms every subscription at once; real AWS keeps
an email subscription (and an https one until its endpoint answers) "pending confirmation", listed with
`PendingConfirmation` instead of an ARN. `_make_pending` puts moto's record in exactly that state.
"""

from __future__ import annotations

from pathlib import Path

from platformctl.engine.model import Ref, Resource
from platformctl.engine.planner import make_plan
from platformctl.layers import BuildContext, desired_resources
from platformctl.resources.base import Context
from platformctl.resources.registry import registry
from platformctl.resources.sns_alert_subscription import SnsAlertSubscription
from platformctl.resources.sns_topic import SnsTopic
from platformctl.specs import load_specs
from platformctl.status import gather, print_report
from tests.unit.kind_harness import ENV, PLATFORM, KindDriver, moto_context
from tests.unit.spec_helpers import edit, issues, line_of, seed_copy

TOPIC = Resource(
    "sns.topic", "alerts", "platform", f"{PLATFORM}-{ENV}-alerts", {"name": f"{PLATFORM}-{ENV}-alerts", "kms_key": None}
)


def subscription(protocol: str, endpoint: str) -> Resource:
    return Resource(
        "sns.alert_subscription",
        f"alerts/{protocol}:{endpoint}",
        "platform",
        f"{PLATFORM}-{ENV}-alerts → {endpoint}",
        {"topic": Ref("alerts", "TopicArn"), "protocol": protocol, "endpoint": endpoint},
    )


def _subscriptions(ctx: Context, topic_arn: str) -> list[tuple[str, str, str]]:
    listing = ctx.client("sns").list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    return sorted((s["Protocol"], s["Endpoint"], s["SubscriptionArn"]) for s in listing)


def _make_pending(ctx: Context, endpoint: str) -> None:
    """What real AWS shows until the recipient confirms: the subscription listed without an ARN."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    backend = sns_backends[DEFAULT_ACCOUNT_ID][ctx.aws.target.region]
    arn, sub = next((arn, s) for arn, s in backend.subscriptions.items() if s.endpoint == endpoint)
    del backend.subscriptions[arn]
    sub.arn = "PendingConfirmation"
    backend.subscriptions[f"pending:{endpoint}"] = sub


def _plan(ctx: Context, desired: list[Resource]):
    ctx.clear_cache()
    kinds = registry()
    live = SnsTopic().read(ctx) + SnsAlertSubscription().read(ctx)
    return make_plan(ENV, desired, live, kinds, layers=["platform"])


def test_email_and_https_subscriptions_are_created_once_read_back_in_sync_and_deleted() -> None:
    with moto_context() as ctx:
        driver, kind = KindDriver(ctx), SnsAlertSubscription()
        topic_arn = driver.create(SnsTopic(), TOPIC)["TopicArn"]
        email, https = subscription("email", "ops@example.com"), subscription("https", "https://pager.example.com/sns")
        # Someone's Lambda on the same topic: another protocol, never ours to read or delete.
        ctx.client("sns").subscribe(
            TopicArn=topic_arn, Protocol="lambda", Endpoint="arn:aws:lambda:us-east-1:123456789012:function:f"
        )
        for resource in (email, https):
            driver.create(kind, resource)

        live = driver.read(kind)
        assert sorted(live) == [email.id, https.id]
        for resource in (email, https):
            assert live[resource.id].props == driver.resolved(resource)  # what the planner compares: in sync
        assert not _plan(ctx, [TOPIC, email, https]).pending  # a second apply subscribes nobody again
        assert len(_subscriptions(ctx, topic_arn)) == 3

        # Removing the address from the specs deletes its subscription, and only that one.
        steps = _plan(ctx, [TOPIC, https]).pending
        assert [(s.action, s.kind, s.id.split("#")[0]) for s in steps] == [
            ("delete", "sns.alert_subscription", email.id)
        ]
        kind.delete(ctx, live[email.id])
        assert [p for p, _, _ in _subscriptions(ctx, topic_arn)] == ["https", "lambda"]
        kind.delete(ctx, live[email.id])  # already gone: fine


def test_a_pending_subscription_is_matched_by_endpoint_and_left_for_aws_to_drop() -> None:
    with moto_context() as ctx:
        driver, kind = KindDriver(ctx), SnsAlertSubscription()
        driver.create(SnsTopic(), TOPIC)
        email = subscription("email", "ops@example.com")
        driver.create(kind, email)
        _make_pending(ctx, "ops@example.com")

        live = driver.read(kind)[email.id]
        assert live.facts["pending"] is True
        assert "pending confirmation" in live.physical_id
        # Still wanted: in sync, so apply does not subscribe (and mail) the address again.
        assert not _plan(ctx, [TOPIC, email]).pending
        # No longer wanted: AWS refuses to unsubscribe it, so the plan leaves it, saying why, instead of a
        # delete that would fail, or show again after every apply.
        plan = _plan(ctx, [TOPIC])
        assert plan.pending == []
        [left] = [s for s in plan.steps if s.kind == "sns.alert_subscription"]
        assert left.action == "noop" and "48 hours" in left.reason


def test_status_names_the_subscriptions_waiting_for_confirmation() -> None:
    from io import StringIO

    from rich.console import Console

    with moto_context() as ctx:
        driver, kind = KindDriver(ctx), SnsAlertSubscription()
        driver.create(SnsTopic(), TOPIC)
        for endpoint in ("ops@example.com", "dev@example.com"):
            driver.create(kind, subscription("email", endpoint))
        _make_pending(ctx, "ops@example.com")

        report = gather(PLATFORM, ENV, list(driver.read(kind).values()))
        out = StringIO()
        print_report(Console(file=out, width=80), report)
        text = out.getvalue()
        assert "Alert subscriptions pending confirmation (1)" in text
        assert "email: ops@example.com" in text and "dev@example.com" not in text


def _graph(specs: Path, kms: bool = True):
    if not kms:
        edit(specs, "platform.yaml", "  kms: true", "  kms: false")
    return {
        r.id: r
        for r in desired_resources(BuildContext(load_specs(specs, "dev", environ={}), account_id="123456789012"))
    }


def test_every_alarm_notifies_the_alerts_topic_which_exists_with_no_subscriber(tmp_path: Path) -> None:
    graph = _graph(seed_copy(tmp_path))
    assert graph["alerts"].props == {"name": "microservices-dev-alerts", "kms_key": Ref("kms", "Arn")}
    alarms = [r for r in graph.values() if r.kind == "cloudwatch.alarm"]
    assert len(alarms) >= 7  # a DLQ and a CPU alarm per service, the API's 5xx
    for alarm in alarms:
        assert alarm.props["alarm_actions"] == [Ref("alerts", "TopicArn")], alarm.id
        assert alarm.props["ok_actions"] == [Ref("alerts", "TopicArn")], alarm.id
    assert not [r for r in graph.values() if r.kind == "sns.alert_subscription"]


def test_the_key_admits_cloudwatch_to_the_encrypted_alerts_topic_for_this_account_only(tmp_path: Path) -> None:
    statements = {s["Sid"]: s for s in _graph(seed_copy(tmp_path))["kms"].props["policy"]["Statement"]}
    grant = statements["CloudWatchPublishesAlerts"]
    assert grant["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(grant["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    graph = _graph(seed_copy(tmp_path / "plain"), kms=False)
    assert graph["alerts"].props["kms_key"] is None and "kms" not in graph


def test_alerts_subscribes_each_address_and_url_and_an_environment_can_override_it(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "platform.yaml", "  staging:    {}", "  staging:    {alerts: {email: [oncall@example.com]}}")
    with (specs / "platform.yaml").open("a") as f:
        f.write("alerts:\n  email: [ops@example.com]\n  https: ['https://pager.example.com/sns?key=1']\n")
    dev = _graph(specs)
    assert sorted(i for i, r in dev.items() if r.kind == "sns.alert_subscription") == [
        "alerts/email:ops@example.com",
        "alerts/https:https://pager.example.com/sns?key=1",
    ]
    staging = desired_resources(BuildContext(load_specs(specs, "staging", environ={}), account_id="123456789012"))
    assert [r.props["endpoint"] for r in staging if r.kind == "sns.alert_subscription"] == [
        "oncall@example.com",
        "https://pager.example.com/sns?key=1",
    ]


def test_a_bad_address_or_url_is_an_error_at_its_line(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    with (specs / "platform.yaml").open("a") as f:
        f.write(
            "alerts:\n"
            "  email:\n    - ops@example.com\n    - not-an-address\n"
            "  https: ['http://pager.example.com/sns']\n"
        )
    found = {(i.line, i.path, i.message.split(" (")[0]) for i in issues(specs)}
    assert found == {
        (
            line_of(specs, "platform.yaml", "- not-an-address"),
            "alerts.email[1]",
            "expected an email address such as ops@example.com",
        ),
        (
            line_of(specs, "platform.yaml", "http://pager"),
            "alerts.https[0]",
            "expected an https:// URL such as https://alerts.example.com/sns",
        ),
    }


def test_an_address_listed_twice_is_an_error_at_the_second(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    with (specs / "platform.yaml").open("a") as f:
        f.write("alerts:\n  email:\n    - ops@example.com\n    - ops@example.com\n")
    [issue] = issues(specs)
    assert (issue.line, issue.path) == (line_of(specs, "platform.yaml", "- ops@example.com", 2), "alerts.email[1]")
    assert issue.message == "duplicate email address 'ops@example.com'"
