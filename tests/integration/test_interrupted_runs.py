"""Runs killed half-way, and faulty endpoints: the next run converges, with nothing twice.

A controller dies (laptop lid, CI timeout, Ctrl-C twice) at any moment, often while a
module is between two API calls. These tests kill ansible-playbook and all its module
processes with SIGKILL a moment after a task that creates something has started, then
run site.yml again and count what exists.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import EMULATOR_ACCOUNT, FAST_POLLS, ROOT, run_playbook, serve_emulator

pytestmark = pytest.mark.integration

# Task that starts creating something, and how long after it starts the run dies: the
# delay puts the kill inside the module, between its create call and its result.
KILL_POINTS = [
    ("Ensure the NAT gateways exist", 1.0),
    ("Ensure the Redis replication group exists", 1.2),
    ("Ensure the task definition describes the application", 1.2),
]


def killed_run(env: dict[str, str], marker: str, delay: float, timeout: float = 600) -> str:
    """Start site.yml on dev, SIGKILL its whole process group ``delay`` s after ``marker``."""
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/site.yml",
            "-i", "inventories/dev", "--skip-tags", "schema",
            "-e", json.dumps({"credlink_expected_account_id": EMULATOR_ACCOUNT, **FAST_POLLS})]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    full_env.update(env, ANSIBLE_NOCOLOR="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(argv, cwd=ROOT, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    deadline = time.monotonic() + timeout
    try:
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("TASK [") and marker in line:
                time.sleep(delay)
                os.killpg(proc.pid, signal.SIGKILL)
                break
            if time.monotonic() > deadline:
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    output = "".join(seen)
    assert proc.returncode == -signal.SIGKILL, f"the run ended before {marker!r}:\n{output[-3000:]}"
    return output


def names(items, key="Tags") -> list[str]:
    return [next((t["Value"] for t in item.get(key, []) if t["Key"] == "Name"), "?") for item in items]


def duplicates(values) -> dict[str, int]:
    return {value: count for value, count in Counter(values).items() if count > 1}


def test_runs_killed_at_several_points_converge_without_duplicates(clean_emulator):
    emulator = clean_emulator
    ec2 = emulator.client("ec2")
    # What a run killed right after allocating the NAT's address leaves behind: the next
    # run must take it rather than allocate another.
    left = ec2.allocate_address(Domain="vpc", TagSpecifications=[{
        "ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "credlink-dev-nat-us-east-1a"},
                                               {"Key": "Project", "Value": "credlink"},
                                               {"Key": "Environment", "Value": "dev"},
                                               {"Key": "ManagedBy", "Value": "ansible"}]}])
    for marker, delay in KILL_POINTS:
        killed_run(emulator.env, marker, delay)

    final = run_playbook("site.yml", "dev", emulator.env, "--skip-tags", "schema")
    assert final.returncode == 0, final.stdout[-4000:]
    assert "checklist:" in final.stdout and " 0 failed" in final.stdout

    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["credlink-dev-vpc"]}])["Vpcs"]
    assert len(vpcs) == 1
    in_vpc = [{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}]
    assert duplicates(names(ec2.describe_subnets(Filters=in_vpc)["Subnets"])) == {}
    assert duplicates(names(ec2.describe_route_tables(Filters=in_vpc)["RouteTables"])) == {}
    assert len(ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpcs[0]["VpcId"]]}])["InternetGateways"]) == 1
    nats = [n for n in ec2.describe_nat_gateways(Filter=in_vpc)["NatGateways"] if n["State"] != "deleted"]
    assert len(nats) == 1, "dev runs one NAT gateway"
    # Every address is the NAT gateway's: none was leaked by a run killed mid-allocation.
    addresses = ec2.describe_addresses()["Addresses"]
    assert nats[0]["NatGatewayAddresses"][0]["AllocationId"] == left["AllocationId"]
    assert [a["AllocationId"] for a in addresses] == [left["AllocationId"]]
    assert names(addresses) == ["credlink-dev-nat-us-east-1a"]
    groups = ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
    assert duplicates(g["GroupName"] for g in groups) == {}

    secrets = emulator.client("secretsmanager").list_secrets()["SecretList"]
    assert sorted(s["Name"] for s in secrets) == ["credlink-dev-db-credentials", "credlink-dev-redis-auth"]
    assert len(emulator.client("rds").describe_db_instances()["DBInstances"]) == 1
    assert len(emulator.client("elasticache").describe_replication_groups()["ReplicationGroups"]) == 1

    ecs = emulator.client("ecs")
    revisions = ecs.list_task_definitions(familyPrefix="credlink-dev-app", status="ACTIVE")
    assert len(revisions["taskDefinitionArns"]) == 1, revisions["taskDefinitionArns"]
    assert len(ecs.list_services(cluster="credlink-dev-cluster")["serviceArns"]) == 1
    elb = emulator.client("elbv2")
    assert len(elb.describe_load_balancers()["LoadBalancers"]) == 1
    assert len(elb.describe_target_groups()["TargetGroups"]) == 1


def test_the_stack_converges_through_throttling_and_server_errors(clean_emulator):
    """One AWS call in four is throttled or fails with 503/500; retries carry the run.

    Secrets and storage speak three wire formats (Secrets Manager JSON, IAM query, S3
    REST), each with its own throttling code.
    """
    emulator = clean_emulator
    emulator.faults("every=4")
    try:
        first = run_playbook("site.yml", "dev", emulator.env, "--tags", "secrets,storage")
        during_first = emulator.faults()
        again = run_playbook("site.yml", "dev", emulator.env, "--tags", "secrets,storage")
    finally:
        emulator.faults("")
    assert first.returncode == 0, first.stdout[-4000:]
    assert set(during_first["faults"]) == {"throttle", "unavailable", "internal"}
    assert sum(during_first["faults"].values()) >= 15, json.dumps(during_first)
    # Retried calls changed nothing twice: the second faulty run finds everything in place.
    assert again.returncode == 0, again.stdout[-4000:]
    assert again.recap["changed"] == 0, again.stdout[-4000:]
    assert sorted(s["Name"] for s in emulator.client("secretsmanager").list_secrets()["SecretList"]) == [
        "credlink-dev-db-credentials", "credlink-dev-redis-auth"]
    assert len(emulator.client("s3").list_buckets()["Buckets"]) == 1


def test_a_run_killed_while_the_database_is_creating_converges_when_run_again(tmp_path):
    """The first apply dies while RDS is still `creating` (no endpoint yet); the next one waits for it.

    A tenth of the real durations keeps the instance `creating` for about a minute.
    """
    with serve_emulator(tmp_path, "--latency-scale", "0.1") as emulator:
        rds = emulator.client("rds")
        argv = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/site.yml", "-i", "inventories/dev",
                "--skip-tags", "schema", "-e", f"credlink_expected_account_id={EMULATOR_ACCOUNT}",
                "-e", '{"database_poll_interval": 1, "cache_poll_interval": 1, "network_poll_interval": 1, '
                      '"container_platform_poll_interval": 1}']
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        full_env.update(emulator.env, ANSIBLE_NOCOLOR="1")
        proc = subprocess.Popen(argv, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and proc.poll() is None:
                instances = rds.describe_db_instances()["DBInstances"]
                if instances and instances[0]["DBInstanceStatus"] == "creating":
                    break
                time.sleep(0.5)
            assert proc.poll() is None, "the run ended before the database was created"
            os.killpg(proc.pid, signal.SIGKILL)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        [instance] = rds.describe_db_instances()["DBInstances"]
        assert instance["DBInstanceStatus"] == "creating" and "Endpoint" not in instance

        again = run_playbook("site.yml", "dev", emulator.env, "--skip-tags", "schema", extra_vars={
            "database_poll_interval": 1, "cache_poll_interval": 1, "network_poll_interval": 1,
            "container_platform_poll_interval": 1})
        assert again.returncode == 0, again.stdout[-4000:]
        assert "KeyError" not in again.stdout and "InvalidDBInstanceState" not in again.stdout
        [instance] = rds.describe_db_instances()["DBInstances"]
        assert instance["DBInstanceStatus"] == "available"
        secret = json.loads(emulator.client("secretsmanager").get_secret_value(
            SecretId="credlink-dev-db-credentials")["SecretString"])
        assert secret["host"] == instance["Endpoint"]["Address"]
