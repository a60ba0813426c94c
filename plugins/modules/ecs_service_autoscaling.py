#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_service_autoscaling
short_description: Scale an ECS service between bounds with target-tracking policies
version_added: 0.1.0
description:
  - Registers the desired count of an ECS service as an Application Auto Scaling target
    with minimum and maximum capacity, and manages its target-tracking policies.
  - Unlike C(community.aws.application_autoscaling_policy) it honours check mode, compares
    the bounds of an existing target, and removes policies that are no longer wanted.
options:
  cluster:
    description: Name of the cluster.
    type: str
    required: true
  service:
    description: Name of the service.
    type: str
    required: true
  state:
    description: C(absent) deregisters the target, which also deletes its policies.
    type: str
    choices: [present, absent]
    default: present
  min_capacity:
    description: Fewest tasks. Required when O(state=present).
    type: int
  max_capacity:
    description: Most tasks. Required when O(state=present).
    type: int
  policies:
    description: Target-tracking policies of the target.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Policy name, unique per target.
        type: str
        required: true
      metric:
        description: Predefined metric to track.
        type: str
        required: true
        choices: [ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization]
      target_value:
        description: Value of the metric to keep the service at, in percent.
        type: float
        required: true
      scale_in_cooldown:
        description: Seconds after a scale-in before the next one.
        type: int
        default: 300
      scale_out_cooldown:
        description: Seconds after a scale-out before the next one.
        type: int
        default: 60
  purge_policies:
    description: Delete policies of the target that O(policies) does not list.
    type: bool
    default: true
notes:
  - The current desired count is never set here; the target's bounds clamp it.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Keep CPU near 70 % and memory near 80 % with 2 to 10 tasks
  credlink.infra.ecs_service_autoscaling:
    cluster: credlink-production-cluster
    service: credlink-production-service
    min_capacity: 2
    max_capacity: 10
    policies:
      - name: credlink-production-cpu
        metric: ECSServiceAverageCPUUtilization
        target_value: 70
      - name: credlink-production-memory
        metric: ECSServiceAverageMemoryUtilization
        target_value: 80
"""

RETURN = r"""
target:
  description: Bounds of the scalable target; empty when absent.
  returned: always
  type: dict
  sample: {"resource_id": "service/credlink-production-cluster/credlink-production-service", "min_capacity": 2, "max_capacity": 10}
policies:
  description: Target-tracking policies by name.
  returned: always
  type: dict
  sample: {"credlink-production-cpu": {"metric": "ECSServiceAverageCPUUtilization", "target_value": 70.0,
           "scale_in_cooldown": 300, "scale_out_cooldown": 60}}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import diff_for
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error

NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"


def read_state(client, module, resource_id):
    with fail_on_aws_error(module, f"Couldn't describe the scaling of {resource_id}"):
        targets = client.describe_scalable_targets(
            aws_retry=True, ServiceNamespace=NAMESPACE, ResourceIds=[resource_id], ScalableDimension=DIMENSION,
        )["ScalableTargets"]
        policies = client.describe_scaling_policies(
            aws_retry=True, ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=DIMENSION,
        )["ScalingPolicies"] if targets else []
    target = {"resource_id": resource_id, "min_capacity": targets[0]["MinCapacity"],
              "max_capacity": targets[0]["MaxCapacity"]} if targets else {}
    found = {}
    for policy in policies:
        # Only the resource's own policies: some endpoints match ResourceId loosely.
        if policy.get("ResourceId") != resource_id or policy.get("PolicyType") != "TargetTrackingScaling":
            continue
        config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
        found[policy["PolicyName"]] = {
            "metric": (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType"),
            "target_value": float(config.get("TargetValue", 0)),
            "scale_in_cooldown": config.get("ScaleInCooldown"),
            "scale_out_cooldown": config.get("ScaleOutCooldown"),
        }
    return target, found


def put_policy(client, resource_id, name, policy):
    client.put_scaling_policy(
        aws_retry=True, PolicyName=name, ServiceNamespace=NAMESPACE, ResourceId=resource_id,
        ScalableDimension=DIMENSION, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": policy["target_value"],
            "PredefinedMetricSpecification": {"PredefinedMetricType": policy["metric"]},
            "ScaleInCooldown": policy["scale_in_cooldown"],
            "ScaleOutCooldown": policy["scale_out_cooldown"],
        },
    )


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster=dict(type="str", required=True),
            service=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            min_capacity=dict(type="int"),
            max_capacity=dict(type="int"),
            policies=dict(
                type="list", elements="dict", default=[],
                options=dict(
                    name=dict(type="str", required=True),
                    metric=dict(type="str", required=True,
                                choices=["ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"]),
                    target_value=dict(type="float", required=True),
                    scale_in_cooldown=dict(type="int", default=300),
                    scale_out_cooldown=dict(type="int", default=60),
                ),
            ),
            purge_policies=dict(type="bool", default=True),
        ),
        required_if=[("state", "present", ["min_capacity", "max_capacity"])],
        supports_check_mode=True,
    )
    p = module.params
    resource_id = f"service/{p['cluster'].split('/')[-1]}/{p['service']}"
    client = module.client("application-autoscaling", retry_decorator=RETRY)
    target, policies = read_state(client, module, resource_id)
    before = {"target": target, "policies": policies}

    if p["state"] == "absent":
        if not target:
            module.exit_json(changed=False, target={}, policies={})
        if not module.check_mode:
            with fail_on_aws_error(module, f"Couldn't deregister the scaling of {resource_id}"):
                client.deregister_scalable_target(
                    aws_retry=True, ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=DIMENSION,
                )
        module.exit_json(changed=True, target={}, policies={}, diff=diff_for(before, {}))

    if not 0 <= p["min_capacity"] <= p["max_capacity"]:
        module.fail_json(msg=f"Need 0 <= min_capacity <= max_capacity, got {p['min_capacity']} and {p['max_capacity']}")
    names = [policy["name"] for policy in p["policies"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="Policy names must be unique")
    for policy in p["policies"]:
        if not 0 < policy["target_value"] <= 100:
            module.fail_json(msg=f"target_value of {policy['name']} must be a percentage above 0, got {policy['target_value']}")

    wanted_target = {"resource_id": resource_id, "min_capacity": p["min_capacity"], "max_capacity": p["max_capacity"]}
    wanted_policies = {
        policy["name"]: {k: policy[k] for k in ("metric", "target_value", "scale_in_cooldown", "scale_out_cooldown")}
        for policy in p["policies"]
    }
    to_put = [name for name, policy in wanted_policies.items() if policies.get(name) != policy]
    to_delete = sorted(set(policies) - set(wanted_policies)) if p["purge_policies"] else []
    after_policies = {**{k: v for k, v in policies.items() if k not in to_delete}, **wanted_policies}
    changed = target != wanted_target or bool(to_put or to_delete)

    if changed and not module.check_mode:
        with fail_on_aws_error(module, f"Couldn't update the scaling of {resource_id}"):
            if target != wanted_target:
                client.register_scalable_target(
                    aws_retry=True, ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=DIMENSION,
                    MinCapacity=p["min_capacity"], MaxCapacity=p["max_capacity"],
                )
            for name in to_put:
                put_policy(client, resource_id, name, wanted_policies[name])
            for name in to_delete:
                client.delete_scaling_policy(
                    aws_retry=True, PolicyName=name, ServiceNamespace=NAMESPACE, ResourceId=resource_id,
                    ScalableDimension=DIMENSION,
                )
    after = {"target": wanted_target, "policies": after_policies}
    module.exit_json(changed=changed, target=wanted_target, policies=after_policies, diff=diff_for(before, after))


if __name__ == "__main__":
    main()
