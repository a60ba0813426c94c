# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS helpers shared by the cluster and service modules."""

from __future__ import annotations

import time

from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.sync import retag


def ecs_tags_to_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """ECS spells its tag keys in lower case (``key``/``value``), unlike most services."""
    return {tag["key"]: tag["value"] for tag in tags or []}


def ecs_tags_from_dict(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in sorted((tags or {}).items())]


def replace_ecs_tags(client, arn: str, current: dict[str, str], wanted: dict[str, str]) -> None:
    """Make the resource's tags exactly ``wanted`` (callers catch the AWS errors)."""
    retag(current, wanted, purge=True,
          untag=lambda keys: client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=keys),
          tag=lambda new: client.tag_resource(aws_retry=True, resourceArn=arn, tags=ecs_tags_from_dict(new)))


# Deployments: the circuit breaker and its rollback
#
# With deploymentCircuitBreaker {enable, rollback} a failing deployment ends with
# rolloutState FAILED ("ECS deployment circuit breaker: tasks failed to start.") and ECS
# starts a new PRIMARY deployment of the previous task definition whose rolloutStateReason
# reads "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/..."; the
# service events say "(service x) (deployment ecs-svc/...) deployment failed: tasks failed
# to start." and "(service x) rolling back to deployment ecs-svc/...". Once the rollback
# has completed the service is stable again, on the OLD task definition (research A, 9:
# API reference DeploymentCircuitBreaker, aws/containers-roadmap#1488 and #328,
# fabfuel/ecs-deploy#185). Waiting for "stable" alone therefore reports a failed deployment
# as a success: the outcome is decided by the deployment the update started.

SETTLED, PENDING, FAILED, REPLACED = "settled", "pending", "failed", "replaced"


def primary_deployment(service: dict) -> dict:
    return next((d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"), {})


def deployment_state(service: dict, started_id: str | None) -> str:
    """Where the deployment ``started_id`` stands in a DescribeServices service.

    ``failed``: its rollout FAILED (rolled back or not); ``replaced``: another deployment
    is PRIMARY now (a rollback that already dropped the failed one, or someone else's
    deployment); ``settled``: it is the only deployment, completed, with every task
    running; ``pending`` otherwise.
    """
    primary = primary_deployment(service)
    deployments = service.get("deployments") or []
    started = next((d for d in deployments if d.get("id") == started_id), None) if started_id else primary
    if started is not None and started.get("rolloutState") == "FAILED":
        return FAILED
    if started_id and primary.get("id") != started_id:
        return REPLACED
    settled = len(deployments) == 1 and service.get("runningCount") == service.get("desiredCount")
    if settled and primary.get("rolloutState") in ("COMPLETED", None):
        return SETTLED
    return PENDING


def images_of(client, task_definition: str | None) -> list[str]:
    if not task_definition:
        return []
    definition = client.describe_task_definition(aws_retry=True, taskDefinition=task_definition)["taskDefinition"]
    return [c.get("image", "?") for c in definition.get("containerDefinitions") or []]


def stopped_task_reasons(client, cluster: str, deployment_id: str | None, limit: int = 5) -> list[str]:
    """Why the tasks of a deployment stopped (ECS starts them with startedBy = deployment id)."""
    if not deployment_id:
        return []
    arns = client.list_tasks(aws_retry=True, cluster=cluster, startedBy=deployment_id,
                             desiredStatus="STOPPED")["taskArns"][:20]
    if not arns:
        return []
    reasons: list[str] = []
    for task in client.describe_tasks(aws_retry=True, cluster=cluster, tasks=arns)["tasks"]:
        parts = [task.get("stoppedReason") or task.get("stopCode") or "stopped"]
        parts += [f"{c.get('name')}: {c['reason']}" for c in task.get("containers") or [] if c.get("reason")]
        reason = "; ".join(parts)
        if reason not in reasons:
            reasons.append(reason)
    return reasons[:limit]


def deployment_events(service: dict, started: dict | None, limit: int = 5) -> list[str]:
    """The service's events since the deployment started, oldest first (AWS lists newest first)."""
    since = (started or {}).get("createdAt")
    events = [e for e in service.get("events") or [] if since is None or e.get("createdAt") is None
              or e["createdAt"] >= since]
    return [e.get("message", "") for e in reversed(events[:limit])]


def failure_report(client, cluster: str, service: dict, started_id: str | None,
                   started_task_definition: str | None) -> dict:
    """What runs now and why the deployment ``started_id`` did not take over."""
    primary = primary_deployment(service)
    started = next((d for d in service.get("deployments") or [] if d.get("id") == started_id), None)
    failed_definition = (started or {}).get("taskDefinition") or started_task_definition
    reason = (started or {}).get("rolloutStateReason") or primary.get("rolloutStateReason") or ""
    failed = (started or {}).get("rolloutState") == "FAILED"
    return {
        "deployment_id": started_id,
        "failed": failed or "rolling back" in (primary.get("rolloutStateReason") or ""),
        "rolled_back": primary.get("id") != started_id and (
            failed or "rolling back" in (primary.get("rolloutStateReason") or "")),
        "reason": reason,
        "running_task_definition": primary.get("taskDefinition") or service.get("taskDefinition"),
        "running_images": images_of(client, primary.get("taskDefinition") or service.get("taskDefinition")),
        "failed_task_definition": failed_definition,
        "failed_images": images_of(client, failed_definition),
        "stopped_tasks": stopped_task_reasons(client, cluster, started_id),
        "events": deployment_events(service, started),
    }


def failure_message(name: str, report: dict) -> str:
    new = ", ".join(report["failed_images"]) or report["failed_task_definition"] or "the new task definition"
    now = ", ".join(report["running_images"]) or report["running_task_definition"]
    if report["rolled_back"]:
        head = (f"Deployment of {new} to {name} failed and ECS rolled it back: the service runs "
                f"{now} ({report['running_task_definition']}) again.")
    elif report["failed"]:
        head = f"Deployment of {new} to {name} failed; the service runs {now}."
    else:
        head = f"Deployment of {new} to {name} was replaced by another deployment; the service runs {now}."
    parts = [head]
    if report["reason"]:
        parts.append(f"Reason: {report['reason']}")
    if report["stopped_tasks"]:
        parts.append("Stopped tasks: " + " | ".join(report["stopped_tasks"]))
    if report["events"]:
        parts.append("Service events: " + " | ".join(report["events"]))
    return " ".join(parts)


def describe_service(client, module, cluster: str, name: str) -> dict | None:
    """The service as DescribeServices reports it; None when missing or INACTIVE."""
    with fail_on_aws_error(module, f"Couldn't describe ECS service {name}"):
        services = client.describe_services(aws_retry=True, cluster=cluster, services=[name], include=["TAGS"])["services"]
    services = [s for s in services if s.get("status") != "INACTIVE"]
    return services[0] if services else None


def await_deployment(client, module, cluster: str, name: str, started_id: str | None,
                     started_task_definition: str | None, timeout: int, delay: int, summary) -> dict:
    """Wait until the deployment ``started_id`` has completed and return the service.

    Fails the module when the deployment failed or another one (a rollback) took over,
    with the report of ``failure_report``; ``summary`` turns the service into what the
    module returns.
    """
    deadline = time.monotonic() + timeout
    while True:
        service = describe_service(client, module, cluster, name)
        if service is None:
            module.fail_json(msg=f"ECS service {name} disappeared while waiting for its deployment")
        state = deployment_state(service, started_id)
        if state in (FAILED, REPLACED):
            with fail_on_aws_error(module, f"The deployment {started_id} of {name} failed; couldn't read why"):
                report = failure_report(client, cluster, service, started_id, started_task_definition)
            module.fail_json(msg=failure_message(name, report), service=summary(service), deployment=report)
        if state == SETTLED:
            return service
        if time.monotonic() >= deadline:
            primary = primary_deployment(service)
            module.fail_json(
                msg=f"Timed out after {timeout} s waiting for the deployment of {name} "
                    f"({service.get('runningCount')}/{service.get('desiredCount')} tasks running, "
                    f"rollout {primary.get('rolloutState')})",
                service=summary(service),
            )
        time.sleep(delay)
