"""playbooks/check_account.yml against the emulator: read-only, one table, blocking rows fail the run."""

from __future__ import annotations

import json
import stat

import pytest

pytestmark = pytest.mark.integration


def holdings(emulator) -> dict[str, list]:
    """Everything the stack could have created, by kind: the check must leave all of it as it was."""
    ec2, iam = emulator.client("ec2"), emulator.client("iam")
    return {
        "vpcs": sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
        "subnets": sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]),
        "security_groups": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
        "addresses": sorted(a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]),
        "nat_gateways": sorted(n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"]),
        "internet_gateways": sorted(g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]),
        "roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"]),
        "buckets": sorted(b["Name"] for b in emulator.client("s3").list_buckets()["Buckets"]),
        "db_instances": [d["DBInstanceIdentifier"] for d in emulator.client("rds").describe_db_instances()["DBInstances"]],
        "replication_groups": [g["ReplicationGroupId"] for g in
                               emulator.client("elasticache").describe_replication_groups()["ReplicationGroups"]],
        "secrets": [s["Name"] for s in emulator.client("secretsmanager").list_secrets()["SecretList"]],
        "clusters": emulator.client("ecs").list_clusters()["clusterArns"],
        "load_balancers": [b["LoadBalancerName"] for b in emulator.client("elbv2").describe_load_balancers()["LoadBalancers"]],
        "log_groups": [g["logGroupName"] for g in emulator.client("logs").describe_log_groups()["logGroups"]],
        "topics": [t["TopicArn"] for t in emulator.client("sns").list_topics()["Topics"]],
    }


def test_an_empty_account_can_hold_dev_and_nothing_is_created(playbook, clean_emulator, tmp_path):
    before = holdings(clean_emulator)
    run = playbook("check_account.yml", "dev", extra_vars={"check_account_report_dir": str(tmp_path)})
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert run.recap["changed"] == 0
    assert "credlink-dev in account 123456789012 (us-east-1):" in run.stdout
    assert "STATUS   CHECK" in run.stdout and "bucket name" in run.stdout and "BLOCKING" not in run.stdout
    report_file = tmp_path / "dev-account.json"
    assert stat.S_IMODE(report_file.stat().st_mode) == 0o600
    report = json.loads(report_file.read_text())
    assert report["summary"]["blocking"] == 0 and report["account_id"] == "123456789012"
    assert all(name.split(".")[1].startswith(("Describe", "Get", "Head", "List")) for name in report["api_calls"])
    assert holdings(clean_emulator) == before


def test_a_full_vpc_quota_and_a_foreign_bucket_stop_the_check_with_their_fixes(playbook, clean_emulator, tmp_path):
    ec2 = clean_emulator.client("ec2")
    for index in range(4):  # with the default VPC: 5, the quota
        ec2.create_vpc(CidrBlock=f"10.{40 + index}.0.0/16")
    clean_emulator.client("s3").create_bucket(Bucket="credlink-dev-proofs-123456789012")  # not tagged as ours
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}
    clean_emulator.client("iam").create_role(RoleName="credlink-dev-ecs-task",  # another team's, same name
                                             AssumeRolePolicyDocument=json.dumps(trust))
    before = holdings(clean_emulator)
    run = playbook("check_account.yml", "dev", "--check", extra_vars={"check_account_report_dir": str(tmp_path)})
    assert run.returncode != 0
    # The ownership gate does not stop the check: what it finds becomes rows of the table.
    assert "3 blocking: quota: VPCs, bucket name, ownership: iam_role credlink-dev-ecs-task" in run.stdout
    assert "BLOCKING quota: VPCs" in run.stdout and "5 in use of 5 (applied quota)" in run.stdout
    assert "ask AWS for a higher quota (Service Quotas, vpc: 'VPCs per Region' (L-F678F1CE))" in run.stdout
    assert "the stack does not adopt a bucket it did not create" in run.stdout
    assert json.loads((tmp_path / "dev-account.json").read_text())["summary"]["blocking"] == 3
    assert holdings(clean_emulator) == before
