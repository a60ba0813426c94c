"""The proofs bucket, inspected on the emulator."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

BUCKET = "credlink-{env}-proofs-123456789012"


def test_proofs_bucket_is_private_versioned_encrypted_and_tls_only(playbook, clean_emulator):
    run = playbook("site.yml", "production", "--tags", "storage")
    assert run.returncode == 0, run.stdout[-4000:]
    s3 = clean_emulator.client("s3")
    bucket = BUCKET.format(env="production")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    [statement] = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(statement["Resource"]) == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]

    [lifecycle] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle["Status"] == "Enabled"
    assert lifecycle["Transitions"] == [{"Days": 90, "StorageClass": "GLACIER"}]
    assert lifecycle["Expiration"]["Days"] == 365
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert lifecycle["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7

    [cors] = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert cors["AllowedOrigins"] == ["https://app.credlink.example"]
    assert sorted(cors["AllowedMethods"]) == ["GET", "HEAD"]
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["Project"] == "credlink" and tags["Environment"] == "production"

    again = playbook("site.yml", "production", "--tags", "storage")
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]
    checked = playbook("site.yml", "production", "--tags", "storage", "--check", "--diff")
    assert checked.returncode == 0 and checked.recap["changed"] == 0, checked.stdout[-4000:]


def test_check_mode_on_an_empty_account_creates_no_bucket(playbook, clean_emulator):
    run = playbook("site.yml", "dev", "--tags", "storage", "--check")
    assert run.returncode == 0, run.stdout[-4000:]
    assert run.recap["changed"] >= 1
    assert clean_emulator.client("s3").list_buckets()["Buckets"] == []
