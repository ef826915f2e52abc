"""`status` finds its outputs (API URL, load balancer DNS, VPC, cluster, ...) under the ids the layers build.

The graph is the seed's, with a custom API domain so every output has its resource; each built resource is
given as live, carrying every attribute an output may read, valued by its kind. So an output reads the right
resource whatever its logical id is spelt: a layer that renames an id cannot leave `status` showing nothing.
"""

from __future__ import annotations

from pathlib import Path

from platformctl.engine.model import LiveResource
from platformctl.layers import BuildContext, desired_resources
from platformctl.status import OUTPUTS, gather
from tests.unit.spec_helpers import load, seed_copy

CUSTOM_DOMAIN = {"API_DOMAIN": "api.example.com", "API_CERT_ARN": "arn:aws:acm:us-east-1:123456789012:certificate/x"}
# Which kind's attribute each output is: what a person reading `status` takes it to be.
OUTPUT_SOURCES = {
    "api_url": "apigw.api/ApiEndpoint",
    "api_custom_domain": "apigw.domain/DomainName",
    "api_domain_dns_target": "apigw.domain/TargetDomainName",
    "load_balancer_dns": "elbv2.load_balancer/DNSName",
    "vpc": "ec2.vpc/VpcId",
    "cluster": "ecs.cluster/ClusterArn",
    "namespace": "servicediscovery.namespace/NamespaceId",
    "kms_key": "kms.key/Arn",
    "event_bus": "events.bus/Name",
}


def test_every_status_output_is_read_from_the_resource_the_layers_build_for_it(tmp_path: Path) -> None:
    specs = load(seed_copy(tmp_path), "dev", environ=CUSTOM_DOMAIN)
    attributes = {attr for _, attr in OUTPUTS.values()}
    live = [
        LiveResource(
            r.kind, r.id, r.layer, r.name, f"{r.kind}:{r.id}", {}, attrs={a: f"{r.kind}/{a}" for a in attributes}
        )
        for r in desired_resources(BuildContext(specs))
    ]

    report = gather("microservices", "dev", live)

    assert report.outputs == OUTPUT_SOURCES
