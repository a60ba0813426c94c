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
options:
  resources:
    description: The resources to read.
    type: list
    elements: dict
    required: true
    suboptions:
      kind:
        description:
          - What the resource is. C(security_group_free) and C(subnet_free) are ready once
            no network interface uses the security group or the subnet any more (the
            interfaces of a deleted load balancer, ECS task, RDS instance or ElastiCache
            node stay for minutes after their owner, and AWS refuses to delete a security
            group or subnet they still use, C(DependencyViolation)).
        type: str
        required: true
        choices: [nat_gateway, rds_instance, replication_group, load_balancer, security_group_free, subnet_free]
      id:
        description:
          - The NAT gateway id, DB instance identifier, replication group id, load balancer
            name, security group id or name, or subnet id.
        type: str
        required: true
      missing_ok:
        description:
          - A resource that does not exist is settled rather than failed (for a read that
            precedes the resource's creation).
        type: bool
        default: false
      pending_modifications:
        description:
          - For an C(rds_instance) that was just modified with C(ApplyImmediately), also wait
            until RDS lists no pending modification (C(PendingModifiedValues)). RDS applies such
            a change asynchronously and reports the instance C(available) until it starts, seconds
            to minutes later, so its status alone would end the wait before the change ran.
          - Leave it false when changes may wait for the maintenance window, as they stay pending
            until then.
        type: bool
        default: false
        version_added: 0.2.0
  fail_on_failed:
    description:
      - Fail, saying why for each resource, as soon as a resource is in a state it does not
        leave by waiting (instead of reporting it in RV(failed_resources)).
    type: bool
    default: false
  details:
    description:
      - Also return each resource's description as AWS gives it (keys in snake case), so
        one call both waits and reads the current settings.
    type: bool
    default: false
notes:
  - A resource that does not exist is reported as not ready with state C(missing), and
    counts as failed, since it was started earlier in the run and has since disappeared
    (unless its I(missing_ok) is set).
  - The states each kind is ready in, and the states it does not leave by waiting, are
    listed here and nowhere else in the collection. An RDS instance is usable while
    C(available) and during C(storage-optimization) (which follows a storage change and can
    last hours). A C(stopped) or C(stopping) instance fails at once, as it never becomes
    available by itself.
  - With I(pending_modifications), an instance that is C(available) while RDS still lists
    pending modifications reports the state C(available, applying) followed by their names.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.read_only
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
pending:
  description: Names of the resources that are neither ready, failed nor missing with I(missing_ok).
  returned: always
  type: list
  elements: str
reasons:
  description: Per failed resource, what is wrong and what to do, in words a user knows.
  returned: always
  type: dict
  sample: {"credlink-dev-db": "is stopped; start it (aws rds start-db-instance --db-instance-identifier credlink-dev-db) and run again"}
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
          view of ansible-playbook reads; C(eni_release) for the interface waits.
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
    reason:
      description: For a failed resource, what is wrong and what to do; empty otherwise.
      type: str
    description:
      description: The resource as AWS describes it, keys in snake case (with I(details) only).
      type: dict
"""

try:
    import botocore  # noqa: F401  (its absence is reported by AnsibleAWSModule)
except ImportError:
    pass

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import Clients
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import GROUP_FAILED_STATES

# States a resource does not leave by waiting (a deletion started elsewhere counts). The
# RDS states are those of the DB instance status table of the RDS User Guide
# (Overview.DBInstance.Status.html); stopped/stopping are failures of a different kind:
# waiting is pointless, but the user can start the instance.
FAILED_STATES = {
    "nat_gateway": {"failed", "deleting", "deleted"},
    "rds_instance": {"failed", "incompatible-parameters", "incompatible-network", "incompatible-restore",
                     "incompatible-option-group", "incompatible-credentials", "storage-full",
                     "inaccessible-encryption-credentials", "inaccessible-encryption-credentials-recoverable",
                     "restore-error", "insufficient-capacity", "deleting", "stopped", "stopping"},
    # The states elasticache_replication_group stops on (module_utils/elasticache.py, sources there).
    "replication_group": set(GROUP_FAILED_STATES),
    "load_balancer": {"failed"},
    "security_group_free": set(),
    "subnet_free": set(),
}
# RDS keeps serving (and accepts most modifications) during storage optimization, which
# follows every storage change and can take hours (RDS User Guide, USER_PIOPS.StorageTypes).
RDS_USABLE_STATES = {"available", "storage-optimization"}
SERVICES = {"nat_gateway": "ec2", "rds_instance": "rds", "replication_group": "elasticache", "load_balancer": "elbv2",
            "security_group_free": "ec2", "subnet_free": "ec2"}


def describe(method, not_found, key, **params):
    """The described resources, or none when AWS says the one asked for does not exist."""
    try:
        return method(aws_retry=True, **params)[key]
    except is_boto3_error_code(not_found):
        return []


def describe_one(method, not_found, key, **params):
    """The one resource asked for, or None when AWS says it does not exist."""
    found = describe(method, not_found, key, **params)
    return found[0] if found else None


def read_nat_gateway(client, nat_id):
    gateway = describe_one(client.describe_nat_gateways, "NatGatewayNotFound", "NatGateways", NatGatewayIds=[nat_id])
    if gateway is None:
        return None
    name = boto3_tag_list_to_ansible_dict(gateway.get("Tags") or []).get("Name") or nat_id
    return {"kind": "nat_gateway", "name": name, "state": gateway["State"], "ready": gateway["State"] == "available",
            "description": gateway}


def read_rds_instance(client, identifier, pending_modifications=False):
    """The instance, usable once its status says so and it has an endpoint.

    With ``pending_modifications`` it must also have no pending modification left: RDS applies
    a change made with ApplyImmediately asynchronously ("asynchronously applied as soon as
    possible", ModifyDBInstance API reference), reporting ``available`` with the change in
    PendingModifiedValues until it starts (aws/aws-sdk-js#1505, ansible/ansible#19751,
    hashicorp/terraform-provider-aws#1761). AWS's own CloudFormation handler counts an instance
    stable only once PendingModifiedValues is empty
    (aws-cloudformation/aws-cloudformation-resource-providers-rds#243).
    """
    instance = describe_one(client.describe_db_instances, "DBInstanceNotFound", "DBInstances",
                            DBInstanceIdentifier=identifier)
    if instance is None:
        return None
    state = instance["DBInstanceStatus"]
    ready = state in RDS_USABLE_STATES and bool(instance.get("Endpoint"))
    pending = sorted(instance.get("PendingModifiedValues") or {}) if pending_modifications else []
    if ready and pending:
        ready, state = False, f"{state}, applying {', '.join(pending)}"
    return {"kind": "rds_multi_az" if instance.get("MultiAZ") else "rds", "name": identifier, "state": state,
            "ready": ready, "description": instance}


def read_replication_group(client, group_id):
    group = describe_one(client.describe_replication_groups, "ReplicationGroupNotFoundFault", "ReplicationGroups",
                         ReplicationGroupId=group_id)
    if group is None:
        return None
    endpoint = (group.get("NodeGroups") or [{}])[0].get("PrimaryEndpoint")
    return {"kind": "elasticache_replication_group", "name": group_id, "state": group["Status"],
            "ready": group["Status"] == "available" and bool(endpoint), "description": group}


def read_load_balancer(client, name):
    balancer = describe_one(client.describe_load_balancers, "LoadBalancerNotFound", "LoadBalancers", Names=[name])
    if balancer is None:
        return None
    state = balancer["State"]["Code"]
    return {"kind": "alb", "name": name, "state": state, "ready": state == "active", "description": balancer}


def read_interfaces(client, filter_name, resource_id, values=None):
    """Whether network interfaces still use a security group or subnet, and which.

    After their owner is deleted, the interfaces of a load balancer (``ELB app/...``), of
    ECS tasks (``arn:aws:ecs:...:attachment/...``) and of RDS (``RDSNetworkInterface``) stay
    for minutes (load balancers about 5, ECS tasks 1 to 15, measured in
    hashicorp/terraform-provider-aws#10347 and alantech/iasql#659).
    """
    interfaces = describe(client.describe_network_interfaces, "InvalidGroup.NotFound", "NetworkInterfaces",
                          Filters=[{"Name": filter_name, "Values": values or [resource_id]}]) if values != [] else []
    users = sorted({i.get("Description") or i["NetworkInterfaceId"] for i in interfaces})
    state = f"used by {len(interfaces)} network interface(s): {', '.join(users[:3])}" if interfaces else "free"
    return {"kind": "eni_release", "name": resource_id, "state": state, "ready": not interfaces,
            "description": {"NetworkInterfaces": interfaces}}


def read_security_group_free(client, group):
    if group.startswith("sg-"):
        return read_interfaces(client, "group-id", group)
    found = describe(client.describe_security_groups, "InvalidGroup.NotFound", "SecurityGroups",
                     Filters=[{"Name": "group-name", "Values": [group]}])
    return read_interfaces(client, "group-id", group, [g["GroupId"] for g in found])


def read_subnet_free(client, subnet_id):
    return read_interfaces(client, "subnet-id", subnet_id)


READERS = {
    "nat_gateway": read_nat_gateway,
    "rds_instance": read_rds_instance,
    "replication_group": read_replication_group,
    "load_balancer": read_load_balancer,
    "security_group_free": read_security_group_free,
    "subnet_free": read_subnet_free,
}
# Without a description, the duration-table key a missing resource is shown under.
MISSING_KIND = {"nat_gateway": "nat_gateway", "rds_instance": "rds",
                "replication_group": "elasticache_replication_group", "load_balancer": "alb",
                "security_group_free": "eni_release", "subnet_free": "eni_release"}


def failure_reason(kind, name, state):
    """What a user should know (and do) about a resource that waiting will not make ready."""
    if state == "missing":
        return "does not exist (it was started earlier in this run and has since disappeared)"
    if kind == "rds_instance" and state in ("stopped", "stopping"):
        return (f"is {state}; start it (aws rds start-db-instance --db-instance-identifier {name}, or the console) "
                "and run again")
    if kind == "replication_group" and state == "create-failed":
        return ("is create-failed; ElastiCache does not repair it and only its events say why (aws elasticache "
                f"describe-events --source-type replication-group --source-identifier {name}). Delete it "
                "(teardown of the cache layer) and run again")
    if state == "deleting":
        return "is being deleted by someone else; run again once it is gone to create it anew"
    return f"is {state}, a state it does not leave by waiting; see its events in the AWS console"


def readiness(clients, resources, details=False):
    """Per resource: kind (duration key), id, name, state, ready, failed, settled (and description)."""
    results = []
    for resource in resources:
        kind, resource_id = resource["kind"], resource["id"]
        options = {"pending_modifications": True} if resource.get("pending_modifications") else {}
        found = READERS[kind](clients(SERVICES[kind]), resource_id, **options)
        if found is None:
            found = {"kind": MISSING_KIND[kind], "name": resource_id, "state": "missing", "ready": False}
        missing = found["state"] == "missing"
        found["failed"] = (missing and not resource.get("missing_ok")) or found["state"] in FAILED_STATES[kind]
        found["reason"] = failure_reason(kind, found["name"], found["state"]) if found["failed"] else ""
        found["settled"] = found["ready"] or found["failed"] or missing
        description = found.pop("description", None)
        if details:
            found["description"] = camel_dict_to_snake_dict(description or {})
        results.append({"id": resource_id, **found})
    return results


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            resources=dict(type="list", elements="dict", required=True, options=dict(
                kind=dict(type="str", required=True, choices=sorted(READERS)),
                id=dict(type="str", required=True),
                missing_ok=dict(type="bool", default=False),
                pending_modifications=dict(type="bool", default=False),
            )),
            details=dict(type="bool", default=False),
            fail_on_failed=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    misplaced = [r["id"] for r in module.params["resources"] if r["pending_modifications"] and r["kind"] != "rds_instance"]
    if misplaced:
        module.fail_json(msg=f"pending_modifications applies to rds_instance resources only, not to {', '.join(misplaced)}")
    with fail_on_aws_error(module, "Couldn't read the state of the awaited resources"):
        resources = readiness(Clients(module), module.params["resources"], module.params["details"])
    pending = [r["name"] for r in resources if not r.pop("settled")]
    failed = [r for r in resources if r["failed"]]
    if failed and module.params["fail_on_failed"]:
        module.fail_json(msg="; ".join(f"{r['name']} {r['reason']}" for r in failed), resources=resources)
    module.exit_json(
        changed=False,
        ready=all(r["ready"] for r in resources),
        failed_resources=[r["name"] for r in resources if r["failed"]],
        pending=pending,
        reasons={r["name"]: r["reason"] for r in resources if r["failed"]},
        resources=resources,
    )


if __name__ == "__main__":
    main()
