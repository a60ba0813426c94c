#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_layers_info
short_description: Read what a layer needs from the layers built before it, in one task
version_added: 0.2.0
description:
  - Looks up, by the stack's names, the resources of the listed layers that a later layer
    builds on, and says which are missing. The container platform reads the network, the
    credentials secret, the cache and the bucket with it; the monitoring the database, the
    cache and the load balancer its alarms watch.
  - Each layer is read the way its own C(*_info) module reads it (the network as
    M(credlink.infra.stack_network_info), the replication group as
    M(credlink.infra.elasticache_replication_group_info), the secrets as
    M(credlink.infra.db_credentials_secret_info)), with the same code.
  - A missing layer is not an error here; RV(missing) names it, so the caller decides
    (in check mode an earlier layer of the same run would only have pretended to run).
  - Secret values are never read into the result, only metadata and key names.
options:
  names:
    description:
      - The stack's names, the C(credlink_names) fact of the C(credlink.infra.preflight) role.
      - Needs the names of the listed layers' resources (C(vpc); C(secret); C(replication_group)
        and C(redis_auth_secret); C(bucket); C(db_instance); C(load_balancer) and
        C(target_group)).
    type: dict
    required: true
  layers:
    description: The layers to read.
    type: list
    elements: str
    choices: [network, secrets, cache, storage, database, container_platform]
    required: true
  running_image:
    description:
      - Also read the image the stack's ECS service (C(cluster) and C(service) in O(names))
        runs now, that of the first container of its task definition. The container
        platform keeps it on reruns that name no image tag.
      - The service is the container platform's own, not an earlier layer. When it or its
        cluster does not exist, RV(running_image) is empty and nothing is added to RV(missing).
    type: bool
    default: false
notes:
  - "Permissions: C(ec2:DescribeVpcs), C(ec2:DescribeSubnets), C(ec2:DescribeNatGateways);
    C(secretsmanager:DescribeSecret), C(secretsmanager:GetSecretValue) (for the key names and
    the host) and C(kms:DescribeKey); C(elasticache:DescribeReplicationGroups);
    C(s3:ListBucket) on the bucket (HeadBucket); C(rds:DescribeDBInstances);
    C(elasticloadbalancing:DescribeLoadBalancers), C(elasticloadbalancing:DescribeTargetGroups),
    each only for the layers listed; C(ecs:DescribeServices) and C(ecs:DescribeTaskDefinition)
    with O(running_image)."
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Look up the layers the service depends on
  credlink.infra.stack_layers_info:
    names: "{{ credlink_names }}"
    layers: [network, secrets, cache, storage]
  register: layers

- name: Stop when one is missing
  ansible.builtin.assert:
    that: layers.missing | length == 0
    fail_msg: "Missing: {{ layers.missing | join(', ') }}"
"""

RETURN = r"""
missing:
  description: The listed layers whose resources were not found, each with the resource, e.g. C(cache (replication group credlink-dev-redis)).
  returned: always
  type: list
  elements: str
  sample: ["storage (bucket credlink-dev-proofs-123456789012)"]
network:
  description: The network, as M(credlink.infra.stack_network_info) returns it (C(found), C(vpc), C(subnets), C(nat_gateways)).
  returned: when network is listed
  type: dict
credentials:
  description: The database credentials secret, as M(credlink.infra.db_credentials_secret_info) returns it (C(found), C(secret)).
  returned: when secrets is listed
  type: dict
cache:
  description: The replication group, as M(credlink.infra.elasticache_replication_group_info) returns it.
  returned: when cache is listed
  type: dict
cache_auth_secret:
  description: The cache's AUTH token secret, as M(credlink.infra.db_credentials_secret_info) returns it.
  returned: when cache is listed
  type: dict
bucket:
  description: The proofs bucket (C(found), C(name)).
  returned: when storage is listed
  type: dict
database:
  description: The RDS instance (C(found), C(instance), the instance as RDS describes it in snake case; empty when not found).
  returned: when database is listed
  type: dict
load_balancer:
  description: The ALB (C(found), C(arn)).
  returned: when container_platform is listed
  type: dict
target_group:
  description: The target group (C(found), C(arn)).
  returned: when container_platform is listed
  type: dict
running_image:
  description: The image the ECS service runs now; empty when there is no active service.
  returned: when O(running_image) is true
  type: str
  sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/credlink-production-sign-service:v1.4.2
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import Clients
from ansible_collections.credlink.infra.plugins.module_utils.credentials import secret_summary
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import group_info
from ansible_collections.credlink.infra.plugins.module_utils.network import network_info
from ansible_collections.credlink.infra.plugins.module_utils.sync import describe_or_none

LAYERS = ("network", "secrets", "cache", "storage", "database", "container_platform")
# The names each layer is read by.
NEEDS = {
    "network": ("vpc",),
    "secrets": ("secret",),
    "cache": ("replication_group", "redis_auth_secret"),
    "storage": ("bucket",),
    "database": ("db_instance",),
    "container_platform": ("load_balancer", "target_group"),
}


class LayerReader:
    def __init__(self, module) -> None:
        self.module = module
        self.names = module.params["names"]
        self.client = Clients(module)

    def secret(self, name: str) -> dict:
        found = secret_summary(self.client("secretsmanager"), self.module, name, kms=self.client("kms"))
        return {"found": bool(found), "secret": found}

    def first(self, service: str, method: str, missing_code: str, key: str, **params) -> dict | None:
        return describe_or_none(self.module, getattr(self.client(service), method), missing_code,
                                f"Couldn't call {service}.{method}", first=key, **params)

    def network(self) -> tuple[dict, list[str]]:
        info = network_info(self.client("ec2"), self.module, self.names["vpc"])
        return {"network": info}, [] if info["found"] else [f"network (VPC {self.names['vpc']})"]

    def secrets(self) -> tuple[dict, list[str]]:
        credentials = self.secret(self.names["secret"])
        return {"credentials": credentials}, [] if credentials["found"] else [f"secrets (secret {self.names['secret']})"]

    def cache(self) -> tuple[dict, list[str]]:
        group = group_info(self.client("elasticache"), self.module, self.names["replication_group"])
        # Whether the service needs the AUTH token secret depends on the group's TLS: the
        # caller decides (credlink.infra.redis_connection).
        result = {"cache": group, "cache_auth_secret": self.secret(self.names["redis_auth_secret"])}
        return result, [] if group["found"] else [f"cache (replication group {self.names['replication_group']})"]

    def storage(self) -> tuple[dict, list[str]]:
        name = self.names["bucket"]
        # 404 only: a 403 is a bucket this account may not read (another account's), an error.
        found = describe_or_none(self.module, self.client("s3").head_bucket, ["404", "NoSuchBucket"],
                                 f"Couldn't read bucket {name}", Bucket=name) is not None
        return {"bucket": {"found": found, "name": name}}, [] if found else [f"storage (bucket {name})"]

    def database(self) -> tuple[dict, list[str]]:
        name = self.names["db_instance"]
        instance = self.first("rds", "describe_db_instances", "DBInstanceNotFound", "DBInstances", DBInstanceIdentifier=name)
        result = {"database": {"found": instance is not None, "instance": camel_dict_to_snake_dict(instance or {})}}
        return result, [] if instance else [f"database (instance {name})"]

    def container_platform(self) -> tuple[dict, list[str]]:
        lb_name, tg_name = self.names["load_balancer"], self.names["target_group"]
        lb = self.first("elbv2", "describe_load_balancers", "LoadBalancerNotFound", "LoadBalancers", Names=[lb_name])
        tg = self.first("elbv2", "describe_target_groups", "TargetGroupNotFound", "TargetGroups", Names=[tg_name])
        result = {
            "load_balancer": {"found": lb is not None, "arn": (lb or {}).get("LoadBalancerArn", "")},
            "target_group": {"found": tg is not None, "arn": (tg or {}).get("TargetGroupArn", "")},
        }
        return result, [] if lb and tg else [f"container_platform (load balancer {lb_name})"]

    def running_image(self) -> str:
        # A missing service is reported under "failures", not as an error: no service is listed.
        service = self.first("ecs", "describe_services", "ClusterNotFoundException", "services",
                             cluster=self.names["cluster"], services=[self.names["service"]])
        if not service or service.get("status") != "ACTIVE":
            return ""
        # An active service's task definition stays describable (even deregistered): any error fails.
        definition = describe_or_none(self.module, self.client("ecs").describe_task_definition, [],
                                      f"Couldn't describe task definition {service['taskDefinition']}",
                                      taskDefinition=service["taskDefinition"])["taskDefinition"]
        return next(iter(definition.get("containerDefinitions", [])), {}).get("image", "")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            names=dict(type="dict", required=True),
            layers=dict(type="list", elements="str", required=True, choices=list(LAYERS)),
            running_image=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    layers = [layer for layer in LAYERS if layer in module.params["layers"]]
    needed = [name for layer in layers for name in NEEDS[layer]]
    needed += ["cluster", "service"] if module.params["running_image"] else []
    unnamed = sorted({name for name in needed if not module.params["names"].get(name)})
    if unnamed:
        module.fail_json(msg=f"names lacks {', '.join(unnamed)}: pass the credlink_names fact of the preflight role")
    reader = LayerReader(module)
    result: dict = {"missing": []}
    for layer in layers:
        found, missing = getattr(reader, layer)()
        result.update(found)
        result["missing"] += missing
    if module.params["running_image"]:
        result["running_image"] = reader.running_image()
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
