"""The Redis replication group and its prerequisites, inspected on the emulator."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import own_playbook, run_playbook, serve_emulator

pytestmark = pytest.mark.integration

FAST_POLLS = {"network_poll_interval": 1, "database_poll_interval": 1, "cache_poll_interval": 1}


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory):
    """Creations take time (a real minute is 15 s: the cache 112 s) and report `creating` meanwhile."""
    with serve_emulator(tmp_path_factory.mktemp("slow-cache"), "--latency-scale", "0.25") as emu:
        yield emu


@pytest.fixture(scope="module")
def slow_ids_emulator(tmp_path_factory):
    """New ids take 10 s to propagate: longer than amazon.aws.ec2_security_group waits to read a new group back."""
    with serve_emulator(tmp_path_factory.mktemp("slow-ids"), "--consistency-seconds", "2,ids=10") as emu:
        yield emu


def replication_group(emulator, env: str) -> dict:
    return emulator.client("elasticache").describe_replication_groups(
        ReplicationGroupId=f"credlink-{env}-redis")["ReplicationGroups"][0]


def tags_of(client, arn: str) -> dict:
    return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceName=arn)["TagList"]}


def test_production_cache_has_a_replica_in_the_other_zone(playbook, clean_emulator):
    # --tags cache also creates the Redis AUTH secret of the secrets layer, which the group needs.
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
    assert tags_of(clean_emulator.client("elasticache"), subnet_group["ARN"]) == {
        "Project": "credlink", "Environment": "production", "ManagedBy": "ansible", "Name": "credlink-production-redis"}
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


def test_production_redis_has_tls_and_an_auth_token_kept_in_secrets_manager(playbook, clean_emulator):
    run = playbook("site.yml", "production", "--tags", "network,cache")
    assert run.returncode == 0, run.stdout[-4000:]
    group = replication_group(clean_emulator, "production")
    assert group["TransitEncryptionEnabled"] is True and group["AuthTokenEnabled"] is True

    secrets = clean_emulator.client("secretsmanager")
    meta = secrets.describe_secret(SecretId="credlink-production-redis-auth")
    assert {t["Key"]: t["Value"] for t in meta["Tags"]} == {
        "Project": "credlink", "Environment": "production", "ManagedBy": "ansible",
        "Name": "credlink-production-redis-auth"}
    document = json.loads(secrets.get_secret_value(SecretId="credlink-production-redis-auth")["SecretString"])
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    assert document["url"] == f"rediss://:{document['token']}@{endpoint['Address']}:{endpoint['Port']}"
    assert 16 <= len(document["token"]) <= 128
    assert document["token"] not in run.stdout + run.stderr

    again = playbook("site.yml", "production", "--tags", "cache", "-v")
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]
    assert document["token"] not in again.stdout + again.stderr
    assert json.loads(secrets.get_secret_value(SecretId="credlink-production-redis-auth")["SecretString"]) == document


def test_rerun_while_the_group_is_creating_converges(slow_emulator):
    """An interrupted first apply: the rerun finds the group creating, waits, then compares."""
    slow_emulator.reset()

    def run(*args, **extra):
        return run_playbook("site.yml", "dev", slow_emulator.env, *args, extra_vars={**FAST_POLLS, **extra})

    first = run("--tags", "network,cache", cache_wait=False)
    assert first.returncode == 0, first.stdout[-4000:]
    assert replication_group(slow_emulator, "dev")["Status"] == "creating"
    rerun = run("--tags", "cache")
    assert rerun.returncode == 0, rerun.stdout[-4000:]
    # The rerun found the group creating, left it alone, waited, then compared it.
    assert re.search(r"Apply what could not be applied while the group was busy\] \**\nincluded", rerun.stdout), \
        rerun.stdout[-6000:]
    group = replication_group(slow_emulator, "dev")
    assert group["Status"] == "available"
    assert tags_of(slow_emulator.client("elasticache"), group["ARN"])["Name"] == "credlink-dev-redis"
    document = json.loads(slow_emulator.client("secretsmanager").get_secret_value(
        SecretId="credlink-dev-redis-auth")["SecretString"])
    assert document["url"].startswith("rediss://:") and document["token"] not in rerun.stdout
    again = run("--tags", "cache")
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]


@pytest.mark.parametrize(("extra", "message"), [
    ({"cache_auth_token": True, "cache_transit_encryption": False}, "cache_auth_token needs cache_transit_encryption"),
    ({"cache_transit_encryption_mode": "sometimes"}, "cache_transit_encryption_mode"),
])
def test_bad_cache_encryption_settings_stop_before_any_call(playbook, extra, message):
    run = playbook("site.yml", "dev", "--tags", "cache", extra_vars=extra)
    assert run.returncode != 0 and message in run.stdout, run.stdout[-3000:]


def test_production_without_tls_or_auth_is_refused(playbook):
    run = playbook("site.yml", "production", "--tags", "cache", extra_vars={"cache_auth_token": False})
    assert run.returncode != 0 and "requires cache_transit_encryption=true and cache_auth_token=true" in run.stdout


CACHE_TEARDOWN = """\
  roles:
    - role: credlink.infra.preflight
  tasks:
    - name: Delete the cache layer
      ansible.builtin.include_role:
        name: credlink.infra.cache
        tasks_from: teardown
      vars:
        secrets_teardown_recovery_days: 0
"""


def test_cache_teardown_removes_the_tagged_subnet_group_and_the_auth_secret(playbook, clean_emulator, tmp_path):
    # The cache layer's own teardown (teardown.yml runs it between storage and database).
    run = playbook("site.yml", "dev", "--tags", "network,cache")
    assert run.returncode == 0, run.stdout[-4000:]
    relative = own_playbook(tmp_path, "Tear down the cache layer alone", CACHE_TEARDOWN)
    torn = playbook(relative, "dev")
    assert torn.returncode == 0, torn.stdout[-4000:]
    elasticache = clean_emulator.client("elasticache")
    assert elasticache.describe_replication_groups()["ReplicationGroups"] == []
    assert elasticache.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
    assert clean_emulator.client("secretsmanager").list_secrets()["SecretList"] == []
    again = playbook(relative, "dev")
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]


def test_a_security_group_aws_has_not_propagated_yet_is_tried_again(slow_ids_emulator):
    # amazon.aws.ec2_security_group reads the new group back by id 3 s after creating it and
    # fails with "list index out of range" while EC2 still answers InvalidGroup.NotFound;
    # authorizing its rules then fails the same way until the id has propagated.
    run = run_playbook("site.yml", "dev", slow_ids_emulator.env, "--tags", "network,cache")
    assert run.returncode == 0, run.stdout[-4000:]
    # The progress callback reports a task that is tried again as waiting, then how long it took.
    assert re.search(r"admits only the private subnets to Redis: finished waiting after (\d+)s", run.stdout), \
        run.stdout[-4000:]
    [sg] = slow_ids_emulator.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["credlink-dev-redis"]}])["SecurityGroups"]
    assert [(p["FromPort"], p["ToPort"]) for p in sg["IpPermissions"]] == [(6379, 6379)]
    assert [p["IpProtocol"] for p in sg["IpPermissionsEgress"]] == ["-1"]
    assert len(replication_group(slow_ids_emulator, "dev")["MemberClusters"]) == 1
