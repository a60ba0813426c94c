#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: readiness_info
short_description: Read whether slow AWS resources of different kinds are ready, in one call
version_added: 0.1.0
description:
  - Describes NAT gateways, RDS instances, ElastiCache replication groups and load balancers
    and says, per resource and for all of them, whether they are ready or have failed.
  - Meant to be polled with C(until) so that resources started with C(wait=false) by
    different roles are awaited together rather than one after the other (the playbook
    C(site.yml) does this between the layers that start them and those that need them).
  - One client per service that appears in I(resources); one describe call per resource.
author:
  - CredLink platform team (@credlink)
options:
  resources:
    description: The resources to read.
    type: list
    elements: dict
    required: true
    suboptions:
      kind:
        description: What the resource is.
        type: str
        required: true
        choices: [nat_gateway, rds_instance, replication_group, load_balancer]
      id:
        description:
          - The NAT gateway id, DB instance identifier, replication group id or load
            balancer name.
        type: str
        required: true
notes:
  - Read-only; supports C(check_mode).
  - A resource that does not exist is reported as not ready with state C(missing), and
    counts as failed, since it was started earlier in the run and has since disappeared.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Wait for the database and the cache together
  credlink.infra.readiness_info:
    resources:
      - {kind: rds_instance, id: credlink-production-db}
      - {kind: replication_group, id: credlink-production-redis}
  register: slow
  until: slow.ready or slow.failed_resources | length > 0
  failed_when: slow.failed | default(false) or slow.failed_resources | length > 0
  retries: 160
  delay: 15
"""

RETURN = r"""
ready:
  description: Whether every resource is ready.
  returned: always
  type: bool
failed_resources:
  description: Names of the resources in a state they will not leave by waiting.
  returned: always
  type: list
  elements: str
resources:
  description: One entry per resource, in the order asked.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description:
        - The key of the resource in the duration table (C(nat_gateway), C(rds),
          C(rds_multi_az), C(elasticache_replication_group), C(alb)), which the progress
          view of ansible-playbook reads.
      type: str
    id:
      description: The id asked for.
      type: str
    name:
      description: The C(Name) tag of a NAT gateway, otherwise the id.
      type: str
    state:
      description: The state AWS reports, or C(missing).
      type: str
      sample: creating
    ready:
      description: Whether the resource is ready to be used.
      type: bool
    failed:
      description: Whether the resource is in a state it will not leave by waiting.
      type: bool
"""

try:
    import botocore  # noqa: F401  (its absence is reported by AnsibleAWSModule)
except ImportError:
    pass

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import GROUP_FAILED_STATES

# States a resource does not leave by waiting (a deletion started elsewhere counts).
FAILED_STATES = {
    "nat_gateway": {"failed", "deleting", "deleted"},
    "rds_instance": {"failed", "incompatible-parameters", "incompatible-network", "incompatible-restore",
                     "storage-full", "inaccessible-encryption-credentials", "deleting"},
    # The states elasticache_replication_group stops on (module_utils/elasticache.py, sources there).
    "replication_group": set(GROUP_FAILED_STATES),
    "load_balancer": {"failed"},
}
SERVICES = {"nat_gateway": "ec2", "rds_instance": "rds", "replication_group": "elasticache", "load_balancer": "elbv2"}


def describe(method, not_found, key, **params):
    """The described resources, or none when AWS says the one asked for does not exist."""
    try:
        return method(aws_retry=True, **params)[key]
    except is_boto3_error_code(not_found):
        return []


def read_nat_gateway(client, nat_id):
    gateways = describe(client.describe_nat_gateways, "NatGatewayNotFound", "NatGateways", NatGatewayIds=[nat_id])
    if not gateways:
        return None
    gateway = gateways[0]
    name = boto3_tag_list_to_ansible_dict(gateway.get("Tags") or []).get("Name") or nat_id
    return {"kind": "nat_gateway", "name": name, "state": gateway["State"], "ready": gateway["State"] == "available"}


def read_rds_instance(client, identifier):
    instances = describe(client.describe_db_instances, "DBInstanceNotFound", "DBInstances",
                         DBInstanceIdentifier=identifier)
    if not instances:
        return None
    instance = instances[0]
    state = instance["DBInstanceStatus"]
    return {"kind": "rds_multi_az" if instance.get("MultiAZ") else "rds", "name": identifier, "state": state,
            "ready": state == "available" and bool(instance.get("Endpoint"))}


def read_replication_group(client, group_id):
    groups = describe(client.describe_replication_groups, "ReplicationGroupNotFoundFault", "ReplicationGroups",
                      ReplicationGroupId=group_id)
    if not groups:
        return None
    group = groups[0]
    endpoint = (group.get("NodeGroups") or [{}])[0].get("PrimaryEndpoint")
    return {"kind": "elasticache_replication_group", "name": group_id, "state": group["Status"],
            "ready": group["Status"] == "available" and bool(endpoint)}


def read_load_balancer(client, name):
    balancers = describe(client.describe_load_balancers, "LoadBalancerNotFound", "LoadBalancers", Names=[name])
    if not balancers:
        return None
    state = balancers[0]["State"]["Code"]
    return {"kind": "alb", "name": name, "state": state, "ready": state == "active"}


READERS = {
    "nat_gateway": read_nat_gateway,
    "rds_instance": read_rds_instance,
    "replication_group": read_replication_group,
    "load_balancer": read_load_balancer,
}
# Without a description, the duration-table key a missing resource is shown under.
MISSING_KIND = {"nat_gateway": "nat_gateway", "rds_instance": "rds",
                "replication_group": "elasticache_replication_group", "load_balancer": "alb"}


def readiness(clients, resources):
    """Per resource: kind (duration key), id, name, state, ready, failed."""
    results = []
    for resource in resources:
        kind, resource_id = resource["kind"], resource["id"]
        found = READERS[kind](clients(SERVICES[kind]), resource_id)
        if found is None:
            found = {"kind": MISSING_KIND[kind], "name": resource_id, "state": "missing", "ready": False}
        found["failed"] = found["state"] == "missing" or found["state"] in FAILED_STATES[kind]
        results.append({"id": resource_id, **found})
    return results


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            resources=dict(type="list", elements="dict", required=True, options=dict(
                kind=dict(type="str", required=True, choices=sorted(READERS)),
                id=dict(type="str", required=True),
            )),
        ),
        supports_check_mode=True,
    )
    made = {}

    def clients(service):
        if service not in made:
            made[service] = module.client(service, retry_decorator=RETRY)
        return made[service]

    try:
        resources = readiness(clients, module.params["resources"])
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg="Couldn't read the state of the awaited resources")
    module.exit_json(
        changed=False,
        ready=all(r["ready"] for r in resources),
        failed_resources=[r["name"] for r in resources if r["failed"]],
        resources=resources,
    )


if __name__ == "__main__":
    main()
