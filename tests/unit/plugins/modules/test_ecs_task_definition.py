"""ecs_task_definition on moto."""

from __future__ import annotations

import pytest

from ansible_collections.credlink.infra.plugins.modules import ecs_task_definition

from tests.unit.in_process import call_main
from tests.unit.plugins.modules.ecs_stack import FAMILY, container, task_args


def test_task_definition_registers_once_and_keeps_secrets_out_of_environment(ecs_account, capsys):
    result, _ = call_main(ecs_task_definition, task_args(), capsys)
    assert result["changed"] is True and result["task_definition"]["revision"] == 1
    again, _ = call_main(ecs_task_definition, task_args(), capsys)
    assert again["changed"] is False and again["task_definition"]["revision"] == 1
    stored = ecs_account["ecs"].describe_task_definition(taskDefinition=FAMILY, include=["TAGS"])
    defined = stored["taskDefinition"]["containerDefinitions"][0]
    assert {e["name"] for e in defined["environment"]} == {"PORT", "NODE_ENV"}
    assert defined["secrets"][0]["valueFrom"].endswith(":url::")
    assert stored["tags"] == [{"key": "Project", "value": "credlink"}]


def test_environment_order_is_not_a_change(ecs_account, capsys):
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
def test_a_size_role_or_image_change_registers_a_new_revision(ecs_account, capsys, overrides):
    call_main(ecs_task_definition, task_args(), capsys)
    result, _ = call_main(ecs_task_definition, task_args(**overrides), capsys)
    assert result["changed"] is True and result["task_definition"]["revision"] == 2


def test_task_definition_check_mode_registers_nothing(ecs_account, capsys):
    result, _ = call_main(ecs_task_definition, task_args(), capsys, check_mode=True)
    assert result["changed"] is True and result["task_definition"]["revision"] == 1
    assert ecs_account["ecs"].list_task_definitions()["taskDefinitionArns"] == []
