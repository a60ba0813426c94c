"""What the localstack molecule scenario converged, read back from LocalStack with boto3.

Run by extensions/molecule/localstack/verify.yml (``CREDLINK_LOCALSTACK_URL`` and
``CREDLINK_VERIFY_ENV`` set); not collected on its own (no ``test_`` prefix): it needs
the converged network, secrets, storage and monitoring layers.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.integration.network_inspect import describe_network, tags_of
from tests.integration.test_network_layer import ZONES, assert_common_layout, nat_by_zone, private_route_targets

ENV = os.environ.get("CREDLINK_VERIFY_ENV", "production")
PREFIX = f"credlink-{ENV}"
COMMON_TAGS = {"Project": "credlink", "Environment": ENV, "ManagedBy": "ansible"}


@pytest.fixture(scope="module")
def account_id(localstack) -> str:
    return localstack.client("sts").get_caller_identity()["Account"]


def test_network_is_the_production_layout(localstack):
    net = describe_network(localstack, ENV)
    assert_common_layout(net, ENV, "10.0.0.0/16")
    assert len(net["nats"]) == 2 and all(n["State"] == "available" for n in net["nats"])
    nats = nat_by_zone(net, ENV)
    assert set(nats) == set(ZONES), "one NAT gateway in each zone's public subnet"
    for nat in net["nats"]:
        zone = next(z for z, nat_id in nats.items() if nat_id == nat["NatGatewayId"])
        assert tags_of(nat) == {**COMMON_TAGS, "Name": f"{PREFIX}-nat-{zone}"}
    nat_addresses = [a for a in net["addresses"] if tags_of(a).get("Name", "").startswith(f"{PREFIX}-nat-")]
    assert len(nat_addresses) == 2 and all(a.get("AssociationId") for a in nat_addresses)
    assert private_route_targets(net, ENV) == nats, "each private subnet routes through its own zone's NAT"
    assert {tags_of(t).get("Tier") for t in net["route_tables"].values()} >= {"public", "private", "database"}
    [flow_log] = net["flow_logs"]
    assert flow_log["FlowLogStatus"] == "ACTIVE" and flow_log["MaxAggregationInterval"] == 600
    assert tags_of(flow_log) == {**COMMON_TAGS, "Name": f"{PREFIX}-flow-logs"}
    [group] = localstack.client("logs").describe_log_groups(
        logGroupNamePrefix=f"/aws/vpc/{PREFIX}-flow-logs")["logGroups"]
    assert group["retentionInDays"] == 30
    role = localstack.client("iam").get_role(RoleName=f"{PREFIX}-flow-logs")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}


def test_secret_holds_the_credentials_under_the_default_key(localstack, account_id):
    sm = localstack.client("secretsmanager")
    meta = sm.describe_secret(SecretId=f"{PREFIX}-db-credentials")
    assert "DeletedDate" not in meta, "the secret must not be scheduled for deletion"
    assert "KmsKeyId" not in meta, "production uses the AWS managed key (secrets_kms_key_id is empty)"
    assert tags_of(meta) == {**COMMON_TAGS, "Name": f"{PREFIX}-db-credentials"}
    value = json.loads(sm.get_secret_value(SecretId=meta["ARN"])["SecretString"])
    # No database on this endpoint: the host (and the url key) come once it has one.
    assert sorted(value) == ["dbname", "engine", "host", "password", "port", "username"]
    assert (value["username"], value["engine"], value["host"], value["port"], value["dbname"]) == (
        "credlink_admin", "postgres", "", 5432, "credlink")
    assert len(value["password"]) == 32, "32-character password (its value is never shown)"
    policy = localstack.client("iam").get_policy(
        PolicyArn=f"arn:aws:iam::{account_id}:policy/{PREFIX}-db-credentials-read")["Policy"]
    document = localstack.client("iam").get_policy_version(
        PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    if isinstance(document, str):
        document = json.loads(document)
    [statement] = document["Statement"]
    assert statement["Resource"] == meta["ARN"]


def test_proofs_bucket_is_private_versioned_encrypted_and_tls_only(localstack, account_id):
    s3 = localstack.client("s3")
    bucket = f"{PREFIX}-proofs-{account_id}"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                     "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    [owner] = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert owner["ObjectOwnership"] == "BucketOwnerEnforced"
    [statement] = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    [lifecycle] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle["Status"] == "Enabled"
    assert lifecycle["Transitions"] == [{"Days": 90, "StorageClass": "GLACIER"}]
    assert lifecycle["Expiration"]["Days"] == 365
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    [cors] = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert cors["AllowedOrigins"] == ["https://app.credlink.example"]
    assert sorted(cors["AllowedMethods"]) == ["GET", "HEAD"]
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags == {**COMMON_TAGS, "Name": bucket}
    metrics = s3.get_bucket_metrics_configuration(Bucket=bucket, Id="EntireBucket")["MetricsConfiguration"]
    assert metrics["Id"] == "EntireBucket" and "Filter" not in metrics


def test_alarm_topic_and_the_alarms_whose_targets_exist(localstack, account_id):
    """LocalStack community has no RDS, ElastiCache, ECS or ELBv2: only the bucket is watched."""
    topic_arn = f"arn:aws:sns:us-east-1:{account_id}:{PREFIX}-alarms"
    attributes = localstack.client("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert attributes["DisplayName"] == f"{PREFIX} alarms"
    topic_tags = localstack.client("sns").list_tags_for_resource(ResourceArn=topic_arn)["Tags"]
    assert tags_of({"Tags": topic_tags}) == {**COMMON_TAGS, "Name": f"{PREFIX}-alarms"}
    cloudwatch = localstack.client("cloudwatch")
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=f"{PREFIX}-")["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms] == [f"{PREFIX}-s3-4xx-warning"]
    [alarm] = alarms
    assert alarm["AlarmActions"] == [topic_arn] and alarm["OKActions"] == [topic_arn]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/S3", "4xxErrors", "Average")
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
        "BucketName": f"{PREFIX}-proofs-{account_id}", "FilterId": "EntireBucket"}
    assert alarm["Threshold"] == 0.01 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    alarm_tags = cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
    assert tags_of({"Tags": alarm_tags}).items() >= COMMON_TAGS.items()
