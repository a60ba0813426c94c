"""db_credentials_secret against moto's in-process Secrets Manager."""

from __future__ import annotations

import json
import string

import boto3
import pytest

from ansible_collections.credlink.infra.plugins.modules import db_credentials_secret
from tests.unit.in_process import call_main

NAME = "credlink-test-db-credentials"


def test_creates_the_document_with_a_32_character_password(stored, sm, capsys):
    result, code = call_main(db_credentials_secret, {"name": NAME, "tags": {"Project": "credlink"}}, capsys)
    assert code == 0 and result["changed"] is True
    doc = stored(NAME)
    assert doc.keys() == {"username", "password", "engine", "host", "port", "dbname"}
    assert doc["username"] == "credlink_admin" and doc["engine"] == "postgres"
    assert doc["port"] == 5432 and doc["dbname"] == "credlink" and doc["host"] == ""
    assert len(doc["password"]) == 32
    assert set(doc["password"]) <= set(string.ascii_letters + string.digits + "-_.~")
    assert result["secret"]["key_names"] == sorted(doc)
    assert result["secret"]["tags"] == {"Project": "credlink"}


def test_password_never_appears_in_the_result(stored, sm, capsys):
    result, _ = call_main(db_credentials_secret, {"name": NAME, "host": "db.example"}, capsys)
    password = stored(NAME)["password"]
    assert password not in json.dumps(result)
    assert result["diff"]["after"]["password"] == "********"
    assert result["diff"]["after"]["url"] == "********"


def test_rerun_keeps_the_password_and_reports_no_change(stored, sm, capsys):
    call_main(db_credentials_secret, {"name": NAME}, capsys)
    first = stored(NAME)["password"]
    result, _ = call_main(db_credentials_secret, {"name": NAME}, capsys)
    assert result["changed"] is False
    assert stored(NAME)["password"] == first


def test_host_is_filled_in_later_and_kept_by_runs_without_host(stored, sm, capsys):
    call_main(db_credentials_secret, {"name": NAME}, capsys)
    password = stored(NAME)["password"]
    result, _ = call_main(db_credentials_secret, {"name": NAME, "host": "db.internal"}, capsys)
    assert result["changed"] is True
    doc = stored(NAME)
    assert doc["host"] == "db.internal" and doc["password"] == password
    assert doc["url"].startswith("postgresql://credlink_admin:") and doc["url"].endswith("@db.internal:5432/credlink?sslmode=require")
    result, _ = call_main(db_credentials_secret, {"name": NAME}, capsys)
    assert result["changed"] is False and stored(NAME)["host"] == "db.internal"


def test_check_mode_creates_nothing(sm, capsys):
    result, _ = call_main(db_credentials_secret, {"name": NAME}, capsys, check_mode=True)
    assert result["changed"] is True
    assert sm.list_secrets()["SecretList"] == []


def test_non_json_secret_is_not_overwritten(sm, capsys):
    sm.create_secret(Name=NAME, SecretString="hunter2")
    result, code = call_main(db_credentials_secret, {"name": NAME}, capsys)
    assert code == 1 and "does not hold a JSON document" in result["msg"]
    assert sm.get_secret_value(SecretId=NAME)["SecretString"] == "hunter2"


def test_secret_scheduled_for_deletion_is_restored_with_its_password(stored, sm, capsys):
    call_main(db_credentials_secret, {"name": NAME}, capsys)
    password = stored(NAME)["password"]
    result, _ = call_main(db_credentials_secret, {"name": NAME, "state": "absent"}, capsys)
    assert result["changed"] is True
    result, code = call_main(db_credentials_secret, {"name": NAME}, capsys)
    assert code == 0 and result["changed"] is True
    assert stored(NAME)["password"] == password


def test_tags_are_updated(sm, capsys):
    call_main(db_credentials_secret, {"name": NAME, "tags": {"a": "1"}}, capsys)
    result, _ = call_main(db_credentials_secret, {"name": NAME, "tags": {"b": "2"}}, capsys)
    assert result["changed"] is True and result["secret"]["tags"] == {"b": "2"}


def test_bad_recovery_window_is_refused(sm, capsys):
    result, code = call_main(db_credentials_secret, {"name": NAME, "recovery_window_days": 3}, capsys)
    assert code == 1 and "recovery_window_days must be between 7 and 30, or 0" in result["msg"]


def test_recovery_window_zero_deletes_at_once(sm, capsys):
    call_main(db_credentials_secret, {"name": NAME}, capsys)
    result, _ = call_main(db_credentials_secret, {"name": NAME, "state": "absent", "recovery_window_days": 0}, capsys)
    assert result["changed"] is True
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.describe_secret(SecretId=NAME)


def kms_key(alias):
    kms = boto3.client("kms", region_name="us-east-1")
    key = kms.create_key(Description=alias)["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{alias}", TargetKeyId=key["KeyId"])
    return key


@pytest.mark.parametrize("form", ["alias", "id", "arn"])
def test_the_same_key_given_in_another_form_is_not_a_change(sm, capsys, form):
    key = kms_key("credlink-test")
    # Created with the key's id: DescribeSecret reports the key as it was given.
    assert call_main(db_credentials_secret, {"name": NAME, "kms_key_id": key["KeyId"]}, capsys)[1] == 0
    given = {"alias": "alias/credlink-test", "id": key["KeyId"], "arn": key["Arn"]}[form]
    result, code = call_main(db_credentials_secret, {"name": NAME, "kms_key_id": given}, capsys)
    assert code == 0 and result["changed"] is False, result


def test_another_key_is_a_change(sm, capsys):
    first, second = kms_key("credlink-first"), kms_key("credlink-second")
    assert call_main(db_credentials_secret, {"name": NAME, "kms_key_id": "alias/credlink-first"}, capsys)[1] == 0
    result, code = call_main(db_credentials_secret, {"name": NAME, "kms_key_id": "alias/credlink-second"}, capsys)
    assert code == 0 and result["changed"] is True
    assert sm.describe_secret(SecretId=NAME)["KmsKeyId"] in ("alias/credlink-second", second["Arn"], second["KeyId"])
    assert first["Arn"] != second["Arn"]


def test_the_info_module_resolves_the_key_arn(sm, capsys):
    from ansible_collections.credlink.infra.plugins.modules import db_credentials_secret_info

    key = kms_key("credlink-info")
    call_main(db_credentials_secret, {"name": NAME, "kms_key_id": "alias/credlink-info"}, capsys)
    result, code = call_main(db_credentials_secret_info, {"name": NAME}, capsys)
    assert code == 0 and result["secret"]["kms_key_arn"] == key["Arn"]
    call_main(db_credentials_secret, {"name": NAME, "state": "absent", "recovery_window_days": 0}, capsys)
    call_main(db_credentials_secret, {"name": NAME}, capsys)
    result, _ = call_main(db_credentials_secret_info, {"name": NAME}, capsys)
    assert result["secret"]["kms_key_arn"] == ""  # the AWS managed key


def test_a_creation_refused_while_the_name_is_still_being_deleted_is_retried(stored, sm, capsys, monkeypatch):
    from moto.secretsmanager.exceptions import InvalidRequestException
    from moto.secretsmanager.models import SecretsManagerBackend

    from ansible_collections.credlink.infra.plugins.module_utils import common

    original, attempts = SecretsManagerBackend.create_secret, []

    def create_secret(self, *args, **kwargs):
        attempts.append(1)
        if len(attempts) <= 2:
            raise InvalidRequestException("You can't create this secret because a secret with this name is "
                                          "already scheduled for deletion.")
        return original(self, *args, **kwargs)
    monkeypatch.setattr(SecretsManagerBackend, "create_secret", create_secret)
    monkeypatch.setattr(common.time, "sleep", lambda seconds: None)
    result, code = call_main(db_credentials_secret, {"name": NAME}, capsys)
    assert code == 0 and result["changed"] is True and len(attempts) == 3
    assert stored(NAME)["username"] == "credlink_admin"


def test_a_forced_deletion_waits_until_the_name_is_free(sm, capsys, monkeypatch):
    from ansible_collections.credlink.infra.plugins.modules import db_credentials_secret as module

    call_main(db_credentials_secret, {"name": NAME}, capsys)
    real_describe, polls = module.describe_secret, []

    def describe(client, mod, name):
        # Secrets Manager still shows the secret for a moment after a forced deletion.
        polls.append(1)
        return {"Name": name, "DeletedDate": "now"} if len(polls) <= 3 else real_describe(client, mod, name)
    monkeypatch.setattr(module, "describe_secret", describe)
    sleeps = []
    monkeypatch.setattr(module.time, "sleep", sleeps.append)
    result, code = call_main(db_credentials_secret, {"name": NAME, "state": "absent", "recovery_window_days": 0}, capsys)
    # One read before the deletion, then until the name is free: two more still showing it.
    assert code == 0 and result["changed"] is True and len(polls) == 4 and len(sleeps) == 2
