"""What the ECS module tests build: names, module arguments and a rolled-back deployment."""

from __future__ import annotations

import botocore


CLUSTER = "credlink-test-cluster"
SERVICE = "credlink-test-service"
FAMILY = "credlink-test-app"


def cluster_args(**overrides):
    base = {"name": CLUSTER, "container_insights": "enabled", "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
            "default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1}],
            "tags": {"Project": "credlink"}}
    return {**base, **overrides}


def container(image="repo:latest", **extra):
    return {"name": "app", "image": image, "essential": True,
            "portMappings": [{"containerPort": 3001, "protocol": "tcp"}],
            "environment": [{"name": "PORT", "value": "3001"}, {"name": "NODE_ENV", "value": "production"}],
            "secrets": [{"name": "DATABASE_URL", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf:url::"}],
            **extra}


def task_args(**overrides):
    base = {"family": FAMILY, "cpu": "256", "memory": "512", "containers": [container()],
            "execution_role_arn": "arn:aws:iam::123456789012:role/exec", "task_role_arn": "arn:aws:iam::123456789012:role/task",
            "tags": {"Project": "credlink"}}
    return {**base, **overrides}


def service_args(ecs_account, **overrides):
    base = {"name": SERVICE, "cluster": CLUSTER, "task_definition": FAMILY, "desired_count": 2,
            "preserve_desired_count": True, "subnets": ecs_account["subnets"], "security_groups": [ecs_account["sg"]],
            "health_check_grace_period_seconds": 60, "deployment_circuit_breaker": {"enable": True, "rollback": True},
            "tags": {"Project": "credlink"}}
    return {**base, **overrides}


def describe_service(ecs_account):
    return ecs_account["ecs"].describe_services(cluster=CLUSTER, services=[SERVICE], include=["TAGS"])["services"][0]


def rolled_back_after_update(monkeypatch):
    """After UpdateService, ECS answers as after a circuit-breaker rollback (research A, 9).

    The deployment the update started is FAILED and a new PRIMARY deployment runs the
    previous task definition, completed: the service is stable again, on the old image.
    """
    original = botocore.client.BaseClient._make_api_call
    state = {}

    def ecs(self, operation, params):
        response = original(self, operation, params)
        if operation == "UpdateService":
            state["started"] = next(d for d in response["service"]["deployments"] if d["status"] == "PRIMARY")
            state["old"] = f"{FAMILY}:1"
        elif operation == "DescribeServices" and state and response["services"]:
            service = response["services"][0]
            started = state["started"]
            old_arn = started["taskDefinition"].rsplit(":", 1)[0] + ":1"
            service["taskDefinition"] = old_arn
            service["deployments"] = [
                {**started, "id": "ecs-svc/7246342417563559064", "taskDefinition": old_arn, "status": "PRIMARY",
                 "rolloutState": "COMPLETED",
                 "rolloutStateReason": f"ECS deployment circuit breaker: rolling back to deploymentId {started['id']}."},
                {**started, "status": "ACTIVE", "runningCount": 0, "failedTasks": 3, "rolloutState": "FAILED",
                 "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."},
            ]
            service["events"] = [
                {"id": "2", "createdAt": started["createdAt"], "message":
                 "(service credlink-test-service) rolling back to deployment ecs-svc/1675294001379389663."},
                {"id": "1", "createdAt": started["createdAt"], "message":
                 f"(service credlink-test-service) (deployment {started['id']}) deployment failed: tasks failed to start."},
            ]
        elif operation == "ListTasks" and params.get("desiredStatus") == "STOPPED" and state:
            response["taskArns"] = [f"arn:aws:ecs:us-east-1:123456789012:task/{CLUSTER}/0668a"]
        elif operation == "DescribeTasks" and state:
            response = {"tasks": [{"taskArn": params["tasks"][0], "lastStatus": "STOPPED", "stopCode": "TaskFailedToStart",
                                   "stoppedReason": "Essential container in task exited",
                                   "containers": [{"name": "app", "reason": "CannotPullContainerError: not found"}]}],
                        "failures": []}
        return response

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", ecs)
