"""A queue's access policy: which topics and rules may send to it.

The policy is an attribute of the queue, not a taggable resource of its own, so ownership comes from the
queue: a policy on one of our queues is ours, its logical id is `<queue logical id>/policy` and its layer
is the queue's layer. It costs no call of its own: `our_queues` has already read every attribute. A queue
without a Policy attribute has no policy resource.

Policies are compared in one canonical form (`normalize_policy`) applied after Refs are resolved: the
desired policy lists topic and rule ARNs that only exist once resolved, and AWS returns the JSON in its
own spelling.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from platformctl.engine.model import Change, LiveResource, Resource
from platformctl.naming import TAG_ID
from platformctl.resources import tag_index
from platformctl.resources.base import Context, ResourceKind
from platformctl.resources.policy import normalize_policy
from platformctl.resources.sqs_queue import NOT_FOUND_CODES, our_queues

POLICY_SUFFIX = "/policy"


def policy_logical_id(queue_logical_id: str) -> str:
    """The logical id of the policy of the queue with logical id `queue_logical_id`."""
    return f"{queue_logical_id}{POLICY_SUFFIX}"


class SqsQueuePolicy(ResourceKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "sqs.queue_policy"
    service: ClassVar[str] = "sqs"
    id_attr: ClassVar[str] = "QueueUrl"
    updatable: ClassVar[frozenset[str]] = frozenset({"policy"})
    # A replacement only happens when the policy moves to another queue: the new one can be set first.
    create_before_delete: ClassVar[bool] = True
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND_CODES

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        if "policy" not in props or not isinstance(props["policy"], (dict, str)):
            return props  # e.g. still unknown until apply
        return {**props, "policy": normalize_policy(props["policy"])}

    def read(self, ctx: Context) -> list[LiveResource]:
        found: list[LiveResource] = []
        for queue in our_queues(ctx):
            policy = queue.attributes.get("Policy")
            if not policy:
                continue
            tags = {**queue.tags, TAG_ID: policy_logical_id(queue.logical_id)}
            live = self.live(
                ctx,
                tags,
                name=f"{queue.name} policy",
                physical_id=queue.url,
                props={"queue": queue.url, "policy": normalize_policy(policy)},
                attrs={"QueueUrl": queue.url},
            )
            if live:
                found.append(live)
        return found

    def create(self, ctx: Context, resource: Resource, props: dict[str, Any]) -> dict[str, Any]:
        _set_policy(ctx, props["queue"], json.dumps(normalize_policy(props["policy"])))
        return {"QueueUrl": props["queue"]}

    def update(
        self,
        ctx: Context,
        resource: Resource,
        live: LiveResource,
        props: dict[str, Any],
        changes: list[Change],
    ) -> dict[str, Any]:
        if normalize_policy(props["policy"]) != normalize_policy(live.props.get("policy")):
            _set_policy(ctx, live.physical_id, json.dumps(normalize_policy(props["policy"])))
        return dict(live.attrs)

    def delete(self, ctx: Context, live: LiveResource) -> None:
        # The empty string removes the policy; a queue deleted already took its policy with it.
        self.ignore_missing(lambda: _set_policy(ctx, live.physical_id, ""))


def _set_policy(ctx: Context, queue_url: str, policy: str) -> None:
    ctx.client("sqs").set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": policy})
