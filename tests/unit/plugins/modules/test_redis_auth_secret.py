"""redis_auth_secret against moto's in-process Secrets Manager."""

from __future__ import annotations

import json
import string

from ansible_collections.credlink.infra.plugins.module_utils import credentials
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import auth_token_problem
from ansible_collections.credlink.infra.plugins.modules import redis_auth_secret
from tests.unit.in_process import call_main

NAME = "credlink-test-redis-auth"
OWNER = {"Project": "credlink", "Environment": "test", "ManagedBy": "ansible"}
HOST = "master.credlink-test-redis.abc123.use1.cache.amazonaws.com"


def args(**overrides):
    return {"name": NAME, "tags": {**OWNER, "Name": NAME}, "owner_tags": OWNER, **overrides}


def test_creates_a_token_elasticache_accepts(stored, sm, capsys):
    result, code = call_main(redis_auth_secret, args(), capsys)
    assert code == 0 and result["changed"] is True
    document = stored(NAME)
    assert document.keys() == {"token"}
    token = document["token"]
    assert len(token) == 64 and auth_token_problem(token) is None
    assert set(token) <= set(string.ascii_letters + string.digits + "-")
    assert result["secret"]["key_names"] == ["token"] and result["secret"]["tags"] == {**OWNER, "Name": NAME}


def test_url_is_written_once_the_endpoint_is_known_and_the_token_kept(stored, sm, capsys):
    call_main(redis_auth_secret, args(), capsys)
    token = stored(NAME)["token"]
    result, code = call_main(redis_auth_secret, {"name": NAME, "create": False, "host": HOST, "port": 6379}, capsys)
    assert code == 0 and result["changed"] is True
    assert stored(NAME) == {"token": token, "url": f"rediss://:{token}@{HOST}:6379"}
    assert result["diff"]["after"] == {"token": "********", "url": f"rediss://:********@{HOST}:6379"}


def test_token_and_url_never_appear_in_the_result(stored, sm, capsys):
    call_main(redis_auth_secret, args(), capsys)
    result, _ = call_main(redis_auth_secret, args(host=HOST), capsys)
    document = stored(NAME)
    dumped = json.dumps(result)
    assert document["token"] not in dumped and document["url"] not in dumped


def test_rerun_keeps_token_and_url_and_reports_no_change(stored, sm, capsys):
    call_main(redis_auth_secret, args(host=HOST), capsys)
    first = stored(NAME)
    result, _ = call_main(redis_auth_secret, args(), capsys)
    assert result["changed"] is False and stored(NAME) == first
    result, _ = call_main(redis_auth_secret, args(host=HOST), capsys, check_mode=True)
    assert result["changed"] is False


def test_recording_the_url_never_creates_a_new_token(sm, capsys):
    result, code = call_main(redis_auth_secret, {"name": NAME, "create": False, "host": HOST}, capsys)
    assert code == 1 and "does not exist" in result["msg"]
    assert sm.list_secrets()["SecretList"] == []


def test_check_mode_creates_nothing(sm, capsys):
    result, _ = call_main(redis_auth_secret, args(), capsys, check_mode=True)
    assert result["changed"] is True and sm.list_secrets()["SecretList"] == []


def test_a_same_named_secret_of_someone_else_is_neither_used_nor_deleted(sm, capsys):
    sm.create_secret(Name=NAME, SecretString=json.dumps({"token": "A" * 20 + "b1"}), Tags=[{"Key": "Project", "Value": "x"}])
    result, code = call_main(redis_auth_secret, args(), capsys)
    assert code == 1 and "lacks the tags" in result["msg"]
    result, code = call_main(redis_auth_secret, {"name": NAME, "state": "absent", "owner_tags": OWNER}, capsys)
    assert code == 1 and sm.describe_secret(SecretId=NAME).get("DeletedDate") is None


def test_scheduled_deletion_is_restored_with_its_token(stored, sm, capsys):
    call_main(redis_auth_secret, args(), capsys)
    token = stored(NAME)["token"]
    result, _ = call_main(redis_auth_secret, {"name": NAME, "state": "absent", "owner_tags": OWNER}, capsys)
    assert result["changed"] is True and sm.describe_secret(SecretId=NAME).get("DeletedDate")
    result, code = call_main(redis_auth_secret, args(), capsys)
    assert code == 0 and result["changed"] is True and stored(NAME)["token"] == token


def test_deletion_with_zero_days_is_immediate_and_idempotent(sm, capsys):
    call_main(redis_auth_secret, args(), capsys)
    result, _ = call_main(redis_auth_secret, {"name": NAME, "state": "absent", "recovery_window_days": 0}, capsys)
    assert result["changed"] is True and sm.list_secrets()["SecretList"] == []
    again, _ = call_main(redis_auth_secret, {"name": NAME, "state": "absent", "recovery_window_days": 0}, capsys)
    assert again["changed"] is False


def test_a_stored_token_elasticache_would_refuse_is_reported_not_shown(sm, capsys):
    sm.create_secret(Name=NAME, SecretString=json.dumps({"token": "has/slash@and-quote\"-long-enough"}),
                     Tags=[{"Key": k, "Value": v} for k, v in OWNER.items()])
    result, code = call_main(redis_auth_secret, args(), capsys)
    assert code == 1 and "ElastiCache would refuse" in result["msg"]
    assert "has/slash" not in json.dumps(result)


def test_recreation_right_after_a_forced_deletion_is_retried(stored, sm, capsys, monkeypatch):
    """AWS: "You can't create this secret because a secret with this name is already scheduled
    for deletion." for a short while after ForceDeleteWithoutRecovery (research notes A, 10)."""
    from botocore.exceptions import ClientError

    failures = iter([True, True])
    attempts = []
    monkeypatch.setattr(credentials, "sleep", lambda seconds: None)

    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    class Flaky:
        def __getattr__(self, name):
            method = getattr(sm, name)

            def call(*a, aws_retry=False, **kw):
                if name == "create_secret":
                    attempts.append(1)
                if name == "create_secret" and next(failures, False):
                    raise ClientError({"Error": {"Code": "InvalidRequestException", "Message": (
                        "You can't create this secret because a secret with this name is already scheduled for "
                        "deletion.")}}, "CreateSecret")
                return method(*a, **kw)
            return call

    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, retry_decorator=None, **kw: Flaky())
    result, code = call_main(redis_auth_secret, args(), capsys)
    assert code == 0 and result["changed"] is True and stored(NAME)["token"]
    assert len(attempts) == 3


def test_generated_secrets_share_one_generator_with_the_database_password():
    from ansible_collections.credlink.infra.plugins.modules import db_credentials_secret

    password = db_credentials_secret.generate_password(32)
    assert len(password) == 32 and any(c in "-_.~" for c in password)
    token = credentials.generate_secret(20, "ab", ("a", "b"))
    assert set(token) == {"a", "b"}


def test_a_creation_processed_before_an_error_is_not_a_failure(stored, sm, capsys, monkeypatch):
    """AWS processed CreateSecret, the client saw a 5xx, the retry is told the secret exists."""
    from botocore.exceptions import ClientError

    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    class ProcessedThenExists:
        def __getattr__(self, name):
            method = getattr(sm, name)

            def call(*a, aws_retry=False, **kw):
                answer = method(*a, **kw)
                if name == "create_secret":
                    raise ClientError({"Error": {"Code": "ResourceExistsException", "Message": (
                        f"The operation failed because the secret {NAME} already exists.")}}, "CreateSecret")
                return answer
            return call

    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, retry_decorator=None, **kw: ProcessedThenExists())
    result, code = call_main(redis_auth_secret, args(), capsys)
    assert code == 0 and result["changed"] is True and auth_token_problem(stored(NAME)["token"]) is None
