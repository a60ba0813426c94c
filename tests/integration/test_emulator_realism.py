"""Realism: the emulator answers as AWS does where moto is kinder (API calls against the server).

Each test asserts AWS's error code and message while the behaviour's delay runs, and the
success once it has passed. The emulator runs with a 2 s delay (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ROOT, TEST_CONSISTENCY_SECONDS, serve_emulator

pytestmark = pytest.mark.integration
DELAY = float(TEST_CONSISTENCY_SECONDS)


@pytest.fixture(scope="module")
def realistic(tmp_path_factory):
    with serve_emulator(tmp_path_factory.mktemp("realism")) as emu:
        yield emu


class Account:
    """The emulator seen from an account of its own (moto's ``x-moto-account-id`` header)."""

    def __init__(self, emulator, account_id: str) -> None:
        self.emulator, self.account_id, self.endpoint_url = emulator, account_id, emulator.endpoint_url

    def client(self, service: str, **kwargs):
        import boto3

        client = boto3.client(service, endpoint_url=self.endpoint_url, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing", **kwargs)

        def add_account(request, **_):
            request.headers["x-moto-account-id"] = self.account_id

        client.meta.events.register("before-sign.*.*", add_account)
        return client

    def __getattr__(self, name: str):
        return getattr(self.emulator, name)

    def changes(self, service: str, advanced: dict) -> dict:
        """This account's entries of an ``advance`` answer, by (resource, setting)."""
        return {(c["resource"], c["setting"]): (c["from"], c["to"])
                for c in advanced[service] if c["account"] == self.account_id}


_accounts = iter(range(1, 10_000))


@pytest.fixture
def emu(realistic):
    """A fresh account on the shared emulator for every test (cheaper than a reset)."""
    return Account(realistic, f"20000000{next(_accounts):04d}")


def error(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def eventually(call, timeout: float = DELAY + 8):
    """Call until AWS stops refusing (or ``timeout``); the answer, and how long it took."""
    started = time.monotonic()
    while True:
        try:
            return call(), time.monotonic() - started
        except ClientError:
            if time.monotonic() - started > timeout:
                raise
            time.sleep(0.2)


def until(read, want, timeout: float = DELAY * 3 + 8):
    started = time.monotonic()
    while (value := read()) != want:
        assert time.monotonic() - started < timeout, f"still {value!r}, wanted {want!r}"
        time.sleep(0.2)
    return time.monotonic() - started


def network(emu, cidr: str = "10.7.0.0/16"):
    ec2 = emu.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    prefix = cidr.rsplit(".", 2)[0]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{prefix}.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")
               ["Subnet"]["SubnetId"] for i, zone in enumerate("ab")]
    return ec2, vpc, subnets


def default_group(ec2, vpc: str) -> str:
    return ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                 {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"][0]["GroupId"]


def role(emu, name: str, service: str, policy: str | None = None) -> str:
    iam = emu.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if policy:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    return arn


def database(emu, name: str = "db", **extra) -> dict:
    params = {"DBInstanceIdentifier": name, "Engine": "postgres", "DBInstanceClass": "db.t3.micro",
              "MasterUsername": "credlink_admin", "MasterUserPassword": "x" * 32, "AllocatedStorage": 20,
              "StorageType": "gp3", **extra}
    return emu.client("rds").create_db_instance(**params)["DBInstance"]


def available_database(emu, name: str = "db", **extra) -> dict:
    database(emu, name, **extra)
    rds = emu.client("rds")
    until(lambda: rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["DBInstanceStatus"],
          "available")
    return rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]


def cache_group(emu, subnets, name: str = "rg", groups=(), **extra) -> dict:
    cache = emu.client("elasticache")
    cache.create_cache_subnet_group(CacheSubnetGroupName=f"{name}-subnets", CacheSubnetGroupDescription="d",
                                    SubnetIds=subnets)
    return cache.create_replication_group(
        ReplicationGroupId=name, ReplicationGroupDescription="d", Engine="redis", EngineVersion="7.0",
        CacheNodeType="cache.t3.micro", NumNodeGroups=1, ReplicasPerNodeGroup=1,
        CacheSubnetGroupName=f"{name}-subnets", SecurityGroupIds=list(groups), **extra)["ReplicationGroup"]


def group_status(emu, name: str = "rg") -> str:
    return emu.client("elasticache").describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0][
        "Status"]


# --- 1. IAM propagation ------------------------------------------------------------------------

def test_flow_logs_cannot_assume_a_role_seconds_old(emu):
    ec2, vpc, _ = network(emu)
    arn = role(emu, "flow-logs", "vpc-flow-logs.amazonaws.com")

    def create():
        return ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                                    LogGroupName="/aws/vpc/flow-logs", DeliverLogsPermissionArn=arn)

    assert error(create) == ("InvalidParameter", f"Unable to assume given IAM role: '{arn}'")
    answer, waited = eventually(create)
    assert answer["FlowLogIds"] and waited < DELAY + 1


def test_flow_logs_never_assume_a_role_that_does_not_trust_them(emu):
    ec2, vpc, _ = network(emu)
    arn = role(emu, "wrong-trust", "ec2.amazonaws.com")
    time.sleep(DELAY + 0.2)
    code, message = error(lambda: ec2.create_flow_logs(
        ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogGroupName="g", DeliverLogsPermissionArn=arn))
    assert (code, message) == ("InvalidParameter", f"Unable to assume given IAM role: '{arn}'")


def test_enhanced_monitoring_needs_a_propagated_role_and_policy(emu):
    policy = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    arn = role(emu, "rds-monitoring", "monitoring.rds.amazonaws.com", policy)
    message = ("IAM role ARN value is invalid or does not include the required permissions for: "
               "ENHANCED_MONITORING")

    def create():
        return database(emu, MonitoringInterval=60, MonitoringRoleArn=arn)

    assert error(create) == ("InvalidParameterValue", message)
    created, _ = eventually(create)
    assert created["MonitoringRoleArn"] == arn
    # ModifyDBInstance checks the same: a role without any policy is never good enough.
    bare = role(emu, "bare-monitoring", "monitoring.rds.amazonaws.com")
    until(lambda: emu.client("rds").describe_db_instances(DBInstanceIdentifier="db")["DBInstances"][0][
        "DBInstanceStatus"], "available")
    time.sleep(DELAY + 0.2)
    assert error(lambda: emu.client("rds").modify_db_instance(
        DBInstanceIdentifier="db", MonitoringInterval=60, MonitoringRoleArn=bare)) == ("InvalidParameterValue", message)


def test_ecs_cannot_start_tasks_with_a_new_execution_role_and_tries_again(emu):
    ec2, vpc, subnets = network(emu)
    ecs = emu.client("ecs")
    ecs.create_cluster(clusterName="c")
    eventually(lambda: ecs.create_service(cluster="c", serviceName="warm-up", desiredCount=0))
    arn = role(emu, "execution", "ecs-tasks.amazonaws.com")
    ecs.register_task_definition(family="app", executionRoleArn=arn, networkMode="awsvpc", cpu="256", memory="512",
                                 requiresCompatibilities=["FARGATE"],
                                 containerDefinitions=[{"name": "app", "image": "app:1"}])
    ecs.create_service(cluster="c", serviceName="s", taskDefinition="app", desiredCount=2, launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [default_group(ec2, vpc)]}})
    service = ecs.describe_services(cluster="c", services=["s"])["services"][0]
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS" and service["runningCount"] == 0
    assert any(e["message"] == (
        f"(service s) failed to launch a task with (error ECS was unable to assume the role '{arn}' that was "
        "provided for this task. Please verify that the role being passed has the proper trust relationship and "
        "permissions and that your IAM user has permissions to pass this role.).") for e in service["events"])
    until(lambda: ecs.describe_services(cluster="c", services=["s"])["services"][0]["deployments"][0]["rolloutState"],
          "COMPLETED")


# --- 2. Service-linked roles -------------------------------------------------------------------

def test_a_fresh_account_has_no_ecs_service_linked_role(emu):
    ecs, iam = emu.client("ecs"), emu.client("iam")

    def create():
        return ecs.create_cluster(clusterName="c", capacityProviders=["FARGATE", "FARGATE_SPOT"])

    assert error(create) == ("InvalidParameterException",
                             "Unable to assume the service linked role. Please verify that the ECS service linked role exists.")
    # As on AWS, the failed call created the role in the background ...
    created = iam.get_role(RoleName="AWSServiceRoleForECS")["Role"]
    assert created["Path"] == "/aws-service-role/ecs.amazonaws.com/"
    # ... so creating it again is refused, and the retry works once the role has propagated.
    assert error(lambda: iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")) == (
        "InvalidInput", "Service role name AWSServiceRoleForECS has been taken in this account, please try a "
                        "different suffix.")
    answer, _ = eventually(create)
    assert answer["cluster"]["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


def test_create_service_linked_role_makes_the_role_usable_after_the_delay(emu):
    ecs, iam = emu.client("ecs"), emu.client("iam")
    role_arn = iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]["Arn"]
    assert role_arn.endswith(":role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS")
    assert error(lambda: ecs.create_cluster(clusterName="c", capacityProviders=["FARGATE"]))[0] == \
        "InvalidParameterException"
    eventually(lambda: ecs.create_cluster(clusterName="c", capacityProviders=["FARGATE"]))


# --- 3. New ids ------------------------------------------------------------------------------------

def test_create_route_does_not_know_a_nat_gateway_seconds_old(emu):
    ec2, vpc, subnets = network(emu)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
    nat_id = nat["NatGateway"]["NatGatewayId"]

    def route():
        return ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)

    assert error(route) == ("InvalidNatGatewayID.NotFound", f"The natGateway ID '{nat_id}' does not exist")
    assert eventually(route)[0]["Return"] is True


def test_a_security_group_seconds_old_is_unknown_by_id(emu):
    ec2, vpc, _ = network(emu)
    group = ec2.create_security_group(GroupName="young", Description="young", VpcId=vpc)["GroupId"]
    missing = ("InvalidGroup.NotFound", f"The security group '{group}' does not exist")
    rule = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.7.0.0/24"}]}

    assert error(lambda: ec2.describe_security_groups(GroupIds=[group])) == missing
    assert error(lambda: ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[rule])) == missing
    assert error(lambda: ec2.revoke_security_group_egress(GroupId=group, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])) == missing
    # A filtered read does not see it either, yet its name is taken; the VPC's own default group
    # is as old as the VPC.
    by_name = [{"Name": "group-name", "Values": ["young"]}]
    assert ec2.describe_security_groups(Filters=by_name)["SecurityGroups"] == []
    assert error(lambda: ec2.create_security_group(GroupName="young", Description="young", VpcId=vpc))[0] == \
        "InvalidGroup.Duplicate"
    default = default_group(ec2, vpc)
    assert ec2.describe_security_groups(GroupIds=[default])["SecurityGroups"][0]["GroupName"] == "default"

    (answer, waited) = eventually(lambda: ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[rule]))
    assert answer["Return"] is True and waited < DELAY + 1
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"][0]["FromPort"] == 5432
    assert [g["GroupId"] for g in ec2.describe_security_groups(Filters=by_name)["SecurityGroups"]] == [group]


def test_associate_route_table_refuses_a_subnet_another_table_serves(emu):
    ec2, vpc, subnets = network(emu)
    first, second = (ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"] for _ in range(2))
    held = ec2.associate_route_table(RouteTableId=first, SubnetId=subnets[0])["AssociationId"]
    assert error(lambda: ec2.associate_route_table(RouteTableId=second, SubnetId=subnets[0])) == (
        "Resource.AlreadyAssociated",
        f"the specified association for route table {second} conflicts with an existing association")
    ec2.replace_route_table_association(AssociationId=held, RouteTableId=second)
    [table] = ec2.describe_route_tables(RouteTableIds=[second])["RouteTables"]
    assert [a["SubnetId"] for a in table["Associations"]] == [subnets[0]]


# --- 4. Lingering ENIs and what they keep from being deleted ------------------------------------

def interfaces(ec2, group: str) -> list[dict]:
    return ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [group]}])["NetworkInterfaces"]


def test_alb_network_interfaces_linger_and_block_their_security_group_and_subnets(emu):
    ec2, vpc, subnets = network(emu)
    group = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    elb = emu.client("elbv2")
    arn = elb.create_load_balancer(Name="credlink-test-alb", Subnets=subnets, SecurityGroups=[group])[
        "LoadBalancers"][0]["LoadBalancerArn"]
    enis = interfaces(ec2, group)
    assert len(enis) == 2 and {e["SubnetId"] for e in enis} == set(subnets)
    assert {e["Description"] for e in enis} == {f"ELB app/credlink-test-alb/{arn.rsplit('/', 1)[1]}"}
    assert {(e["RequesterId"], e["RequesterManaged"], e["InterfaceType"], e["Status"]) for e in enis} == {
        ("amazon-elb", True, "interface", "in-use")}
    in_use = ("DependencyViolation", f"resource {group} has a dependent object")
    assert error(lambda: ec2.delete_security_group(GroupId=group)) == in_use
    assert error(lambda: ec2.delete_network_interface(NetworkInterfaceId=enis[0]["NetworkInterfaceId"])) == (
        "InvalidParameterValue", f"Network interface '{enis[0]['NetworkInterfaceId']}' is currently in use.")
    assert error(lambda: ec2.detach_network_interface(AttachmentId=enis[0]["Attachment"]["AttachmentId"])) == (
        "OperationNotPermitted", "You are not allowed to manage 'ela-attach' attachments.")

    elb.delete_load_balancer(LoadBalancerArn=arn)
    assert {e["Status"] for e in interfaces(ec2, group)} == {"available"}
    assert error(lambda: ec2.delete_security_group(GroupId=group)) == in_use
    assert error(lambda: ec2.delete_subnet(SubnetId=subnets[0])) == (
        "DependencyViolation", f"The subnet '{subnets[0]}' has dependencies and cannot be deleted.")
    eventually(lambda: ec2.delete_security_group(GroupId=group))
    ec2.delete_subnet(SubnetId=subnets[0])
    assert interfaces(ec2, group) == []


def test_a_lingering_interface_may_be_deleted_by_hand(emu):
    ec2, vpc, subnets = network(emu)
    group = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    elb = emu.client("elbv2")
    arn = elb.create_load_balancer(Name="by-hand", Subnets=subnets, SecurityGroups=[group])["LoadBalancers"][0][
        "LoadBalancerArn"]
    elb.delete_load_balancer(LoadBalancerArn=arn)
    lingering = interfaces(ec2, group)
    assert [e["Status"] for e in lingering] == ["available", "available"]
    for eni in lingering:
        ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_security_group(GroupId=group)


def test_rds_and_elasticache_interfaces_carry_their_owners_names(emu):
    ec2, vpc, subnets = network(emu)
    group = ec2.create_security_group(GroupName="data", Description="data", VpcId=vpc)["GroupId"]
    emu.client("rds").create_db_subnet_group(DBSubnetGroupName="db", DBSubnetGroupDescription="d", SubnetIds=subnets)
    database(emu, DBSubnetGroupName="db", VpcSecurityGroupIds=[group], MultiAZ=True)
    cache_group(emu, subnets, groups=[group])
    enis = interfaces(ec2, group)
    assert sorted((e["Description"], e["RequesterId"]) for e in enis) == [
        ("ElastiCache rg-001", "amazon-elasticache"), ("ElastiCache rg-002", "amazon-elasticache"),
        ("RDSNetworkInterface", "amazon-rds"), ("RDSNetworkInterface", "amazon-rds")]
    assert {e["SubnetId"] for e in enis if e["Description"] == "RDSNetworkInterface"} == set(subnets)
    emu.client("rds").delete_db_instance(DBInstanceIdentifier="db", SkipFinalSnapshot=True)
    assert {e["Status"] for e in interfaces(ec2, group) if e["Description"] == "RDSNetworkInterface"} == {"available"}


def test_ecs_task_interfaces_linger_after_the_service_is_deleted(emu):
    ec2, vpc, subnets = network(emu)
    group = ec2.create_security_group(GroupName="ecs", Description="ecs", VpcId=vpc)["GroupId"]
    ecs = emu.client("ecs")
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(family="app", networkMode="awsvpc", cpu="256", memory="512",
                                 requiresCompatibilities=["FARGATE"],
                                 containerDefinitions=[{"name": "app", "image": "app:1"}])
    eventually(lambda: ecs.create_service(
        cluster="c", serviceName="s", taskDefinition="app", desiredCount=2, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group]}}))
    until(lambda: len(interfaces(ec2, group)), 2)
    eni = interfaces(ec2, group)[0]
    assert eni["Description"].startswith(f"arn:aws:ecs:us-east-1:{emu.account_id}:attachment/")
    assert eni["RequesterManaged"] and eni["InterfaceType"] == "interface"
    ecs.update_service(cluster="c", service="s", desiredCount=0)
    ecs.delete_service(cluster="c", service="s")
    assert error(lambda: ec2.delete_security_group(GroupId=group))[0] == "DependencyViolation"
    eventually(lambda: ec2.delete_security_group(GroupId=group))


def test_a_group_referenced_by_another_groups_rule_cannot_be_deleted(emu):
    ec2, vpc, _ = network(emu)
    app = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    db = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    eventually(lambda: ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[  # new ids propagate
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app}]}]))
    assert error(lambda: ec2.delete_security_group(GroupId=app)) == (
        "DependencyViolation", f"resource {app} has a dependent object")
    ec2.delete_security_group(GroupId=db)
    ec2.delete_security_group(GroupId=app)


def test_a_nat_gateway_keeps_its_subnet_until_its_interface_is_gone(emu):
    ec2, _, subnets = network(emu)
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
    nat_id = nat["NatGateway"]["NatGatewayId"]
    eni = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnets[0]]}])["NetworkInterfaces"]
    assert [(e["Description"], e["InterfaceType"]) for e in eni] == [
        (f"Interface for NAT Gateway {nat_id}", "nat_gateway")]
    until(lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"], "available")
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    assert error(lambda: ec2.delete_subnet(SubnetId=subnets[0]))[0] == "DependencyViolation"
    eventually(lambda: ec2.delete_subnet(SubnetId=subnets[0]))


# --- 5. Transitional shapes and states --------------------------------------------------------

def test_a_creating_database_has_no_endpoint_and_cannot_be_modified(emu):
    rds = emu.client("rds")
    created = database(emu)
    assert created["DBInstanceStatus"] == "creating" and "Endpoint" not in created
    described = rds.describe_db_instances(DBInstanceIdentifier="db")["DBInstances"][0]
    assert "Endpoint" not in described
    busy = ("InvalidDBInstanceState", "Database instance is not in available state.")
    assert error(lambda: rds.modify_db_instance(DBInstanceIdentifier="db", BackupRetentionPeriod=7)) == busy
    until(lambda: rds.describe_db_instances(DBInstanceIdentifier="db")["DBInstances"][0]["DBInstanceStatus"],
          "available")
    assert rds.describe_db_instances(DBInstanceIdentifier="db")["DBInstances"][0]["Endpoint"]["Port"] == 5432
    # A change applied immediately starts a while later: the instance stays available with the
    # change pending, is busy while it runs, and ends available with nothing pending.
    modified = rds.modify_db_instance(DBInstanceIdentifier="db", AllocatedStorage=30, ApplyImmediately=True)
    assert modified["DBInstance"]["DBInstanceStatus"] == "available"
    assert modified["DBInstance"]["PendingModifiedValues"] == {"AllocatedStorage": 30}

    def instance():
        return rds.describe_db_instances(DBInstanceIdentifier="db")["DBInstances"][0]

    assert instance()["PendingModifiedValues"] == {"AllocatedStorage": 30}
    assert until(lambda: instance()["DBInstanceStatus"], "modifying") > DELAY / 2
    assert error(lambda: rds.modify_db_instance(DBInstanceIdentifier="db", BackupRetentionPeriod=7)) == busy
    until(lambda: instance()["DBInstanceStatus"], "available")
    assert instance().get("PendingModifiedValues", {}) == {}
    eventually(lambda: rds.modify_db_instance(DBInstanceIdentifier="db", BackupRetentionPeriod=7))


def test_a_creating_replication_group_has_no_node_groups_and_refuses_tags_and_changes(emu):
    _, _, subnets = network(emu)
    cache = emu.client("elasticache")
    created = cache_group(emu, subnets)
    assert created["Status"] == "creating" and not created.get("NodeGroups")
    described = cache.describe_replication_groups(ReplicationGroupId="rg")["ReplicationGroups"][0]
    assert "NodeGroups" not in described
    arn = created["ARN"]
    tagging = ("InvalidReplicationGroupState", "Cluster not in available state to perform tagging operations.")
    assert error(lambda: cache.list_tags_for_resource(ResourceName=arn)) == tagging
    assert error(lambda: cache.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "a", "Value": "b"}])) == tagging
    busy = ("InvalidReplicationGroupState", "Replication group must be in available state to modify.")
    assert error(lambda: cache.modify_replication_group(ReplicationGroupId="rg", SnapshotRetentionLimit=5,
                                                        ApplyImmediately=True)) == busy
    assert error(lambda: cache.increase_replica_count(ReplicationGroupId="rg", NewReplicaCount=2,
                                                      ApplyImmediately=True)) == busy
    assert error(lambda: cache.decrease_replica_count(ReplicationGroupId="rg", NewReplicaCount=0,
                                                      ApplyImmediately=True)) == busy
    until(lambda: group_status(emu), "available")
    primary = cache.describe_replication_groups(ReplicationGroupId="rg")["ReplicationGroups"][0]["NodeGroups"][0]
    assert primary["PrimaryEndpoint"]["Port"] == 6379
    # Tagging works now, and makes the group busy for a while (as on AWS).
    cache.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "a", "Value": "b"}])
    assert group_status(emu) == "modifying"
    assert error(lambda: cache.modify_replication_group(ReplicationGroupId="rg", SnapshotRetentionLimit=5,
                                                        ApplyImmediately=True)) == busy
    until(lambda: group_status(emu), "available")
    assert cache.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "a", "Value": "b"}]


def test_replica_counts_change_through_modifying(emu):
    _, _, subnets = network(emu)
    cache = emu.client("elasticache")
    cache_group(emu, subnets, AutomaticFailoverEnabled=True)
    until(lambda: group_status(emu), "available")
    assert error(lambda: cache.increase_replica_count(ReplicationGroupId="rg", NewReplicaCount=1,
                                                      ApplyImmediately=True)) == (
        "NoOperationFault", "Requested new replica count already matches current number of replicas.")
    grown = cache.increase_replica_count(ReplicationGroupId="rg", NewReplicaCount=2, ApplyImmediately=True)
    assert grown["ReplicationGroup"]["Status"] == "modifying"
    assert grown["ReplicationGroup"]["MemberClusters"] == ["rg-001", "rg-002", "rg-003"]
    assert cache.describe_cache_clusters(CacheClusterId="rg-003")["CacheClusters"][0]["CacheClusterStatus"] == \
        "creating"
    until(lambda: group_status(emu), "available")
    members = cache.describe_replication_groups(ReplicationGroupId="rg")["ReplicationGroups"][0]["NodeGroups"][0][
        "NodeGroupMembers"]
    assert len(members) == 3
    assert error(lambda: cache.decrease_replica_count(ReplicationGroupId="rg", NewReplicaCount=0,
                                                      ApplyImmediately=True))[0] == "InvalidParameterCombination"
    cache.decrease_replica_count(ReplicationGroupId="rg", NewReplicaCount=1, ApplyImmediately=True)
    assert cache.describe_cache_clusters(CacheClusterId="rg-003")["CacheClusters"][0]["CacheClusterStatus"] == \
        "deleting"
    until(lambda: cache.describe_replication_groups(ReplicationGroupId="rg")["ReplicationGroups"][0][
        "MemberClusters"], ["rg-001", "rg-002"])


def test_member_settings_are_reported_and_changed_by_modify_replication_group(emu):
    ec2, vpc, subnets = network(emu)
    groups = [ec2.create_security_group(GroupName=n, Description=n, VpcId=vpc)["GroupId"] for n in ("a", "b")]
    cache = emu.client("elasticache")
    cache_group(emu, subnets, groups=groups[:1], PreferredMaintenanceWindow="mon:05:00-mon:07:00")
    until(lambda: group_status(emu), "available")
    member = cache.describe_cache_clusters(CacheClusterId="rg-001")["CacheClusters"][0]
    assert (member["EngineVersion"], member["PreferredMaintenanceWindow"], member["CacheSubnetGroupName"]) == (
        "7.0.7", "mon:05:00-mon:07:00", "rg-subnets")
    assert [g["SecurityGroupId"] for g in member["SecurityGroups"]] == groups[:1]
    cache.modify_replication_group(ReplicationGroupId="rg", SecurityGroupIds=groups[1:], ApplyImmediately=True,
                                   PreferredMaintenanceWindow="tue:05:00-tue:07:00", EngineVersion="7.1")
    member = cache.describe_cache_clusters(CacheClusterId="rg-001")["CacheClusters"][0]
    assert (member["EngineVersion"], member["PreferredMaintenanceWindow"]) == ("7.1.0", "tue:05:00-tue:07:00")
    assert [g["SecurityGroupId"] for g in member["SecurityGroups"]] == groups[1:]
    until(lambda: group_status(emu), "available")
    assert error(lambda: cache.modify_replication_group(ReplicationGroupId="rg", EngineVersion="7.0",
                                                        ApplyImmediately=True))[0] == "InvalidParameterValue"


# --- 6. Versions ---------------------------------------------------------------------------------

def test_rds_offers_only_orderable_postgres_versions(emu):
    rds = emu.client("rds")
    assert error(lambda: database(emu, EngineVersion="15.4")) == (
        "InvalidParameterCombination", "Cannot find version 15.4 for postgres")
    assert database(emu, "major-only", EngineVersion="15")["EngineVersion"] == "15.15"
    assert database(emu, "no-version")["EngineVersion"] == "17.7"
    listed = rds.describe_db_engine_versions(Engine="postgres", EngineVersion="15")["DBEngineVersions"]
    assert [v["EngineVersion"] for v in listed] == ["15.13", "15.14", "15.15", "15.16", "15.17"]
    assert {v["DBParameterGroupFamily"] for v in listed} == {"postgres15"}
    default = rds.describe_db_engine_versions(Engine="postgres", EngineVersion="15", DefaultOnly=True)
    assert [v["EngineVersion"] for v in default["DBEngineVersions"]] == ["15.15"]
    options = rds.describe_orderable_db_instance_options(Engine="postgres", EngineVersion="15.15",
                                                         DBInstanceClass="db.t3.small")["OrderableDBInstanceOptions"]
    assert {o["StorageType"] for o in options} == {"gp2", "gp3", "io1"} and all(o["MultiAZCapable"] for o in options)


def test_rds_refuses_to_go_back_to_a_lower_minor(emu):
    rds = emu.client("rds")
    available_database(emu, EngineVersion="15.17")
    assert error(lambda: rds.modify_db_instance(DBInstanceIdentifier="db", EngineVersion="15.15",
                                                ApplyImmediately=True)) == (
        "InvalidParameterCombination", "Cannot upgrade postgres from 15.17 to 15.15")
    # The major alone changes nothing.
    rds.modify_db_instance(DBInstanceIdentifier="db", EngineVersion="15", ApplyImmediately=True)
    assert rds.describe_db_instances(DBInstanceIdentifier="db")["DBInstances"][0]["EngineVersion"] == "15.17"


def test_elasticache_reports_the_full_patch_version(emu):
    _, _, subnets = network(emu)
    cache = emu.client("elasticache")
    cache_group(emu, subnets)
    versions = {c["CacheClusterId"]: c["EngineVersion"] for c in cache.describe_cache_clusters()["CacheClusters"]}
    assert versions == {"rg-001": "7.0.7", "rg-002": "7.0.7"}
    listed = cache.describe_cache_engine_versions(Engine="redis")["CacheEngineVersions"]
    assert [(v["EngineVersion"], v["CacheParameterGroupFamily"]) for v in listed] == [("7.0", "redis7"),
                                                                                      ("7.1", "redis7")]


# --- 7. Parameter rules -----------------------------------------------------------------------

def test_gp3_below_400_gib_takes_no_iops_or_throughput(emu):
    message = ("InvalidParameterCombination", "You can't specify IOPS or storage throughput for engine postgres and "
                                              "a storage size less than 400.")
    assert error(lambda: database(emu, Iops=3000)) == message
    assert error(lambda: database(emu, StorageThroughput=125)) == message
    assert database(emu, "big", AllocatedStorage=400, Iops=12000)["AllocatedStorage"] == 400


def test_gp3_reports_its_baseline_performance_when_none_was_given(emu):
    small = database(emu)
    assert (small["Iops"], small["StorageThroughput"]) == (3000, 125)
    big = database(emu, "big", AllocatedStorage=400)
    assert (big["Iops"], big["StorageThroughput"]) == (12000, 500)
    provisioned = database(emu, "provisioned", AllocatedStorage=400, Iops=16000, StorageThroughput=1000)
    assert (provisioned["Iops"], provisioned["StorageThroughput"]) == (16000, 1000)


def test_allocated_storage_never_shrinks(emu):
    rds = emu.client("rds")
    available_database(emu, AllocatedStorage=30)
    assert error(lambda: rds.modify_db_instance(DBInstanceIdentifier="db", AllocatedStorage=20)) == (
        "InvalidParameterCombination", "Invalid storage size for engine name postgres and storage type gp3: 20")


def test_load_balancer_and_target_group_names_are_at_most_32_characters(emu):
    ec2, vpc, subnets = network(emu)
    elb = emu.client("elbv2")
    long_name = "credlink-production-alb-too-long1"
    assert error(lambda: elb.create_load_balancer(Name=long_name, Subnets=subnets)) == (
        "ValidationError", f"The load balancer name '{long_name}' cannot be longer than '32' characters")
    assert error(lambda: elb.create_target_group(Name=long_name, Protocol="HTTP", Port=80, VpcId=vpc)) == (
        "ValidationError", f"Target group name '{long_name}' cannot be longer than '32' characters")
    elb.create_load_balancer(Name=long_name[:32], Subnets=subnets)


@pytest.mark.parametrize("days, accepted", [(7, True), (31, True), (713, True), (731, True), (94, False),
                                            (0, False), (744, False)])
def test_performance_insights_retention_takes_only_aws_values(emu, days, accepted):
    def create():
        return database(emu, f"pi-{days}", EnablePerformanceInsights=True, PerformanceInsightsRetentionPeriod=days)

    if accepted:
        create()
    else:
        assert error(create)[0] == "InvalidParameterValue"


# --- 8. Time passing --------------------------------------------------------------------------

def test_advance_upgrades_minors_and_grows_storage(emu):
    available_database(emu, "upgraded", EngineVersion="15", MaxAllocatedStorage=100)
    available_database(emu, "pinned", EngineVersion="15.15", AutoMinorVersionUpgrade=False)
    rds = emu.changes("rds", emu.advance())
    assert rds == {("upgraded", "EngineVersion"): ("15.15", "15.17"), ("upgraded", "AllocatedStorage"): (20, 30)}
    described = emu.client("rds").describe_db_instances(DBInstanceIdentifier="upgraded")["DBInstances"][0]
    assert (described["EngineVersion"], described["AllocatedStorage"]) == ("15.17", 30)
    # What a rerun asking for the old values meets afterwards:
    assert error(lambda: emu.client("rds").modify_db_instance(DBInstanceIdentifier="upgraded", AllocatedStorage=20))[
        1] == "Invalid storage size for engine name postgres and storage type gp3: 20"
    assert emu.changes("rds", emu.advance()) == {("upgraded", "AllocatedStorage"): (30, 40)}


def test_advance_applies_the_elasticache_patch_of_a_table_with_a_newer_one(tmp_path):
    table = Path(ROOT, "tools/emulator/data/engine_versions.yml").read_text().replace(
        'patches: ["7.0.7"]', 'patches: ["7.0.7", "7.0.8"]')
    (tmp_path / "versions.yml").write_text(table)
    with serve_emulator(tmp_path, extra_env={"CREDLINK_EMULATOR_VERSIONS_FILE": str(tmp_path / "versions.yml")}) as emu:
        _, _, subnets = network(emu)
        cache_group(emu, subnets)
        assert emu.advance()["elasticache"] == [{"account": "123456789012", "region": "us-east-1",
                                                 "resource": "rg", "setting": "EngineVersion",
                                                 "from": "7.0.7", "to": "7.0.8"}]
        members = emu.client("elasticache").describe_cache_clusters()["CacheClusters"]
        assert {m["EngineVersion"] for m in members} == {"7.0.8"}


def test_the_advance_command_talks_to_the_running_emulator(emu):
    available_database(emu, EngineVersion="15")
    port = emu.endpoint_url.rsplit(":", 1)[1]
    result = subprocess.run([sys.executable, "-m", "tools.emulator", "advance"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "CREDLINK_EMULATOR_PORT": port})
    assert result.returncode == 0, result.stderr
    assert "rds: db EngineVersion 15.15 -> 15.17" in result.stdout.splitlines()


# --- 9. Failed deployments ----------------------------------------------------------------------

def service_with_circuit_breaker(emu, rollback: bool | None = True):
    ec2, vpc, subnets = network(emu)
    elb, ecs = emu.client("elbv2"), emu.client("ecs")
    target_group = elb.create_target_group(Name="tg", Protocol="HTTP", Port=3001, VpcId=vpc, TargetType="ip")[
        "TargetGroups"][0]["TargetGroupArn"]
    ecs.create_cluster(clusterName="c")
    for image in ("app:1.0.0", "app:1.0.1-broken"):
        ecs.register_task_definition(family="app", networkMode="awsvpc", cpu="256", memory="512",
                                     requiresCompatibilities=["FARGATE"],
                                     containerDefinitions=[{"name": "app", "image": f"registry/{image}",
                                                            "portMappings": [{"containerPort": 3001}]}])
    config = {} if rollback is None else {
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": rollback}}}
    eventually(lambda: ecs.create_service(
        cluster="c", serviceName="s", taskDefinition="app:1", desiredCount=2, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [default_group(ec2, vpc)]}},
        loadBalancers=[{"targetGroupArn": target_group, "containerName": "app", "containerPort": 3001}], **config))
    until(lambda: primary(ecs)["rolloutState"], "COMPLETED")
    return ecs, target_group


def primary(ecs) -> dict:
    deployments = ecs.describe_services(cluster="c", services=["s"])["services"][0]["deployments"]
    return next(d for d in deployments if d["status"] == "PRIMARY")


def test_a_broken_image_fails_and_the_circuit_breaker_rolls_back(emu):
    ecs, target_group = service_with_circuit_breaker(emu)
    stable = primary(ecs)["id"]
    ecs.update_service(cluster="c", service="s", taskDefinition="app:2")
    assert primary(ecs)["rolloutState"] == "IN_PROGRESS"
    failing = primary(ecs)["id"]
    until(lambda: primary(ecs)["rolloutStateReason"],
          f"ECS deployment circuit breaker: rolling back to deploymentId {stable}.")
    service = ecs.describe_services(cluster="c", services=["s"])["services"][0]
    failed = next(d for d in service["deployments"] if d["id"] == failing)
    assert (failed["rolloutState"], failed["rolloutStateReason"], failed["failedTasks"]) == (
        "FAILED", "ECS deployment circuit breaker: tasks failed to start.", 3)
    messages = [e["message"] for e in service["events"]]
    assert f"(service s) (deployment {failing}) deployment failed: tasks failed to start." in messages
    assert f"(service s) rolling back to deployment {stable}." in messages
    stopped = ecs.describe_tasks(cluster="c", tasks=ecs.list_tasks(cluster="c", desiredStatus="STOPPED")["taskArns"])
    assert len(stopped["tasks"]) == 3
    assert {t["stoppedReason"] for t in stopped["tasks"]} == {
        f"Task failed ELB health checks in (target-group {target_group})"}
    until(lambda: primary(ecs)["rolloutState"], "COMPLETED")
    service = ecs.describe_services(cluster="c", services=["s"])["services"][0]
    assert service["taskDefinition"].endswith("task-definition/app:1") and len(service["deployments"]) == 1
    assert service["runningCount"] == 2


def test_without_rollback_the_failed_deployment_stays(emu):
    ecs, _ = service_with_circuit_breaker(emu, rollback=False)
    ecs.update_service(cluster="c", service="s", taskDefinition="app:2")
    until(lambda: primary(ecs)["rolloutState"], "FAILED")
    time.sleep(DELAY + 0.5)
    service = ecs.describe_services(cluster="c", services=["s"])["services"][0]
    assert primary(ecs)["taskDefinition"].endswith("app:2") and service["taskDefinition"].endswith("app:2")


def test_without_circuit_breaker_a_broken_deployment_keeps_failing(emu):
    ecs, _ = service_with_circuit_breaker(emu, rollback=None)
    ecs.update_service(cluster="c", service="s", taskDefinition="app:2")
    until(lambda: primary(ecs)["failedTasks"] >= 6, True)
    assert primary(ecs)["rolloutState"] == "IN_PROGRESS"


# --- 10. Secrets ------------------------------------------------------------------------------

def test_a_force_deleted_secret_name_stays_taken_for_a_while(emu):
    secrets = emu.client("secretsmanager")
    secrets.create_secret(Name="credlink-test-db-credentials", SecretString="{}")
    secrets.delete_secret(SecretId="credlink-test-db-credentials", ForceDeleteWithoutRecovery=True)

    def create():
        return secrets.create_secret(Name="credlink-test-db-credentials", SecretString="{}")

    assert error(create) == ("InvalidRequestException",
                             "You can't create this secret because a secret with this name is already scheduled for deletion.")
    eventually(create)
    secrets.delete_secret(SecretId="credlink-test-db-credentials", RecoveryWindowInDays=7)
    assert error(create)[1].endswith("already scheduled for deletion.")


# --- 11. Faults: processed, then 500 ------------------------------------------------------------

def test_a_processed_call_answered_500_leaves_its_resource_behind(emu):
    ec2, _, subnets = network(emu)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    from botocore.config import Config

    once = emu.client("ec2", config=Config(retries={"max_attempts": 1}))
    emu.faults("every=1,kinds=processed")
    try:
        code, _ = error(lambda: once.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation))
    finally:
        emu.faults("")
    assert code == "InternalError"
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1


# --- 12. API latency ----------------------------------------------------------------------------

def test_api_latency_delays_every_call(tmp_path):
    with serve_emulator(tmp_path, "--api-latency-ms", "300") as slow:
        sts = slow.client("sts")
        sts.get_caller_identity()
        started = time.monotonic()
        sts.get_caller_identity()
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        slow.realism()  # the emulator's own paths are not delayed
        assert time.monotonic() - started < 0.3


# --- Realism off --------------------------------------------------------------------------------

def test_realism_off_is_plain_moto(emulator_without_realism):
    emu = emulator_without_realism
    emu.reset()
    assert emu.realism() == {"realism": "off"}
    assert database(emu, EngineVersion="15.4")["EngineVersion"] == "15.4"
    ec2, vpc, _ = network(emu)
    arn = role(emu, "flow-logs", "vpc-flow-logs.amazonaws.com")
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogGroupName="g",
                         DeliverLogsPermissionArn=arn)
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        emu.advance()
    assert refused.value.code == 409


def test_the_emulator_reports_its_realism(realistic):
    emu = realistic
    assert emu.realism() == {"realism": "on", "consistency_seconds": DELAY,
                             "delays": {key: DELAY for key in ("iam", "slr", "ids", "enis", "states", "modify",
                                                               "deployments", "secrets")}}
