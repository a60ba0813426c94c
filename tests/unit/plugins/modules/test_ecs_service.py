"""ecs_service on moto: without the emulator's fixes moto forgets the circuit breaker of a new service."""

from __future__ import annotations

from ansible_collections.credlink.infra.plugins.modules import ecs_service
from ansible_collections.credlink.infra.plugins.modules import ecs_task_definition

from tests.unit.in_process import call_main
from tests.unit.plugins.modules.ecs_stack import (CLUSTER, SERVICE, FAMILY, container, task_args, service_args,
                                                  describe_service, rolled_back_after_update)


def test_service_is_created_private_with_circuit_breaker_and_waits(ecs_platform, capsys):
    result, code = call_main(ecs_service, service_args(ecs_platform, wait=True, wait_delay=1), capsys)
    assert code == 0 and result["changed"] is True
    service = describe_service(ecs_platform)
    assert service["desiredCount"] == 2 and service["runningCount"] == 2
    assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert result["service"]["rollout_state"] == "COMPLETED"


def test_rerun_leaves_the_autoscalers_desired_count_alone(ecs_platform, capsys):
    call_main(ecs_service, service_args(ecs_platform), capsys)
    ecs_platform["ecs"].update_service(cluster=CLUSTER, service=SERVICE, desiredCount=7)
    result, _ = call_main(ecs_service, service_args(ecs_platform), capsys)
    assert result["changed"] is False
    assert describe_service(ecs_platform)["desiredCount"] == 7


def test_without_preserve_the_desired_count_is_enforced(ecs_platform, capsys):
    call_main(ecs_service, service_args(ecs_platform), capsys)
    ecs_platform["ecs"].update_service(cluster=CLUSTER, service=SERVICE, desiredCount=7)
    result, _ = call_main(ecs_service, service_args(ecs_platform, preserve_desired_count=False), capsys)
    assert result["changed"] is True and result["diff"]["before"]["desired_count"] == 7
    assert describe_service(ecs_platform)["desiredCount"] == 2


def test_a_disabled_circuit_breaker_is_restored(ecs_platform, capsys):
    call_main(ecs_service, service_args(ecs_platform), capsys)
    ecs_platform["ecs"].update_service(cluster=CLUSTER, service=SERVICE,
                                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": False, "rollback": False}})
    result, _ = call_main(ecs_service, service_args(ecs_platform), capsys)
    assert result["changed"] is True
    assert describe_service(ecs_platform)["deploymentConfiguration"]["deploymentCircuitBreaker"]["enable"] is True


def test_a_new_revision_is_rolled_out(ecs_platform, capsys):
    call_main(ecs_service, service_args(ecs_platform), capsys)
    call_main(ecs_task_definition, task_args(containers=[container(image="repo:v2")]), capsys)
    result, _ = call_main(ecs_service, service_args(ecs_platform, task_definition=f"{FAMILY}:2", wait=True, wait_delay=1), capsys)
    assert result["changed"] is True
    assert describe_service(ecs_platform)["taskDefinition"].endswith(f"{FAMILY}:2")


def test_service_check_mode_creates_nothing(ecs_platform, capsys):
    result, _ = call_main(ecs_service, service_args(ecs_platform), capsys, check_mode=True)
    assert result["changed"] is True
    assert ecs_platform["ecs"].list_services(cluster=CLUSTER)["serviceArns"] == []


def test_fargate_service_without_subnets_is_refused(ecs_platform, capsys):
    result, code = call_main(ecs_service, service_args(ecs_platform, subnets=[]), capsys)
    assert code == 1 and "need subnets" in result["msg"]


def test_service_is_deleted(ecs_platform, capsys):
    call_main(ecs_service, service_args(ecs_platform), capsys)
    result, _ = call_main(ecs_service, {"name": SERVICE, "cluster": CLUSTER, "state": "absent"}, capsys)
    assert result["changed"] is True
    again, _ = call_main(ecs_service, {"name": SERVICE, "cluster": CLUSTER, "state": "absent"}, capsys)
    assert again["changed"] is False


def test_tag_changes_are_applied_in_place(ecs_platform, capsys):
    call_main(ecs_service, service_args(ecs_platform), capsys)
    changed, _ = call_main(ecs_service, service_args(ecs_platform, tags={"Project": "other"}), capsys)
    assert changed["changed"] is True
    assert describe_service(ecs_platform)["tags"] == [{"key": "Project", "value": "other"}]
    retagged, _ = call_main(ecs_task_definition, task_args(tags={"Team": "platform"}), capsys)
    assert retagged["changed"] is True and retagged["task_definition"]["revision"] == 1
    stored = ecs_platform["ecs"].describe_task_definition(taskDefinition=FAMILY, include=["TAGS"])["tags"]
    assert stored == [{"key": "Team", "value": "platform"}]


def test_a_rolled_back_deployment_fails_and_names_the_image_running_again(ecs_platform, capsys, monkeypatch):
    call_main(ecs_service, service_args(ecs_platform), capsys)
    call_main(ecs_task_definition, task_args(containers=[container(image="repo:v2-broken")]), capsys)
    rolled_back_after_update(monkeypatch)
    result, code = call_main(ecs_service, service_args(ecs_platform, task_definition=f"{FAMILY}:2", wait=True,
                                                       wait_delay=1, wait_timeout=5), capsys)
    assert code == 1, result
    assert result["msg"].startswith("Deployment of repo:v2-broken to credlink-test-service failed and ECS rolled it "
                                    "back: the service runs repo:latest")
    assert "Reason: ECS deployment circuit breaker: tasks failed to start." in result["msg"]
    assert "Essential container in task exited; app: CannotPullContainerError: not found" in result["msg"]
    assert "deployment failed: tasks failed to start." in result["msg"]
    assert result["deployment"]["rolled_back"] is True and result["deployment"]["failed_images"] == ["repo:v2-broken"]
