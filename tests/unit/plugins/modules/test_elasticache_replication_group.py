"""elasticache_replication_group against moto's in-process ElastiCache."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.credlink.infra.plugins.modules import elasticache_replication_group as module
from tests.unit.module_runner import run_module

GROUP = "credlink-test-redis"


@pytest.fixture
def ec(offline_aws):
    with mock_aws():
        yield boto3.client("elasticache", region_name="us-east-1")


def args(**overrides):
    base = {
        "replication_group_id": GROUP, "description": "test cache", "engine_version": "7.0",
        "cache_node_type": "cache.t3.micro", "num_cache_clusters": 2, "automatic_failover": True,
        "multi_az": True, "snapshot_retention_limit": 5, "snapshot_window": "03:00-05:00",
        "maintenance_window": "mon:05:00-mon:07:00", "tags": {"Project": "credlink"}, "wait_delay": 1,
    }
    base.update(overrides)
    return base


def group(ec):
    return ec.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]


def test_creates_primary_and_replica_with_failover(ec, capsys):
    result, code = run_module(module, args(), capsys)
    assert code == 0 and result["changed"] is True
    g = group(ec)
    assert len(g["MemberClusters"]) == 2
    assert (g["AutomaticFailover"], g["MultiAZ"]) == ("enabled", "enabled")
    assert g["AtRestEncryptionEnabled"] is True and g["SnapshotRetentionLimit"] == 5
    assert result["primary_endpoint"]["port"] == 6379
    assert result["replication_group"]["tags"] == {"Project": "credlink"}


def test_rerun_reports_no_change(ec, capsys):
    run_module(module, args(), capsys)
    result, _ = run_module(module, args(), capsys)
    assert result["changed"] is False


def test_modifies_only_what_differs_and_shows_it(ec, capsys):
    run_module(module, args(), capsys)
    result, _ = run_module(module, args(snapshot_retention_limit=1), capsys)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"snapshot_retention_limit": 5, "tags": {"Project": "credlink"}},
                              "after": {"snapshot_retention_limit": 1, "tags": {"Project": "credlink"}}}
    assert group(ec)["SnapshotRetentionLimit"] == 1


def test_check_mode_creates_nothing(ec, capsys):
    result, _ = run_module(module, args(), capsys, check_mode=True)
    assert result["changed"] is True
    assert ec.describe_replication_groups()["ReplicationGroups"] == []


def test_encryption_cannot_change_in_place(ec, capsys):
    run_module(module, args(), capsys)
    result, code = run_module(module, args(at_rest_encryption=False), capsys)
    assert code == 1 and "cannot change at_rest_encryption in place" in result["msg"]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"num_cache_clusters": 1}, "automatic_failover needs num_cache_clusters >= 2"),
    ({"num_cache_clusters": 0, "automatic_failover": False, "multi_az": False}, "between 1 and 6"),
    ({"automatic_failover": False}, "multi_az needs automatic_failover=true"),
])
def test_impossible_topologies_are_refused_before_any_call(ec, capsys, overrides, message):
    result, code = run_module(module, args(**overrides), capsys)
    assert code == 1 and message in result["msg"]
    assert ec.describe_replication_groups()["ReplicationGroups"] == []


def test_single_node_without_failover(ec, capsys):
    result, code = run_module(module, args(num_cache_clusters=1, automatic_failover=False, multi_az=False), capsys)
    assert code == 0 and len(group(ec)["MemberClusters"]) == 1
    assert group(ec)["AutomaticFailover"] == "disabled"


def test_absent_deletes(ec, capsys):
    run_module(module, args(), capsys)
    result, _ = run_module(module, {"replication_group_id": GROUP, "state": "absent", "wait": False}, capsys)
    assert result["changed"] is True
