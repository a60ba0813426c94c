"""ecs_cluster on moto (with the emulator's fixes, tools/emulator/patches.py)."""

from __future__ import annotations

import botocore

from ansible_collections.credlink.infra.plugins.module_utils import common
from ansible_collections.credlink.infra.plugins.modules import ecs_cluster

from tests.unit.in_process import call_main
from tests.unit.plugins.modules.ecs_stack import CLUSTER, cluster_args


def test_cluster_is_created_with_container_insights_providers_and_tags(ecs_account, capsys):
    result, code = call_main(ecs_cluster, cluster_args(), capsys)
    assert code == 0 and result["changed"] is True
    cluster = ecs_account["ecs"].describe_clusters(clusters=[CLUSTER], include=["SETTINGS", "TAGS"])["clusters"][0]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert sorted(cluster["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["tags"] == [{"key": "Project", "value": "credlink"}]


def test_cluster_rerun_is_unchanged_and_insights_change_is_applied(ecs_account, capsys):
    call_main(ecs_cluster, cluster_args(), capsys)
    assert call_main(ecs_cluster, cluster_args(), capsys)[0]["changed"] is False
    result, _ = call_main(ecs_cluster, cluster_args(container_insights="disabled"), capsys)
    assert result["changed"] is True
    assert result["diff"]["before"]["container_insights"] == "enabled"
    settings = ecs_account["ecs"].describe_clusters(clusters=[CLUSTER], include=["SETTINGS"])["clusters"][0]["settings"]
    assert settings == [{"name": "containerInsights", "value": "disabled"}]


def test_cluster_check_mode_creates_nothing(ecs_account, capsys):
    result, _ = call_main(ecs_cluster, cluster_args(), capsys, check_mode=True)
    assert result["changed"] is True
    assert ecs_account["ecs"].list_clusters()["clusterArns"] == []


def test_cluster_strategy_must_name_a_provider_of_the_cluster(ecs_account, capsys):
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
    monkeypatch.setattr(common, "time", FakeTime())
    return calls


class FakeTime:
    """The retry's clock: its waits pass at once and are recorded."""

    def __init__(self):
        self.now, self.slept = 0.0, []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_cluster_creation_waits_for_a_service_linked_role_seconds_old(ecs_account, capsys, monkeypatch):
    calls = unassumable_role(monkeypatch, failures=2)
    result, code = call_main(ecs_cluster, cluster_args(), capsys)
    assert code == 0 and result["changed"] is True and len(calls) == 3
    assert common.time.slept == [2, 4]
    assert ecs_account["ecs"].describe_clusters(clusters=[CLUSTER])["clusters"][0]["status"] == "ACTIVE"


def test_cluster_creation_gives_up_on_the_service_linked_role_after_its_bound(ecs_account, capsys, monkeypatch):
    calls = unassumable_role(monkeypatch, failures=None)
    result, code = call_main(ecs_cluster, cluster_args(), capsys)
    assert code == 1 and "Unable to assume the service linked role" in result["msg"]
    # Two minutes (SLR_TIMEOUT) of waits that back off: 2, 4, ... 30, then the rest of the bound.
    assert common.time.slept == [2, 4, 8, 16, 30, 30, 30] and len(calls) == 8


def test_cluster_creation_does_not_retry_other_invalid_parameters(ecs_account, capsys, monkeypatch):
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
