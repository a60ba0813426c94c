"""s3_bucket_request_metrics on moto."""

from __future__ import annotations

import boto3
import pytest

from ansible_collections.credlink.infra.plugins.modules import s3_bucket_request_metrics

from tests.unit.in_process import call_main


BUCKET = "credlink-test-proofs-123456789012"


def test_request_metrics_are_turned_on_once_and_off_again(moto, capsys):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    result, _ = call_main(s3_bucket_request_metrics, {"bucket": BUCKET}, capsys)
    assert result["changed"] is True
    assert s3.get_bucket_metrics_configuration(Bucket=BUCKET, Id="EntireBucket")["MetricsConfiguration"]["Id"] == "EntireBucket"
    assert call_main(s3_bucket_request_metrics, {"bucket": BUCKET}, capsys)[0]["changed"] is False
    removed, _ = call_main(s3_bucket_request_metrics, {"bucket": BUCKET, "state": "absent"}, capsys)
    assert removed["changed"] is True
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [BUCKET]


def test_request_metrics_check_mode_changes_nothing(moto, capsys):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    result, _ = call_main(s3_bucket_request_metrics, {"bucket": BUCKET}, capsys, check_mode=True)
    assert result["changed"] is True
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchConfiguration"):
        s3.get_bucket_metrics_configuration(Bucket=BUCKET, Id="EntireBucket")
