"""iam_service_linked_role on moto; the race with another creator through a fake error."""

from __future__ import annotations

import botocore
import pytest

from ansible_collections.credlink.infra.plugins.modules import iam_service_linked_role
from tests.unit.in_process import call_main

ECS = {"aws_service_name": "ecs.amazonaws.com"}
PATH = "/aws-service-role/ecs.amazonaws.com/"
# AWS names it AWSServiceRoleForECS; moto 5.2.5 spells it AWSServiceRoleForecs. The module
# finds the role by its path, so only the comparison here has to be case-blind.
ROLE = "awsserviceroleforecs"


@pytest.fixture
def iam(moto):
    return moto("iam")


def linked_roles(iam):
    return [r["RoleName"] for r in iam.list_roles(PathPrefix=PATH)["Roles"]]


def test_a_fresh_account_gets_the_ecs_service_linked_role(iam, capsys):
    result, code = call_main(iam_service_linked_role, ECS, capsys)
    assert code == 0 and result["changed"] is True and result["exists"] is True
    assert result["role"]["role_name"].lower() == ROLE and result["role"]["path"] == PATH
    assert [name.lower() for name in linked_roles(iam)] == [ROLE]


def test_rerun_finds_the_role_and_changes_nothing(iam, capsys):
    call_main(iam_service_linked_role, ECS, capsys)
    again, _ = call_main(iam_service_linked_role, ECS, capsys)
    assert again["changed"] is False and again["exists"] is True
    assert len(linked_roles(iam)) == 1


def test_check_mode_reports_to_be_created_and_creates_nothing(iam, capsys):
    result, _ = call_main(iam_service_linked_role, ECS, capsys, check_mode=True)
    assert result["changed"] is True and result["exists"] is False and result["role"] == {}
    assert linked_roles(iam) == []


def test_check_mode_reports_present_without_writing(iam, capsys, monkeypatch):
    iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    writes = []
    original = botocore.client.BaseClient._make_api_call

    def record(self, operation, params):
        if not operation.startswith(("List", "Get")):
            writes.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    result, _ = call_main(iam_service_linked_role, ECS, capsys, check_mode=True)
    assert result["changed"] is False and result["exists"] is True
    assert writes == []


def test_role_taken_by_another_creator_meanwhile_counts_as_present(iam, capsys, monkeypatch):
    """AWS's answer when the role exists: InvalidInput "...has been taken in this account..."."""
    original = botocore.client.BaseClient._make_api_call

    def taken(self, operation, params):
        if operation == "CreateServiceLinkedRole":
            original(self, operation, params)  # the other creator wins the race
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "InvalidInput", "Message": "Service role name AWSServiceRoleForECS has been taken "
                                                              "in this account, please try a different suffix."}},
                operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", taken)
    result, code = call_main(iam_service_linked_role, ECS, capsys)
    assert code == 0 and result["changed"] is False and result["exists"] is True
    assert result["role"]["role_name"].lower() == ROLE


def test_other_create_errors_fail_with_a_clear_message(iam, capsys, monkeypatch):
    def denied(self, operation, params):
        if operation == "CreateServiceLinkedRole":
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform iam:CreateServiceLinkedRole"}},
                operation)
        return original(self, operation, params)

    original = botocore.client.BaseClient._make_api_call
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", denied)
    result, code = call_main(iam_service_linked_role, ECS, capsys)
    assert code == 1 and "Couldn't create the service-linked role of ecs.amazonaws.com" in result["msg"]
