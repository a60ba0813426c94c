"""db_credentials_secret_info on moto: metadata of the secret, never its value."""

from __future__ import annotations

import json

import boto3

from ansible_collections.credlink.infra.plugins.modules import db_credentials_secret_info

from tests.unit.in_process import call_main


def test_secret_info_gives_the_arn_and_key_names_but_no_value(moto, capsys):
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    arn = sm.create_secret(Name="credlink-test-db-credentials",
                           SecretString=json.dumps({"username": "u", "password": "p4ssw0rd-value", "host": "h"}))["ARN"]
    result, _ = call_main(db_credentials_secret_info, {"name": "credlink-test-db-credentials"}, capsys)
    assert result["found"] is True and result["secret"]["arn"] == arn
    assert result["secret"]["key_names"] == ["host", "password", "username"]
    assert "p4ssw0rd-value" not in json.dumps(result)


def test_secret_info_resolves_a_customer_managed_key_to_its_key_arn(moto, capsys):
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


def test_secret_info_of_a_missing_or_deleted_secret(moto, capsys):
    assert call_main(db_credentials_secret_info, {"name": "nope"}, capsys)[0]["found"] is False
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    sm.create_secret(Name="gone", SecretString="{}")
    sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7)
    assert call_main(db_credentials_secret_info, {"name": "gone"}, capsys)[0]["found"] is False
