"""cloudwatch_alarm_set: a prefix bounds the set, the ownership tags decide what it may delete."""

from __future__ import annotations

import boto3
import pytest

from ansible_collections.credlink.infra.plugins.modules import cloudwatch_alarm_set
from tests.unit.in_process import call_main

OURS = {"Project": "credlink", "Environment": "dev", "ManagedBy": "ansible"}


@pytest.fixture
def cloudwatch(moto):
    return moto("cloudwatch")


def alarm(name, threshold=90):
    return {"name": name, "namespace": "AWS/RDS", "metric_name": "CPUUtilization", "statistic": "Average",
            "period": 300, "comparison": "GreaterThanThreshold", "threshold": threshold}


def put(cloudwatch, name, tags):
    cloudwatch.put_metric_alarm(AlarmName=name, Namespace="AWS/RDS", MetricName="CPUUtilization",
                                Statistic="Average", Period=300, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanThreshold",
                                Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def names(cloudwatch):
    return sorted(a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"])


def set_args(alarms, **overrides):
    return {"prefix": "credlink-dev-", "alarms": alarms, "tags": OURS, "owner_tags": OURS, **overrides}


def test_alarms_of_an_environment_sharing_the_prefix_survive_a_purge(cloudwatch, capsys):
    put(cloudwatch, "credlink-dev-alice-rds-cpu-critical", {**OURS, "Environment": "dev-alice"})
    put(cloudwatch, "credlink-dev-old-critical", OURS)
    result, code = call_main(cloudwatch_alarm_set, set_args([alarm("credlink-dev-rds-cpu-critical")]), capsys)
    assert code == 0 and result["deleted"] == ["credlink-dev-old-critical"]
    assert result["foreign"] == ["credlink-dev-alice-rds-cpu-critical"]
    assert names(cloudwatch) == ["credlink-dev-alice-rds-cpu-critical", "credlink-dev-rds-cpu-critical"]


def test_deleting_the_whole_set_keeps_what_is_not_ours(cloudwatch, capsys):
    put(cloudwatch, "credlink-dev-alice-rds-cpu-critical", {**OURS, "Environment": "dev-alice"})
    put(cloudwatch, "credlink-dev-untagged", {})
    put(cloudwatch, "credlink-dev-rds-cpu-critical", OURS)
    result, code = call_main(cloudwatch_alarm_set, set_args([]), capsys)
    assert code == 0 and result["deleted"] == ["credlink-dev-rds-cpu-critical"]
    assert names(cloudwatch) == ["credlink-dev-alice-rds-cpu-critical", "credlink-dev-untagged"]


def test_a_same_named_alarm_that_is_not_ours_is_not_adopted(cloudwatch, capsys):
    put(cloudwatch, "credlink-dev-rds-cpu-critical", {"Project": "other"})
    result, code = call_main(cloudwatch_alarm_set, set_args([alarm("credlink-dev-rds-cpu-critical", 80)]), capsys)
    assert code == 1
    assert "credlink-dev-rds-cpu-critical exist without the tags Environment=dev, ManagedBy=ansible, Project=credlink" \
        in result["msg"]
    [kept] = cloudwatch.describe_alarms()["MetricAlarms"]
    assert kept["Threshold"] == 1


def test_without_owner_tags_the_prefix_owns_everything(cloudwatch, capsys):
    put(cloudwatch, "credlink-dev-untagged", {})
    result, code = call_main(cloudwatch_alarm_set, set_args([], owner_tags={}), capsys)
    assert code == 0 and result["deleted"] == ["credlink-dev-untagged"] and names(cloudwatch) == []


# Plain and metric-math alarms, actions and updates.

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


def full_set_args(alarms, **overrides):
    return {"prefix": "credlink-test-", "alarms": alarms, "alarm_actions": ["arn:aws:sns:us-east-1:123456789012:alarms"],
            "tags": {"Project": "credlink"}, **overrides}


def alarms_by_name():
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    return {a["AlarmName"]: a for a in cw.describe_alarms()["MetricAlarms"]}


def test_alarm_set_creates_plain_and_math_alarms_with_tags(moto, capsys):
    result, code = call_main(cloudwatch_alarm_set, full_set_args([plain_alarm(), math_alarm()]), capsys)
    assert code == 0 and sorted(result["created"]) == ["credlink-test-rds-cpu-critical", "credlink-test-redis-evictions-critical"]
    alarms = alarms_by_name()
    assert alarms["credlink-test-rds-cpu-critical"]["Threshold"] == 90
    assert len(alarms["credlink-test-redis-evictions-critical"]["Metrics"]) == 3
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    tags = cw.list_tags_for_resource(ResourceARN=alarms["credlink-test-rds-cpu-critical"]["AlarmArn"])["Tags"]
    assert tags == [{"Key": "Project", "Value": "credlink"}]


def test_alarm_set_rerun_is_unchanged(moto, capsys):
    call_main(cloudwatch_alarm_set, full_set_args([plain_alarm(), math_alarm()]), capsys)
    result, _ = call_main(cloudwatch_alarm_set, full_set_args([plain_alarm(), math_alarm()]), capsys)
    assert result["changed"] is False


def test_alarm_set_updates_a_threshold_and_deletes_what_it_no_longer_lists(moto, capsys):
    call_main(cloudwatch_alarm_set, full_set_args([plain_alarm(), math_alarm()]), capsys)
    result, _ = call_main(cloudwatch_alarm_set, full_set_args([plain_alarm(threshold=80)]), capsys)
    assert result["updated"] == ["credlink-test-rds-cpu-critical"]
    assert result["deleted"] == ["credlink-test-redis-evictions-critical"]
    assert result["diff"]["before"]["credlink-test-rds-cpu-critical"]["threshold"] == 90
    assert list(alarms_by_name()) == ["credlink-test-rds-cpu-critical"]
    assert alarms_by_name()["credlink-test-rds-cpu-critical"]["Threshold"] == 80


def test_alarm_set_leaves_other_prefixes_alone(moto, capsys):
    boto3.client("cloudwatch", region_name="us-east-1").put_metric_alarm(
        AlarmName="someone-else", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    call_main(cloudwatch_alarm_set, full_set_args([plain_alarm()]), capsys)
    assert "someone-else" in alarms_by_name()


def test_alarm_set_check_mode_creates_nothing(moto, capsys):
    result, _ = call_main(cloudwatch_alarm_set, full_set_args([plain_alarm()]), capsys, check_mode=True)
    assert result["changed"] is True and alarms_by_name() == {}


@pytest.mark.parametrize(("alarm", "message"), [
    ({**plain_alarm(), "name": "other-name"}, "does not start with the set's prefix"),
    ({**plain_alarm(), "period": None}, "needs namespace, metric_name, statistic and period"),
    ({**math_alarm(), "namespace": "AWS/RDS"}, "give either metrics or"),
])
def test_alarm_set_refuses_malformed_alarms(moto, capsys, alarm, message):
    result, code = call_main(cloudwatch_alarm_set, full_set_args([alarm]), capsys)
    assert code == 1 and message in result["msg"]
