"""ecr_repository, db_credentials_secret_info, cloudwatch_alarm_set and s3_bucket_request_metrics on moto."""

from __future__ import annotations

import json

import boto3
import botocore
import pytest
from moto import mock_aws

from ansible_collections.credlink.infra.plugins.modules import cloudwatch_alarm_set
from ansible_collections.credlink.infra.plugins.modules import db_credentials_secret_info
from ansible_collections.credlink.infra.plugins.modules import ecr_repository
from ansible_collections.credlink.infra.plugins.modules import s3_bucket_request_metrics
from tests.unit.in_process import call_main
from tools.emulator import patches

REPO = "credlink-test-sign-service"
BUCKET = "credlink-test-proofs-123456789012"
KEEP_10 = {"rules": [{"rulePriority": 1, "description": "Keep 10", "action": {"type": "expire"},
                      "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10}}]}


@pytest.fixture
def aws(offline_aws):
    patches.apply_all()
    with mock_aws():
        yield


# ecr_repository

def repo_args(**overrides):
    return {"name": REPO, "scan_on_push": True, "lifecycle_policy": KEEP_10, "tags": {"Project": "credlink"}, **overrides}


def registry_rules():
    return boto3.client("ecr", region_name="us-east-1").get_registry_scanning_configuration()["scanningConfiguration"]


def test_repository_is_created_scanned_tagged_with_lifecycle(aws, capsys):
    result, code = call_main(ecr_repository, repo_args(), capsys)
    assert code == 0 and result["changed"] is True
    ecr = boto3.client("ecr", region_name="us-east-1")
    repo = ecr.describe_repositories(repositoryNames=[REPO])["repositories"][0]
    assert registry_rules()["rules"] == [
        {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": REPO, "filterType": "WILDCARD"}]}]
    assert json.loads(ecr.get_lifecycle_policy(repositoryName=REPO)["lifecyclePolicyText"]) == KEEP_10
    assert ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"] == [{"Key": "Project", "Value": "credlink"}]
    assert result["repository"]["repository_uri"].endswith(f"/{REPO}")
    assert result["repository"]["scan_on_push"] is True


def api_calls(monkeypatch):
    original = botocore.client.BaseClient._make_api_call
    calls = []

    def record(self, operation, params):
        calls.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return calls


def test_scanning_never_uses_the_deprecated_repository_level_api(aws, capsys, monkeypatch):
    calls = api_calls(monkeypatch)
    call_main(ecr_repository, repo_args(), capsys)
    call_main(ecr_repository, repo_args(scan_on_push=False), capsys)
    assert "PutImageScanningConfiguration" not in calls and "PutRegistryScanningConfiguration" in calls


OTHERS = [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "team-a-*", "filterType": "WILDCARD"}]},
          {"scanFrequency": "MANUAL", "repositoryFilters": [{"filter": "sandbox", "filterType": "WILDCARD"}]}]


def test_other_repositories_rules_are_kept_and_ours_joins_the_scan_on_push_rule(aws, capsys):
    boto3.client("ecr", region_name="us-east-1").put_registry_scanning_configuration(scanType="BASIC", rules=OTHERS)
    result, _ = call_main(ecr_repository, repo_args(), capsys)
    assert result["changed"] is True
    config = registry_rules()
    assert config["scanType"] == "BASIC"
    merged = [{"filter": "team-a-*", "filterType": "WILDCARD"}, {"filter": REPO, "filterType": "WILDCARD"}]
    assert config["rules"] == [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": merged}, OTHERS[1]]
    assert call_main(ecr_repository, repo_args(), capsys)[0]["changed"] is False


def test_teardown_removes_only_our_filter(aws, capsys):
    boto3.client("ecr", region_name="us-east-1").put_registry_scanning_configuration(scanType="BASIC", rules=OTHERS)
    call_main(ecr_repository, repo_args(), capsys)
    removed, _ = call_main(ecr_repository, {"name": REPO, "state": "absent", "force_delete": True}, capsys)
    assert removed["changed"] is True
    assert registry_rules() == {"scanType": "BASIC", "rules": OTHERS}
    again, _ = call_main(ecr_repository, {"name": REPO, "state": "absent", "force_delete": True}, capsys)
    assert again["changed"] is False


def test_a_rule_only_we_held_goes_with_our_filter(aws, capsys):
    call_main(ecr_repository, repo_args(), capsys)
    result, _ = call_main(ecr_repository, repo_args(scan_on_push=False), capsys)
    assert result["changed"] is True and result["diff"]["before"]["scan_on_push"] is True
    assert registry_rules()["rules"] == []


def test_enhanced_scanning_and_its_continuous_rule_are_kept(aws, capsys):
    continuous = [{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]
    boto3.client("ecr", region_name="us-east-1").put_registry_scanning_configuration(scanType="ENHANCED", rules=continuous)
    call_main(ecr_repository, repo_args(), capsys)
    config = registry_rules()
    assert config["scanType"] == "ENHANCED" and config["rules"][0] == continuous[0]
    assert {"filter": REPO, "filterType": "WILDCARD"} in config["rules"][1]["repositoryFilters"]


def test_a_full_scan_on_push_rule_is_reported_not_overwritten(aws, capsys):
    full = [{"scanFrequency": "SCAN_ON_PUSH",
             "repositoryFilters": [{"filter": f"repo-{i}", "filterType": "WILDCARD"} for i in range(100)]}]
    boto3.client("ecr", region_name="us-east-1").put_registry_scanning_configuration(scanType="BASIC", rules=full)
    result, code = call_main(ecr_repository, repo_args(), capsys)
    assert code == 1 and "already has 100 repository filters" in result["msg"]
    assert registry_rules()["rules"] == full


def test_a_registry_with_two_rules_none_on_push_is_reported_not_given_a_third(aws, capsys):
    """moto accepts a third rule; AWS allows two (RegistryScanningRuleList max 2)."""
    two = [{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}]},
           {"scanFrequency": "MANUAL", "repositoryFilters": [{"filter": "sandbox", "filterType": "WILDCARD"}]}]
    boto3.client("ecr", region_name="us-east-1").put_registry_scanning_configuration(scanType="ENHANCED", rules=two)
    result, code = call_main(ecr_repository, repo_args(), capsys)
    assert code == 1 and "already has 2 scanning rules" in result["msg"]
    assert registry_rules()["rules"] == two


def test_an_endpoint_without_registry_scanning_is_reported_not_fatal(aws, capsys, monkeypatch):
    original = botocore.client.BaseClient._make_api_call

    def unimplemented(self, operation, params):
        if operation.endswith("RegistryScanningConfiguration"):
            raise botocore.exceptions.ClientError({"Error": {"Code": "NotImplemented", "Message": "not yet"},
                                                   "ResponseMetadata": {"HTTPStatusCode": 501}}, operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", unimplemented)
    result, code = call_main(ecr_repository, repo_args(), capsys)
    assert code == 0 and result["repository"]["scan_on_push"] is None
    assert "does not implement ECR registry scanning" in json.dumps(result.get("warnings", []))
    assert call_main(ecr_repository, repo_args(), capsys)[0]["changed"] is False


def test_check_mode_leaves_the_registry_rules_alone(aws, capsys):
    result, _ = call_main(ecr_repository, repo_args(), capsys, check_mode=True)
    assert result["changed"] is True and registry_rules()["rules"] == []


def test_repository_rerun_is_unchanged_and_mutability_change_applies(aws, capsys):
    call_main(ecr_repository, repo_args(), capsys)
    assert call_main(ecr_repository, repo_args(), capsys)[0]["changed"] is False
    result, _ = call_main(ecr_repository, repo_args(image_tag_mutability="IMMUTABLE", tags={"Project": "x"}), capsys)
    assert result["changed"] is True
    assert result["diff"]["after"]["image_tag_mutability"] == "IMMUTABLE"
    assert result["repository"]["tags"] == {"Project": "x"}


def test_repository_check_mode_creates_nothing(aws, capsys):
    result, _ = call_main(ecr_repository, repo_args(), capsys, check_mode=True)
    assert result["changed"] is True
    assert boto3.client("ecr", region_name="us-east-1").describe_repositories()["repositories"] == []


# db_credentials_secret_info

def test_secret_info_gives_the_arn_and_key_names_but_no_value(aws, capsys):
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    arn = sm.create_secret(Name="credlink-test-db-credentials",
                           SecretString=json.dumps({"username": "u", "password": "p4ssw0rd-value", "host": "h"}))["ARN"]
    result, _ = call_main(db_credentials_secret_info, {"name": "credlink-test-db-credentials"}, capsys)
    assert result["found"] is True and result["secret"]["arn"] == arn
    assert result["secret"]["keys"] == ["host", "password", "username"]
    assert "p4ssw0rd-value" not in json.dumps(result)


def test_secret_info_resolves_a_customer_managed_key_to_its_key_arn(aws, capsys):
    key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]
    boto3.client("kms", region_name="us-east-1").create_alias(AliasName="alias/credlink-test", TargetKeyId=key["KeyId"])
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    sm.create_secret(Name="by-alias", KmsKeyId="alias/credlink-test", SecretString="{}")
    sm.create_secret(Name="default-key", SecretString="{}")
    result, _ = call_main(db_credentials_secret_info, {"name": "by-alias"}, capsys)
    assert result["secret"]["kms_key_id"] == "alias/credlink-test"
    assert result["secret"]["kms_key_arn"] == key["Arn"]
    default, _ = call_main(db_credentials_secret_info, {"name": "default-key"}, capsys)
    assert default["secret"]["kms_key_id"] == "" and default["secret"]["kms_key_arn"] == ""


def test_secret_info_of_a_missing_or_deleted_secret(aws, capsys):
    assert call_main(db_credentials_secret_info, {"name": "nope"}, capsys)[0]["found"] is False
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    sm.create_secret(Name="gone", SecretString="{}")
    sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7)
    assert call_main(db_credentials_secret_info, {"name": "gone"}, capsys)[0]["found"] is False


# cloudwatch_alarm_set

def plain_alarm(name="credlink-test-rds-cpu-critical", threshold=90):
    return {"name": name, "description": "cpu", "namespace": "AWS/RDS", "metric_name": "CPUUtilization",
            "statistic": "Average", "dimensions": {"DBInstanceIdentifier": "credlink-test-db"}, "period": 300,
            "evaluation_periods": 2, "comparison": "GreaterThanThreshold", "threshold": threshold}


def math_alarm():
    return {"name": "credlink-test-redis-evictions-critical", "description": "evictions",
            "comparison": "GreaterThanThreshold", "threshold": 100, "treat_missing_data": "notBreaching",
            "metrics": [
                {"Id": f"m{i}", "ReturnData": False, "MetricStat": {"Metric": {
                    "Namespace": "AWS/ElastiCache", "MetricName": "Evictions",
                    "Dimensions": [{"Name": "CacheClusterId", "Value": f"credlink-test-redis-00{i + 1}"}]},
                    "Period": 60, "Stat": "Sum"}} for i in range(2)
            ] + [{"Id": "total", "Expression": "SUM([m0, m1])", "ReturnData": True}]}


def set_args(alarms, **overrides):
    return {"prefix": "credlink-test-", "alarms": alarms, "alarm_actions": ["arn:aws:sns:us-east-1:123456789012:alarms"],
            "tags": {"Project": "credlink"}, **overrides}


def alarms_by_name():
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    return {a["AlarmName"]: a for a in cw.describe_alarms()["MetricAlarms"]}


def test_alarm_set_creates_plain_and_math_alarms_with_tags(aws, capsys):
    result, code = call_main(cloudwatch_alarm_set, set_args([plain_alarm(), math_alarm()]), capsys)
    assert code == 0 and sorted(result["created"]) == ["credlink-test-rds-cpu-critical", "credlink-test-redis-evictions-critical"]
    alarms = alarms_by_name()
    assert alarms["credlink-test-rds-cpu-critical"]["Threshold"] == 90
    assert len(alarms["credlink-test-redis-evictions-critical"]["Metrics"]) == 3
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    tags = cw.list_tags_for_resource(ResourceARN=alarms["credlink-test-rds-cpu-critical"]["AlarmArn"])["Tags"]
    assert tags == [{"Key": "Project", "Value": "credlink"}]


def test_alarm_set_rerun_is_unchanged(aws, capsys):
    call_main(cloudwatch_alarm_set, set_args([plain_alarm(), math_alarm()]), capsys)
    result, _ = call_main(cloudwatch_alarm_set, set_args([plain_alarm(), math_alarm()]), capsys)
    assert result["changed"] is False


def test_alarm_set_updates_a_threshold_and_deletes_what_it_no_longer_lists(aws, capsys):
    call_main(cloudwatch_alarm_set, set_args([plain_alarm(), math_alarm()]), capsys)
    result, _ = call_main(cloudwatch_alarm_set, set_args([plain_alarm(threshold=80)]), capsys)
    assert result["updated"] == ["credlink-test-rds-cpu-critical"]
    assert result["deleted"] == ["credlink-test-redis-evictions-critical"]
    assert result["diff"]["before"]["credlink-test-rds-cpu-critical"]["threshold"] == 90
    assert list(alarms_by_name()) == ["credlink-test-rds-cpu-critical"]
    assert alarms_by_name()["credlink-test-rds-cpu-critical"]["Threshold"] == 80


def test_alarm_set_leaves_other_prefixes_alone(aws, capsys):
    boto3.client("cloudwatch", region_name="us-east-1").put_metric_alarm(
        AlarmName="someone-else", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    call_main(cloudwatch_alarm_set, set_args([plain_alarm()]), capsys)
    assert "someone-else" in alarms_by_name()


def test_alarm_set_check_mode_creates_nothing(aws, capsys):
    result, _ = call_main(cloudwatch_alarm_set, set_args([plain_alarm()]), capsys, check_mode=True)
    assert result["changed"] is True and alarms_by_name() == {}


@pytest.mark.parametrize(("alarm", "message"), [
    ({**plain_alarm(), "name": "other-name"}, "does not start with the set's prefix"),
    ({**plain_alarm(), "period": None}, "needs namespace, metric_name, statistic and period"),
    ({**math_alarm(), "namespace": "AWS/RDS"}, "give either metrics or"),
])
def test_alarm_set_refuses_malformed_alarms(aws, capsys, alarm, message):
    result, code = call_main(cloudwatch_alarm_set, set_args([alarm]), capsys)
    assert code == 1 and message in result["msg"]


# s3_bucket_request_metrics

def test_request_metrics_are_turned_on_once_and_off_again(aws, capsys):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    result, _ = call_main(s3_bucket_request_metrics, {"bucket": BUCKET}, capsys)
    assert result["changed"] is True
    assert s3.get_bucket_metrics_configuration(Bucket=BUCKET, Id="EntireBucket")["MetricsConfiguration"]["Id"] == "EntireBucket"
    assert call_main(s3_bucket_request_metrics, {"bucket": BUCKET}, capsys)[0]["changed"] is False
    removed, _ = call_main(s3_bucket_request_metrics, {"bucket": BUCKET, "state": "absent"}, capsys)
    assert removed["changed"] is True
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [BUCKET]


def test_request_metrics_check_mode_changes_nothing(aws, capsys):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    result, _ = call_main(s3_bucket_request_metrics, {"bucket": BUCKET}, capsys, check_mode=True)
    assert result["changed"] is True
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchConfiguration"):
        s3.get_bucket_metrics_configuration(Bucket=BUCKET, Id="EntireBucket")
