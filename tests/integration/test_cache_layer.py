"""The Redis replication group and its prerequisites, inspected on the emulator."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def replication_group(emulator, env: str) -> dict:
    return emulator.client("elasticache").describe_replication_groups(
        ReplicationGroupId=f"credlink-{env}-redis")["ReplicationGroups"][0]


def test_production_cache_has_a_replica_in_the_other_zone(playbook, clean_emulator):
    run = playbook("site.yml", "production", "--tags", "network,cache")
    assert run.returncode == 0, run.stdout[-4000:]
    group = replication_group(clean_emulator, "production")
    assert group["Status"] == "available"
    assert len(group["MemberClusters"]) == 2
    zones = {m["PreferredAvailabilityZone"] for m in group["NodeGroups"][0]["NodeGroupMembers"]}
    assert zones == {"us-east-1a", "us-east-1b"}
    assert (group["AutomaticFailover"], group["MultiAZ"]) == ("enabled", "enabled")
    assert group["AtRestEncryptionEnabled"] is True and group["CacheNodeType"] == "cache.t3.micro"
    assert (group["SnapshotRetentionLimit"], group["SnapshotWindow"]) == (5, "03:00-05:00")
    assert group["NodeGroups"][0]["PrimaryEndpoint"]["Port"] == 6379
    tags = {t["Key"]: t["Value"] for t in clean_emulator.client("elasticache").list_tags_for_resource(
        ResourceName=group["ARN"])["TagList"]}
    assert tags["Environment"] == "production" and tags["Name"] == "credlink-production-redis"

    ec2 = clean_emulator.client("ec2")
    [sg] = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["credlink-production-redis"]}])["SecurityGroups"]
    assert sorted((p["FromPort"], r["CidrIp"]) for p in sg["IpPermissions"] for r in p["IpRanges"]) == [
        (6379, "10.0.11.0/24"), (6379, "10.0.12.0/24")]
    [subnet_group] = clean_emulator.client("elasticache").describe_cache_subnet_groups(
        CacheSubnetGroupName="credlink-production-redis")["CacheSubnetGroups"]
    private = {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "tag:Tier", "Values": ["private"]}])["Subnets"]}
    assert {s["SubnetIdentifier"] for s in subnet_group["Subnets"]} == private
    topics = [t["TopicArn"] for t in clean_emulator.client("sns").list_topics()["Topics"]]
    assert any(t.endswith(":credlink-production-redis-events") for t in topics)
    assert "does not implement cache parameter groups" in run.stdout + run.stderr

    again = playbook("site.yml", "production", "--tags", "cache")
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]
    checked = playbook("site.yml", "production", "--tags", "cache", "--check", "--diff")
    assert checked.returncode == 0 and checked.recap["changed"] == 0, checked.stdout[-4000:]


def test_dev_cache_is_a_single_node(playbook, clean_emulator):
    run = playbook("site.yml", "dev", "--tags", "network,cache")
    assert run.returncode == 0, run.stdout[-4000:]
    group = replication_group(clean_emulator, "dev")
    assert len(group["MemberClusters"]) == 1 and group["AutomaticFailover"] == "disabled"
    assert group["SnapshotRetentionLimit"] == 1


def test_cache_alone_names_the_missing_network(playbook):
    run = playbook("site.yml", "dev", "--tags", "cache")
    assert run.returncode != 0
    assert "network layer of environment 'dev' was not found" in run.stdout
