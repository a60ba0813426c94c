"""cloudwatch_alarm_set: a prefix bounds the set, the ownership tags decide what it may delete."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.credlink.infra.plugins.modules import cloudwatch_alarm_set
from tests.unit.in_process import call_main

OURS = {"Project": "credlink", "Environment": "dev", "ManagedBy": "ansible"}


@pytest.fixture
def cloudwatch(offline_aws):
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


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
