"""The emulator's documented moto fixes, applied to moto in-process."""

from __future__ import annotations

import json

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


def _ecs_service(**extra):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    ecs = boto3.client("ecs", region_name="us-east-1")
    ecs.create_cluster(clusterName="c")
    for image in ("one", "two"):
        ecs.register_task_definition(family="f", containerDefinitions=[{"name": "app", "image": image}],
                                     requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512")
    ecs.create_service(cluster="c", serviceName="s", taskDefinition="f:1", desiredCount=2, launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}}, **extra)
    return ecs


def test_ecs_service_keeps_circuit_breaker_and_grace_period_and_runs_its_tasks():
    ecs = _ecs_service(healthCheckGracePeriodSeconds=60,
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    service = ecs.describe_services(cluster="c", services=["s"])["services"][0]
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["runningCount"] == 2 and service["deployments"][0]["rolloutState"] == "COMPLETED"


def test_ecs_update_rolls_the_primary_deployment_to_the_new_task_definition():
    ecs = _ecs_service()
    ecs.update_service(cluster="c", service="s", taskDefinition="f:2")
    deployment = ecs.describe_services(cluster="c", services=["s"])["services"][0]["deployments"][0]
    assert deployment["taskDefinition"] == "f:2" and deployment["rolloutState"] == "COMPLETED"


def test_scaling_policies_are_filtered_by_name():
    _ecs_service()
    aas = boto3.client("application-autoscaling", region_name="us-east-1")
    target = {"ServiceNamespace": "ecs", "ResourceId": "service/c/s", "ScalableDimension": "ecs:service:DesiredCount"}
    aas.register_scalable_target(MinCapacity=1, MaxCapacity=2, **target)
    for name, metric in (("cpu", "ECSServiceAverageCPUUtilization"), ("memory", "ECSServiceAverageMemoryUtilization")):
        aas.put_scaling_policy(PolicyName=name, PolicyType="TargetTrackingScaling", **target,
                               TargetTrackingScalingPolicyConfiguration={
                                   "TargetValue": 50.0, "PredefinedMetricSpecification": {"PredefinedMetricType": metric}})
    found = aas.describe_scaling_policies(ServiceNamespace="ecs", PolicyNames=["memory"])["ScalingPolicies"]
    assert [p["PolicyName"] for p in found] == ["memory"]


def test_application_load_balancers_report_the_routing_attributes():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    elb = boto3.client("elbv2", region_name="us-east-1")
    arn = elb.create_load_balancer(Name="alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    attributes = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "false"


def test_bucket_metrics_configurations_are_stored_and_never_delete_the_bucket():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="metrics-probe")
    s3.put_bucket_metrics_configuration(Bucket="metrics-probe", Id="all", MetricsConfiguration={"Id": "all"})
    assert s3.get_bucket_metrics_configuration(Bucket="metrics-probe", Id="all")["MetricsConfiguration"] == {"Id": "all"}
    s3.delete_bucket_metrics_configuration(Bucket="metrics-probe", Id="all")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["metrics-probe"]
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchConfiguration"):
        s3.get_bucket_metrics_configuration(Bucket="metrics-probe", Id="all")


def test_a_deleted_replication_group_goes_away():
    elasticache = boto3.client("elasticache", region_name="us-east-1")
    elasticache.create_replication_group(ReplicationGroupId="gone", ReplicationGroupDescription="d",
                                         CacheNodeType="cache.t3.micro", Engine="redis", NumCacheClusters=1)
    answer = elasticache.delete_replication_group(ReplicationGroupId="gone")["ReplicationGroup"]
    assert answer["Status"] == "deleting"
    with pytest.raises(elasticache.exceptions.ReplicationGroupNotFoundFault):
        elasticache.describe_replication_groups(ReplicationGroupId="gone")


def test_cache_subnet_groups_can_be_deleted():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    elasticache = boto3.client("elasticache", region_name="us-east-1")
    elasticache.create_cache_subnet_group(CacheSubnetGroupName="g", CacheSubnetGroupDescription="d", SubnetIds=[subnet])
    elasticache.delete_cache_subnet_group(CacheSubnetGroupName="g")
    assert elasticache.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
    with pytest.raises(elasticache.exceptions.CacheSubnetGroupNotFoundFault):
        elasticache.delete_cache_subnet_group(CacheSubnetGroupName="g")


def test_tls_only_policy_lets_the_emulators_requests_through_but_other_denials_hold():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="tls-probe")
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::tls-probe", "arn:aws:s3:::tls-probe/*"]}
    s3.put_bucket_policy(Bucket="tls-probe", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {**deny, "Sid": "TlsOnly", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    s3.put_object(Bucket="tls-probe", Key="k", Body=b"v")
    assert s3.get_object(Bucket="tls-probe", Key="k")["Body"].read() == b"v"
    s3.put_bucket_policy(Bucket="tls-probe", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {**deny, "Sid": "Nobody", "Action": "s3:GetObject"}]}))
    with pytest.raises(s3.exceptions.ClientError, match="403"):
        s3.get_object(Bucket="tls-probe", Key="k")


def test_a_nat_gateway_interface_looks_as_on_aws_and_goes_with_the_gateway(offline_aws):
    patches.apply_all()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
        [eni] = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"]
        assert (eni["Description"], eni["InterfaceType"], eni["Groups"]) == (
            f"Interface for NAT Gateway {nat}", "nat_gateway", [])
        ec2.delete_nat_gateway(NatGatewayId=nat)
        assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"] == []
        # The address is disassociated, not released: releasing it is the caller's choice.
        [address] = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"]
        assert "AssociationId" not in address
        ec2.release_address(AllocationId=allocation)


def test_target_tracking_alarms_go_with_their_policy_and_target():
    with mock_aws():
        scaling = boto3.client("application-autoscaling", region_name="us-east-1")
        cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
        ecs = boto3.client("ecs", region_name="us-east-1")
        ecs.create_cluster(clusterName="c")
        ecs.register_task_definition(family="f", containerDefinitions=[{"name": "app", "image": "i", "memory": 512}])
        ecs.create_service(cluster="c", serviceName="s", taskDefinition="f", desiredCount=1)
        target = {"ServiceNamespace": "ecs", "ResourceId": "service/c/s", "ScalableDimension": "ecs:service:DesiredCount"}
        scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=2)

        def put(value):
            scaling.put_scaling_policy(**target, PolicyName="cpu", PolicyType="TargetTrackingScaling",
                                       TargetTrackingScalingPolicyConfiguration={
                                           "TargetValue": value, "PredefinedMetricSpecification": {
                                               "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})
        put(70)
        assert len(cloudwatch.describe_alarms()["MetricAlarms"]) == 2
        put(60)  # replaced: its old alarms go
        assert len(cloudwatch.describe_alarms()["MetricAlarms"]) == 2
        scaling.deregister_scalable_target(**target)
        assert cloudwatch.describe_alarms()["MetricAlarms"] == []
        assert scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []


def test_gp3_instances_report_the_baseline_unless_they_have_their_own_performance():
    rds = boto3.client("rds", region_name="us-east-1")

    def create(name, **extra):
        return rds.create_db_instance(
            DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro", StorageType="gp3",
            MasterUsername="credlink_admin", MasterUserPassword="x" * 32, **extra)["DBInstance"]

    small = create("small", AllocatedStorage=20)
    assert (small["Iops"], small["StorageThroughput"]) == (3000, 125)
    assert (create("big", AllocatedStorage=400)["Iops"], create("big2", AllocatedStorage=500)["StorageThroughput"]) == (
        12000, 500)
    own = create("own", AllocatedStorage=400, Iops=16000, StorageThroughput=1000)
    assert (own["Iops"], own["StorageThroughput"]) == (16000, 1000)
    grown = rds.modify_db_instance(DBInstanceIdentifier="small", AllocatedStorage=400, ApplyImmediately=True)
    described = rds.describe_db_instances(DBInstanceIdentifier="small")["DBInstances"][0]
    assert grown["DBInstance"]["DBInstanceIdentifier"] == "small"
    assert (described["Iops"], described["StorageThroughput"]) == (12000, 500)
    gp2 = rds.create_db_instance(
        DBInstanceIdentifier="gp2", Engine="postgres", DBInstanceClass="db.t3.micro", StorageType="gp2",
        MasterUsername="credlink_admin", MasterUserPassword="x" * 32, AllocatedStorage=20)["DBInstance"]
    assert "StorageThroughput" not in gp2


def test_an_attached_or_versioned_policy_is_not_deleted():
    iam = boto3.client("iam", region_name="us-east-1")
    statement = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    arn = iam.create_policy(PolicyName="read", PolicyDocument=document)["Policy"]["Arn"]
    iam.create_role(RoleName="user", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.attach_role_policy(RoleName="user", PolicyArn=arn)
    with pytest.raises(iam.exceptions.DeleteConflictException, match="Cannot delete a policy attached to entities"):
        iam.delete_policy(PolicyArn=arn)
    iam.detach_role_policy(RoleName="user", PolicyArn=arn)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document, SetAsDefault=True)
    with pytest.raises(iam.exceptions.DeleteConflictException, match="more than one version"):
        iam.delete_policy(PolicyArn=arn)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy(PolicyArn=arn)
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_a_policy_name_is_unique_whatever_the_path_and_case():
    iam = boto3.client("iam", region_name="us-east-1")
    statement = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    iam.create_policy(PolicyName="read", Path="/a/", PolicyDocument=document)
    for path, name in (("/b/", "read"), ("/a/", "READ"), ("/", "Read")):
        with pytest.raises(iam.exceptions.EntityAlreadyExistsException,
                           match="A policy called .* already exists. Duplicate names are not allowed."):
            iam.create_policy(PolicyName=name, Path=path, PolicyDocument=document)
    iam.create_policy(PolicyName="write", Path="/b/", PolicyDocument=document)
