"""The collection's modules, and the stock-module settings the roles rely on, on LocalStack.

The same behaviours are pinned against moto in tests/unit; here they meet the second
emulator. Names are unique per test, so these run beside the molecule scenario's stack.
"""

from __future__ import annotations

import json
import uuid

import pytest
from ansible_collections.amazon.aws.plugins.modules import ec2_vpc_nat_gateway

from ansible_collections.credlink.infra.plugins.modules import (
    cloudwatch_alarm_set, db_credentials_secret, ec2_route_table_set, ec2_vpc_flow_log, s3_bucket_request_metrics)
from tests.unit.in_process import call_main

TAGS = {"Project": "credlink", "Environment": "lstest", "ManagedBy": "ansible"}


@pytest.fixture
def name(localstack_env) -> str:
    return f"credlink-lstest-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def vpc(localstack_env) -> str:
    ec2 = localstack_env.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    yield vpc_id
    for table in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]:
        if not any(a.get("Main") for a in table["Associations"]):
            for assoc in table["Associations"]:
                ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
            ec2.delete_route_table(RouteTableId=table["RouteTableId"])


def twice(module, args: dict, capsys) -> tuple[dict, dict]:
    first, code = call_main(module, args, capsys)
    assert code == 0, first
    second, code = call_main(module, args, capsys)
    assert code == 0, second
    return first, second


def test_route_table_set_creates_then_reruns_without_change(localstack_env, vpc, name, capsys):
    """LocalStack answers DescribeRouteTables without the routes' Origin, which tells the
    module's own routes from the local one on AWS; a rerun must still see nothing to do."""
    ec2 = localstack_env.client("ec2")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    args = {"vpc_id": vpc, "route_tables": [{"name": name, "tags": TAGS,
                                             "routes": [{"dest": "0.0.0.0/0", "gateway_id": igw}]}]}
    created, code = call_main(ec2_route_table_set, args, capsys)
    assert code == 0 and created["changed"] is True, created
    table_id = created["route_tables"][0]["id"]
    rerun, code = call_main(ec2_route_table_set, args, capsys)
    assert code == 0 and rerun["changed"] is False, rerun
    try:
        [table] = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"]
        assert {r["DestinationCidrBlock"]: r.get("GatewayId") for r in table["Routes"]} == {
            "10.77.0.0/16": "local", "0.0.0.0/0": igw}
    finally:
        ec2.delete_route_table(RouteTableId=table_id)
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.delete_internet_gateway(InternetGatewayId=igw)


def test_nat_gateway_tags_read_from_describe_nat_gateways(localstack_env, vpc, name, capsys):
    """Tags given on creation are stored; a rerun that omits them (as the network role
    does once DescribeNatGateways shows them) changes nothing. Passing them again makes
    the module re-tag on every run here: it filters DescribeTags by `natgateway`, which
    LocalStack files as `nat-gateway`."""
    ec2 = localstack_env.client("ec2")
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    tags = {**TAGS, "Name": name}
    args = {"subnet_id": subnet, "if_exist_do_not_create": True, "wait": False, "tags": tags}
    created, code = call_main(ec2_vpc_nat_gateway, args, capsys)
    assert code == 0 and created["changed"] is True, created
    [nat] = ec2.describe_nat_gateways(Filter=[{"Name": "subnet-id", "Values": [subnet]}])["NatGateways"]
    assert {t["Key"]: t["Value"] for t in nat["Tags"]} == tags
    rerun, code = call_main(ec2_vpc_nat_gateway, {**args, "tags": None}, capsys)
    assert code == 0 and rerun["changed"] is False, rerun
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])


def test_flow_log_rerun_reports_no_change(localstack_env, vpc, name, capsys):
    args = {"resource_id": vpc, "log_group_name": f"/aws/vpc/{name}",
            "deliver_logs_permission_arn": f"arn:aws:iam::000000000000:role/{name}",
            "max_aggregation_interval": 600, "tags": {**TAGS, "Name": name}}
    first, second = twice(ec2_vpc_flow_log, args, capsys)
    assert first["changed"] is True and second["changed"] is False
    assert second["flow_log"]["tags"] == {**TAGS, "Name": name}
    call_main(ec2_vpc_flow_log, {**args, "state": "absent"}, capsys)


def test_credentials_secret_rerun_keeps_the_password(localstack_env, name, capsys):
    sm = localstack_env.client("secretsmanager")
    args = {"name": name, "tags": {**TAGS, "Name": name}, "recovery_window_days": 7}
    first, code = call_main(db_credentials_secret, args, capsys)
    assert code == 0 and first["changed"] is True
    version = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    second, code = call_main(db_credentials_secret, args, capsys)
    assert code == 0 and second["changed"] is False
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == version
    password = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])["password"]
    assert password not in repr(first) + repr(second), "the password never leaves the module"
    deleted, code = call_main(db_credentials_secret, {**args, "state": "absent"}, capsys)
    assert code == 0 and deleted["changed"] is True
    assert "DeletedDate" in sm.describe_secret(SecretId=name), "deleted with a 7-day recovery window"
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def test_bucket_request_metrics_rerun_reports_no_change(localstack_env, name, capsys):
    s3 = localstack_env.client("s3")
    s3.create_bucket(Bucket=name)
    try:
        first, second = twice(s3_bucket_request_metrics, {"bucket": name, "id": "EntireBucket"}, capsys)
        assert first["changed"] is True and second["changed"] is False
        config = s3.get_bucket_metrics_configuration(Bucket=name, Id="EntireBucket")["MetricsConfiguration"]
        assert config["Id"] == "EntireBucket"
    finally:
        s3.delete_bucket(Bucket=name)


def test_alarm_set_rerun_reports_no_change_and_purges(localstack_env, name, capsys):
    cloudwatch = localstack_env.client("cloudwatch")
    alarm = {"name": f"{name}-s3-4xx-warning", "namespace": "AWS/S3", "metric_name": "4xxErrors",
             "statistic": "Average", "dimensions": {"BucketName": name, "FilterId": "EntireBucket"},
             "period": 300, "evaluation_periods": 1, "comparison": "GreaterThanThreshold",
             "threshold": 0.01, "treat_missing_data": "notBreaching"}
    args = {"prefix": f"{name}-", "alarms": [alarm], "tags": TAGS, "purge": True}
    first, second = twice(cloudwatch_alarm_set, args, capsys)
    assert first["changed"] is True and second["changed"] is False
    purged, code = call_main(cloudwatch_alarm_set, {**args, "alarms": []}, capsys)
    assert code == 0 and purged["changed"] is True
    assert cloudwatch.describe_alarms(AlarmNamePrefix=f"{name}-")["MetricAlarms"] == []
