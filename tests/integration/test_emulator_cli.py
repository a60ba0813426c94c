"""python -m tools.emulator: start, status, reset, stop of every service on free ports."""

from __future__ import annotations

import os
import shutil
import re
import socket
import subprocess
import sys

import boto3
import pytest

from tests.conftest import ROOT
from tools.emulator import local_services
from tools.emulator.config import settings
from tools.emulator.process import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(tmp_path):
    env = {
        **os.environ,
        "CREDLINK_EMULATOR_DIR": str(tmp_path / "state"),
        "CREDLINK_EMULATOR_PORT": str(free_port()),
        "CREDLINK_PG_PORT": str(free_port()),
        "CREDLINK_REDIS_PORT": str(free_port()),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tools.emulator", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=180)

    yield run, env
    run("stop")
    # The cluster may live outside tmp_path (see local_services._pg_base): remove it too.
    with pytest.MonkeyPatch.context() as patch:
        for key in ("CREDLINK_EMULATOR_DIR",):
            patch.setenv(key, env[key])
        shutil.rmtree(local_services._pg_base(settings()), ignore_errors=True)


def test_start_status_reset_stop_round_trip(cli):
    run, env = cli
    started = run("start")
    assert started.returncode == 0, started.stderr
    assert "aws: started" in started.stdout and "postgres: started" in started.stdout and "redis: started" in started.stdout

    again = run("start")
    assert again.returncode == 0 and "already running" in again.stdout

    status = run("status")
    assert status.returncode == 0 and status.stdout.count("running") == 3

    endpoint = f"http://127.0.0.1:{env['CREDLINK_EMULATOR_PORT']}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="probe")
    populate(endpoint)
    # A populated emulator is still recognised as running (its state dump may not be servable).
    again = run("start", "--services", "aws")
    assert again.returncode == 0 and "already running" in again.stdout, again.stderr
    assert run("reset").returncode == 0
    assert s3.list_buckets()["Buckets"] == []

    with socket.create_connection(("127.0.0.1", int(env["CREDLINK_REDIS_PORT"])), timeout=2) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.recv(16).startswith(b"+PONG")
    pg_port = env["CREDLINK_PG_PORT"]
    sock_dir = re.search(r"socket dir (\S+)\)", started.stdout).group(1)
    psql = subprocess.run(
        ["psql", "-h", sock_dir, "-p", pg_port, "-U", "postgres", "-Atc", "show server_version_num"],
        capture_output=True, text=True, timeout=30,
    )
    assert psql.returncode == 0, psql.stderr
    assert psql.stdout.strip().startswith("15")

    stopped = run("stop")
    assert stopped.returncode == 0
    status = run("status")
    assert status.returncode == 1 and "running" not in status.stdout.replace("not running", "")


def populate(endpoint: str) -> None:
    def client(service):
        return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.5.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_nat_gateway(SubnetId=subnet, AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
    client("rds").create_db_instance(DBInstanceIdentifier="probe", Engine="postgres", DBInstanceClass="db.t3.micro",
                                     MasterUsername="probe", MasterUserPassword="probe-password-1", AllocatedStorage=20)
    client("elasticache").create_replication_group(ReplicationGroupId="probe", ReplicationGroupDescription="probe",
                                                   Engine="redis", CacheNodeType="cache.t3.micro")
    client("secretsmanager").create_secret(Name="probe", SecretString="{}")


def test_env_prints_the_standard_aws_variables(cli):
    run, env = cli
    out = run("env").stdout
    assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{env['CREDLINK_EMULATOR_PORT']}" in out
    assert "export AWS_ACCESS_KEY_ID=testing" in out and "export AWS_SECRET_ACCESS_KEY=testing" in out


def test_taken_port_is_reported_not_a_traceback(cli):
    run, env = cli
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", int(env["CREDLINK_REDIS_PORT"])))
        blocker.listen()
        result = run("start", "--services", "redis")
    assert result.returncode == 1
    assert "is taken by another program; set CREDLINK_REDIS_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_service_is_a_usage_error(cli):
    run, _ = cli
    result = run("start", "--services", "mysql")
    assert result.returncode == 2 and "unknown service(s) mysql" in result.stderr
