"""The emulator's documented moto fixes, applied to moto in-process."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from tools.emulator import patches


@pytest.fixture(autouse=True)
def patched(offline_aws):
    patches.apply_all()
    with mock_aws():
        yield


def test_rds_accepts_touching_backup_and_maintenance_windows():
    rds = boto3.client("rds", region_name="us-east-1")
    instance = rds.create_db_instance(
        DBInstanceIdentifier="touching", Engine="postgres", DBInstanceClass="db.t3.micro",
        MasterUsername="credlink_admin", MasterUserPassword="x" * 32, AllocatedStorage=20,
        PreferredBackupWindow="03:00-04:00", PreferredMaintenanceWindow="mon:04:00-mon:05:00",
    )["DBInstance"]
    assert instance["PreferredBackupWindow"] == "03:00-04:00"


def test_rds_still_rejects_really_overlapping_windows():
    rds = boto3.client("rds", region_name="us-east-1")
    with pytest.raises(rds.exceptions.ClientError, match="must not overlap"):
        rds.create_db_instance(
            DBInstanceIdentifier="overlapping", Engine="postgres", DBInstanceClass="db.t3.micro",
            MasterUsername="credlink_admin", MasterUserPassword="x" * 32, AllocatedStorage=20,
            PreferredBackupWindow="03:00-04:30", PreferredMaintenanceWindow="mon:04:00-mon:05:00",
        )


def test_tag_resource_types_use_aws_names():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.3.1.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip,
                                 TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "n"}]}])
    nat_id = nat["NatGateway"]["NatGatewayId"]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [nat_id]},
                                      {"Name": "resource-type", "Values": ["natgateway"]}])["Tags"]
    assert [(t["Key"], t["ResourceType"]) for t in tags] == [("Name", "natgateway")]


def test_rule_description_updates_answer_return():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    rule = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "outbound"}]}]
    answer = ec2.update_security_group_rule_descriptions_egress(GroupId=group, IpPermissions=rule)
    assert answer["Return"] is True
    [egress] = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissionsEgress"]
    assert egress["IpRanges"][0]["Description"] == "outbound"
