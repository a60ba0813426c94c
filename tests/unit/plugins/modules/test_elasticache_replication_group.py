"""elasticache_replication_group against moto's in-process ElastiCache."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.credlink.infra.plugins.modules import elasticache_replication_group as module
from tests.unit.in_process import call_main

GROUP = "credlink-test-redis"


@pytest.fixture
def ec(moto):
    return moto("elasticache")


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
    result, code = call_main(module, args(), capsys)
    assert code == 0 and result["changed"] is True
    g = group(ec)
    assert len(g["MemberClusters"]) == 2
    assert (g["AutomaticFailover"], g["MultiAZ"]) == ("enabled", "enabled")
    assert g["AtRestEncryptionEnabled"] is True and g["SnapshotRetentionLimit"] == 5
    assert result["primary_endpoint"]["port"] == 6379
    assert result["replication_group"]["tags"] == {"Project": "credlink"}


def test_rerun_reports_no_change(ec, capsys):
    call_main(module, args(), capsys)
    result, _ = call_main(module, args(), capsys)
    assert result["changed"] is False


def test_modifies_only_what_differs_and_shows_it(ec, capsys):
    call_main(module, args(), capsys)
    result, _ = call_main(module, args(snapshot_retention_limit=1), capsys)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"snapshot_retention_limit": 5, "tags": {"Project": "credlink"}},
                              "after": {"snapshot_retention_limit": 1, "tags": {"Project": "credlink"}}}
    assert group(ec)["SnapshotRetentionLimit"] == 1


def test_check_mode_creates_nothing(ec, capsys):
    result, _ = call_main(module, args(), capsys, check_mode=True)
    assert result["changed"] is True
    assert ec.describe_replication_groups()["ReplicationGroups"] == []


def test_encryption_cannot_change_in_place(ec, capsys):
    call_main(module, args(), capsys)
    result, code = call_main(module, args(at_rest_encryption=False), capsys)
    assert code == 1 and "cannot change at_rest_encryption in place" in result["msg"]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"num_cache_clusters": 1}, "automatic_failover needs num_cache_clusters >= 2"),
    ({"num_cache_clusters": 0, "automatic_failover": False, "multi_az": False}, "between 1 and 6"),
    ({"automatic_failover": False}, "multi_az needs automatic_failover=true"),
])
def test_impossible_topologies_are_refused_before_any_call(ec, capsys, overrides, message):
    result, code = call_main(module, args(**overrides), capsys)
    assert code == 1 and message in result["msg"]
    assert ec.describe_replication_groups()["ReplicationGroups"] == []


def test_single_node_without_failover(ec, capsys):
    result, code = call_main(module, args(num_cache_clusters=1, automatic_failover=False, multi_az=False), capsys)
    assert code == 0 and len(group(ec)["MemberClusters"]) == 1
    assert group(ec)["AutomaticFailover"] == "disabled"


def test_absent_deletes(ec, capsys):
    call_main(module, args(), capsys)
    result, _ = call_main(module, {"replication_group_id": GROUP, "state": "absent", "wait": False}, capsys)
    assert result["changed"] is True


# --- AWS behaviours moto does not have -------------------------------------------------------
# A fake ElastiCache that answers as AWS does where moto is kinder. Sources (module_utils/
# elasticache.py and research notes A, section 5):
# - a new group is `creating` without NodeGroups (no primary endpoint, no port) for a while;
# - tag calls, ListTagsForResource included, on a group that is not available fail with
#   InvalidReplicationGroupState "Cluster not in available state to perform tagging operations.";
# - tagging puts the group into `modifying`;
# - ModifyReplicationGroup / Increase / DecreaseReplicaCount on a group not available fail with
#   "Replication group must be in available state to modify."; on a member still being created
#   with InvalidCacheClusterState; the group turns available before a new member does;
# - members report the full patch version (7.0.7 for 7.0);
# - a group being created, modified or snapshotted cannot be deleted.

import json as _json  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

from ansible_collections.credlink.infra.plugins.module_utils import elasticache as ec_utils  # noqa: E402

ACCOUNT = "123456789012"
PATCH_OF = {"7.0": "7.0.7", "7.1": "7.1.0"}


def aws_error(code, message, operation):
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}},
                       operation)


class FakeElastiCache:
    def __init__(self, settle=2):
        self.settle = settle
        self.groups, self.members, self.tags, self.busy = {}, {}, {}, {}
        self.calls = []

    # helpers
    def _group(self, group_id, operation):
        if group_id not in self.groups:
            raise aws_error("ReplicationGroupNotFoundFault", f"Replication group {group_id} not found.", operation)
        return self.groups[group_id]

    def _by_arn(self, arn):
        return next(g for g in self.groups.values() if g["ARN"] == arn)

    def _record(self, operation, group):
        self.calls.append((operation, group["Status"], {m: self.members[m]["CacheClusterStatus"]
                                                        for m in group["MemberClusters"] if m in self.members}))

    def _make_busy(self, group, status="modifying", rounds=None):
        group["Status"] = status
        self.busy[group["ReplicationGroupId"]] = self.settle if rounds is None else rounds

    def _require_available(self, group, operation):
        if group["Status"] != "available":
            raise aws_error("InvalidReplicationGroupState", "Replication group must be in available state to modify.",
                            operation)
        for member_id in group["MemberClusters"]:
            if self.members[member_id]["CacheClusterStatus"] != "available":
                raise aws_error("InvalidCacheClusterState", f"Cache cluster {member_id} is not in available state.",
                                operation)

    def _add_member(self, group, status="creating"):
        member_id = f"{group['ReplicationGroupId']}-{len(group['MemberClusters']) + 1:03d}"
        template = self.members[group["MemberClusters"][0]] if group["MemberClusters"] else {}
        self.members[member_id] = {**template, "CacheClusterId": member_id, "CacheClusterStatus": status,
                                   "PendingModifiedValues": {}}
        group["MemberClusters"].append(member_id)

    def _settle(self, group_id):
        group = self.groups[group_id]
        left = self.busy.get(group_id, 0)
        if left > 0:
            self.busy[group_id] = left - 1
            return
        if group["Status"] == "deleting":
            del self.groups[group_id]
            return
        if group["Status"] in ("creating", "modifying", "snapshotting"):
            group["Status"] = "available"
            group["NodeGroups"] = [{"NodeGroupId": "0001", "Status": "available", "PrimaryEndpoint": {
                "Address": f"master.{group_id}.abc123.use1.cache.amazonaws.com", "Port": group["_port"]}}]
            return  # members follow one describe later (hashicorp/terraform-provider-aws #50096)
        for member_id in group["MemberClusters"]:
            if self.members[member_id]["CacheClusterStatus"] in ("creating", "modifying"):
                self.members[member_id]["CacheClusterStatus"] = "available"

    # the API
    def create_replication_group(self, aws_retry=False, **kw):
        group_id = kw["ReplicationGroupId"]
        group = {
            "ReplicationGroupId": group_id, "Description": kw["ReplicationGroupDescription"], "Status": "creating",
            "MemberClusters": [], "CacheNodeType": kw["CacheNodeType"],
            "AutomaticFailover": "enabled" if kw["AutomaticFailoverEnabled"] else "disabled",
            "MultiAZ": "enabled" if kw["MultiAZEnabled"] else "disabled",
            "AtRestEncryptionEnabled": kw["AtRestEncryptionEnabled"],
            "TransitEncryptionEnabled": kw["TransitEncryptionEnabled"], "AuthTokenEnabled": "AuthToken" in kw,
            "SnapshotRetentionLimit": kw.get("SnapshotRetentionLimit", 0), "SnapshotWindow": kw.get("SnapshotWindow"),
            "ARN": f"arn:aws:elasticache:us-east-1:{ACCOUNT}:replicationgroup:{group_id}",
            "PendingModifiedValues": {}, "_port": kw["Port"], "_create": kw,
        }
        if kw["TransitEncryptionEnabled"]:
            group["TransitEncryptionMode"] = kw.get("TransitEncryptionMode", "required")
        self.groups[group_id] = group
        self.members[f"{group_id}-001"] = {
            "CacheClusterId": f"{group_id}-001", "CacheClusterStatus": "creating",
            "EngineVersion": PATCH_OF.get(kw.get("EngineVersion", "7.1"), kw.get("EngineVersion")),
            "PreferredMaintenanceWindow": kw.get("PreferredMaintenanceWindow"),
            "CacheSubnetGroupName": kw.get("CacheSubnetGroupName"),
            "SecurityGroups": [{"SecurityGroupId": s, "Status": "active"} for s in kw.get("SecurityGroupIds", [])],
            "PendingModifiedValues": {},
        }
        group["MemberClusters"].append(f"{group_id}-001")
        for _ in range(kw["ReplicasPerNodeGroup"]):
            self._add_member(group)
        self.tags[group["ARN"]] = {t["Key"]: t["Value"] for t in kw.get("Tags", [])}
        self.busy[group_id] = self.settle
        self._record("create_replication_group", group)
        return {"ReplicationGroup": self._public(group)}

    def _public(self, group):
        return {k: v for k, v in group.items() if not k.startswith("_")}

    def describe_replication_groups(self, aws_retry=False, ReplicationGroupId=None):
        self._group(ReplicationGroupId, "DescribeReplicationGroups")
        self._settle(ReplicationGroupId)
        group = self._group(ReplicationGroupId, "DescribeReplicationGroups")
        return {"ReplicationGroups": [_json.loads(_json.dumps(self._public(group)))]}

    def describe_cache_clusters(self, aws_retry=False, CacheClusterId=None):
        if CacheClusterId not in self.members:
            raise aws_error("CacheClusterNotFound", f"CacheCluster {CacheClusterId} not found.", "DescribeCacheClusters")
        return {"CacheClusters": [_json.loads(_json.dumps(self.members[CacheClusterId]))]}

    def list_tags_for_resource(self, aws_retry=False, ResourceName=None):
        group = self._by_arn(ResourceName)
        self._record("list_tags_for_resource", group)
        if group["Status"] != "available":
            raise aws_error("InvalidReplicationGroupState",
                            "Cluster not in available state to perform tagging operations.", "ListTagsForResource")
        return {"TagList": [{"Key": k, "Value": v} for k, v in self.tags[ResourceName].items()]}

    def _tagging(self, operation, arn):
        group = self._by_arn(arn)
        self._record(operation, group)
        if group["Status"] != "available":
            raise aws_error("InvalidReplicationGroupState",
                            "Cluster not in available state to perform tagging operations.", operation)
        self._make_busy(group, rounds=1)  # tagging puts the group into modifying (tf-aws PR #40320)

    def add_tags_to_resource(self, aws_retry=False, ResourceName=None, Tags=()):
        self._tagging("add_tags_to_resource", ResourceName)
        self.tags[ResourceName].update({t["Key"]: t["Value"] for t in Tags})
        return {"TagList": []}

    def remove_tags_from_resource(self, aws_retry=False, ResourceName=None, TagKeys=()):
        self._tagging("remove_tags_from_resource", ResourceName)
        for key in TagKeys:
            self.tags[ResourceName].pop(key, None)
        return {"TagList": []}

    def modify_replication_group(self, aws_retry=False, ReplicationGroupId=None, ApplyImmediately=False, **kw):
        group = self._group(ReplicationGroupId, "ModifyReplicationGroup")
        self._record("modify_replication_group", group)
        self.last_modify = {"ApplyImmediately": ApplyImmediately, **kw}
        self._require_available(group, "ModifyReplicationGroup")
        if "TransitEncryptionEnabled" in kw and not group["TransitEncryptionEnabled"]:
            if kw.get("TransitEncryptionMode") != "preferred":
                raise aws_error("InvalidParameterCombination", "TransitEncryptionMode must be preferred "
                                "when enabling in-transit encryption on an existing group.", "ModifyReplicationGroup")
            group["TransitEncryptionEnabled"], group["TransitEncryptionMode"] = True, "preferred"
        elif "TransitEncryptionMode" in kw:
            group["TransitEncryptionMode"] = kw["TransitEncryptionMode"]
        for member_id in group["MemberClusters"]:
            member = self.members[member_id]
            for field in ("CacheNodeType", "EngineVersion"):
                if field in kw and not ApplyImmediately:
                    member["PendingModifiedValues"][field] = kw[field]
            if "EngineVersion" in kw and ApplyImmediately:
                member["EngineVersion"] = PATCH_OF.get(kw["EngineVersion"], kw["EngineVersion"])
        if "CacheNodeType" in kw and ApplyImmediately:
            group["CacheNodeType"] = kw["CacheNodeType"]
        if "AutomaticFailoverEnabled" in kw:
            group["AutomaticFailover"] = "enabled" if kw["AutomaticFailoverEnabled"] else "disabled"
        if "MultiAZEnabled" in kw:
            group["MultiAZ"] = "enabled" if kw["MultiAZEnabled"] else "disabled"
        if "SnapshotRetentionLimit" in kw:
            group["SnapshotRetentionLimit"] = kw["SnapshotRetentionLimit"]
        self._make_busy(group)
        return {"ReplicationGroup": self._public(group)}

    def increase_replica_count(self, aws_retry=False, ReplicationGroupId=None, NewReplicaCount=None,
                               ApplyImmediately=None):
        group = self._group(ReplicationGroupId, "IncreaseReplicaCount")
        self._record("increase_replica_count", group)
        assert ApplyImmediately is True, "ApplyImmediately=False is not currently supported"
        self._require_available(group, "IncreaseReplicaCount")
        while len(group["MemberClusters"]) < NewReplicaCount + 1:
            self._add_member(group)
        self._make_busy(group)
        return {"ReplicationGroup": self._public(group)}

    def decrease_replica_count(self, aws_retry=False, ReplicationGroupId=None, NewReplicaCount=None,
                               ApplyImmediately=None):
        group = self._group(ReplicationGroupId, "DecreaseReplicaCount")
        self._record("decrease_replica_count", group)
        assert ApplyImmediately is True, "ApplyImmediately=False is not currently supported"
        self._require_available(group, "DecreaseReplicaCount")
        if group["AutomaticFailover"] == "enabled" and NewReplicaCount < 1:
            raise aws_error("InvalidParameterCombination", "Cannot remove the last replica while automatic "
                            "failover is enabled.", "DecreaseReplicaCount")
        while len(group["MemberClusters"]) > NewReplicaCount + 1:
            self.members.pop(group["MemberClusters"].pop())
        self._make_busy(group)
        return {"ReplicationGroup": self._public(group)}

    def delete_replication_group(self, aws_retry=False, ReplicationGroupId=None):
        group = self._group(ReplicationGroupId, "DeleteReplicationGroup")
        self._record("delete_replication_group", group)
        if group["Status"] in ("creating", "modifying", "snapshotting"):
            raise aws_error("InvalidReplicationGroupState", f"Replication group {ReplicationGroupId} has status "
                            f"{group['Status']} which is not valid for deletion.", "DeleteReplicationGroup")
        self._make_busy(group, "deleting")
        return {"ReplicationGroup": self._public(group)}

    # test helpers
    def put(self, group_id, status="available", members=1, engine="7.0.7", failover=False, transit=False,
            auth=False, tags=None, node_type="cache.t3.micro"):
        self.create_replication_group(
            ReplicationGroupId=group_id, ReplicationGroupDescription="test cache", CacheNodeType=node_type,
            AutomaticFailoverEnabled=failover, MultiAZEnabled=failover, AtRestEncryptionEnabled=True,
            TransitEncryptionEnabled=transit, Port=6379, ReplicasPerNodeGroup=members - 1,
            SnapshotRetentionLimit=5, SnapshotWindow="03:00-05:00", PreferredMaintenanceWindow="mon:05:00-mon:07:00",
            Tags=[{"Key": k, "Value": v} for k, v in (tags or {"Project": "credlink"}).items()],
            **({"AuthToken": "x" * 32} if auth else {}))
        group = self.groups[group_id]
        for member_id in group["MemberClusters"]:
            self.members[member_id]["EngineVersion"] = engine
        if status != "creating":
            for _ in range(self.settle + 2):
                self._settle(group_id)
            group["Status"] = status
            if status in ("modifying", "snapshotting", "deleting"):
                self.busy[group_id] = self.settle
        self.calls.clear()
        return group

    def ops(self):
        return [c[0] for c in self.calls]


@pytest.fixture
def fake(offline_aws, monkeypatch):
    """The module talks to FakeElastiCache (Secrets Manager stays on moto); waits do not sleep."""
    ticks = iter(range(1_000_000))
    monkeypatch.setattr(ec_utils, "sleep", lambda seconds: None)
    monkeypatch.setattr(ec_utils, "clock", lambda: next(ticks))
    fake_ec = FakeElastiCache()
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    real_client = AnsibleAWSModule.client

    def client(self, service, retry_decorator=None, **kwargs):
        if service == "elasticache":
            return fake_ec
        return real_client(self, service, retry_decorator=retry_decorator, **kwargs)

    monkeypatch.setattr(AnsibleAWSModule, "client", client)
    with mock_aws():
        yield fake_ec


def fake_args(**overrides):
    base = {"replication_group_id": GROUP, "description": "test cache", "engine_version": "7.0",
            "cache_node_type": "cache.t3.micro", "num_cache_clusters": 1, "snapshot_retention_limit": 5,
            "snapshot_window": "03:00-05:00", "maintenance_window": "mon:05:00-mon:07:00",
            "tags": {"Project": "credlink"}, "wait_delay": 1, "wait_timeout": 60}
    base.update(overrides)
    return base


def assert_each_call_found_the_group_available(fake, operations):
    for operation, status, members in fake.calls:
        if operation in operations:
            assert status == "available", f"{operation} was called while the group was {status}"
            assert set(members.values()) <= {"available"}, f"{operation} was called while members were {members}"


# Issue: tags were read right after CreateReplicationGroup with wait=false.
def test_create_without_wait_reads_no_tags_while_creating(fake, capsys):
    result, code = call_main(module, fake_args(wait=False), capsys)
    assert code == 0, result.get("msg")
    assert result["changed"] is True and result["replication_group"]["status"] == "creating"
    assert "list_tags_for_resource" not in fake.ops()
    assert fake.groups[GROUP]["_create"]["Tags"] == [{"Key": "Project", "Value": "credlink"}]


def test_rerun_while_creating_leaves_tags_alone_and_reports_what_is_pending(fake, capsys):
    fake.put(GROUP, status="creating")
    result, code = call_main(module, fake_args(wait=False, tags={"Project": "credlink", "Owner": "platform"}), capsys)
    assert code == 0, result.get("msg")
    assert result["changed"] is False and result["compared"] is False
    assert result["pending"][0].startswith("replication group is creating")
    assert not {"list_tags_for_resource", "add_tags_to_resource", "remove_tags_from_resource"} & set(fake.ops())


def test_rerun_while_creating_with_wait_tags_once_available(fake, capsys):
    fake.put(GROUP, status="creating")
    result, code = call_main(module, fake_args(tags={"Project": "credlink", "Owner": "platform"}), capsys)
    assert code == 0, result.get("msg")
    assert result["changed"] is True and result["pending"] == []
    assert fake.tags[fake.groups[GROUP]["ARN"]] == {"Project": "credlink", "Owner": "platform"}
    assert_each_call_found_the_group_available(fake, {"list_tags_for_resource", "add_tags_to_resource"})


# Issue: the port (None while creating) was compared and refused.
def test_port_is_not_compared_before_the_group_reports_it(fake, capsys):
    fake.put(GROUP, status="creating")
    assert "NodeGroups" not in fake.groups[GROUP]
    result, code = call_main(module, fake_args(wait=False), capsys)
    assert code == 0, result.get("msg")
    assert not any("port" in item for item in result["pending"])


# Issue: 7.0.7 was taken for a change of 7.0.
def test_patch_release_satisfies_the_asked_minor_version(fake, capsys):
    fake.put(GROUP, engine="7.0.7")
    result, code = call_main(module, fake_args(engine_version="7.0"), capsys)
    assert code == 0 and result["changed"] is False, result
    assert "modify_replication_group" not in fake.ops()


def test_newer_minor_version_is_sent(fake, capsys):
    fake.put(GROUP, engine="7.0.7")
    result, code = call_main(module, fake_args(engine_version="7.1", apply_immediately=True), capsys)
    assert code == 0 and result["changed"] is True
    assert fake.last_modify["EngineVersion"] == "7.1"
    assert result["diff"]["after"]["engine_version"] == "7.1"


def test_older_version_than_running_is_never_sent(fake, capsys):
    fake.put(GROUP, engine="7.1.0")
    result, code = call_main(module, fake_args(engine_version="7.0"), capsys)
    assert code == 0 and result["changed"] is False
    assert "modify_replication_group" not in fake.ops()
    assert "does not downgrade" in _json.dumps(result.get("warnings", []))


# Issue: Increase -> Modify -> Decrease were called back to back.
def test_adding_a_replica_and_failover_waits_between_the_calls(fake, capsys):
    fake.put(GROUP, members=1)
    result, code = call_main(module, fake_args(num_cache_clusters=2, automatic_failover=True, multi_az=True), capsys)
    assert code == 0, result.get("msg")
    assert [op for op in fake.ops() if op.endswith("_count") or op.startswith("modify")] == [
        "increase_replica_count", "modify_replication_group"]
    assert_each_call_found_the_group_available(fake, {"increase_replica_count", "modify_replication_group"})
    assert fake.groups[GROUP]["AutomaticFailover"] == "enabled" and len(fake.groups[GROUP]["MemberClusters"]) == 2


def test_removing_the_replica_turns_failover_off_first_and_waits(fake, capsys):
    fake.put(GROUP, members=2, failover=True)
    result, code = call_main(module, fake_args(num_cache_clusters=1), capsys)
    assert code == 0, result.get("msg")
    assert [op for op in fake.ops() if op.endswith("_count") or op.startswith("modify")] == [
        "modify_replication_group", "decrease_replica_count"]
    assert_each_call_found_the_group_available(fake, {"modify_replication_group", "decrease_replica_count"})
    assert len(fake.groups[GROUP]["MemberClusters"]) == 1


def test_tag_change_and_setting_change_wait_for_each_other(fake, capsys):
    fake.put(GROUP)
    result, code = call_main(module, fake_args(snapshot_retention_limit=1, tags={"Project": "other"}), capsys)
    assert code == 0, result.get("msg")
    assert_each_call_found_the_group_available(fake, {"add_tags_to_resource", "modify_replication_group"})


# Issue: node type and engine changes were applied at once, unasked.
def test_node_type_change_waits_for_the_maintenance_window_by_default(fake, capsys):
    fake.put(GROUP)
    result, code = call_main(module, fake_args(cache_node_type="cache.t3.small"), capsys)
    assert code == 0 and result["changed"] is True
    assert fake.last_modify == {"ApplyImmediately": False, "CacheNodeType": "cache.t3.small"}
    again, _ = call_main(module, fake_args(cache_node_type="cache.t3.small"), capsys)
    assert again["changed"] is False
    assert again["pending"] == ["cache_node_type: cache.t3.micro -> cache.t3.small at the next maintenance window"]


def test_apply_immediately_is_passed_on(fake, capsys):
    fake.put(GROUP)
    call_main(module, fake_args(cache_node_type="cache.t3.small", apply_immediately=True), capsys)
    assert fake.last_modify["ApplyImmediately"] is True


# Waits: a rerun finds the group busy; failure states stop at once.
@pytest.mark.parametrize("status", ["modifying", "snapshotting"])
def test_rerun_while_busy_waits_then_compares(fake, capsys, status):
    fake.put(GROUP, status=status)
    result, code = call_main(module, fake_args(snapshot_retention_limit=1), capsys)
    assert code == 0, result.get("msg")
    assert result["changed"] is True and fake.groups[GROUP]["SnapshotRetentionLimit"] == 1
    assert_each_call_found_the_group_available(fake, {"list_tags_for_resource", "modify_replication_group"})


def test_create_failed_group_stops_at_once_naming_its_events(fake, capsys, monkeypatch):
    fake.put(GROUP, status="create-failed")
    slept = []
    monkeypatch.setattr(ec_utils, "sleep", slept.append)
    result, code = call_main(module, fake_args(), capsys)
    assert code == 1 and "create-failed" in result["msg"] and "describe-events" in result["msg"]
    assert slept == []


def test_wait_gives_up_after_the_timeout_with_the_state(fake, capsys):
    fake.put(GROUP, status="creating")
    fake.settle = 10_000
    fake.busy[GROUP] = 10_000
    result, code = call_main(module, fake_args(wait_timeout=5), capsys)
    assert code == 1 and "Timed out after 5s" in result["msg"] and "creating" in result["msg"]


def test_delete_while_modifying_waits_until_it_may_delete(fake, capsys):
    fake.put(GROUP, status="modifying")
    result, code = call_main(module, {"replication_group_id": GROUP, "state": "absent", "wait_delay": 1}, capsys)
    assert code == 0, result.get("msg")
    assert result["changed"] is True and GROUP not in fake.groups
    assert [c[1] for c in fake.calls if c[0] == "delete_replication_group"] == ["available"]


# In-transit encryption and AUTH.
def test_transit_encryption_is_not_switched_on_in_one_step(fake, capsys):
    fake.put(GROUP)
    result, code = call_main(module, fake_args(transit_encryption=True), capsys)
    assert code == 1 and "two steps" in result["msg"] and "transit_encryption_mode=preferred" in result["msg"]
    assert "modify_replication_group" not in fake.ops()


def test_transit_encryption_goes_preferred_then_required(fake, capsys):
    fake.put(GROUP)
    result, code = call_main(module, fake_args(transit_encryption=True, transit_encryption_mode="preferred"), capsys)
    assert code == 0 and result["changed"] is True, result.get("msg")
    assert fake.last_modify == {"ApplyImmediately": True, "TransitEncryptionEnabled": True,
                                "TransitEncryptionMode": "preferred"}
    again, _ = call_main(module, fake_args(transit_encryption=True, transit_encryption_mode="preferred"), capsys)
    assert again["changed"] is False
    done, _ = call_main(module, fake_args(transit_encryption=True), capsys)
    assert done["changed"] is True and fake.last_modify == {"ApplyImmediately": True, "TransitEncryptionMode": "required"}
    assert fake.groups[GROUP]["TransitEncryptionMode"] == "required"


def test_transit_encryption_is_not_switched_off(fake, capsys):
    fake.put(GROUP, transit=True)
    result, code = call_main(module, fake_args(transit_encryption=False), capsys)
    assert code == 1 and "turning it off is not done in place" in result["msg"]


def put_token_secret(token="Abcdefghijklmnop1234-xyz"):
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="credlink-test-redis-auth", SecretString=_json.dumps({"token": token}))
    return token


def test_auth_token_comes_from_the_secret_and_is_never_returned(fake, capsys):
    token = put_token_secret()
    result, code = call_main(module, fake_args(transit_encryption=True, auth_token_secret="credlink-test-redis-auth"),
                             capsys)
    assert code == 0, result.get("msg")
    assert fake.groups[GROUP]["_create"]["AuthToken"] == token
    assert fake.groups[GROUP]["AuthTokenEnabled"] is True
    assert token not in _json.dumps(result)


def test_missing_auth_secret_names_the_secrets_layer(fake, capsys):
    result, code = call_main(module, fake_args(transit_encryption=True, auth_token_secret="credlink-test-redis-auth"),
                             capsys)
    assert code == 1 and "build the secrets layer first" in result["msg"]
    assert GROUP not in fake.groups


def test_invalid_token_is_refused_without_showing_it(fake, capsys):
    token = put_token_secret("short/token@")
    result, code = call_main(module, fake_args(transit_encryption=True, auth_token_secret="credlink-test-redis-auth"),
                             capsys)
    assert code == 1 and "not a valid ElastiCache AUTH token" in result["msg"]
    assert token not in _json.dumps(result)


def test_auth_token_needs_transit_encryption(fake, capsys):
    result, code = call_main(module, fake_args(auth_token_secret="credlink-test-redis-auth"), capsys)
    assert code == 1 and "needs transit_encryption=true" in result["msg"]


def test_existing_group_without_auth_is_not_given_one_silently(fake, capsys):
    put_token_secret()
    fake.put(GROUP, transit=True)
    result, code = call_main(module, fake_args(transit_encryption=True, auth_token_secret="credlink-test-redis-auth"),
                             capsys)
    assert code == 1 and "has no AUTH token" in result["msg"]
    assert "modify_replication_group" not in fake.ops()


def test_converged_group_with_tls_and_auth_reports_no_change(fake, capsys):
    put_token_secret()
    fake.put(GROUP, transit=True, auth=True)
    result, code = call_main(module, fake_args(transit_encryption=True, auth_token_secret="credlink-test-redis-auth"),
                             capsys)
    assert code == 0 and result["changed"] is False, result


def test_a_creation_processed_before_an_error_is_not_a_failure(fake, capsys, monkeypatch):
    """AWS processed CreateReplicationGroup, the client saw a 5xx, the retry is told it exists."""
    create = fake.create_replication_group

    def processed_then_exists(**kw):
        create(**kw)
        raise aws_error("ReplicationGroupAlreadyExists", f"Replication group {GROUP} already exists.",
                        "CreateReplicationGroup")

    monkeypatch.setattr(fake, "create_replication_group", processed_then_exists)
    result, code = call_main(module, fake_args(wait=False), capsys)
    assert code == 0 and result["changed"] is True, result.get("msg")
