"""Where alarms go: the environment's alerts topic, and the people and systems subscribed to it.

Every environment gets the topic `<platform>-<env>-alerts`, whether or not anyone is subscribed yet, so every
alarm always has a target: its ALARM and OK actions publish there (`alarm_actions`). It is encrypted with
the platform key when `encryption.kms` is on (the key policy admits CloudWatch: `platform.key_policy`).
The platform spec's `alerts: {email: [...], https: [...]}` subscribes each address and URL to it. Built in
the platform layer, which every layer with alarms (messaging, services, api) stands on.
"""

from __future__ import annotations

from typing import Any

from platformctl.engine.model import Ref, Resource
from platformctl.layers.context import BuildContext
from platformctl.naming import aws_name
from platformctl.resources.sns_alert_subscription import ALERTS_TOPIC_ID, alert_subscription_id

LAYER = "platform"


def alerts_topic_name(ctx: BuildContext) -> str:
    return aws_name("sns-topic", ctx.prefix, "alerts")


def alarm_actions() -> dict[str, Any]:
    """The actions props of every alarm: going into ALARM and back to OK both notify the alerts topic."""
    topic = Ref(ALERTS_TOPIC_ID, "TopicArn")
    return {"alarm_actions": [topic], "ok_actions": [topic]}


def build(ctx: BuildContext) -> list[Resource]:
    spec = ctx.specs.platform
    name = alerts_topic_name(ctx)
    kms_key = Ref("kms", "Arn") if spec.encryption.kms else None
    out = [Resource("sns.topic", ALERTS_TOPIC_ID, LAYER, name, {"name": name, "kms_key": kms_key})]
    for protocol, endpoints in (("email", spec.alerts.email), ("https", spec.alerts.https)):
        for endpoint in endpoints:
            out.append(
                Resource(
                    "sns.alert_subscription",
                    alert_subscription_id(protocol, endpoint),
                    LAYER,
                    f"{name} → {endpoint}",
                    {"topic": Ref(ALERTS_TOPIC_ID, "TopicArn"), "protocol": protocol, "endpoint": endpoint},
                )
            )
    return out


def cloudwatch_key_grant(ctx: BuildContext) -> dict[str, Any]:
    """The key policy statement letting CloudWatch publish alarms to the encrypted alerts topic.

    SNS encrypts a message with the publisher's use of the key: without this grant every alarm notification
    is dropped, silently. Held to alarms of this account (`aws:SourceAccount`: the confused deputy). AWS:
    "Enable compatibility between event sources from AWS services and encrypted topics" (Amazon SNS Developer
    Guide, "Key management"), and "Using Amazon CloudWatch alarms" (CloudWatch User Guide, encrypted topics).
    """
    return {
        "Sid": "CloudWatchPublishesAlerts",
        "Effect": "Allow",
        "Principal": {"Service": ctx.service_principal("cloudwatch")},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": ctx.account_id}},
    }
