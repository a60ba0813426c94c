"""ecs_cluster, ecs_task_definition, ecs_service and ecs_service_autoscaling on moto.

moto runs with the emulator's documented fixes (tools/emulator/patches.py), as in the
emulator server: without them moto forgets the circuit breaker of a new service.
"""

from __future__ import annotations

import boto3
import botocore
import pytest
from moto import mock_aws

from ansible_collections.credlink.infra.plugins.modules import ecs_cluster
from ansible_collections.credlink.infra.plugins.modules import ecs_service
from ansible_collections.credlink.infra.plugins.modules import ecs_service_autoscaling
from ansible_collections.credlink.infra.plugins.modules import ecs_service_wait
from ansible_collections.credlink.infra.plugins.modules import ecs_task_definition
from tests.unit.in_process import call_main
from tools.emulator import patches

CLUSTER = "credlink-test-cluster"
SERVICE = "credlink-test-service"
FAMILY = "credlink-test-app"


@pytest.fixture
def aws(offline_aws):
    patches.apply_all()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in (11, 12)]
        sg = ec2.create_security_group(GroupName="ecs", Description="tasks", VpcId=vpc)["GroupId"]
        yield {"ecs": boto3.client("ecs", region_name="us-east-1"), "subnets": subnets, "sg": sg,
               "aas": boto3.client("application-autoscaling", region_name="us-east-1")}


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


def service_args(aws, **overrides):
    base = {"name": SERVICE, "cluster": CLUSTER, "task_definition": FAMILY, "desired_count": 2,
            "preserve_desired_count": True, "subnets": aws["subnets"], "security_groups": [aws["sg"]],
            "health_check_grace_period_seconds": 60, "deployment_circuit_breaker": {"enable": True, "rollback": True},
            "tags": {"Project": "credlink"}}
    return {**base, **overrides}


def describe_service(aws):
    return aws["ecs"].describe_services(cluster=CLUSTER, services=[SERVICE], include=["TAGS"])["services"][0]


# ecs_cluster

def test_cluster_is_created_with_container_insights_providers_and_tags(aws, capsys):
    result, code = call_main(ecs_cluster, cluster_args(), capsys)
    assert code == 0 and result["changed"] is True
    cluster = aws["ecs"].describe_clusters(clusters=[CLUSTER], include=["SETTINGS", "TAGS"])["clusters"][0]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert sorted(cluster["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["tags"] == [{"key": "Project", "value": "credlink"}]


def test_cluster_rerun_is_unchanged_and_insights_change_is_applied(aws, capsys):
    call_main(ecs_cluster, cluster_args(), capsys)
    assert call_main(ecs_cluster, cluster_args(), capsys)[0]["changed"] is False
    result, _ = call_main(ecs_cluster, cluster_args(container_insights="disabled"), capsys)
    assert result["changed"] is True
    assert result["diff"]["before"]["container_insights"] == "enabled"
    settings = aws["ecs"].describe_clusters(clusters=[CLUSTER], include=["SETTINGS"])["clusters"][0]["settings"]
    assert settings == [{"name": "containerInsights", "value": "disabled"}]


def test_cluster_check_mode_creates_nothing(aws, capsys):
    result, _ = call_main(ecs_cluster, cluster_args(), capsys, check_mode=True)
    assert result["changed"] is True
    assert aws["ecs"].list_clusters()["clusterArns"] == []


def test_cluster_strategy_must_name_a_provider_of_the_cluster(aws, capsys):
    result, code = call_main(ecs_cluster, cluster_args(capacity_providers=["FARGATE_SPOT"]), capsys)
    assert code == 1 and "providers the cluster lacks: FARGATE" in result["msg"]


def unassumable_role(monkeypatch, failures: int | None):
    """CreateCluster answers as AWS does while AWSServiceRoleForECS is missing or seconds old."""
    original = botocore.client.BaseClient._make_api_call
    calls = []

    def create_cluster(self, operation, params):
        if operation == "CreateCluster":
            calls.append(operation)
            if failures is None or len(calls) <= failures:
                raise botocore.exceptions.ClientError({"Error": {
                    "Code": "InvalidParameterException",
                    "Message": "Unable to assume the service linked role. Please verify that the ECS service linked role exists."}},
                    operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", create_cluster)
    monkeypatch.setattr(ecs_cluster, "SLR_DELAY", 0.05)
    return calls


def test_cluster_creation_waits_for_a_service_linked_role_seconds_old(aws, capsys, monkeypatch):
    calls = unassumable_role(monkeypatch, failures=2)
    result, code = call_main(ecs_cluster, cluster_args(), capsys)
    assert code == 0 and result["changed"] is True and len(calls) == 3
    assert aws["ecs"].describe_clusters(clusters=[CLUSTER])["clusters"][0]["status"] == "ACTIVE"


def test_cluster_creation_gives_up_on_the_service_linked_role_after_its_bound(aws, capsys, monkeypatch):
    calls = unassumable_role(monkeypatch, failures=None)
    monkeypatch.setattr(ecs_cluster, "SLR_TIMEOUT", 0.3)
    result, code = call_main(ecs_cluster, cluster_args(), capsys)
    assert code == 1 and "Unable to assume the service linked role" in result["msg"]
    assert 2 <= len(calls) <= 8


def test_cluster_creation_does_not_retry_other_invalid_parameters(aws, capsys, monkeypatch):
    original = botocore.client.BaseClient._make_api_call
    calls = []

    def invalid(self, operation, params):
        if operation == "CreateCluster":
            calls.append(operation)
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "InvalidParameterException", "Message": "Invalid setting name"}}, operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", invalid)
    result, code = call_main(ecs_cluster, cluster_args(), capsys)
    assert code == 1 and len(calls) == 1


# ecs_task_definition

def test_task_definition_registers_once_and_keeps_secrets_out_of_environment(aws, capsys):
    result, _ = call_main(ecs_task_definition, task_args(), capsys)
    assert result["changed"] is True and result["task_definition"]["revision"] == 1
    again, _ = call_main(ecs_task_definition, task_args(), capsys)
    assert again["changed"] is False and again["task_definition"]["revision"] == 1
    stored = aws["ecs"].describe_task_definition(taskDefinition=FAMILY, include=["TAGS"])
    defined = stored["taskDefinition"]["containerDefinitions"][0]
    assert {e["name"] for e in defined["environment"]} == {"PORT", "NODE_ENV"}
    assert defined["secrets"][0]["valueFrom"].endswith(":url::")
    assert stored["tags"] == [{"key": "Project", "value": "credlink"}]


def test_environment_order_is_not_a_change(aws, capsys):
    call_main(ecs_task_definition, task_args(), capsys)
    reordered = container()
    reordered["environment"] = list(reversed(reordered["environment"]))
    result, _ = call_main(ecs_task_definition, task_args(containers=[reordered]), capsys)
    assert result["changed"] is False


@pytest.mark.parametrize("overrides", [
    {"cpu": "512", "memory": "1024"},
    {"execution_role_arn": "arn:aws:iam::123456789012:role/other"},
    {"containers": [container(image="repo:v2")]},
])
def test_a_size_role_or_image_change_registers_a_new_revision(aws, capsys, overrides):
    call_main(ecs_task_definition, task_args(), capsys)
    result, _ = call_main(ecs_task_definition, task_args(**overrides), capsys)
    assert result["changed"] is True and result["task_definition"]["revision"] == 2


def test_task_definition_check_mode_registers_nothing(aws, capsys):
    result, _ = call_main(ecs_task_definition, task_args(), capsys, check_mode=True)
    assert result["changed"] is True and result["task_definition"]["revision"] == 1
    assert aws["ecs"].list_task_definitions()["taskDefinitionArns"] == []


# ecs_service

@pytest.fixture
def platform(aws, capsys):
    call_main(ecs_cluster, cluster_args(), capsys)
    call_main(ecs_task_definition, task_args(), capsys)
    return aws


def test_service_is_created_private_with_circuit_breaker_and_waits(platform, capsys):
    result, code = call_main(ecs_service, service_args(platform, wait=True, wait_delay=1), capsys)
    assert code == 0 and result["changed"] is True
    service = describe_service(platform)
    assert service["desiredCount"] == 2 and service["runningCount"] == 2
    assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert result["service"]["rollout_state"] == "COMPLETED"


def test_rerun_leaves_the_autoscalers_desired_count_alone(platform, capsys):
    call_main(ecs_service, service_args(platform), capsys)
    platform["ecs"].update_service(cluster=CLUSTER, service=SERVICE, desiredCount=7)
    result, _ = call_main(ecs_service, service_args(platform), capsys)
    assert result["changed"] is False
    assert describe_service(platform)["desiredCount"] == 7


def test_without_preserve_the_desired_count_is_enforced(platform, capsys):
    call_main(ecs_service, service_args(platform), capsys)
    platform["ecs"].update_service(cluster=CLUSTER, service=SERVICE, desiredCount=7)
    result, _ = call_main(ecs_service, service_args(platform, preserve_desired_count=False), capsys)
    assert result["changed"] is True and result["diff"]["before"]["desired_count"] == 7
    assert describe_service(platform)["desiredCount"] == 2


def test_a_disabled_circuit_breaker_is_restored(platform, capsys):
    call_main(ecs_service, service_args(platform), capsys)
    platform["ecs"].update_service(cluster=CLUSTER, service=SERVICE,
                                   deploymentConfiguration={"deploymentCircuitBreaker": {"enable": False, "rollback": False}})
    result, _ = call_main(ecs_service, service_args(platform), capsys)
    assert result["changed"] is True
    assert describe_service(platform)["deploymentConfiguration"]["deploymentCircuitBreaker"]["enable"] is True


def test_a_new_revision_is_rolled_out(platform, capsys):
    call_main(ecs_service, service_args(platform), capsys)
    call_main(ecs_task_definition, task_args(containers=[container(image="repo:v2")]), capsys)
    result, _ = call_main(ecs_service, service_args(platform, task_definition=f"{FAMILY}:2", wait=True, wait_delay=1), capsys)
    assert result["changed"] is True
    assert describe_service(platform)["taskDefinition"].endswith(f"{FAMILY}:2")


def test_service_check_mode_creates_nothing(platform, capsys):
    result, _ = call_main(ecs_service, service_args(platform), capsys, check_mode=True)
    assert result["changed"] is True
    assert platform["ecs"].list_services(cluster=CLUSTER)["serviceArns"] == []


def test_fargate_service_without_subnets_is_refused(platform, capsys):
    result, code = call_main(ecs_service, service_args(platform, subnets=[]), capsys)
    assert code == 1 and "need subnets" in result["msg"]


def test_service_is_deleted(platform, capsys):
    call_main(ecs_service, service_args(platform), capsys)
    result, _ = call_main(ecs_service, {"name": SERVICE, "cluster": CLUSTER, "state": "absent"}, capsys)
    assert result["changed"] is True
    again, _ = call_main(ecs_service, {"name": SERVICE, "cluster": CLUSTER, "state": "absent"}, capsys)
    assert again["changed"] is False


# ecs_service_autoscaling

def scaling_args(**overrides):
    base = {"cluster": CLUSTER, "service": SERVICE, "min_capacity": 2, "max_capacity": 10, "policies": [
        {"name": "cpu", "metric": "ECSServiceAverageCPUUtilization", "target_value": 70},
        {"name": "memory", "metric": "ECSServiceAverageMemoryUtilization", "target_value": 80},
    ]}
    return {**base, **overrides}


def test_scaling_registers_bounds_and_both_policies_idempotently(platform, capsys):
    call_main(ecs_service, service_args(platform), capsys)
    result, _ = call_main(ecs_service_autoscaling, scaling_args(), capsys)
    assert result["changed"] is True
    target = platform["aas"].describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 10)
    again, _ = call_main(ecs_service_autoscaling, scaling_args(), capsys)
    assert again["changed"] is False


def test_scaling_bounds_follow_the_inventory_and_stale_policies_go(platform, capsys):
    call_main(ecs_service, service_args(platform), capsys)
    call_main(ecs_service_autoscaling, scaling_args(), capsys)
    result, _ = call_main(ecs_service_autoscaling, scaling_args(max_capacity=4, policies=scaling_args()["policies"][:1]), capsys)
    assert result["changed"] is True and set(result["policies"]) == {"cpu"}
    target = platform["aas"].describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
    assert target["MaxCapacity"] == 4
    names = [p["PolicyName"] for p in platform["aas"].describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]]
    assert names == ["cpu"]


def test_scaling_check_mode_registers_nothing(platform, capsys):
    result, _ = call_main(ecs_service_autoscaling, scaling_args(), capsys, check_mode=True)
    assert result["changed"] is True
    assert platform["aas"].describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []


@pytest.mark.parametrize(("overrides", "message"), [
    ({"min_capacity": 5, "max_capacity": 2}, "min_capacity <= max_capacity"),
    ({"policies": [{"name": "cpu", "metric": "ECSServiceAverageCPUUtilization", "target_value": 150}]}, "percentage"),
])
def test_impossible_scaling_is_refused(platform, capsys, overrides, message):
    result, code = call_main(ecs_service_autoscaling, scaling_args(**overrides), capsys)
    assert code == 1 and message in result["msg"]


def test_tag_changes_are_applied_in_place(platform, capsys):
    call_main(ecs_service, service_args(platform), capsys)
    changed, _ = call_main(ecs_service, service_args(platform, tags={"Project": "other"}), capsys)
    assert changed["changed"] is True
    assert describe_service(platform)["tags"] == [{"key": "Project", "value": "other"}]
    retagged, _ = call_main(ecs_task_definition, task_args(tags={"Team": "platform"}), capsys)
    assert retagged["changed"] is True and retagged["task_definition"]["revision"] == 1
    stored = platform["ecs"].describe_task_definition(taskDefinition=FAMILY, include=["TAGS"])["tags"]
    assert stored == [{"key": "Team", "value": "platform"}]


# ecs_service: a deployment the circuit breaker rolled back

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


def test_a_rolled_back_deployment_fails_and_names_the_image_running_again(platform, capsys, monkeypatch):
    call_main(ecs_service, service_args(platform), capsys)
    call_main(ecs_task_definition, task_args(containers=[container(image="repo:v2-broken")]), capsys)
    rolled_back_after_update(monkeypatch)
    result, code = call_main(ecs_service, service_args(platform, task_definition=f"{FAMILY}:2", wait=True,
                                                        wait_delay=1, wait_timeout=5), capsys)
    assert code == 1, result
    assert result["msg"].startswith("Deployment of repo:v2-broken to credlink-test-service failed and ECS rolled it "
                                    "back: the service runs repo:latest")
    assert "Reason: ECS deployment circuit breaker: tasks failed to start." in result["msg"]
    assert "Essential container in task exited; app: CannotPullContainerError: not found" in result["msg"]
    assert "deployment failed: tasks failed to start." in result["msg"]
    assert result["deployment"]["rolled_back"] is True and result["deployment"]["failed_images"] == ["repo:v2-broken"]


def test_a_deployment_started_earlier_is_awaited_to_completion(platform, capsys):
    created, _ = call_main(ecs_service, service_args(platform), capsys)
    result, code = call_main(ecs_service_wait, {"cluster": CLUSTER, "service": SERVICE, "wait_delay": 1,
                                                 "wait_timeout": 5,
                                                 "deployment_id": created["service"]["deployment_id"]}, capsys)
    assert code == 0 and result["changed"] is False
    assert result["service"]["rollout_state"] == "COMPLETED" and result["service"]["running_count"] == 2


def test_awaiting_a_deployment_that_was_rolled_back_fails(platform, capsys, monkeypatch):
    call_main(ecs_service, service_args(platform), capsys)
    call_main(ecs_task_definition, task_args(containers=[container(image="repo:v2-broken")]), capsys)
    rolled_back_after_update(monkeypatch)
    updated, _ = call_main(ecs_service, service_args(platform, task_definition=f"{FAMILY}:2"), capsys)
    result, code = call_main(ecs_service_wait, {
        "cluster": CLUSTER, "service": SERVICE, "wait_delay": 1, "wait_timeout": 5,
        "deployment_id": updated["service"]["deployment_id"],
        "task_definition": updated["service"]["task_definition"]}, capsys)
    assert code == 1
    assert "failed and ECS rolled it back: the service runs repo:latest" in result["msg"]
    assert result["deployment"]["failed_images"] == ["repo:v2-broken"]
