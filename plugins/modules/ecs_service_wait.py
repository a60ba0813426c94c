#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_service_wait
short_description: Await an ECS service's deployment and fail when it was rolled back
version_added: 0.2.0
description:
  - Waits until a deployment of an ECS service has completed, for example the one that
    M(credlink.infra.ecs_service) started with O(credlink.infra.ecs_service#module:wait=false).
  - Fails when that deployment's rollout failed or another deployment took over. After a
    circuit-breaker rollback the service is stable again on the previous task definition,
    which a wait for stability alone would report as a success; the message names the image
    that runs now, the rollout reason, why the new tasks stopped and the service events.
  - Read-only; changes nothing.
options:
  cluster:
    description: Name or ARN of the cluster.
    type: str
    required: true
  service:
    description: Name of the service.
    type: str
    required: true
  deployment_id:
    description:
      - Deployment to await (C(ecs-svc/...)), as returned by M(credlink.infra.ecs_service)
        in C(service.deployment_id).
      - Empty awaits the deployment that is primary when the module starts.
    type: str
  task_definition:
    description: Task definition the deployment rolls out; only used to name its image in a failure.
    type: str
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 900
  wait_delay:
    description: Seconds between two status checks.
    type: int
    default: 15
attributes:
  check_mode:
    details: It then reports the current state without waiting.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Update the service without waiting
  credlink.infra.ecs_service:
    name: credlink-production-service
    cluster: credlink-production-cluster
    task_definition: credlink-production-app
    subnets: "{{ private_subnet_ids }}"
    wait: false
  register: service

- name: Await that deployment later
  credlink.infra.ecs_service_wait:
    cluster: credlink-production-cluster
    service: credlink-production-service
    deployment_id: "{{ service.service.deployment_id }}"
    task_definition: "{{ service.service.task_definition }}"
"""

RETURN = r"""
service:
  description: The service once the deployment has completed.
  returned: always
  type: dict
  contains:
    deployment_id:
      description: Id of the primary deployment.
      type: str
    task_definition:
      description: Task definition the service runs.
      type: str
    rollout_state:
      description: Rollout state of the primary deployment.
      type: str
    running_count:
      description: Running tasks.
      type: int
    desired_count:
      description: Desired tasks.
      type: int
extends_documentation_fragment:
  - credlink.infra.ecs_deployment
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.ecs import await_deployment
from ansible_collections.credlink.infra.plugins.module_utils.ecs import describe_service
from ansible_collections.credlink.infra.plugins.module_utils.ecs import primary_deployment
from ansible_collections.credlink.infra.plugins.module_utils.sync import wait_argument_spec


def summary(service):
    primary = primary_deployment(service)
    return {
        "deployment_id": primary.get("id"),
        "task_definition": primary.get("taskDefinition") or service.get("taskDefinition"),
        "rollout_state": primary.get("rolloutState"),
        "running_count": service.get("runningCount"),
        "desired_count": service.get("desiredCount"),
    }


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster=dict(type="str", required=True),
            service=dict(type="str", required=True),
            deployment_id=dict(type="str"),
            task_definition=dict(type="str"),
            **wait_argument_spec(900, wait=None),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["wait_delay"] <= 0 or p["wait_timeout"] <= 0:
        module.fail_json(msg="wait_timeout and wait_delay must be positive")
    client = module.client("ecs", retry_decorator=RETRY)
    current = describe_service(client, module, p["cluster"], p["service"])
    if current is None:
        module.fail_json(msg=f"ECS service {p['service']} does not exist in cluster {p['cluster']}")
    if module.check_mode:
        module.exit_json(changed=False, service=summary(current))
    started = p["deployment_id"] or primary_deployment(current).get("id")
    service = await_deployment(client, module, p["cluster"], p["service"], started, p["task_definition"],
                               p["wait_timeout"], p["wait_delay"], summary)
    module.exit_json(changed=False, service=summary(service))


if __name__ == "__main__":
    main()
