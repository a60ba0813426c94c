# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failure report of an ECS deployment (module_utils.ecs.failure_report), returned by every module that awaits one."""


class ModuleDocFragment:
    RETURN = r"""
deployment:
  description: Why the awaited deployment did not take over; only when it failed or was rolled back.
  returned: failure
  type: dict
  contains:
    deployment_id:
      description: The deployment that was awaited.
      type: str
    failed:
      description: Whether ECS marked the deployment failed (or is rolling it back).
      type: bool
    rolled_back:
      description: Whether ECS rolled back to the previous deployment.
      type: bool
    reason:
      description: "Rollout state reason, such as C(ECS deployment circuit breaker: tasks failed to start.)."
      type: str
    running_task_definition:
      description: ARN of the task definition the service runs now.
      type: str
    running_images:
      description: Images of the task definition the service runs now.
      type: list
      elements: str
    failed_task_definition:
      description: ARN of the task definition that did not take over.
      type: str
    failed_images:
      description: Images of the task definition that failed.
      type: list
      elements: str
    stopped_tasks:
      description: Stopped reasons of the failed deployment's tasks.
      type: list
      elements: str
    events:
      description: Service events since the deployment started, oldest first.
      type: list
      elements: str
"""
