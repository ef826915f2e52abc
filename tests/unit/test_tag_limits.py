"""AWS's 50-tag limit counts our tags too (issue 12, item 10): the count the spec check uses is the real one.

`naming.most_tags_on_a_resource` says how many tags the most-tagged resource carries for the specs' `tags`;
here the kinds that add tags of their own (an EC2 resource's Name, an IAM role's region, a task definition's
fingerprint) really create their resources on moto with the most user tags the check allows, and AWS holds
exactly the 50 the check counted.
"""

from __future__ import annotations

import boto3

from platformctl.engine.model import walk_refs
from platformctl.layers import BuildContext, desired_resources
from platformctl.naming import MAX_TAGS_PER_RESOURCE, most_tags_on_a_resource
from platformctl.resources.registry import registry
from platformctl.specs import load_specs
from tests.seed import SEED_SPECS
from tests.unit.kind_harness import KindDriver, moto_context

SEED_PLATFORM = "microservices"


def test_the_most_tags_the_check_allows_put_exactly_fifty_on_the_most_tagged_resources() -> None:
    allowed = MAX_TAGS_PER_RESOURCE - most_tags_on_a_resource({})[0]
    user_tags = {f"tag{i}": "v" for i in range(allowed)}
    assert most_tags_on_a_resource(user_tags)[0] == MAX_TAGS_PER_RESOURCE
    assert most_tags_on_a_resource({**user_tags, "one-more": "v"})[0] == MAX_TAGS_PER_RESOURCE + 1

    graph = {r.id: r for r in desired_resources(BuildContext(load_specs(SEED_SPECS, "dev", environ={})))}
    kinds = registry()
    with moto_context(platform=SEED_PLATFORM) as ctx:
        ctx.extra_tags = user_tags
        driver = KindDriver(ctx)
        for logical_id in ("vpc", "role.order.execution", "taskdef.order"):
            resource = graph[logical_id]
            for ref in walk_refs(resource.props):  # what these reference, as an ARN-shaped stand-in
                driver.outputs.setdefault(ref.id, {}).setdefault(
                    ref.attr, f"arn:aws:iam::123456789012:role/{ref.id.replace('.', '-')}"
                )
            driver.outputs.update({logical_id: driver.create(kinds[resource.kind], resource)})
        iam, ecs, ec2 = (boto3.client(s, region_name="us-east-1") for s in ("iam", "ecs", "ec2"))
        role_name = graph["role.order.execution"].props["name"]
        counts = {
            "ec2.vpc": len(ec2.describe_vpcs(VpcIds=[driver.outputs["vpc"]["VpcId"]])["Vpcs"][0]["Tags"]),
            "iam.role": len(iam.list_role_tags(RoleName=role_name)["Tags"]),
            "ecs.task_definition": len(
                ecs.list_tags_for_resource(resourceArn=driver.outputs["taskdef.order"]["TaskDefinitionArn"])["tags"]
            ),
        }
    assert counts == dict.fromkeys(counts, MAX_TAGS_PER_RESOURCE)
