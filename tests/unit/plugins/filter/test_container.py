"""How the application reaches Redis: REDIS_TLS always, the AUTH URL only through its secret."""

from __future__ import annotations

from ansible_collections.credlink.infra.plugins.filter.container import redis_connection

ENDPOINT = {"address": "credlink-production-redis.abc123.ng.0001.use1.cache.amazonaws.com", "port": 6379}
AUTH_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:credlink-production-redis-auth-AbC123"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def cache(tls=False, auth=False):
    return {"found": True, "primary_endpoint": ENDPOINT,
            "replication_group": {"transit_encryption_enabled": tls, "auth_token_enabled": auth}}


def auth_secret(keys=("token", "url"), kms=""):
    return {"found": True, "secret": {"arn": AUTH_ARN, "key_names": list(keys), "kms_key_arn": kms}}


MISSING = {"found": False, "secret": {}}


def test_without_transit_encryption_the_url_stays_plain_in_the_environment():
    result = redis_connection(cache(), MISSING)
    assert result["environment"] == [{"name": "REDIS_TLS", "value": "false"},
                                     {"name": "REDIS_URL", "value": f"redis://{ENDPOINT['address']}:6379"}]
    assert result["secrets"] == [] and result["secret_arn"] == "" and result["missing"] == ""


def test_with_transit_encryption_and_an_auth_token_the_url_comes_from_its_secret_only():
    result = redis_connection(cache(tls=True, auth=True), auth_secret(kms=KEY))
    assert result["environment"] == [{"name": "REDIS_TLS", "value": "true"}]
    assert result["secrets"] == [{"name": "REDIS_URL", "valueFrom": f"{AUTH_ARN}:url::"}]
    assert result["secret_arn"] == AUTH_ARN and result["kms_key_arn"] == KEY
    assert not any(e["name"] == "REDIS_URL" for e in result["environment"])


def test_the_auth_token_secret_alone_marks_the_token_when_the_group_does_not_report_it():
    result = redis_connection(cache(tls=True, auth=False), auth_secret())
    assert result["auth"] is True and result["secrets"][0]["valueFrom"] == f"{AUTH_ARN}:url::"


def test_transit_encryption_without_a_token_uses_rediss_in_the_environment():
    result = redis_connection(cache(tls=True, auth=False), MISSING)
    assert result["environment"] == [{"name": "REDIS_TLS", "value": "true"},
                                     {"name": "REDIS_URL", "value": f"rediss://{ENDPOINT['address']}:6379"}]
    assert result["secrets"] == []


def test_a_token_without_its_secret_or_url_key_is_reported_missing_not_leaked():
    for secret in (MISSING, auth_secret(keys=("token",))):
        result = redis_connection(cache(tls=True, auth=True), secret)
        assert result["missing"] == "with the AUTH token and its url key"
        assert result["secrets"] == [] and [e["name"] for e in result["environment"]] == ["REDIS_TLS"]


def test_an_auth_secret_is_ignored_without_transit_encryption():
    result = redis_connection(cache(tls=False), auth_secret(kms=KEY))
    assert result["auth"] is False and result["kms_key_arn"] == "" and result["secrets"] == []
