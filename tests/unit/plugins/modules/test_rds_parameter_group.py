"""rds_parameter_group against moto's in-process RDS."""

from __future__ import annotations

import pytest

from ansible_collections.credlink.infra.plugins.modules import rds_parameter_group
from tests.unit.in_process import call_main

NAME = "credlink-test-postgres15"
PARAMS = {"shared_preload_libraries": "pg_stat_statements", "rds.force_ssl": 1}


@pytest.fixture
def rds(moto):
    return moto("rds")


def user_params(rds):
    return {p["ParameterName"]: p["ParameterValue"]
            for p in rds.describe_db_parameters(DBParameterGroupName=NAME, Source="user")["Parameters"]}


def args(**overrides):
    base = {"name": NAME, "family": "postgres15", "description": "test", "parameters": PARAMS, "tags": {"Project": "credlink"}}
    base.update(overrides)
    return base


def test_creates_the_group_with_parameters_and_tags(rds, capsys):
    result, code = call_main(rds_parameter_group, args(), capsys)
    assert code == 0 and result["changed"] is True
    assert user_params(rds) == {"shared_preload_libraries": "pg_stat_statements", "rds.force_ssl": "1"}
    assert result["parameter_group"]["db_parameter_group_family"] == "postgres15"
    assert result["parameter_group"]["tags"] == {"Project": "credlink"}
    assert result["changed_parameters"] == ["rds.force_ssl", "shared_preload_libraries"]


def test_rerun_reports_no_change(rds, capsys):
    call_main(rds_parameter_group, args(), capsys)
    result, _ = call_main(rds_parameter_group, args(), capsys)
    assert result["changed"] is False and result["changed_parameters"] == []


def test_changed_value_is_the_only_change_and_shows_in_diff(rds, capsys):
    call_main(rds_parameter_group, args(), capsys)
    result, _ = call_main(rds_parameter_group, args(parameters={**PARAMS, "rds.force_ssl": "0"}), capsys)
    assert result["changed"] is True and result["changed_parameters"] == ["rds.force_ssl"]
    assert result["diff"]["before"]["parameters"]["rds.force_ssl"] == "1"
    assert result["diff"]["after"]["parameters"]["rds.force_ssl"] == "0"
    assert user_params(rds)["rds.force_ssl"] == "0"


def test_check_mode_changes_nothing(rds, capsys):
    result, _ = call_main(rds_parameter_group, args(), capsys, check_mode=True)
    assert result["changed"] is True
    assert rds.describe_db_parameter_groups()["DBParameterGroups"] == [] or all(
        g["DBParameterGroupName"] != NAME for g in rds.describe_db_parameter_groups()["DBParameterGroups"])


def test_family_cannot_change(rds, capsys):
    call_main(rds_parameter_group, args(), capsys)
    result, code = call_main(rds_parameter_group, args(family="postgres16"), capsys)
    assert code == 1 and "cannot change, use a new name" in result["msg"]


def test_family_is_required_to_create(rds, capsys):
    result, code = call_main(rds_parameter_group, args(family=None), capsys)
    assert code == 1 and "family is required" in result["msg"]


def test_absent_deletes(rds, capsys):
    call_main(rds_parameter_group, args(), capsys)
    result, _ = call_main(rds_parameter_group, {"name": NAME, "state": "absent"}, capsys)
    assert result["changed"] is True
    result, _ = call_main(rds_parameter_group, {"name": NAME, "state": "absent"}, capsys)
    assert result["changed"] is False


def test_more_than_twenty_parameters_go_in_requests_of_twenty():
    calls = []
    items = [{"ParameterName": "p%02d" % index, "ApplyMethod": "pending-reboot"} for index in range(45)]
    rds_parameter_group.in_batches(None, lambda **request: calls.append(request), NAME, items, "unused")
    assert [len(call["Parameters"]) for call in calls] == [20, 20, 5]
    assert [parameter for call in calls for parameter in call["Parameters"]] == items
    assert all(call["DBParameterGroupName"] == NAME and call["aws_retry"] for call in calls)
