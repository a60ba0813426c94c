"""The dev stack and layers run alone, against the emulator.

The production stack is in test_production_stack.py, the local one in test_local_stack.py.
"""

from __future__ import annotations

import pytest

from tests.integration.platform_inspect import (alarms, live_tagged_resources, push, scalable_target, service_of,
                                                task_definition)

pytestmark = pytest.mark.integration


def db_instance(emulator, env: str) -> dict:
    [instance] = emulator.client("rds").describe_db_instances(DBInstanceIdentifier=f"credlink-{env}-db")["DBInstances"]
    return instance


def ingress_cidrs(emulator, group_name: str) -> list[tuple[int, str]]:
    [group] = emulator.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [group_name]}])["SecurityGroups"]
    return sorted((p.get("FromPort"), r["CidrIp"]) for p in group["IpPermissions"] for r in p.get("IpRanges", []))


def alice_alarm(emulator) -> None:
    """An alarm of environment dev-alice: its name starts with credlink-dev- too."""
    emulator.client("cloudwatch").put_metric_alarm(
        AlarmName="credlink-dev-alice-rds-cpu-critical", Namespace="AWS/RDS", MetricName="CPUUtilization",
        Statistic="Average", Period=300, EvaluationPeriods=1, Threshold=90, ComparisonOperator="GreaterThanThreshold",
        Tags=[{"Key": "Project", "Value": "credlink"}, {"Key": "Environment", "Value": "dev-alice"},
              {"Key": "ManagedBy", "Value": "ansible"}])


def alarm_names(emulator) -> list[str]:
    return sorted(a["AlarmName"] for a in emulator.client("cloudwatch").describe_alarms()["MetricAlarms"])


def test_dev_lives_through_reruns_months_of_aws_a_failed_deploy_and_teardown(playbook, clean_emulator):
    alice_alarm(clean_emulator)
    # Created with a pinned minor that AWS later upgrades.
    pinned = {"database_engine_version": "15.13"}
    run = playbook("site.yml", "dev", "--skip-tags", "schema", extra_vars=pinned)
    assert run.returncode == 0, run.stdout[-4000:]
    assert "credlink-dev-alice-rds-cpu-critical" in alarm_names(clean_emulator)
    db = db_instance(clean_emulator, "dev")
    assert db["DBInstanceClass"] == "db.t3.micro" and db["MultiAZ"] is False
    assert db["BackupRetentionPeriod"] == 7 and db["DeletionProtection"] is False
    assert ingress_cidrs(clean_emulator, "credlink-dev-rds") == [(5432, "10.1.11.0/24"), (5432, "10.1.12.0/24")]

    service = service_of(clean_emulator, "dev")
    assert service["desiredCount"] == 1
    target = scalable_target(clean_emulator, "dev")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 2)
    [container] = task_definition(clean_emulator, "dev")["taskDefinition"]["containerDefinitions"]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert (environment["NODE_ENV"], environment["LOG_LEVEL"]) == ("development", "debug")
    [logs] = clean_emulator.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/credlink-dev")["logGroups"]
    assert logs["retentionInDays"] == 14
    found = alarms(clean_emulator, "dev")
    assert found["credlink-dev-ecs-running-tasks-critical"]["Threshold"] == 1
    # 80 % of 84: db.t3.micro's 1 GiB less the 256 MiB RDS keeps, / 9531392 (112 on nominal memory)
    assert found["credlink-dev-rds-connections-critical"]["Threshold"] == 67

    assert db["EngineVersion"] == "15.13" and db["AllocatedStorage"] == 20
    again = playbook("site.yml", "dev", "--skip-tags", "schema", extra_vars=pinned)
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]

    # Months later AWS upgraded the minor and storage autoscaling grew the disk: the pinned
    # minor asks for no downgrade, nor the configured size for a shrink. (The major alone,
    # production's inventory, is rerun after the same months in test_production_stack.)
    changes = clean_emulator.advance()
    assert {(c["setting"], c["from"], c["to"]) for c in changes["rds"]} == {
        ("EngineVersion", "15.13", "15.17"), ("AllocatedStorage", 20, 30)}
    later = playbook("site.yml", "dev", "--skip-tags", "schema", extra_vars=pinned)
    assert later.returncode == 0 and later.recap["changed"] == 0, later.stdout[-4000:]
    db = db_instance(clean_emulator, "dev")
    assert (db["EngineVersion"], db["AllocatedStorage"]) == ("15.17", 30)

    # A larger class applied now: RDS answers with the instance still available and the change
    # pending, and starts it later. The run waits until the change has run, not just for
    # "available".
    now = {**pinned, "database_instance_class": "db.t3.small", "database_apply_immediately": True}
    resized = playbook("site.yml", "dev", "--tags", "database", extra_vars=now)
    assert resized.returncode == 0 and resized.recap["changed"] > 0, resized.stdout[-4000:]
    db = db_instance(clean_emulator, "dev")
    assert (db["DBInstanceClass"], db["DBInstanceStatus"], db.get("PendingModifiedValues", {})) == (
        "db.t3.small", "available", {})
    assert playbook("site.yml", "dev", "--tags", "database", extra_vars=now).recap["changed"] == 0

    # An image that never becomes healthy is rolled back and named; a good one deploys.
    push(clean_emulator, "dev", "v2-broken")
    failed = playbook("deploy_image.yml", "dev", extra_vars={"container_platform_image_tag": "v2-broken"})
    assert failed.returncode != 0
    assert "failed and ECS rolled it back" in " ".join(failed.stdout.split()), failed.stdout[-3000:]
    push(clean_emulator, "dev", "v2.0.1")
    fixed = playbook("deploy_image.yml", "dev", extra_vars={"container_platform_image_tag": "v2.0.1"})
    assert fixed.returncode == 0, fixed.stdout[-4000:]

    # An address someone else allocated under a name like the stack's, without its tags.
    ec2 = clean_emulator.client("ec2")
    foreign = ec2.allocate_address(Domain="vpc", TagSpecifications=[{
        "ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "credlink-dev-nat-us-east-1b"}]}])

    # Dev has no deletion protection and no proofs: the environment and its account confirm the teardown.
    torn = playbook("teardown.yml", "dev", extra_vars={"confirm_teardown": "dev@123456789012"})
    assert torn.returncode == 0, torn.stdout[-4000:]
    again = playbook("teardown.yml", "dev", extra_vars={"confirm_teardown": "dev@123456789012"})
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]
    assert live_tagged_resources(clean_emulator, "dev") == []
    assert [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]] == [foreign["AllocationId"]]
    assert alarm_names(clean_emulator) == ["credlink-dev-alice-rds-cpu-critical"]
    assert clean_emulator.client("rds").describe_db_snapshots()["DBSnapshots"] == []
    assert clean_emulator.client("secretsmanager").list_secrets()["SecretList"] == []


def test_layers_alone_name_what_is_missing(playbook):
    assert playbook("site.yml", "dev", "--tags", "network").returncode == 0
    database = playbook("site.yml", "dev", "--tags", "database")
    assert database.returncode != 0
    assert "The secrets layer of environment 'dev' was not found" in database.stdout
    assert playbook("site.yml", "dev", "--tags", "secrets").returncode == 0
    platform = playbook("site.yml", "dev", "--tags", "container_platform")
    assert platform.returncode != 0
    assert "needs layer(s) that do not exist yet: cache (replication group credlink-dev-redis), storage" in platform.stdout
    schema = playbook("site.yml", "dev", "--tags", "schema")
    assert schema.returncode != 0
    assert "The database layer of environment dev has recorded no endpoint" in schema.stdout
    database = playbook("site.yml", "dev", "--tags", "database")
    assert database.returncode == 0, database.stdout[-4000:]


def test_schema_on_an_unreachable_database_explains_how_to_reach_it(playbook):
    assert playbook("site.yml", "dev", "--tags", "network,secrets,database").returncode == 0
    run = playbook("site.yml", "dev", "--tags", "schema", extra_vars={"schema_connect_timeout": 1})
    assert run.returncode != 0
    assert "RDS lives in private subnets: run from inside the VPC" in run.stdout
