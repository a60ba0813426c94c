"""readiness_info: several kinds of slow resources read in one call."""

from __future__ import annotations

import boto3
import pytest

from ansible_collections.credlink.infra.plugins.modules import readiness_info
from tests.unit.in_process import call_main


@pytest.fixture
def aws(moto):
    return moto


def make_stack():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in enumerate("ab")]
    nat = ec2.create_nat_gateway(
        SubnetId=subnets[0], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"],
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "t-nat-us-east-1a"}]}],
    )["NatGateway"]["NatGatewayId"]
    boto3.client("rds", region_name="us-east-1").create_db_instance(
        DBInstanceIdentifier="t-db", Engine="postgres", DBInstanceClass="db.t3.micro", MasterUsername="admin_user",
        MasterUserPassword="x" * 32, AllocatedStorage=20, MultiAZ=True)
    boto3.client("elasticache", region_name="us-east-1").create_replication_group(
        ReplicationGroupId="t-redis", ReplicationGroupDescription="d", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=2)
    boto3.client("elbv2", region_name="us-east-1").create_load_balancer(Name="t-alb", Subnets=subnets)
    return nat


def test_reads_every_kind_in_one_call(aws, capsys):
    nat = make_stack()
    asked = [{"kind": "nat_gateway", "id": nat}, {"kind": "rds_instance", "id": "t-db"},
             {"kind": "replication_group", "id": "t-redis"}, {"kind": "load_balancer", "id": "t-alb"}]
    result, code = call_main(readiness_info, {"resources": asked}, capsys)
    assert code == 0 and result["changed"] is False and result["ready"] is True and result["failed_resources"] == []
    assert [(r["kind"], r["id"], r["name"]) for r in result["resources"]] == [
        ("nat_gateway", nat, "t-nat-us-east-1a"), ("rds_multi_az", "t-db", "t-db"),
        ("elasticache_replication_group", "t-redis", "t-redis"), ("alb", "t-alb", "t-alb")]
    assert all(r["ready"] and not r["failed"] for r in result["resources"])


def test_a_missing_resource_is_not_ready_and_failed(aws, capsys):
    asked = [{"kind": "rds_instance", "id": "gone-db"}, {"kind": "nat_gateway", "id": "nat-0123456789abcdef0"},
             {"kind": "replication_group", "id": "gone-redis"}, {"kind": "load_balancer", "id": "gone-alb"}]
    result, code = call_main(readiness_info, {"resources": asked}, capsys)
    assert code == 0 and result["ready"] is False
    assert result["failed_resources"] == ["gone-db", "nat-0123456789abcdef0", "gone-redis", "gone-alb"]
    assert {r["state"] for r in result["resources"]} == {"missing"}


def test_an_unknown_kind_is_refused(aws, capsys):
    result, code = call_main(readiness_info, {"resources": [{"kind": "bucket", "id": "b"}]}, capsys)
    assert code == 1 and "kind" in result["msg"] and "bucket" in result["msg"]


class Describing:
    """A client whose describe calls answer with the given resource."""

    def __init__(self, **answers):
        self.answers = answers

    def __getattr__(self, name):
        return lambda aws_retry=False, **_: self.answers[name]


@pytest.mark.parametrize("kind, answer, ready, failed", [
    ("nat_gateway", {"describe_nat_gateways": {"NatGateways": [{"State": "pending"}]}}, False, False),
    ("nat_gateway", {"describe_nat_gateways": {"NatGateways": [{"State": "failed"}]}}, False, True),
    ("rds_instance", {"describe_db_instances": {"DBInstances": [{"DBInstanceStatus": "creating"}]}}, False, False),
    ("rds_instance", {"describe_db_instances": {"DBInstances": [{"DBInstanceStatus": "available"}]}}, False, False),
    ("rds_instance", {"describe_db_instances": {"DBInstances": [{"DBInstanceStatus": "storage-full",
                                                                 "Endpoint": {"Address": "a"}}]}}, False, True),
    ("replication_group", {"describe_replication_groups": {"ReplicationGroups": [{"Status": "creating"}]}}, False, False),
    ("replication_group", {"describe_replication_groups": {"ReplicationGroups": [{"Status": "create-failed"}]}},
     False, True),
    ("load_balancer", {"describe_load_balancers": {"LoadBalancers": [{"State": {"Code": "provisioning"}}]}}, False, False),
    ("load_balancer", {"describe_load_balancers": {"LoadBalancers": [{"State": {"Code": "failed"}}]}}, False, True),
])
def test_transitional_states_wait_and_dead_ends_fail(kind, answer, ready, failed):
    # "available" without an endpoint is not ready yet: the roles need the address next.
    [result] = readiness_info.readiness(lambda service: Describing(**answer), [{"kind": kind, "id": "x"}])
    assert (result["ready"], result["failed"]) == (ready, failed)


@pytest.mark.parametrize("state, ready", [("available", True), ("storage-optimization", True),
                                          ("backing-up", False), ("modifying", False)])
def test_an_instance_optimizing_its_storage_is_usable(state, ready):
    answer = {"describe_db_instances": {"DBInstances": [{"DBInstanceStatus": state, "Endpoint": {"Address": "a"}}]}}
    [result] = readiness_info.readiness(lambda service: Describing(**answer), [{"kind": "rds_instance", "id": "x"}])
    assert (result["ready"], result["failed"]) == (ready, False)


@pytest.mark.parametrize("kind, answer, says", [
    # Only its events say why a group failed to be created; ElastiCache never repairs it.
    ("replication_group", {"describe_replication_groups": {"ReplicationGroups": [{"Status": "create-failed"}]}},
     "describe-events --source-type replication-group --source-identifier x"),
    ("replication_group", {"describe_replication_groups": {"ReplicationGroups": [{"Status": "deleting"}]}},
     "run again once it is gone"),
    ("nat_gateway", {"describe_nat_gateways": {"NatGateways": [{"State": "deleting"}]}}, "run again once it is gone"),
])
def test_a_dead_end_says_what_to_do(kind, answer, says):
    [result] = readiness_info.readiness(lambda service: Describing(**answer), [{"kind": kind, "id": "x"}])
    assert result["failed"] and says in result["reason"]


def test_a_stopped_instance_fails_at_once_saying_how_to_start_it(aws, capsys):
    rds = boto3.client("rds", region_name="us-east-1")
    rds.create_db_instance(DBInstanceIdentifier="t-db", Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="admin_user", MasterUserPassword="x" * 32, AllocatedStorage=20)
    rds.stop_db_instance(DBInstanceIdentifier="t-db")
    result, code = call_main(readiness_info, {"resources": [{"kind": "rds_instance", "id": "t-db"}]}, capsys)
    assert code == 0 and result["failed_resources"] == ["t-db"] and result["pending"] == []
    assert "aws rds start-db-instance --db-instance-identifier t-db" in result["reasons"]["t-db"]


def test_a_missing_resource_may_be_expected_and_details_are_returned(aws, capsys):
    make_stack()
    asked = [{"kind": "rds_instance", "id": "not-yet-db", "missing_ok": True}, {"kind": "rds_instance", "id": "t-db"}]
    result, code = call_main(readiness_info, {"resources": asked, "details": True}, capsys)
    assert code == 0 and result["failed_resources"] == [] and result["pending"] == []
    missing, existing = result["resources"]
    assert (missing["state"], missing["description"]) == ("missing", {})
    assert existing["description"]["db_instance_identifier"] == "t-db"
    assert existing["description"]["allocated_storage"] == 20


PENDING = {"describe_db_instances": {"DBInstances": [
    {"DBInstanceStatus": "available", "Endpoint": {"Address": "a"},
     "PendingModifiedValues": {"DBInstanceClass": "db.m6g.large", "AllocatedStorage": 100}}]}}


def test_an_instance_whose_immediate_change_has_not_started_is_not_ready():
    # RDS answers ModifyDBInstance(ApplyImmediately) with the instance still available and the
    # change pending; the status alone would end the wait before the change ran.
    [result] = readiness_info.readiness(lambda service: Describing(**PENDING),
                                        [{"kind": "rds_instance", "id": "x", "pending_modifications": True}])
    assert (result["ready"], result["failed"], result["settled"]) == (False, False, False)
    assert result["state"] == "available, applying AllocatedStorage, DBInstanceClass"


def test_changes_left_for_the_maintenance_window_do_not_hold_the_wait():
    [result] = readiness_info.readiness(lambda service: Describing(**PENDING), [{"kind": "rds_instance", "id": "x"}])
    assert (result["ready"], result["state"]) == (True, "available")


def test_pending_modifications_apply_to_database_instances_only(aws, capsys):
    asked = [{"kind": "nat_gateway", "id": "nat-0123456789abcdef0", "pending_modifications": True}]
    result, code = call_main(readiness_info, {"resources": asked}, capsys)
    assert code == 1 and result["msg"] == (
        "pending_modifications applies to rds_instance resources only, not to nat-0123456789abcdef0")


def test_resources_in_transition_are_pending():
    answer = {"describe_db_instances": {"DBInstances": [{"DBInstanceStatus": "creating"}]}}
    [result] = readiness_info.readiness(lambda service: Describing(**answer), [{"kind": "rds_instance", "id": "x"}])
    assert result["settled"] is False and "description" not in result


def test_a_security_group_is_free_once_no_interface_uses_it(aws, capsys):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="t-alb", Description="d", VpcId=vpc)["GroupId"]
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[group], Description="ELB app/t-alb/50dc6c495c0c9188")
    asked = [{"kind": "security_group_free", "id": "t-alb"}, {"kind": "security_group_free", "id": group},
             {"kind": "subnet_free", "id": subnet}]
    result, code = call_main(readiness_info, {"resources": asked}, capsys)
    assert code == 0 and result["ready"] is False and result["failed_resources"] == []
    assert [r["state"] for r in result["resources"]] == [
        "used by 1 network interface(s): ELB app/t-alb/50dc6c495c0c9188"] * 3
    assert {r["kind"] for r in result["resources"]} == {"eni_release"}
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterface"]["NetworkInterfaceId"])
    result, code = call_main(readiness_info, {"resources": asked}, capsys)
    assert code == 0 and result["ready"] is True and [r["state"] for r in result["resources"]] == ["free"] * 3
