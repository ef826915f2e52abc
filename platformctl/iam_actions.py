"""What IAM calls an AWS API operation: `ecs:CreateService`, `elasticloadbalancing:CreateRule`, `apigateway:POST`.

IAM names actions by a service prefix that is not always boto3's client name (elbv2 is `elasticloadbalancing`,
resourcegroupstaggingapi is `tag`), and API Gateway's IAM actions are HTTP methods on resource paths, not
operation names (AWS's "Control access to HTTP APIs with IAM": `apigateway:POST` on `/apis`). Two readers need
it: a failed step names the action a missing permission blocks (item 11 of issue 12), and `platformctl
iam-policy` writes its statements in these names (`platformctl/permissions.py`).
"""

from __future__ import annotations

# boto3 client name → IAM action prefix, where they differ (AWS's "Service Authorization Reference" per service).
_PREFIX = {
    "elbv2": "elasticloadbalancing",
    "resourcegroupstaggingapi": "tag",
    "apigatewayv2": "apigateway",
}
# The same, from the name a request is signed with (what the emulator's Harness sees on the wire).
_SIGNING_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag"}
# Services whose IAM actions are the HTTP method of the request (REST resources), not the operation.
_METHOD_ACTIONS = frozenset({"apigateway"})


def iam_prefix(client_name: str) -> str:
    """`elbv2` → `elasticloadbalancing`; most clients are their own prefix."""
    return _PREFIX.get(client_name, client_name)


def iam_action(client_name: str, operation: str, http_method: str | None = None) -> str:
    """The IAM action authorising `operation` of boto3 client `client_name` (`apigateway:<METHOD>` for API GW)."""
    prefix = iam_prefix(client_name)
    if prefix in _METHOD_ACTIONS and http_method:
        return f"{prefix}:{http_method.upper()}"
    return f"{prefix}:{operation}"


def iam_action_of_request(signing_name: str, action: str) -> str:
    """The IAM action of a request as the Harness records it: `monitoring`, `PutMetricAlarm` → `cloudwatch:...`.

    REST requests are recorded as `<METHOD> <path>`: the IAM action is then `<prefix>:<METHOD>`.
    """
    prefix = _SIGNING_PREFIX.get(signing_name, signing_name)
    if prefix in _METHOD_ACTIONS and " " in action:
        return f"{prefix}:{action.split(' ', 1)[0]}"
    return f"{prefix}:{action}"
