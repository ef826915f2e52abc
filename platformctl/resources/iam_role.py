"""IAM roles for ECS tasks (the task role and the execution role), with their inline policies.

IAM is global while the platform is regional: the same platform and env may be applied in several regions,
and each must see only its own roles. So a role carries its region in its name, in its path
(`/platformctl/<platform>/<env>/<region>/`) and in the tag `platformctl:region`, and is ours only when that
tag names the region we work in (`owned_here`, which also covers roles made before they carried a region).

A read is two listings, not calls per role: ListRoles with our path prefix says which roles exist there and
gives their descriptions, and GetAccountAuthorizationDetails (Filter=Role, paginated) gives every role's
tags and inline policies with their documents in one answer. The latter has no path filter, so on AWS it
pages through every role of the account (up to 1000 a page): still far fewer calls than the ListRoleTags,
ListRolePolicies and GetRolePolicy per role it replaces, and it is skipped when nothing lives under our
path. Its RoleDetail carries no Description, hence the ListRoles. Tags decide what is ours. The result is
fetched once per read pass (`our_roles`) for whichever kind needs it.

IAM is global and eventually consistent: a fresh role can be unknown to IAM itself for a moment (the inline
policies written right after creating it are retried) and to ECS or Application Auto Scaling for seconds;
callers that hand a fresh role to another service retry there.

Policy documents come back URL-encoded JSON text from the API (botocore usually decodes them into dicts
already); both are accepted, and `canonical` puts trust and inline policies in one form on both sides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar
from urllib.parse import unquote

from platformctl.aws import error_code
from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.errors import AwsCallError, PlatformctlError
from platformctl.naming import TAG_REGION, env_role_path
from platformctl.naming import role_path as region_role_path
from platformctl.resources.base import Context, ResourceKind, tag_dict, tag_list
from platformctl.resources.policy import normalize_policy

NOT_FOUND = frozenset({"NoSuchEntity"})
# A role created a moment ago may be briefly unknown to the IAM endpoint that takes the next call.
FRESH_ROLE_TIMEOUT = 60
# GetAccountAuthorizationDetails' MaxItems: AWS defaults to 100 and accepts up to 1000.
_DETAILS_PAGE_SIZE = 1000


@dataclass(frozen=True)
class OwnedRole:
    """A role carrying our tags for this platform and env, with its inline policies (parsed)."""

    name: str
    arn: str
    path: str
    description: str
    trust: dict[str, Any]
    policies: dict[str, dict[str, Any]]
    tags: dict[str, str]


def role_path(ctx: Context) -> str:
    """The IAM path of every role we create in this platform, env and region."""
    return region_role_path(ctx.platform, ctx.env, ctx.region)


def _owns_legacy_roles(ctx: Context) -> bool:
    """Whether roles without a region tag are ours here: only in platform.yaml's own region."""
    return ctx.home_region is None or ctx.home_region == ctx.region


def owned_here(ctx: Context, tags: dict[str, str]) -> bool:
    """Whether a role with `tags` belongs to this platform and env *in this region*.

    A role tagged `platformctl:region` is ours only in that region. A role without the tag was made before
    roles carried their region (path `/platformctl/<platform>/<env>/`, no region in its name): it belongs
    to platform.yaml's own region only, where the plan replaces it by a role with the region in its name
    and path, and deletes it on destroy. Everywhere else (`--region` elsewhere) it stays invisible, so a
    second region can neither rewrite nor delete the first one's roles, and no role is orphaned.
    """
    if ctx.identity(tags) is None:
        return False
    if TAG_REGION in tags:
        return tags[TAG_REGION] == ctx.region
    return _owns_legacy_roles(ctx)


def _listing_prefix(ctx: Context) -> str:
    """The narrowest path that holds every role ours here: the region's, or the env's where legacy roles
    (at the env path) may still be ours. ListRoles returns the prefix's subpaths too: either is one listing."""
    return env_role_path(ctx.platform, ctx.env) if _owns_legacy_roles(ctx) else role_path(ctx)


def our_roles(ctx: Context) -> list[OwnedRole]:
    """Our IAM roles with their inline policies, fetched once per read pass."""
    return ctx.cached(("iam", "our-roles"), lambda: _fetch_our_roles(ctx))


def _fetch_our_roles(ctx: Context) -> list[OwnedRole]:
    iam = ctx.client("iam")
    listed: dict[str, dict[str, Any]] = {}
    for page in iam.get_paginator("list_roles").paginate(PathPrefix=_listing_prefix(ctx)):
        for role in page.get("Roles", []):
            listed[role["Arn"]] = role
    if not listed:
        return []  # nothing under our path: the account-wide details would only be skipped
    owned: list[OwnedRole] = []
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["Role"], PaginationConfig={"PageSize": _DETAILS_PAGE_SIZE}
    )
    for page in pages:
        for detail in page.get("RoleDetailList", []):
            role = listed.get(detail["Arn"])
            if role is None:
                continue  # outside our path (or created since the listing)
            tags = tag_dict(detail.get("Tags"))
            if not owned_here(ctx, tags):
                continue
            policies = {
                p["PolicyName"]: parse_document(p.get("PolicyDocument")) for p in detail.get("RolePolicyList") or []
            }
            # The trust policy from the same answer as the inline policies.
            owned.append(
                _owned({**role, "AssumeRolePolicyDocument": detail.get("AssumeRolePolicyDocument")}, tags, policies)
            )
    # A role ListRoles showed that the details no longer include was deleted in between: it is gone.
    return owned


def _read_role(ctx: Context, role: dict[str, Any]) -> OwnedRole | None:
    """One role, call by call (the adopt path of create): tags first, policies only if it is ours."""
    iam = ctx.client("iam")
    name = role["RoleName"]
    tags: dict[str, str] = {}
    for page in iam.get_paginator("list_role_tags").paginate(RoleName=name):
        tags.update(tag_dict(page.get("Tags")))
    if not owned_here(ctx, tags):
        return None
    policy_names: list[str] = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        policy_names.extend(page.get("PolicyNames", []))
    policies = {
        policy: parse_document(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
        for policy in policy_names
    }
    return _owned(role, tags, policies)


def _owned(role: dict[str, Any], tags: dict[str, str], policies: dict[str, dict[str, Any]]) -> OwnedRole:
    """`role` shaped as ListRoles and GetRole give it (only they carry Description, the details do not)."""
    return OwnedRole(
        name=role["RoleName"],
        arn=role["Arn"],
        path=role.get("Path", "/"),
        description=role.get("Description") or "",
        trust=parse_document(role.get("AssumeRolePolicyDocument")),
        policies=policies,
        tags=tags,
    )


def parse_document(doc: dict[str, Any] | str | None) -> dict[str, Any]:
    """A policy document as IAM gives it back: a dict, JSON text, or URL-encoded JSON text."""
    if doc is None:
        return {}
    if isinstance(doc, dict):
        return doc
    text = doc.strip()
    if not text:
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(unquote(text))


def _document_text(doc: dict[str, Any]) -> str:
    """Compact JSON: IAM's size limits count characters, and whitespace is just spent quota."""
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


def _props(role: OwnedRole) -> dict[str, Any]:
    """Documents in canonical form, so what `show` prints is what the planner compares."""
    return {
        "name": role.name,
        "path": role.path,
        "description": role.description,
        "trust": normalize_policy(role.trust),
        "policies": {name: normalize_policy(doc) for name, doc in sorted(role.policies.items())},
    }


def _attrs(arn: str, name: str) -> dict[str, Any]:
    return {"Arn": arn, "RoleName": name}


def _role_name(live: LiveResource) -> str:
    """The role's name: IAM calls take names, while the physical id is the ARN (`...:role/<path>/<name>`)."""
    return live.attrs.get("RoleName") or live.physical_id.rsplit("/", 1)[-1]


def _canonical_document(doc: Any) -> Any:
    """Normalize what can be normalized; a value only known after apply stays as it is."""
    return normalize_policy(doc) if isinstance(doc, (dict, str)) or doc is None else doc


class IamRole(ResourceKind):
    kind: ClassVar[str] = "iam.role"
    tagging: ClassVar[str | None] = "iam-role"
    service: ClassVar[str] = "iam"
    id_attr: ClassVar[str] = "Arn"
    updatable: ClassVar[frozenset[str]] = frozenset({"description", "trust", "policies"})
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND
    # Only name and path force a replacement, and both derive from platform, env, service and region, so a
    # replaced role always has a new name (e.g. a role from before names carried the region): the new one
    # exists before running tasks lose the old one.
    create_before_delete: ClassVar[bool] = True

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        out = dict(props)
        if "trust" in out:
            out["trust"] = _canonical_document(out["trust"])
        policies = out.get("policies")
        if isinstance(policies, dict):
            out["policies"] = {name: _canonical_document(doc) for name, doc in sorted(policies.items())}
        if "description" in out and out["description"] is None:
            out["description"] = ""  # IAM does not tell an absent description from an empty one
        return out

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for role in our_roles(ctx):
            live = self._live(ctx, role)
            if live:
                found.append(live)
        return found

    def _live(self, ctx: Context, role: OwnedRole) -> LiveResource | None:
        return self.live(
            ctx,
            role.tags,
            name=role.name,
            physical_id=role.arn,
            props=_props(role),
            attrs=_attrs(role.arn, role.name),
        )

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        iam = ctx.client("iam")
        name = props["name"]
        if not props["path"].startswith(role_path(ctx)):
            # `read` lists only that path: a role outside it would be created again on every apply.
            raise PlatformctlError(f"{resource.id}: IAM path {props['path']} is outside {role_path(ctx)}")
        kwargs: dict[str, Any] = {
            "RoleName": name,
            "Path": props["path"],
            "AssumeRolePolicyDocument": _document_text(props["trust"]),
            "Tags": tag_list({**ctx.tags_for(resource), TAG_REGION: ctx.region}),
        }
        if props.get("description"):
            kwargs["Description"] = props["description"]
        try:
            role = iam.create_role(**kwargs)["Role"]
        except Exception as exc:
            if error_code(exc) != "EntityAlreadyExists":
                raise
            # Ours from an interrupted run that the listing did not show yet: converge it. Anyone else's: refuse.
            return self._adopt_own(ctx, resource, props)
        for policy, doc in sorted((props.get("policies") or {}).items()):
            self._put_policy(ctx, name, policy, doc, fresh=True)
        return _attrs(role["Arn"], role["RoleName"])

    def _adopt_own(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        name = props["name"]
        role = ctx.client("iam").get_role(RoleName=name)["Role"]
        owned = _read_role(ctx, role)
        identity = ctx.identity(owned.tags) if owned else None
        if owned is None or identity is None or identity[0] != resource.id:
            raise AwsCallError(resource.id, "EntityAlreadyExists", f"an IAM role named {name} exists and is not ours")
        if owned.path != props["path"]:
            raise AwsCallError(resource.id, "EntityAlreadyExists", f"IAM role {name} exists under path {owned.path}")
        live = self._live(ctx, owned)
        assert live is not None
        return self.update(ctx, resource, live, props, [])

    def _put_policy(self, ctx: Context, role_name: str, policy: str, doc: dict[str, Any], fresh: bool = False) -> None:
        iam = ctx.client("iam")

        def put() -> Any:
            return iam.put_role_policy(RoleName=role_name, PolicyName=policy, PolicyDocument=_document_text(doc))

        if fresh:
            ctx.retry_on(set(NOT_FOUND), put, timeout=FRESH_ROLE_TIMEOUT)
        else:
            put()

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        iam = ctx.client("iam")
        name = _role_name(live)
        wanted = self.canonical(props)
        current = self.canonical(live.props)
        if wanted.get("description", "") != current.get("description", ""):
            iam.update_role(RoleName=name, Description=wanted.get("description") or "")
        if wanted["trust"] != current.get("trust"):
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=_document_text(wanted["trust"]))
        wanted_policies: dict[str, Any] = wanted.get("policies") or {}
        current_policies: dict[str, Any] = current.get("policies") or {}
        for policy, doc in wanted_policies.items():
            if current_policies.get(policy) != doc:
                self._put_policy(ctx, name, policy, doc)
        for policy in sorted(set(current_policies) - set(wanted_policies)):
            self.ignore_missing(partial(iam.delete_role_policy, RoleName=name, PolicyName=policy))
        return dict(live.attrs)

    def tag_target(self, ctx: Context, live: LiveResource) -> str:
        return _role_name(live)  # IAM tags roles by name

    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Inline policies go first: IAM refuses to delete a role that still has any (DeleteConflict)."""
        iam = ctx.client("iam")
        name = _role_name(live)
        try:
            # Whatever is attached now, not what the last read saw: a policy added since would block the delete.
            policy_names: list[str] = []
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
                policy_names.extend(page.get("PolicyNames", []))
        except Exception as exc:
            if error_code(exc) in NOT_FOUND:
                return
            raise
        for policy in policy_names:
            self.ignore_missing(partial(iam.delete_role_policy, RoleName=name, PolicyName=policy))
        self.ignore_missing(lambda: iam.delete_role(RoleName=name))
