"""ecs_service_wait on moto: a deployment awaited to its end, or to its rollback."""

from __future__ import annotations

from ansible_collections.credlink.infra.plugins.modules import ecs_service
from ansible_collections.credlink.infra.plugins.modules import ecs_service_wait
from ansible_collections.credlink.infra.plugins.modules import ecs_task_definition

from tests.unit.in_process import call_main
from tests.unit.plugins.modules.ecs_stack import (CLUSTER, SERVICE, FAMILY, container, task_args, service_args,
                                                  rolled_back_after_update)


def test_a_deployment_started_earlier_is_awaited_to_completion(ecs_platform, capsys):
    created, _ = call_main(ecs_service, service_args(ecs_platform), capsys)
    result, code = call_main(ecs_service_wait, {"cluster": CLUSTER, "service": SERVICE, "wait_delay": 1,
                                                "wait_timeout": 5,
                                                "deployment_id": created["service"]["deployment_id"]}, capsys)
    assert code == 0 and result["changed"] is False
    assert result["service"]["rollout_state"] == "COMPLETED" and result["service"]["running_count"] == 2


def test_awaiting_a_deployment_that_was_rolled_back_fails(ecs_platform, capsys, monkeypatch):
    call_main(ecs_service, service_args(ecs_platform), capsys)
    call_main(ecs_task_definition, task_args(containers=[container(image="repo:v2-broken")]), capsys)
    rolled_back_after_update(monkeypatch)
    updated, _ = call_main(ecs_service, service_args(ecs_platform, task_definition=f"{FAMILY}:2"), capsys)
    result, code = call_main(ecs_service_wait, {
        "cluster": CLUSTER, "service": SERVICE, "wait_delay": 1, "wait_timeout": 5,
        "deployment_id": updated["service"]["deployment_id"],
        "task_definition": updated["service"]["task_definition"]}, capsys)
    assert code == 1
    assert "failed and ECS rolled it back: the service runs repo:latest" in result["msg"]
    assert result["deployment"]["failed_images"] == ["repo:v2-broken"]
