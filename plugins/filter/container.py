# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the application reaches the cache, decided in Python so it can be unit-tested."""

from __future__ import annotations


def redis_connection(cache: dict, auth_secret: dict | None = None) -> dict:
    """REDIS_TLS / REDIS_URL of the task definition from the cache lookups.

    ``cache`` is what ``elasticache_replication_group_info`` returned, ``auth_secret``
    what ``db_credentials_secret_info`` returned for ``credlink-<env>-redis-auth``. With
    transit encryption and an AUTH token (the group reports AuthTokenEnabled, or the
    cache layer keeps the token's secret), REDIS_URL carries the token: it comes from the
    secret's ``url`` key (``rediss://:<token>@host:port``) under ``secrets``, never in
    plain text. Without an AUTH token it is ``redis(s)://host:port`` in the environment.
    REDIS_TLS always follows TransitEncryptionEnabled.
    """
    group = (cache or {}).get("replication_group") or {}
    endpoint = (cache or {}).get("primary_endpoint") or {}
    secret = (auth_secret or {}).get("secret") or {}
    found = bool((auth_secret or {}).get("found"))
    tls = bool(group.get("transit_encryption_enabled"))
    auth = tls and (bool(group.get("auth_token_enabled")) or found)
    environment = [{"name": "REDIS_TLS", "value": "true" if tls else "false"}]
    secrets = []
    missing = ""
    if auth:
        if found and "url" in (secret.get("key_names") or []):
            secrets.append({"name": "REDIS_URL", "valueFrom": f"{secret['arn']}:url::"})
        else:
            missing = "with the AUTH token and its url key"
    else:
        scheme = "rediss" if tls else "redis"
        url = f"{scheme}://{endpoint.get('address', '')}:{endpoint.get('port', 6379)}"
        environment.append({"name": "REDIS_URL", "value": url})
    return {
        "tls": tls,
        "auth": auth,
        "environment": environment,
        "secrets": secrets,
        "secret_arn": secret.get("arn", "") if auth else "",
        "kms_key_arn": secret.get("kms_key_arn", "") if auth else "",
        "missing": missing,
    }


class FilterModule:
    def filters(self):
        return {"redis_connection": redis_connection}
