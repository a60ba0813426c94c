"""Secrets, RDS and schema layers against the emulator (and a real PostgreSQL 15 for local)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import local_stack_vars, psql

pytestmark = pytest.mark.integration


def secret_document(emulator, env: str) -> dict:
    raw = emulator.client("secretsmanager").get_secret_value(SecretId=f"credlink-{env}-db-credentials")
    return json.loads(raw["SecretString"])


def db_instance(emulator, env: str) -> dict:
    [instance] = emulator.client("rds").describe_db_instances(DBInstanceIdentifier=f"credlink-{env}-db")["DBInstances"]
    return instance


def ingress_cidrs(emulator, group_name: str) -> list[tuple[int, str]]:
    [group] = emulator.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [group_name]}])["SecurityGroups"]
    return sorted((p.get("FromPort"), r["CidrIp"]) for p in group["IpPermissions"] for r in p.get("IpRanges", []))


def test_production_database_matches_the_sizing_and_reruns_clean(playbook, clean_emulator):
    run = playbook("site.yml", "production", "--skip-tags", "schema")
    assert run.returncode == 0, run.stdout[-4000:]
    db = db_instance(clean_emulator, "production")
    assert (db["DBInstanceClass"], db["Engine"], db["EngineVersion"]) == ("db.t3.small", "postgres", "15.4")
    assert db["MultiAZ"] is True and db["DeletionProtection"] is True
    assert (db["AllocatedStorage"], db["MaxAllocatedStorage"], db["StorageType"]) == (20, 100, "gp3")
    assert db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False
    assert db["BackupRetentionPeriod"] == 30
    assert (db["PreferredBackupWindow"], db["PreferredMaintenanceWindow"]) == ("03:00-04:00", "mon:04:00-mon:05:00")
    assert sorted(db["EnabledCloudwatchLogsExports"]) == ["postgresql", "upgrade"]
    assert db["MonitoringInterval"] == 60 and db["MonitoringRoleArn"].endswith(":role/credlink-production-rds-monitoring")
    assert db["DBParameterGroups"][0]["DBParameterGroupName"] == "credlink-production-postgres15"
    assert db["DBSubnetGroup"]["DBSubnetGroupName"] == "credlink-production-db"
    assert db["MasterUsername"] == "credlink_admin" and db["DBName"] == "credlink"

    params = clean_emulator.client("rds").describe_db_parameters(
        DBParameterGroupName="credlink-production-postgres15", Source="user")["Parameters"]
    assert {p["ParameterName"]: p["ParameterValue"] for p in params} == {
        "shared_preload_libraries": "pg_stat_statements", "rds.force_ssl": "1"}
    assert ingress_cidrs(clean_emulator, "credlink-production-rds") == [(5432, "10.0.11.0/24"), (5432, "10.0.12.0/24")]

    doc = secret_document(clean_emulator, "production")
    assert set(doc) == {"username", "password", "engine", "host", "port", "dbname", "url"}
    assert doc["host"] == db["Endpoint"]["Address"] and doc["port"] == 5432 and len(doc["password"]) == 32
    assert doc["url"] == f"postgresql://credlink_admin:{doc['password']}@{doc['host']}:5432/credlink?sslmode=require"
    meta = clean_emulator.client("secretsmanager").describe_secret(SecretId="credlink-production-db-credentials")
    assert {t["Key"]: t["Value"] for t in meta["Tags"]}["Environment"] == "production"

    policy = clean_emulator.client("iam").list_policies(Scope="Local")["Policies"]
    [read_policy] = [p for p in policy if p["PolicyName"] == "credlink-production-db-credentials-read"]
    version = clean_emulator.client("iam").get_policy_version(
        PolicyArn=read_policy["Arn"], VersionId=read_policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    document = json.loads(version) if isinstance(version, str) else version
    [statement] = document["Statement"]
    assert statement["Resource"] == meta["ARN"]
    assert sorted(statement["Action"]) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]

    again = playbook("site.yml", "production", "--skip-tags", "schema")
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]
    assert secret_document(clean_emulator, "production")["password"] == doc["password"]
    checked = playbook("site.yml", "production", "--skip-tags", "schema", "--check", "--diff")
    assert checked.returncode == 0 and checked.recap["changed"] == 0, checked.stdout[-4000:]


def test_dev_database_is_single_az_and_disposable(playbook, clean_emulator):
    run = playbook("site.yml", "dev", "--skip-tags", "schema")
    assert run.returncode == 0, run.stdout[-4000:]
    db = db_instance(clean_emulator, "dev")
    assert db["DBInstanceClass"] == "db.t3.micro" and db["MultiAZ"] is False
    assert db["BackupRetentionPeriod"] == 7 and db["DeletionProtection"] is False
    assert ingress_cidrs(clean_emulator, "credlink-dev-rds") == [(5432, "10.1.11.0/24"), (5432, "10.1.12.0/24")]


def test_layers_alone_name_what_is_missing(playbook):
    assert playbook("site.yml", "dev", "--tags", "network").returncode == 0
    database = playbook("site.yml", "dev", "--tags", "database")
    assert database.returncode != 0
    assert "The secrets layer of environment 'dev' was not found" in database.stdout
    assert playbook("site.yml", "dev", "--tags", "secrets").returncode == 0
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
