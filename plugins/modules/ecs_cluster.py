#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_cluster
short_description: Manage an ECS cluster with its settings, capacity providers and tags
version_added: 0.1.0
description:
  - Creates, updates or deletes an ECS cluster, including the cluster settings
    (Container Insights), the capacity providers with their default strategy, and tags.
  - C(community.aws.ecs_cluster) sets neither Container Insights nor tags.
options:
  name:
    description: Name of the cluster.
    type: str
    required: true
  state:
    description: Whether the cluster should exist.
    type: str
    choices: [present, absent]
    default: present
  container_insights:
    description:
      - Container Insights setting; C(enhanced) adds task- and container-level metrics.
      - Left as it is when not given.
    type: str
    choices: [enabled, disabled, enhanced]
  capacity_providers:
    description:
      - Capacity providers of the cluster, such as C(FARGATE) and C(FARGATE_SPOT).
      - Left as they are when not given.
    type: list
    elements: str
  default_capacity_provider_strategy:
    description: Strategy used by services that name no launch type or strategy.
    type: list
    elements: dict
    suboptions:
      capacity_provider:
        description: One of O(capacity_providers).
        type: str
        required: true
      weight:
        description: Relative share of tasks.
        type: int
        default: 1
      base:
        description: Tasks placed on this provider first.
        type: int
        default: 0
notes:
  - A cluster that still runs services cannot be deleted; delete the services first.
  - Capacity providers need the ECS service-linked role C(AWSServiceRoleForECS); ensure it
    first with M(credlink.infra.iam_service_linked_role). A role created seconds ago
    cannot be assumed yet, so the error C(Unable to assume the service linked role) is
    retried for up to two minutes.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Fargate cluster with Container Insights
  credlink.infra.ecs_cluster:
    name: credlink-production-cluster
    container_insights: enabled
    capacity_providers: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      - capacity_provider: FARGATE
        weight: 1
    tags:
      Project: credlink
"""

RETURN = r"""
cluster:
  description: The cluster as settled by this run (snake case); empty when absent.
  returned: always
  type: dict
  contains:
    cluster_arn:
      description: ARN of the cluster.
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:cluster/credlink-production-cluster
    container_insights:
      description: Container Insights setting.
      type: str
      sample: enabled
    capacity_providers:
      description: Capacity providers.
      type: list
      elements: str
    tags:
      description: Tags of the cluster.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.common import retry_while
from ansible_collections.credlink.infra.plugins.module_utils.ecs import ecs_tags_from_dict
from ansible_collections.credlink.infra.plugins.module_utils.ecs import ecs_tags_to_dict
from ansible_collections.credlink.infra.plugins.module_utils.ecs import replace_ecs_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import desired_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import resource_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.sync import sync

# CreateCluster (and PutClusterCapacityProviders) with capacity providers in an account
# whose AWSServiceRoleForECS is missing or only seconds old fails with
# InvalidParameterException "Unable to assume the service linked role. Please verify that
# the ECS service linked role exists." (research A, 2: aws-samples/baseline-environment-on-aws#238,
# aws-solutions/distributed-load-testing-on-aws#2); a retry seconds later succeeds
# (cloudformation-coverage-roadmap#818). Bounded like IAM propagation elsewhere: two
# minutes (terraform-provider-aws iam propagationTimeout).
SLR_ERROR = ("InvalidParameterException", "Unable to assume the service linked role")
SLR_TIMEOUT = 120


def until_service_linked_role_works(call):
    return retry_while(call, *SLR_ERROR, timeout=SLR_TIMEOUT)


def describe(client, module, name):
    with fail_on_aws_error(module, f"Couldn't describe ECS cluster {name}"):
        clusters = client.describe_clusters(aws_retry=True, clusters=[name], include=["SETTINGS", "TAGS"])["clusters"]
    clusters = [c for c in clusters if c.get("status") != "INACTIVE"]
    if not clusters:
        return None
    cluster = clusters[0]
    settings = {s["name"]: s["value"] for s in cluster.get("settings") or []}
    return {
        "cluster_arn": cluster["clusterArn"],
        "cluster_name": cluster["clusterName"],
        "status": cluster.get("status"),
        "container_insights": settings.get("containerInsights", "disabled"),
        "capacity_providers": sorted(cluster.get("capacityProviders") or []),
        "default_capacity_provider_strategy": [
            {"capacity_provider": s["capacityProvider"], "weight": s.get("weight", 0), "base": s.get("base", 0)}
            for s in cluster.get("defaultCapacityProviderStrategy") or []
        ],
        "running_tasks_count": cluster.get("runningTasksCount", 0),
        "active_services_count": cluster.get("activeServicesCount", 0),
        "tags": ecs_tags_to_dict(cluster.get("tags")),
    }


def wanted(module, current):
    params = module.params
    strategy = params["default_capacity_provider_strategy"]
    tags = params["tags"]
    if tags is not None:
        tags = desired_tags((current or {}).get("tags", {}), tags, params["purge_tags"])
    return {
        "container_insights": params["container_insights"],
        "capacity_providers": sorted(params["capacity_providers"]) if params["capacity_providers"] is not None else None,
        "default_capacity_provider_strategy": strategy,
        "tags": tags,
    }


def strategy_for_api(strategy):
    return [{"capacityProvider": s["capacity_provider"], "weight": s["weight"], "base": s["base"]} for s in strategy or []]


def create(client, module, desired):
    kwargs = {"clusterName": module.params["name"]}
    if desired["container_insights"]:
        kwargs["settings"] = [{"name": "containerInsights", "value": desired["container_insights"]}]
    if desired["capacity_providers"] is not None:
        kwargs["capacityProviders"] = desired["capacity_providers"]
    if desired["default_capacity_provider_strategy"]:
        kwargs["defaultCapacityProviderStrategy"] = strategy_for_api(desired["default_capacity_provider_strategy"])
    if desired["tags"]:
        kwargs["tags"] = ecs_tags_from_dict(desired["tags"])
    with fail_on_aws_error(module, f"Couldn't create ECS cluster {module.params['name']}"):
        until_service_linked_role_works(lambda: client.create_cluster(aws_retry=True, **kwargs))


def update(client, module, current, changes):
    name = module.params["name"]
    with fail_on_aws_error(module, f"Couldn't update ECS cluster {name}"):
        if "container_insights" in changes:
            # UpdateCluster takes the settings too, and more endpoints implement it.
            client.update_cluster(
                aws_retry=True, cluster=name,
                settings=[{"name": "containerInsights", "value": changes["container_insights"]}],
            )
        if "capacity_providers" in changes or "default_capacity_provider_strategy" in changes:
            providers = changes.get("capacity_providers", current["capacity_providers"])
            strategy = changes.get("default_capacity_provider_strategy", current["default_capacity_provider_strategy"])
            until_service_linked_role_works(lambda: client.put_cluster_capacity_providers(
                aws_retry=True, cluster=name, capacityProviders=providers,
                defaultCapacityProviderStrategy=strategy_for_api(strategy),
            ))
        if "tags" in changes:
            replace_ecs_tags(client, current["cluster_arn"], current["tags"], changes["tags"])


def delete(client, module, name):
    with fail_on_aws_error(module, f"Couldn't delete ECS cluster {name}"):
        client.delete_cluster(aws_retry=True, cluster=name)


def check_strategy(module, current):
    strategy = module.params["default_capacity_provider_strategy"] or []
    providers = module.params["capacity_providers"]
    known = providers if providers is not None else (current or {}).get("capacity_providers", [])
    unknown = sorted({s["capacity_provider"] for s in strategy} - set(known))
    if unknown:
        module.fail_json(msg=f"default_capacity_provider_strategy names providers the cluster lacks: {', '.join(unknown)}")


def main():
    module = AnsibleAWSModule(
        argument_spec=resource_argument_spec(
            container_insights=dict(type="str", choices=["enabled", "disabled", "enhanced"]),
            capacity_providers=dict(type="list", elements="str"),
            default_capacity_provider_strategy=dict(
                type="list", elements="dict",
                options=dict(
                    capacity_provider=dict(type="str", required=True),
                    weight=dict(type="int", default=1),
                    base=dict(type="int", default=0),
                ),
            ),
        ),
        supports_check_mode=True,
    )
    client = module.client("ecs", retry_decorator=RETRY)
    name = module.params["name"]
    current = describe(client, module, name)

    if module.params["state"] == "present":
        check_strategy(module, current)
    outcome = sync(
        module, current, wanted(module, current), state=module.params["state"],
        describe=lambda: describe(client, module, name),
        create=lambda desired: create(client, module, desired),
        update=lambda current, changes: update(client, module, current, changes),
        delete=lambda current: delete(client, module, name),
        diff_keys=["container_insights", "capacity_providers", "default_capacity_provider_strategy", "tags"],
    )
    module.exit_json(changed=outcome.changed, cluster=outcome.result or {}, diff=outcome.diff)


if __name__ == "__main__":
    main()
