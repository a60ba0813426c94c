"""ECS deployments that fail, and the circuit breaker that rolls them back.

A deployment whose image tag contains ``broken`` never becomes healthy. Its tasks start and
are stopped (stoppedReason "Task failed ELB health checks in (target-group <arn>)" behind a
load balancer, boltops-tools/ufo#171; "Task failed container health checks" with a container
health check; else "Essential container in task exited"), with the service events AWS
writes ("(service <name>) has started 2 tasks: (task <id>) (task <id>).",
"(service <name>) (port <port>) is unhealthy in (target-group <arn>) due to (reason Health
checks failed).", "(service <name>) has stopped 2 running tasks: ...", hackforla/CivicTechJobs#436).

When the failed tasks reach the circuit breaker threshold -- 0.5 x desired count, at least 3
and at most 200 (ECS API reference, DeploymentCircuitBreaker) -- after the ``deployments``
delay (AWS: about 3 minutes for crash-on-start tasks, 11-12 when image pulls fail, research
notes section 9):

- with ``deploymentCircuitBreaker.enable``, the deployment ends ``rolloutState=FAILED``,
  ``rolloutStateReason`` "ECS deployment circuit breaker: tasks failed to start." and the
  event "(service <name>) (deployment <id>) deployment failed: tasks failed to start."
  (aws/containers-roadmap#1488);
- with ``rollback`` too, and a previous deployment that completed: the event "(service
  <name>) rolling back to deployment <id>.", the failed deployment ``DRAINING``, and a new
  PRIMARY deployment of the previous task definition ("ECS deployment circuit breaker:
  rolling back to deploymentId <id>.") that completes after the delay;
- without the circuit breaker the deployment stays ``IN_PROGRESS`` and keeps failing tasks.

A healthy deployment completes after the ``deployments`` delay (or its latency-mode time):
"ECS deployment <id> completed.", "(service <name>) has reached a steady state.". While the
task definition's execution or task role has not propagated (``iam_propagation``), ECS
cannot launch it: the service event "(service <name>) failed to launch a task with (error ECS
was unable to assume the role '<arn>' that was provided for this task. Please verify that the
role being passed has the proper trust relationship and permissions and that your IAM user
has permissions to pass this role.)." (telia-oss/terraform-aws-ecs-fargate#58,
boto/boto3#1878) and the deployment completes only once the role is usable. (AWS's
stoppedReason for that case was not found: the emulator reports it as an event only.)
"""

from __future__ import annotations

import math
import random
import uuid
from typing import Any

from moto.core.utils import utcnow

from . import iam_propagation
from .clock import Context

FAILED = "ECS deployment circuit breaker: tasks failed to start."
ROLLING_BACK = "ECS deployment circuit breaker: rolling back to deploymentId {id}."
ROLE_EVENT = ("(service {service}) failed to launch a task with (error ECS was unable to assume the role '{arn}' "
              "that was provided for this task. Please verify that the role being passed has the proper trust "
              "relationship and permissions and that your IAM user has permissions to pass this role.).")
STORED_STOPPED_TASKS = 50


def threshold(desired: int) -> int:
    return min(max(math.ceil(0.5 * desired), 3), 200)


def broken(task_definition) -> bool:
    """An image whose tag (what follows the last ':' after the last '/') contains 'broken'."""
    for container in task_definition.container_definitions or []:
        name = str(container.get("image", "")).rsplit("/", 1)[-1].split("@", 1)[0]
        if "broken" in (name.split(":", 1)[1] if ":" in name else ""):
            return True
    return False


def _event(service, message: str) -> None:
    service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": utcnow(), "message": message})
    del service.events[100:]


def _deployment(service, task_definition: str, reason: str | None = None) -> dict[str, Any]:
    deployment_id = f"ecs-svc/{random.randrange(10 ** 18, 10 ** 19)}"
    now = utcnow()
    return {
        "id": deployment_id, "status": "PRIMARY", "taskDefinition": task_definition,
        "desiredCount": service.desired_count, "pendingCount": service.desired_count, "runningCount": 0,
        "failedTasks": 0, "createdAt": now, "updatedAt": now, "launchType": service.launch_type,
        "platformVersion": service.platform_version,
        "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
        "networkConfiguration": service.network_configuration or None,
        "rolloutState": "IN_PROGRESS", "rolloutStateReason": reason or f"ECS deployment {deployment_id} in progress.",
    }


class Deployer:
    """Starts, completes, fails and rolls back the deployments of ECS services."""

    def __init__(self, context: Context, schedule=None) -> None:
        self.context = context
        self.schedule = schedule

    # --- timing ---------------------------------------------------------------------------
    def hold(self) -> float:
        """How long a deployment takes: its latency-mode time, never less than the delay."""
        floor = self.context.delay("deployments")
        return max(self.schedule.delay("ecs_service"), floor) if self.schedule is not None else floor

    def _later(self, service, seconds: float, action) -> None:
        token = service._credlink_generation

        def run() -> None:
            if service._credlink_generation is token and service.status == "ACTIVE":
                action()

        self.context.timeline.after(seconds, run)

    # --- entry point (replaces patches.start_ecs_deployment) ------------------------------
    def start(self, service) -> None:
        backend = service._backend
        if not service.task_definition:
            return  # nothing to deploy (a service for an external deployment controller)
        task_definition = backend.describe_task_definition(service.task_definition)
        service.task_definition = task_definition.arn
        previous = getattr(service, "_credlink_previous_td", None)
        forced = getattr(service, "_credlink_forced", False)
        service._credlink_previous_td, service._credlink_forced = None, False
        if getattr(service, "_credlink_started", False) and previous == task_definition.arn and not forced:
            self._scale(service)
            return
        first = not getattr(service, "_credlink_started", False)
        service._credlink_started = True
        service._credlink_generation = object()
        primary = _deployment(service, task_definition.arn)
        for old in service.deployments:
            if old.get("status") == "PRIMARY":
                old["status"] = "ACTIVE"
        older = [] if first else [d for d in service.deployments if d.get("status") == "ACTIVE"]
        service.deployments = [primary, *older]
        service.pending_count = service.desired_count
        self._started_tasks(service, service.desired_count)
        if broken(task_definition):
            self._later(service, self.context.delay("deployments"), lambda: self._fail(service, primary))
            return
        self._complete_when_roles_allow(service, primary, task_definition)

    def _scale(self, service) -> None:
        from .. import patches

        for deployment in service.deployments:
            if deployment.get("status") == "PRIMARY":
                deployment.update({"desiredCount": service.desired_count, "updatedAt": utcnow()})
                if deployment.get("rolloutState") == "COMPLETED":
                    deployment.update({"runningCount": service.desired_count, "pendingCount": 0})
                    service.running_count, service.pending_count = service.desired_count, 0
                    patches._register_service_tasks(service)

    def _complete_when_roles_allow(self, service, deployment, task_definition) -> None:
        ready = self.context.now() + self.hold()
        for arn in (getattr(task_definition, "execution_role_arn", None), getattr(task_definition, "task_role_arn", None)):
            if not arn:
                continue
            usable = iam_propagation.ready_at(arn, iam_propagation.ECS_TASKS, self.context)
            if usable is None or usable > self.context.now():
                _event(service, ROLE_EVENT.format(service=service.name, arn=arn))
            if usable is None:
                return  # never: the deployment stays in progress, as on AWS
            ready = max(ready, usable + self.hold())
        self._later(service, ready - self.context.now(), lambda: self._complete(service, deployment))

    # --- outcomes -------------------------------------------------------------------------
    def _complete(self, service, deployment) -> None:
        from .. import patches

        deployment.update({"status": "PRIMARY", "desiredCount": service.desired_count,
                           "runningCount": service.desired_count, "pendingCount": 0, "rolloutState": "COMPLETED",
                           "rolloutStateReason": f"ECS deployment {deployment['id']} completed.", "updatedAt": utcnow()})
        service.deployments = [deployment]
        service.running_count, service.pending_count = service.desired_count, 0
        service._credlink_stable = (deployment["id"], deployment["taskDefinition"])
        patches._register_service_tasks(service)
        _event(service, f"(service {service.name}) has reached a steady state.")

    def _fail(self, service, deployment) -> None:
        failed = threshold(service.desired_count)
        self._stopped_tasks(service, deployment, failed)
        deployment.update({"failedTasks": deployment["failedTasks"] + failed, "updatedAt": utcnow()})
        breaker = ((getattr(service, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker") or {})
        if not breaker.get("enable"):
            self._started_tasks(service, service.desired_count)
            self._later(service, self.context.delay("deployments"), lambda: self._fail(service, deployment))
            return
        deployment.update({"rolloutState": "FAILED", "rolloutStateReason": FAILED})
        _event(service, f"(service {service.name}) (deployment {deployment['id']}) deployment failed: tasks failed to start.")
        stable = getattr(service, "_credlink_stable", None)
        if not breaker.get("rollback") or stable is None:
            return
        stable_id, stable_definition = stable
        _event(service, f"(service {service.name}) rolling back to deployment {stable_id}.")
        deployment["status"] = "DRAINING"
        rollback = _deployment(service, stable_definition, ROLLING_BACK.format(id=stable_id))
        service.task_definition = stable_definition
        service.deployments = [rollback, *[d for d in service.deployments if d is not rollback]]
        self._started_tasks(service, service.desired_count)
        self._later(service, self.hold(), lambda: self._complete(service, rollback))

    # --- tasks and events -----------------------------------------------------------------
    def _started_tasks(self, service, count: int) -> None:
        if count:
            ids = " ".join(f"(task {uuid.uuid4().hex})" for _ in range(count))
            _event(service, f"(service {service.name}) has started {count} tasks: {ids}.")

    def _stopped_tasks(self, service, deployment, count: int) -> None:
        from moto.ecs.models import Task

        backend = service._backend
        cluster = backend._get_cluster(service.cluster_name)
        task_definition = backend.describe_task_definition(deployment["taskDefinition"])
        awsvpc = task_definition.network_mode == "awsvpc"
        reason, unhealthy = self._stop_reason(service, task_definition)
        stopped = []
        for _ in range(count):
            task = Task(cluster, task_definition, None, None, backend, group=f"service:{service.name}",
                        launch_type=service.launch_type or "FARGATE", started_by=deployment["id"],
                        networking_configuration=service.network_configuration if awsvpc else None)
            task.last_status = task.desired_status = "STOPPED"
            task.stopped_reason, task.stop_code = reason, "ServiceSchedulerInitiated"
            task.stopped_at = task.stopping_at = task.execution_stopped_at = utcnow()
            backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
            stopped.append(task)
        tasks = backend.tasks[cluster.name]
        mine = [arn for arn, task in tasks.items() if task.group == f"service:{service.name}"]
        for arn in mine[:-STORED_STOPPED_TASKS]:
            del tasks[arn]
        if unhealthy:
            _event(service, unhealthy)
        ids = " ".join(f"(task {task.id})" for task in stopped)
        _event(service, f"(service {service.name}) has stopped {count} running tasks: {ids}.")

    @staticmethod
    def _stop_reason(service, task_definition) -> tuple[str, str | None]:
        for balancer in service.load_balancers or []:
            if balancer.get("targetGroupArn"):
                group = balancer["targetGroupArn"]
                return (f"Task failed ELB health checks in (target-group {group})",
                        f"(service {service.name}) (port {balancer.get('containerPort')}) is unhealthy in "
                        f"(target-group {group}) due to (reason Health checks failed).")
        if any(c.get("healthCheck") for c in task_definition.container_definitions or []):
            return "Task failed container health checks", None
        return "Essential container in task exited", None


def install(context: Context, schedule=None) -> Deployer:
    """Route every ECS deployment through the deployer (emulator process only)."""
    from moto.ecs.models import EC2ContainerServiceBackend

    from .. import patches

    deployer = Deployer(context, schedule)
    patches.start_ecs_deployment = deployer.start
    original_update = EC2ContainerServiceBackend.update_service

    def update_service(self, service_properties):
        service = self._get_service(service_properties.get("cluster", "default"),
                                    service_properties["service"].split("/")[-1])
        service._credlink_previous_td = service.task_definition
        service._credlink_forced = bool(service_properties.get("force_new_deployment"))
        return original_update(self, service_properties)

    EC2ContainerServiceBackend.update_service = update_service
    return deployer
