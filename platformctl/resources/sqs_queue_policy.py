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

from platformctl.engine.model import LiveResource, Resource
from platformctl.naming import TAG_ID
from platformctl.resources import tag_index
from platformctl.resources.base import Context
from platformctl.resources.declarative import DeclarativeKind, Field, Owned
from platformctl.resources.policy import normalize_policy
from platformctl.resources.sqs_queue import NOT_FOUND_CODES, our_queues

POLICY_SUFFIX = "/policy"


def policy_logical_id(queue_logical_id: str) -> str:
    """The logical id of the policy of the queue with logical id `queue_logical_id`."""
    return f"{queue_logical_id}{POLICY_SUFFIX}"


class SqsQueuePolicy(DeclarativeKind):
    shared_reads: ClassVar = (tag_index.indexed_tags,)
    kind: ClassVar[str] = "sqs.queue_policy"
    service: ClassVar[str] = "sqs"
    id_attr: ClassVar[str] = "QueueUrl"
    # Read from the queue's attributes, as the item {"QueueUrl", "Policy"} (see `owned`).
    fields: ClassVar[dict[str, Field]] = {
        "queue": Field("QueueUrl"),
        "policy": Field("Policy", normalize_policy, setter="set_policy"),
    }
    # "Creating" the policy is setting the queue's Policy attribute; deleting it is setting it to "".
    create_call: ClassVar[str] = "set_queue_attributes"
    tags_param: ClassVar[str | None] = None  # an attribute of the queue: AWS cannot tag it
    delete_call: ClassVar[str] = "set_queue_attributes"
    # A replacement only happens when the policy moves to another queue: the new one can be set first.
    create_before_delete: ClassVar[bool] = True
    not_found_codes: ClassVar[frozenset[str]] = NOT_FOUND_CODES

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        if "policy" not in props or not isinstance(props["policy"], (dict, str)):
            return props  # e.g. still unknown until apply
        return {**props, "policy": normalize_policy(props["policy"])}

    def owned(self, ctx: Context) -> list[Owned]:
        """Needs code: a policy has no tags of its own; it is ours when its queue is (see above)."""
        found: list[Owned] = []
        for queue in our_queues(ctx):
            policy = queue.attributes.get("Policy")
            tags = {**queue.tags, TAG_ID: policy_logical_id(queue.logical_id)}
            if policy and ctx.identity(tags) is not None:
                item = {"QueueUrl": queue.url, "Policy": policy}
                found.append(Owned(item, tags, queue.url, queue.url, f"{queue.name} policy"))
        return found

    def create_request(self, ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
        return _policy_request(props["queue"], json.dumps(normalize_policy(props["policy"])))

    def created(self, ctx: Context, resource: Resource, item: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        return {"QueueUrl": props["queue"]}

    def set_policy(self, ctx: Context, live: LiveResource, props: dict[str, Any]) -> None:
        self.call(ctx, "set_queue_attributes", **self.create_request(ctx, {**props, "queue": live.physical_id}))

    def delete_request(self, live: LiveResource) -> dict[str, Any]:
        return _policy_request(live.physical_id, "")  # a queue deleted already took its policy with it


def _policy_request(queue_url: str, policy: str) -> dict[str, Any]:
    return {"QueueUrl": queue_url, "Attributes": {"Policy": policy}}
