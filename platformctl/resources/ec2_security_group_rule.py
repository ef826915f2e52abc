"""Ingress rules, each its own tagged resource.

One rule per resource (rather than a rule list on the group) because AWS gives each rule an id and tags of
its own: a rule added by hand to one of our groups carries no tags and stays invisible, where a list on the
group would report it as drift and `apply` would delete someone's emergency access. Nothing is updatable:
a changed rule is revoked and authorised anew.

Props are `{"group", "protocol", "from_port", "to_port", "source": {"cidr": ...} | {"group": ...},
"description"}`. For protocol "-1" (all traffic) AWS reports both ports as -1, so that is what they read as.
"""

from __future__ import annotations

from typing import Any, ClassVar

from platformctl.engine.model import LiveResource
from platformctl.resources.base import Context
from platformctl.resources.ec2_base import Ec2Kind, ec2_listing
from platformctl.resources.ec2_security_group import SecurityGroup

_ALL_PORTS = -1


class SecurityGroupRule(Ec2Kind):
    kind: ClassVar[str] = "ec2.security_group_rule"
    # We manage ingress only.
    listing = ec2_listing(
        "describe_security_group_rules", "SecurityGroupRules", keep=lambda ctx, rule: not rule.get("IsEgress")
    )
    tag_type: ClassVar[str] = "security-group-rule"
    id_attr: ClassVar[str] = "SecurityGroupRuleId"
    create_call: ClassVar[str] = "authorize_security_group_ingress"
    create_result: ClassVar[str] = "SecurityGroupRules.0"
    not_found_codes: ClassVar[frozenset[str]] = frozenset(
        {"InvalidPermission.NotFound", "InvalidGroup.NotFound", "InvalidSecurityGroupRuleId.NotFound"}
    )

    def read(self, ctx: Context) -> list[LiveResource]:
        """Needs code: a group-sourced rule's description may have to come from its group (see below)."""
        owned = self.owned(ctx)
        pair_descriptions = _pair_descriptions(ctx, [rule.item for rule in owned])
        found: list[LiveResource] = []
        for rule in owned:
            props = _props(rule.item)
            if not props["description"] and "group" in props["source"]:
                props["description"] = pair_descriptions.get(_pair_key(rule.item), "")
            found.append(self.to_live(ctx, rule, props))
        return found

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return {"GroupId": props["group"], "IpPermissions": [_permission(props)]}

    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Needs code: a rule is revoked through its group, not deleted by its id alone."""
        ec2 = self.client(ctx)
        self.ignore_missing(
            lambda: ec2.revoke_security_group_ingress(
                GroupId=live.props["group"], SecurityGroupRuleIds=[live.physical_id]
            )
        )


def _permission(props: dict[str, Any]) -> dict[str, Any]:
    permission: dict[str, Any] = {"IpProtocol": props["protocol"]}
    if props["protocol"] != "-1":
        permission.update(FromPort=int(props["from_port"]), ToPort=int(props["to_port"]))
    source = props["source"]
    description = props.get("description") or ""
    extra = {"Description": description} if description else {}
    if "cidr" in source:
        permission["IpRanges"] = [{"CidrIp": source["cidr"], **extra}]
    elif "group" in source:
        permission["UserIdGroupPairs"] = [{"GroupId": source["group"], **extra}]
    else:
        raise ValueError(f"expected a rule source of {{'cidr': ...}} or {{'group': ...}} (got {source!r})")
    return permission


def _props(rule: dict[str, Any]) -> dict[str, Any]:
    protocol = str(rule["IpProtocol"])
    if protocol == "-1":
        from_port = to_port = _ALL_PORTS
    else:
        from_port, to_port = int(rule.get("FromPort", _ALL_PORTS)), int(rule.get("ToPort", _ALL_PORTS))
    if rule.get("ReferencedGroupInfo", {}).get("GroupId"):
        source: dict[str, str] = {"group": rule["ReferencedGroupInfo"]["GroupId"]}
    else:
        source = {"cidr": rule.get("CidrIpv4") or rule.get("CidrIpv6") or ""}
    return {
        "group": rule["GroupId"],
        "protocol": protocol,
        "from_port": from_port,
        "to_port": to_port,
        "source": source,
        "description": rule.get("Description", ""),
    }


_PairKey = tuple[str, str, int, int, str]


def _key(group_id: str, protocol: Any, from_port: Any, to_port: Any, source_group: str) -> _PairKey:
    """Match a rule to its group permission; "-1" rules may come with ports -1 or none at all."""
    protocol = str(protocol)
    if protocol == "-1" or from_port is None or to_port is None:
        from_port = to_port = _ALL_PORTS
    return (group_id, protocol, int(from_port), int(to_port), source_group)


def _pair_key(rule: dict[str, Any]) -> _PairKey:
    return _key(
        rule["GroupId"],
        rule["IpProtocol"],
        rule.get("FromPort"),
        rule.get("ToPort"),
        rule["ReferencedGroupInfo"]["GroupId"],
    )


def _pair_descriptions(ctx: Context, rules: list[dict[str, Any]]) -> dict[_PairKey, str]:
    """Descriptions of group-sourced rules as describe_security_groups reports them.

    The moto emulator leaves Description out of describe_security_group_rules for group-sourced rules
    (real AWS includes it). Only when such a rule reads back without one are the groups' permissions
    consulted: our groups from the listing the security group kind makes in the same pass
    (`SecurityGroup.owned`, so no second describe_security_groups), and one describe for any group that
    listing lacks (created since, or not ours), if there is one.
    """
    missing = [r for r in rules if not r.get("Description") and r.get("ReferencedGroupInfo", {}).get("GroupId")]
    if not missing:
        return {}
    group_ids = {r["GroupId"] for r in missing}
    groups = [group.item for group in SecurityGroup().owned(ctx) if group.item["GroupId"] in group_ids]
    others = sorted(group_ids - {group["GroupId"] for group in groups})
    if others:
        groups += ctx.client("ec2").describe_security_groups(Filters=[{"Name": "group-id", "Values": others}])[
            "SecurityGroups"
        ]
    found: dict[_PairKey, str] = {}
    for group in groups:
        for permission in group.get("IpPermissions") or []:
            for pair in permission.get("UserIdGroupPairs") or []:
                if pair.get("Description"):
                    key = _key(
                        group["GroupId"],
                        permission["IpProtocol"],
                        permission.get("FromPort"),
                        permission.get("ToPort"),
                        pair["GroupId"],
                    )
                    found[key] = pair["Description"]
    return found
