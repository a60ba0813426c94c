"""s3_bucket_contents_info: a bucket holding only old versions is not empty."""

from __future__ import annotations

import pytest

from ansible_collections.credlink.infra.plugins.modules import s3_bucket_contents_info
from tests.unit.in_process import call_main

BUCKET = "credlink-test-proofs-123456789012"


@pytest.fixture
def s3(moto):
    client = moto("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return client


def contents(capsys, bucket=BUCKET):
    result, code = call_main(s3_bucket_contents_info, {"bucket": bucket}, capsys)
    assert code == 0 and result["changed"] is False
    return result


def test_an_empty_bucket_is_empty(s3, capsys):
    result = contents(capsys)
    assert (result["exists"], result["empty"], result["object_versions"]) == (True, True, 0)


def test_a_bucket_with_a_proof_is_not_empty(s3, capsys):
    s3.put_object(Bucket=BUCKET, Key="proofs/a.json", Body=b"{}")
    result = contents(capsys)
    assert result["empty"] is False and result["object_versions"] == 1 and result["noncurrent_versions"] == 0


def test_a_bucket_holding_only_deleted_proofs_is_not_empty(s3, capsys):
    s3.put_object(Bucket=BUCKET, Key="proofs/a.json", Body=b"{}")
    s3.put_object(Bucket=BUCKET, Key="proofs/a.json", Body=b"{\"v\": 2}")
    s3.delete_object(Bucket=BUCKET, Key="proofs/a.json")
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0  # what a current-objects check sees
    result = contents(capsys)
    assert result["empty"] is False
    assert (result["object_versions"], result["noncurrent_versions"], result["delete_markers"]) == (2, 2, 1)


def test_a_missing_bucket_is_reported_as_such(s3, capsys):
    result = contents(capsys, "credlink-test-nothing-here")
    assert (result["exists"], result["empty"]) == (False, True)
