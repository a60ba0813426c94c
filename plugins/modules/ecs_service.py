#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_service
short_description: Manage an ECS service that lives behind a load balancer and an autoscaler
version_added: 0.1.0
description:
  - Creates, updates or deletes an ECS service with awsvpc networking, load balancers,
    deployment circuit breaker and tags, and optionally waits until its deployment has
    completed.
  - Unlike C(community.aws.ecs_service), every managed setting is compared (network,
    circuit breaker, grace period, load balancers), and O(preserve_desired_count) leaves the
    task count to Application Auto Scaling once the service exists.
options:
  name:
    description: Name of the service.
    type: str
    required: true
  cluster:
    description: Name or ARN of the cluster.
    type: str
    required: true
  state:
    description: Whether the service should exist.
    type: str
    choices: [present, absent]
    default: present
  task_definition:
    description:
      - Task definition as C(family) (latest active revision), C(family:revision) or ARN.
      - Required when O(state=present).
    type: str
  desired_count:
    description: Number of tasks; required to create the service.
    type: int
  preserve_desired_count:
    description:
      - Use O(desired_count) only when creating the service. Set it when an autoscaler
        owns the count, so that a rerun does not undo its decisions.
    type: bool
    default: false
  launch_type:
    description: Launch type; cannot change once the service exists.
    type: str
    choices: [FARGATE, EC2, EXTERNAL]
    default: FARGATE
  platform_version:
    description: Fargate platform version.
    type: str
    default: LATEST
  subnets:
    description: Subnets of the tasks (awsvpc networking).
    type: list
    elements: str
    required: false
  security_groups:
    description: Security groups of the tasks.
    type: list
    elements: str
    default: []
  assign_public_ip:
    description: Give each task a public IP address.
    type: bool
    default: false
  load_balancers:
    description: Target groups that receive the tasks.
    type: list
    elements: dict
    default: []
    suboptions:
      target_group_arn:
        description: ARN of the target group.
        type: str
        required: true
      container_name:
        description: Container that receives the traffic.
        type: str
        required: true
      container_port:
        description: Port of that container.
        type: int
        required: true
  health_check_grace_period_seconds:
    description: Seconds during which failing load balancer health checks are ignored for new tasks.
    type: int
  deployment_circuit_breaker:
    description: Stop a failing deployment, and optionally roll back to the last good one.
    type: dict
    suboptions:
      enable:
        description: Turn the circuit breaker on.
        type: bool
        default: true
      rollback:
        description: Roll back when it trips.
        type: bool
        default: true
  minimum_healthy_percent:
    description: Lower bound of running tasks during a deployment, in percent of the desired count.
    type: int
    default: 100
  maximum_percent:
    description: Upper bound of running tasks during a deployment, in percent of the desired count.
    type: int
    default: 200
  propagate_tags:
    description: Copy tags to the tasks from the service or the task definition.
    type: str
    choices: [NONE, SERVICE, TASK_DEFINITION]
    default: SERVICE
  enable_execute_command:
    description: Allow ECS Exec into the tasks.
    type: bool
    default: false
  force_new_deployment:
    description: Start a new deployment even when nothing changed (for example to pull a moved image tag).
    type: bool
    default: false
  wait:
    description: Wait until the primary deployment has completed (or, when deleting, until the service is gone).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 900
  wait_delay:
    description: Seconds between two status checks while waiting.
    type: int
    default: 15
notes:
  - With O(wait=true) the task succeeds only when the deployment this run started (or, if
    nothing changed, the current primary deployment) has completed. A deployment whose
    circuit breaker trips fails the task, also when ECS has rolled back and the service
    is stable again on the previous task definition; the message names the image that
    runs now, the rollout reason, why the new tasks stopped and the service events.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Service behind the ALB, count owned by the autoscaler
  credlink.infra.ecs_service:
    name: credlink-production-service
    cluster: credlink-production-cluster
    task_definition: credlink-production-app
    desired_count: 2
    preserve_desired_count: true
    subnets: "{{ private_subnet_ids }}"
    security_groups: ["{{ ecs_sg_id }}"]
    load_balancers:
      - target_group_arn: "{{ tg_arn }}"
        container_name: app
        container_port: 3001
    health_check_grace_period_seconds: 60
    deployment_circuit_breaker: {enable: true, rollback: true}
    tags:
      Project: credlink

- name: Roll out a new image and wait for the deployment
  credlink.infra.ecs_service:
    name: credlink-production-service
    cluster: credlink-production-cluster
    task_definition: credlink-production-app:42
    preserve_desired_count: true
    subnets: "{{ private_subnet_ids }}"
    security_groups: ["{{ ecs_sg_id }}"]
    wait: true
"""

RETURN = r"""
service:
  description: The service as settled by this run; empty when absent.
  returned: always
  type: dict
  contains:
    service_arn:
      description: ARN of the service.
      type: str
    task_definition:
      description: ARN of the task definition the service runs.
      type: str
    desired_count:
      description: Desired number of tasks.
      type: int
    running_count:
      description: Running tasks.
      type: int
    deployment_id:
      description:
        - Id of the deployment this run started (C(ecs-svc/...)), or of the primary one when
          nothing changed; await it with M(credlink.infra.ecs_service_wait).
      type: str
    rollout_state:
      description: State of the primary deployment (IN_PROGRESS, COMPLETED, FAILED).
      type: str
    tags:
      description: Tags of the service.
      type: dict
extends_documentation_fragment:
  - credlink.infra.ecs_deployment
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import changed_settings
from ansible_collections.credlink.infra.plugins.module_utils.common import diff_for
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.ecs import await_deployment
from ansible_collections.credlink.infra.plugins.module_utils.ecs import describe_service
from ansible_collections.credlink.infra.plugins.module_utils.ecs import ecs_tags_from_dict
from ansible_collections.credlink.infra.plugins.module_utils.ecs import ecs_tags_to_dict
from ansible_collections.credlink.infra.plugins.module_utils.ecs import primary_deployment
from ansible_collections.credlink.infra.plugins.module_utils.ecs import replace_ecs_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import desired_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import resource_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.sync import wait_argument_spec

COMPARED = [
    "task_definition", "desired_count", "network", "load_balancers", "health_check_grace_period_seconds",
    "deployment_configuration", "propagate_tags", "enable_execute_command", "platform_version", "tags",
]


def normalize(service):
    """The settings this module manages, in a shape both sides of a compare share."""
    vpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    config = service.get("deploymentConfiguration") or {}
    breaker = config.get("deploymentCircuitBreaker") or {}
    primary = primary_deployment(service)
    return {
        "service_arn": service["serviceArn"],
        "service_name": service["serviceName"],
        "status": service.get("status"),
        "launch_type": service.get("launchType"),
        "task_definition": service.get("taskDefinition"),
        "desired_count": service.get("desiredCount"),
        "running_count": service.get("runningCount"),
        "pending_count": service.get("pendingCount"),
        "deployments": len(service.get("deployments") or []),
        "deployment_id": primary.get("id"),
        "rollout_state": primary.get("rolloutState"),
        "rollout_state_reason": primary.get("rolloutStateReason"),
        "network": {
            "subnets": sorted(vpc.get("subnets") or []),
            "security_groups": sorted(vpc.get("securityGroups") or []),
            "assign_public_ip": vpc.get("assignPublicIp", "DISABLED") == "ENABLED",
        },
        "load_balancers": sorted(
            ({"target_group_arn": lb.get("targetGroupArn"), "container_name": lb.get("containerName"),
              "container_port": lb.get("containerPort")} for lb in service.get("loadBalancers") or []),
            key=lambda lb: (lb["target_group_arn"] or "", lb["container_name"] or ""),
        ),
        "health_check_grace_period_seconds": service.get("healthCheckGracePeriodSeconds", 0),
        "deployment_configuration": {
            "circuit_breaker": bool(breaker.get("enable")),
            "rollback": bool(breaker.get("rollback")),
            "minimum_healthy_percent": config.get("minimumHealthyPercent", 100),
            "maximum_percent": config.get("maximumPercent", 200),
        },
        "propagate_tags": service.get("propagateTags", "NONE"),
        "enable_execute_command": service.get("enableExecuteCommand", False),
        "platform_version": service.get("platformVersion"),
        "tags": ecs_tags_to_dict(service.get("tags")),
    }


def describe_raw(client, module):
    return describe_service(client, module, module.params["cluster"], module.params["name"])


def describe(client, module):
    service = describe_raw(client, module)
    return normalize(service) if service else None


def resolve_task_definition(client, module):
    """Turn family or family:revision into the ARN AWS reports on the service."""
    reference = module.params["task_definition"]
    with fail_on_aws_error(module, f"Couldn't find task definition {reference}"):
        return client.describe_task_definition(aws_retry=True, taskDefinition=reference)["taskDefinition"]["taskDefinitionArn"]


def desired_settings(module, current, task_definition_arn):
    p = module.params
    breaker = p["deployment_circuit_breaker"] or {"enable": False, "rollback": False}
    tags = None if p["tags"] is None else desired_tags((current or {}).get("tags", {}), p["tags"], p["purge_tags"])
    keep_count = current is not None and p["preserve_desired_count"]
    return {
        "task_definition": task_definition_arn,
        "desired_count": None if keep_count else p["desired_count"],
        "network": {
            "subnets": sorted(p["subnets"] or []),
            "security_groups": sorted(p["security_groups"]),
            "assign_public_ip": p["assign_public_ip"],
        } if p["subnets"] else None,
        "load_balancers": sorted(p["load_balancers"], key=lambda lb: (lb["target_group_arn"], lb["container_name"])),
        "health_check_grace_period_seconds": p["health_check_grace_period_seconds"],
        "deployment_configuration": {
            "circuit_breaker": breaker["enable"],
            "rollback": breaker["enable"] and breaker["rollback"],
            "minimum_healthy_percent": p["minimum_healthy_percent"],
            "maximum_percent": p["maximum_percent"],
        },
        "propagate_tags": p["propagate_tags"],
        "enable_execute_command": p["enable_execute_command"],
        "platform_version": p["platform_version"] if p["launch_type"] == "FARGATE" else None,
        "tags": tags,
    }


def api_arguments(settings):
    """UpdateService/CreateService arguments for the settings given (None = leave alone)."""
    args = {}
    if settings.get("task_definition"):
        args["taskDefinition"] = settings["task_definition"]
    if settings.get("desired_count") is not None:
        args["desiredCount"] = settings["desired_count"]
    if settings.get("network"):
        net = settings["network"]
        args["networkConfiguration"] = {"awsvpcConfiguration": {
            "subnets": net["subnets"], "securityGroups": net["security_groups"],
            "assignPublicIp": "ENABLED" if net["assign_public_ip"] else "DISABLED",
        }}
    if "load_balancers" in settings:
        args["loadBalancers"] = [
            {"targetGroupArn": lb["target_group_arn"], "containerName": lb["container_name"],
             "containerPort": lb["container_port"]} for lb in settings["load_balancers"]
        ]
    if settings.get("health_check_grace_period_seconds") is not None:
        args["healthCheckGracePeriodSeconds"] = settings["health_check_grace_period_seconds"]
    if settings.get("deployment_configuration"):
        config = settings["deployment_configuration"]
        args["deploymentConfiguration"] = {
            "deploymentCircuitBreaker": {"enable": config["circuit_breaker"], "rollback": config["rollback"]},
            "minimumHealthyPercent": config["minimum_healthy_percent"],
            "maximumPercent": config["maximum_percent"],
        }
    if settings.get("propagate_tags"):
        args["propagateTags"] = settings["propagate_tags"]
    if settings.get("enable_execute_command") is not None:
        args["enableExecuteCommand"] = settings["enable_execute_command"]
    if settings.get("platform_version"):
        args["platformVersion"] = settings["platform_version"]
    return args


def wait_for_deployment(client, module, started_id, started_task_definition):
    """Wait until the deployment ``started_id`` has completed; fail when it failed or was replaced.

    A rollback leaves the service stable on the previous task definition, so stability
    alone proves nothing: the deployment PRIMARY at the end must be the one this run
    started (module_utils/ecs.py, deployment_state).
    """
    p = module.params
    service = await_deployment(client, module, p["cluster"], p["name"], started_id, started_task_definition,
                               p["wait_timeout"], p["wait_delay"], normalize)
    return normalize(service)


def delete(client, module, current):
    p = module.params
    if module.check_mode:
        return
    with fail_on_aws_error(module, f"Couldn't delete ECS service {p['name']}"):
        client.delete_service(aws_retry=True, cluster=p["cluster"], service=p["name"], force=True)
    if p["wait"]:
        try:
            client.get_waiter("services_inactive").wait(
                cluster=p["cluster"], services=[p["name"]],
                WaiterConfig={"Delay": p["wait_delay"], "MaxAttempts": max(1, p["wait_timeout"] // p["wait_delay"])},
            )
        except Exception as e:  # pylint: disable=broad-except
            module.fail_json_aws(e, msg=f"ECS service {p['name']} did not become inactive")


def ensure_present(client, module, current):
    p = module.params
    arn = resolve_task_definition(client, module)
    desired = desired_settings(module, current, arn)

    if current is None:
        if p["desired_count"] is None:
            module.fail_json(msg="desired_count is required to create a service")
        after = {k: v for k, v in desired.items() if v is not None}
        if not module.check_mode:
            args = api_arguments(desired)
            if desired["tags"]:
                args["tags"] = ecs_tags_from_dict(desired["tags"])
            with fail_on_aws_error(module, f"Couldn't create ECS service {p['name']}"):
                created = client.create_service(aws_retry=True, cluster=p["cluster"], serviceName=p["name"],
                                                launchType=p["launch_type"], **args)["service"]
            started = primary_deployment(created).get("id")
            after = wait_for_deployment(client, module, started, arn) if p["wait"] else describe(client, module)
            after["deployment_id"] = started or after.get("deployment_id")
        return True, after, diff_for(None, after, COMPARED)

    if current["launch_type"] and current["launch_type"] != p["launch_type"]:
        module.fail_json(msg=f"Cannot change the launch type of {p['name']} from {current['launch_type']} "
                             f"to {p['launch_type']}; delete and recreate the service")
    changes = changed_settings(current, desired)
    tag_changes = changes.pop("tags", None)
    redeploy = p["force_new_deployment"]
    changed = bool(changes or tag_changes is not None or redeploy)
    # The deployment to await: the one UpdateService starts, else the current primary one.
    started = current["deployment_id"]
    if changed and not module.check_mode:
        with fail_on_aws_error(module, f"Couldn't update ECS service {p['name']}"):
            if changes or redeploy:
                updated = client.update_service(aws_retry=True, cluster=p["cluster"], service=p["name"],
                                                forceNewDeployment=redeploy, **api_arguments(changes))["service"]
                started = primary_deployment(updated).get("id") or started
            if tag_changes is not None:
                replace_ecs_tags(client, current["service_arn"], current["tags"], tag_changes)
    if module.check_mode:
        after = {**current, **changes, **({"tags": tag_changes} if tag_changes is not None else {})}
    elif p["wait"]:
        after = wait_for_deployment(client, module, started, arn)
    else:
        after = describe(client, module) if changed else current
    if not module.check_mode and after:
        # Not the primary one read afterwards: a quick rollback may already have replaced it.
        after["deployment_id"] = started or after.get("deployment_id")
    return changed, after, diff_for(current, after, COMPARED)


def main():
    module = AnsibleAWSModule(
        argument_spec=resource_argument_spec(
            cluster=dict(type="str", required=True),
            task_definition=dict(type="str"),
            desired_count=dict(type="int"),
            preserve_desired_count=dict(type="bool", default=False),
            launch_type=dict(type="str", choices=["FARGATE", "EC2", "EXTERNAL"], default="FARGATE"),
            platform_version=dict(type="str", default="LATEST"),
            subnets=dict(type="list", elements="str"),
            security_groups=dict(type="list", elements="str", default=[]),
            assign_public_ip=dict(type="bool", default=False),
            load_balancers=dict(
                type="list", elements="dict", default=[],
                options=dict(
                    target_group_arn=dict(type="str", required=True),
                    container_name=dict(type="str", required=True),
                    container_port=dict(type="int", required=True),
                ),
            ),
            health_check_grace_period_seconds=dict(type="int"),
            deployment_circuit_breaker=dict(
                type="dict",
                options=dict(enable=dict(type="bool", default=True), rollback=dict(type="bool", default=True)),
            ),
            minimum_healthy_percent=dict(type="int", default=100),
            maximum_percent=dict(type="int", default=200),
            propagate_tags=dict(type="str", choices=["NONE", "SERVICE", "TASK_DEFINITION"], default="SERVICE"),
            enable_execute_command=dict(type="bool", default=False),
            force_new_deployment=dict(type="bool", default=False),
            **wait_argument_spec(900),
        ),
        required_if=[("state", "present", ["task_definition"])],
        supports_check_mode=True,
    )
    p = module.params
    if p["desired_count"] is not None and p["desired_count"] < 0:
        module.fail_json(msg=f"desired_count must be 0 or more, got {p['desired_count']}")
    if p["launch_type"] == "FARGATE" and p["state"] == "present" and not p["subnets"]:
        module.fail_json(msg="Fargate services need subnets (awsvpc networking)")
    if p["wait_delay"] <= 0 or p["wait_timeout"] <= 0:
        module.fail_json(msg="wait_timeout and wait_delay must be positive")

    client = module.client("ecs", retry_decorator=RETRY)
    current = describe(client, module)
    if p["state"] == "absent":
        if current is None:
            module.exit_json(changed=False, service={})
        delete(client, module, current)
        module.exit_json(changed=True, service={}, diff=diff_for(current, None, COMPARED))

    changed, after, diff = ensure_present(client, module, current)
    module.exit_json(changed=changed, service=after, diff=diff)


if __name__ == "__main__":
    main()
