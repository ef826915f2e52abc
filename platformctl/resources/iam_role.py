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
fetched once per read pass (`IamRole.owned`) for whichever kind needs it.

IAM is global and eventually consistent: a fresh role can be unknown to IAM itself for a moment (the inline
policies its setter writes right after creating it are retried: `retry_codes`) and to ECS or Application
Auto Scaling for seconds; callers that hand a fresh role to another service retry there.

Policy documents come back URL-encoded JSON text from the API (botocore usually decodes them into dicts
already); both are accepted, and `canonical` puts trust and inline policies in one form on both sides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import partial
from typing import Any, ClassVar
from urllib.parse import unquote

from platformctl.aws import error_code
from platformctl.engine.model import LiveResource, Resource
from platformctl.errors import AwsCallError, PlatformctlError
from platformctl.naming import TAG_REGION, env_role_path
from platformctl.naming import role_path as region_role_path
from platformctl.resources.base import Context, tag_dict, tag_list, unless_gone
from platformctl.resources.declarative import DeclarativeKind, Field, Listing, Owned
from platformctl.resources.policy import normalize_policy

NOT_FOUND = frozenset({"NoSuchEntity"})
# GetAccountAuthorizationDetails' MaxItems: AWS defaults to 100 and accepts up to 1000.
_DETAILS_PAGE_SIZE = 1000


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


def _listing_request(ctx: Context) -> dict[str, str]:
    """The narrowest path that holds every role ours here: the region's, or the env's where legacy roles
    (at the env path) may still be ours. ListRoles returns the prefix's subpaths too: either is one listing."""
    return {"PathPrefix": env_role_path(ctx.platform, ctx.env) if _owns_legacy_roles(ctx) else role_path(ctx)}


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


def _document(doc: dict[str, Any] | str | None) -> dict[str, Any]:
    """A document read back, in the canonical form the planner compares (and `show` prints)."""
    return normalize_policy(parse_document(doc))


def _policies(listed: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """A RoleDetail's RolePolicyList → {policy name: canonical document}, in name order."""
    return {p["PolicyName"]: _document(p.get("PolicyDocument")) for p in sorted(listed or [], key=_policy_name)}


def _policy_name(policy: dict[str, Any]) -> str:
    return policy["PolicyName"]


def _document_text(doc: dict[str, Any]) -> str:
    """Compact JSON: IAM's size limits count characters, and whitespace is just spent quota."""
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


def _role_name(live: LiveResource) -> str:
    """The role's name: IAM calls take names, while the physical id is the ARN (`...:role/<path>/<name>`)."""
    return live.attrs.get("RoleName") or live.physical_id.rsplit("/", 1)[-1]


def _canonical_document(doc: Any) -> Any:
    """Normalize what can be normalized; a value only known after apply stays as it is."""
    return normalize_policy(doc) if isinstance(doc, (dict, str)) or doc is None else doc


class IamRole(DeclarativeKind):
    kind: ClassVar[str] = "iam.role"
    tagging: ClassVar[str | None] = "iam-role"
    service: ClassVar[str] = "iam"
    id_attr: ClassVar[str] = "Arn"
    listing = Listing("list_roles", "Roles", _listing_request)
    name_source: ClassVar[str | None] = "RoleName"
    attrs: ClassVar[dict[str, str]] = {"Arn": "Arn", "RoleName": "RoleName"}
    fields: ClassVar[dict[str, Field]] = {
        # Only name and path force a replacement, and both derive from platform, env, service and region, so
        # a replaced role always has a new name (e.g. a role from before names carried the region).
        "name": Field("RoleName"),
        "path": Field("Path"),
        "description": Field(lambda role: role.get("Description") or "", setter="set_description"),
        # Trust and inline policies as `tagged` merged them in from the account authorization details.
        "trust": Field("AssumeRolePolicyDocument", convert=_document, setter="set_trust"),
        "policies": Field("RolePolicyList", convert=_policies, setter="set_policies", initial={}),
    }
    create_call: ClassVar[str] = "create_role"
    create_result: ClassVar[str] = "Role"
    delete_call: ClassVar[str] = "delete_role"
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND
    # A role created a moment ago may be briefly unknown to the IAM endpoint that takes the next call.
    retry_codes: ClassVar[frozenset[str]] = NOT_FOUND
    # A replacement has a new name (see `fields`): the new role exists before running tasks lose the old one.
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

    # ---- read ------------------------------------------------------------------------------------------
    def tagged(self, ctx: Context, items: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Needs code: tags, trust and inline policies of every role come in one account-wide answer.

        GetAccountAuthorizationDetails has neither a path filter nor descriptions, ListRoles has both: each
        listed role gets its details by ARN, and is kept where they say it is ours *here* (`owned_here`). A
        listed role the details no longer include was deleted in between: it is gone.
        """
        listed = {role["Arn"]: role for role in items}
        if not listed:
            return []  # nothing under our path: the account-wide details would only be skipped
        pages = self.client(ctx).get_paginator("get_account_authorization_details").paginate(
            Filter=["Role"], PaginationConfig={"PageSize": _DETAILS_PAGE_SIZE}
        )
        found: list[tuple[dict[str, Any], dict[str, str]]] = []
        for detail in (detail for page in pages for detail in page.get("RoleDetailList", [])):
            tags = tag_dict(detail.get("Tags"))
            if detail["Arn"] in listed and owned_here(ctx, tags):
                documents = {key: detail.get(key) for key in ("AssumeRolePolicyDocument", "RolePolicyList")}
                found.append(({**listed[detail["Arn"]], **documents}, tags))
        return found

    def tag_target(self, ctx: Context, live: LiveResource) -> str:
        return _role_name(live)  # IAM tags roles by name

    # ---- create ----------------------------------------------------------------------------------------
    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        """Needs code: a path `read` would never list is refused, and our own role left by an interrupted
        run (IAM refuses a second of the name: EntityAlreadyExists) is converged instead of made again."""
        if not props["path"].startswith(role_path(ctx)):
            # `read` lists only that path: a role outside it would be created again on every apply.
            raise PlatformctlError(f"{resource.id}: IAM path {props['path']} is outside {role_path(ctx)}")
        try:
            return super().create(ctx, resource, props)
        except Exception as exc:
            if error_code(exc) != "EntityAlreadyExists":
                raise
        return self._converge_own(ctx, resource, props)

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        description = {"Description": props["description"]} if props.get("description") else {}
        trust = _document_text(props["trust"])
        return {"RoleName": props["name"], "Path": props["path"], "AssumeRolePolicyDocument": trust, **description}

    def create_tags(self, ctx: Context, resource: Resource) -> dict[str, Any]:
        """Our tags and the region the role belongs to (`owned_here`), in the create call itself."""
        return {"Tags": tag_list({**ctx.tags_for(resource), TAG_REGION: ctx.region})}

    def _converge_own(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        """The role of that name, if ours from an interrupted run, set to `props`; anything else is refused."""
        name = props["name"]
        role = self.client(ctx).get_role(RoleName=name)["Role"]  # GetRole carries the tags, ListRoles not
        tags = tag_dict(role.get("Tags"))
        identity = ctx.identity(tags) if owned_here(ctx, tags) else None
        if identity is None or identity[0] != resource.id:
            raise AwsCallError(resource.id, "EntityAlreadyExists", f"an IAM role named {name} exists and is not ours")
        if role["Path"] != props["path"]:
            raise AwsCallError(resource.id, "EntityAlreadyExists", f"IAM role {name} exists under path {role['Path']}")
        # Its policies' documents are not read: each wanted one is written, each other one removed.
        policies = [{"PolicyName": policy} for policy in self._policy_names(ctx, name)]
        live = self.to_live(ctx, Owned({**role, "RolePolicyList": policies}, tags, role["Arn"], role["Arn"], name))
        wanted = self.canonical(props)
        self.apply_setters(ctx, live, props, [field for field in self.updatable if live.props[field] != wanted[field]])
        return dict(live.attrs)

    # ---- update: the setters ---------------------------------------------------------------------------
    def set_description(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        self.call(ctx, "update_role", RoleName=_role_name(live), Description=props.get("description") or "")

    def set_trust(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        document = _document_text(self.canonical(props)["trust"])
        self.call(ctx, "update_assume_role_policy", RoleName=_role_name(live), PolicyDocument=document)

    def set_policies(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        """IAM writes inline policies one by one: each new or changed one is put, each no longer wanted deleted."""
        name, wanted = _role_name(live), self.canonical(props).get("policies") or {}
        current: dict[str, Any] = live.props.get("policies") or {}
        for policy, doc in wanted.items():
            if current.get(policy) != doc:
                self.call(ctx, "put_role_policy", RoleName=name, PolicyName=policy, PolicyDocument=_document_text(doc))
        self._delete_policies(ctx, name, sorted(set(current) - set(wanted)))

    # ---- delete ----------------------------------------------------------------------------------------
    def delete(self, ctx: Context, live: LiveResource) -> None:
        """Needs code: inline policies go first, IAM refuses to delete a role that still has any (DeleteConflict).

        Whatever is attached now, not what the last read saw: a policy added since would block the delete.
        """
        name = _role_name(live)
        policies = unless_gone(self.not_found_codes, lambda: self._policy_names(ctx, name))
        if policies is not None:  # else already gone
            self._delete_policies(ctx, name, policies)
            super().delete(ctx, live)

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return {"RoleName": _role_name(live)}

    def _policy_names(self, ctx: Context, name: str) -> list[str]:
        pages = self.client(ctx).get_paginator("list_role_policies").paginate(RoleName=name)
        return [policy for page in pages for policy in page.get("PolicyNames", [])]

    def _delete_policies(self, ctx: Context, name: str, policies: Iterable[str]) -> None:
        iam = self.client(ctx)
        for policy in policies:
            self.ignore_missing(partial(iam.delete_role_policy, RoleName=name, PolicyName=policy))
