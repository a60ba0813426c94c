"""Deciding a deployment's outcome from DescribeServices, with the shapes AWS sends.

Texts from research A, 9 (API reference, aws/containers-roadmap#1488, service events quoted
from public deployment logs).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import botocore.exceptions  # noqa: F401 (module_utils.common expects botocore's submodules loaded, as in a module)
from ansible_collections.credlink.infra.plugins.module_utils.ecs import (
    FAILED, PENDING, REPLACED, SETTLED, deployment_state, failure_message, failure_report)

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
OLD_TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/credlink-production-app:7"
NEW_TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/credlink-production-app:8"
IMAGES = {OLD_TD: "123456789012.dkr.ecr.us-east-1.amazonaws.com/credlink-production-sign-service:v1.2.3",
          NEW_TD: "123456789012.dkr.ecr.us-east-1.amazonaws.com/credlink-production-sign-service:v1.3.0-broken"}
OLD_ID, NEW_ID, ROLLBACK_ID = "ecs-svc/1675294001379389663", "ecs-svc/1571272475813219068", "ecs-svc/7246342417563559064"


def deployment(dep_id, status, task_definition, state, reason, created, running=2, failed=0):
    return {"id": dep_id, "status": status, "taskDefinition": task_definition, "desiredCount": 2,
            "runningCount": running, "pendingCount": 0, "failedTasks": failed, "createdAt": created,
            "updatedAt": created, "launchType": "FARGATE", "rolloutState": state, "rolloutStateReason": reason}


def service(*deployments, events=(), task_definition=OLD_TD):
    return {"serviceName": "credlink-production-service", "status": "ACTIVE", "desiredCount": 2, "runningCount": 2,
            "taskDefinition": task_definition, "deployments": list(deployments), "events": list(events)}


def event(message, minutes):
    return {"id": f"e{minutes}", "createdAt": T0 + timedelta(minutes=minutes), "message": message}


FAILED_NEW = deployment(NEW_ID, "ACTIVE", NEW_TD, "FAILED", "ECS deployment circuit breaker: tasks failed to start.",
                        T0, running=0, failed=3)
ROLLBACK = deployment(ROLLBACK_ID, "PRIMARY", OLD_TD, "COMPLETED",
                      f"ECS deployment circuit breaker: rolling back to deploymentId {OLD_ID}.", T0 + timedelta(minutes=3))
EVENTS = [  # AWS lists the newest first
    event("(service credlink-production-service) has reached a steady state.", 5),
    event(f"(service credlink-production-service) rolling back to deployment {OLD_ID}.", 3),
    event(f"(service credlink-production-service) (deployment {NEW_ID}) deployment failed: tasks failed to start.", 3),
    event("(service credlink-production-service) has started 2 tasks: (task 0668a) (task 0668b).", 1),
    event("(service credlink-production-service) has reached a steady state.", -60),
]


class FakeEcs:
    """The three read calls the report makes, answering as ECS does."""

    def __init__(self):
        self.calls = []

    def describe_task_definition(self, aws_retry, taskDefinition):
        self.calls.append(("DescribeTaskDefinition", taskDefinition))
        return {"taskDefinition": {"taskDefinitionArn": taskDefinition,
                                   "containerDefinitions": [{"name": "app", "image": IMAGES[taskDefinition]}]}}

    def list_tasks(self, aws_retry, cluster, startedBy, desiredStatus):
        self.calls.append(("ListTasks", startedBy, desiredStatus))
        return {"taskArns": ["arn:aws:ecs:us-east-1:123456789012:task/c/a", "arn:aws:ecs:us-east-1:123456789012:task/c/b"]
                if startedBy == NEW_ID and desiredStatus == "STOPPED" else []}

    def describe_tasks(self, aws_retry, cluster, tasks):
        self.calls.append(("DescribeTasks", tuple(tasks)))
        stopped = {"lastStatus": "STOPPED", "stopCode": "TaskFailedToStart",
                   "stoppedReason": "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                                    "failed to resolve ref .../credlink-production-sign-service:v1.3.0-broken: not found",
                   "containers": [{"name": "app", "lastStatus": "STOPPED"}]}
        return {"tasks": [dict(stopped, taskArn=t) for t in tasks], "failures": []}


def test_a_rollback_that_completed_is_a_failure_of_the_started_deployment():
    rolled_back = service(ROLLBACK, events=EVENTS)  # the failed deployment is already gone
    assert deployment_state(rolled_back, NEW_ID) == REPLACED


def test_a_failed_rollout_still_listed_is_a_failure():
    assert deployment_state(service(ROLLBACK, FAILED_NEW, events=EVENTS), NEW_ID) == FAILED


def test_the_started_deployment_completing_is_success():
    done = deployment(NEW_ID, "PRIMARY", NEW_TD, "COMPLETED", f"ECS deployment {NEW_ID} completed.", T0)
    assert deployment_state(service(done, task_definition=NEW_TD), NEW_ID) == SETTLED


def test_a_rollout_in_progress_is_awaited():
    new = deployment(NEW_ID, "PRIMARY", NEW_TD, "IN_PROGRESS", f"ECS deployment {NEW_ID} in progress.", T0, running=1)
    old = deployment(OLD_ID, "ACTIVE", OLD_TD, "COMPLETED", "", T0 - timedelta(days=1))
    assert deployment_state(service(new, old, task_definition=NEW_TD), NEW_ID) == PENDING


def test_the_report_names_what_runs_now_and_why_the_new_image_failed():
    fake = FakeEcs()
    report = failure_report(fake, "credlink-production-cluster", service(ROLLBACK, FAILED_NEW, events=EVENTS),
                            NEW_ID, NEW_TD)
    assert report["rolled_back"] is True
    assert report["running_images"] == [IMAGES[OLD_TD]] and report["failed_images"] == [IMAGES[NEW_TD]]
    assert report["reason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert len(report["stopped_tasks"]) == 1 and report["stopped_tasks"][0].startswith("CannotPullContainerError")
    assert report["events"][0].endswith("has started 2 tasks: (task 0668a) (task 0668b).")
    assert f"rolling back to deployment {OLD_ID}." in report["events"][2]
    assert not any("-60" in e for e in report["events"]) and len(report["events"]) == 4
    message = failure_message("credlink-production-service", report)
    assert message.startswith(f"Deployment of {IMAGES[NEW_TD]} to credlink-production-service failed and ECS "
                              f"rolled it back: the service runs {IMAGES[OLD_TD]} ({OLD_TD}) again.")
    assert "Reason: ECS deployment circuit breaker: tasks failed to start." in message
    assert "CannotPullContainerError" in message and "deployment failed: tasks failed to start." in message


def test_the_report_after_the_failed_deployment_was_dropped_uses_the_rollback_reason():
    fake = FakeEcs()
    report = failure_report(fake, "c", service(ROLLBACK, events=EVENTS), NEW_ID, NEW_TD)
    assert report["rolled_back"] is True and report["failed_images"] == [IMAGES[NEW_TD]]
    assert report["reason"].startswith("ECS deployment circuit breaker: rolling back to deploymentId")
    assert report["stopped_tasks"]  # stopped tasks stay listed for a while after the deployment
