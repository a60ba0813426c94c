"""The emulator's latency mode: slow resources pass through their transitional states."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import boto3
import pytest

from tests.conftest import DUMMY_AWS, ROOT
from tools.emulator import latency
from tools.emulator.process import free_port, wait_until

# RDS Multi-AZ 12.5 min becomes 3 s, a NAT gateway 1.75 min 0.42 s.
SCALE = 0.004


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_durations_are_the_midpoints_of_the_shared_table():
    seconds = latency.load_seconds()
    assert seconds == {"rds_multi_az": 750, "rds": 660, "elasticache_replication_group": 450,
                       "nat_gateway": 105, "alb": 159, "ecs_service": 150, "eni_release": 480}


SETTINGS = [(latency.parse_scale, latency.SCALE_ENV), (latency.parse_api_latency, latency.API_LATENCY_ENV)]


@pytest.mark.parametrize("parse, setting", SETTINGS)
@pytest.mark.parametrize("text, number", [(None, 0.0), ("", 0.0), ("0", 0.0), ("0.0167", 0.0167), ("1", 1.0), ("60", 60.0)])
def test_latency_settings_parse(parse, setting, text, number):
    assert parse(text) == number


@pytest.mark.parametrize("parse, setting", SETTINGS)
@pytest.mark.parametrize("text", ["-1", "fast", "nan", "inf"])
def test_bad_latency_settings_are_refused_with_the_setting_named(parse, setting, text):
    with pytest.raises(ValueError, match=setting):
        parse(text)


def test_a_held_resource_becomes_ready_only_when_its_time_has_come():
    clock = FakeClock()
    schedule = latency.Schedule(0.01, {"nat_gateway": 100, "rds": 600}, now=clock)
    nat, db, ready = object(), object(), []
    schedule.hold(nat, "nat_gateway", lambda: ready.append("nat"))
    schedule.hold(db, "rds", lambda: ready.append("db"))
    clock.now += 0.99
    schedule.settle()
    assert ready == [] and schedule.pending(nat)
    clock.now += 0.01
    schedule.settle()
    assert ready == ["nat"] and not schedule.pending(nat) and schedule.pending(db)
    clock.now += 5
    schedule.settle()
    schedule.settle()
    assert ready == ["nat", "db"]


def test_the_cli_refuses_a_negative_scale():
    result = subprocess.run([sys.executable, "-m", "tools.emulator", "run", "--latency-scale", "-1", "--", "true"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "--latency-scale '-1': the scale must be 0 or more" in result.stderr


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory):
    port = free_port()
    env = {**os.environ, **DUMMY_AWS, "PYTHONPATH": str(ROOT)}
    env.pop(latency.SCALE_ENV, None)
    log = (tmp_path_factory.mktemp("latency") / "emulator.log").open("w")
    # Latency alone: with realism on, nothing would take less than the realism delay.
    server = subprocess.Popen([sys.executable, "-m", "tools.emulator", "serve", "--port", str(port),
                               "--latency-scale", str(SCALE), "--realism", "off", "--exit-with-parent"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url), 60, "the latency emulator")
        yield url
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def _answers(url: str) -> bool:
    import urllib.request
    try:
        urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()
        return True
    except OSError:
        return False


def _client(url, service):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _until(read, want, timeout):
    """Poll ``read`` until it returns ``want``. Returns when the last poll that saw another
    state was sent (None if the first saw ``want``) and when the first that saw it returned."""
    started = time.monotonic()
    last_other = None
    while True:
        sent = time.monotonic()
        state = read()
        if state == want:
            return last_other, time.monotonic()
        assert sent - started < timeout, f"still {state!r} after {timeout}s"
        last_other = sent
        time.sleep(0.05)


def test_each_slow_resource_waits_for_its_scaled_duration(slow_emulator):
    seconds = latency.load_seconds()
    ec2, rds, cache, elb, ecs = (_client(slow_emulator, s) for s in ("ec2", "rds", "elasticache", "elbv2", "ecs"))
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in enumerate("ab")]

    def nat_state():
        return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]

    def db_state():
        return rds.describe_db_instances(DBInstanceIdentifier="slow-db")["DBInstances"][0]["DBInstanceStatus"]

    def cache_state():
        return cache.describe_replication_groups(ReplicationGroupId="slow-cache")["ReplicationGroups"][0]["Status"]

    def alb_state():
        return elb.describe_load_balancers(LoadBalancerArns=[alb])["LoadBalancers"][0]["State"]["Code"]

    def service_state():
        service = ecs.describe_services(cluster="slow", services=["slow-svc"])["services"][0]
        return service["deployments"][0]["rolloutState"], service["runningCount"]

    created, returned = {}, {}
    created["nat_gateway"] = time.monotonic()
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
    nat_id = nat["NatGateway"]["NatGatewayId"]
    returned["nat_gateway"] = time.monotonic()
    assert nat_state() == "pending"
    created["rds_multi_az"] = time.monotonic()
    rds.create_db_instance(DBInstanceIdentifier="slow-db", Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="admin_user", MasterUserPassword="x" * 32, AllocatedStorage=20, MultiAZ=True)
    returned["rds_multi_az"] = time.monotonic()
    assert db_state() == "creating"
    created["elasticache_replication_group"] = time.monotonic()
    cache.create_replication_group(ReplicationGroupId="slow-cache", ReplicationGroupDescription="d",
                                   Engine="redis", CacheNodeType="cache.t3.micro", NumCacheClusters=2)
    returned["elasticache_replication_group"] = time.monotonic()
    assert cache_state() == "creating"
    created["alb"] = time.monotonic()
    alb = elb.create_load_balancer(Name="slow-alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    returned["alb"] = time.monotonic()
    assert alb_state() == "provisioning"
    ecs.create_cluster(clusterName="slow")
    ecs.register_task_definition(family="slow", containerDefinitions=[{"name": "app", "image": "app:1", "memory": 512}])
    created["ecs_service"] = time.monotonic()
    ecs.create_service(cluster="slow", serviceName="slow-svc", taskDefinition="slow", desiredCount=2)
    returned["ecs_service"] = time.monotonic()
    assert service_state() == ("IN_PROGRESS", 0)

    # The emulator judges readiness by its own clock when a request arrives, so however slow
    # the machine: no poll sees a resource ready before its due time (counted from before
    # its create call), and every poll sent after it (counted from when the create returned)
    # sees it ready.
    for read, want, kind in ((nat_state, "available", "nat_gateway"), (alb_state, "active", "alb"),
                             (service_state, ("COMPLETED", 2), "ecs_service"),
                             (cache_state, "available", "elasticache_replication_group"),
                             (db_state, "available", "rds_multi_az")):
        last_other, ready_at = _until(read, want, timeout=10)
        due = seconds[kind] * SCALE
        assert ready_at - created[kind] >= due - 0.1, (kind, ready_at - created[kind], due)
        if last_other is not None:
            assert last_other - returned[kind] < due + 0.05, (kind, last_other - returned[kind], due)
