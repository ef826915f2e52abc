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

from platformctl.engine.model import LiveResource, Resource
from platformctl.resources.base import Context
from platformctl.resources.ec2_base import Ec2Kind
from platformctl.resources.ec2_security_group import our_security_groups

_ALL_PORTS = -1


class SecurityGroupRule(Ec2Kind):
    kind: ClassVar[str] = "ec2.security_group_rule"
    describe: ClassVar[str] = "describe_security_group_rules"
    items_key: ClassVar[str] = "SecurityGroupRules"
    tag_type: ClassVar[str] = "security-group-rule"
    id_attr: ClassVar[str] = "SecurityGroupRuleId"
    not_found_codes: ClassVar[frozenset[str]] = frozenset(
        {"InvalidPermission.NotFound", "InvalidGroup.NotFound", "InvalidSecurityGroupRuleId.NotFound"}
    )

    def keep(self, rule: dict[str, Any]) -> bool:
        return not rule.get("IsEgress")  # we manage ingress only

    def read(self, ctx: Context) -> list[LiveResource]:
        owned = list(self.owned_items(ctx))
        pair_descriptions = _pair_descriptions(ctx, [rule for rule, _ in owned])
        found: list[LiveResource] = []
        for rule, tags in owned:
            props = _props(rule)
            if not props["description"] and "group" in props["source"]:
                props["description"] = pair_descriptions.get(_pair_key(rule), "")
            found.append(self.to_live(ctx, rule, tags, props))
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        answer = ctx.client("ec2").authorize_security_group_ingress(
            GroupId=props["group"],
            IpPermissions=[_permission(props)],
            TagSpecifications=self.tag_specifications(ctx, resource),
        )
        return {"SecurityGroupRuleId": answer["SecurityGroupRules"][0]["SecurityGroupRuleId"]}

    def delete(self, ctx: Context, live: LiveResource) -> None:
        ec2 = ctx.client("ec2")
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
    (`our_security_groups`, so no second describe_security_groups), and one describe for any group that
    listing lacks (created since, or not ours), if there is one.
    """
    missing = [r for r in rules if not r.get("Description") and r.get("ReferencedGroupInfo", {}).get("GroupId")]
    if not missing:
        return {}
    group_ids = {r["GroupId"] for r in missing}
    groups = [group for group, _ in our_security_groups(ctx) if group["GroupId"] in group_ids]
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
