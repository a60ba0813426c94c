# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checklist's live items: log in to PostgreSQL, talk to Redis, round-trip an S3 object, call the app.

Each probe returns ``{"status", "observed", "reason"}`` and runs only when its endpoint is
reachable from this host; otherwise it is skipped with the reason. Reasons and
observations never name an endpoint (endpoints are sensitive outputs) nor a credential.
"""

from __future__ import annotations

import socket
import uuid
from urllib.parse import urlsplit

# Its ConnectionError (proxy, TLS) is not the builtin one, an OSError.
from ansible.module_utils.urls import ConnectionError as RequestError
from ansible.module_utils.urls import open_url

from ansible_collections.credlink.infra.plugins.module_utils import checklist
from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS

try:
    import psycopg2
except ImportError:
    psycopg2 = None

try:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError:
    redis = None


DATABASE_PROBES = ("connect", "schema", "statistics")


def skip(reason: str) -> dict:
    return {"status": checklist.SKIP, "observed": None, "reason": reason}


def outcome(ok: bool, observed, reason: str = "") -> dict:
    return {"status": checklist.PASS if ok else checklist.FAIL, "observed": observed, "reason": reason}


def unreachable(what: str, host: str, port: int, timeout: float) -> str:
    """Why host:port cannot be reached from here, or '' when it can.

    The reason names ``what``, never the host: endpoints are sensitive outputs.
    """
    try:
        socket.getaddrinfo(host, port)
    except OSError:
        return f"the {what} does not resolve from this host (private DNS: run inside the VPC or through a tunnel)"
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        return f"the {what} is not reachable from this host ({e.strerror or e})"
    return ""


def endpoint_of(override: dict, host: str | None, port: int | None, default_port: int) -> tuple[str | None, int]:
    """The override's host and port where given, else the AWS endpoint's."""
    return (override["host"] if override.get("host") else host,
            int(override["port"] if "port" in override else (port or default_port)))


def not_connected(connect: dict, why: str = "not connected") -> dict[str, dict]:
    """The database items when no session was opened: the login item says why, the others skip."""
    return {"connect": connect, **dict.fromkeys(DATABASE_PROBES[1:], skip(why))}


def database(snap: dict, credentials: dict, endpoint: dict, timeout: int) -> dict[str, dict]:
    """Login over TLS, the schema tables and the query statistics, by item: connect, schema, statistics."""
    db = snap.get("db")
    if db is None:
        return dict.fromkeys(DATABASE_PROBES, skip("no database"))
    if not credentials.get("password"):
        return not_connected(skip("the credentials secret could not be read"))
    host, port = endpoint_of(endpoint, db["endpoint"], db["port"], 5432)
    if not host:
        return not_connected(skip("the database has no endpoint yet"))
    why = unreachable("database endpoint" + (" given in verify_database_endpoint" if endpoint else ""), host, port, timeout)
    if why:
        return not_connected(skip(why), "not connected: " + why)
    if psycopg2 is None:
        return not_connected(skip("psycopg2 is not installed on this host"))
    try:
        connection = psycopg2.connect(host=host, port=port, user=credentials.get("username"),
                                      password=credentials["password"], dbname=credentials.get("dbname", "credlink"),
                                      sslmode="require", connect_timeout=timeout)
    except psycopg2.Error as e:
        message = str(e).replace(credentials["password"], "********").strip().splitlines()[0]
        return not_connected(outcome(False, f"login failed: {message.replace(host, '<endpoint>')}"))
    # Read-only statements, each on its own: one failing must not abort the others' transaction.
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            row = cursor.fetchone()
            uses_ssl = bool(row and row[0])
            cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            tables = sorted(r[0] for r in cursor.fetchall())
            statistics = query_statistics(cursor)
    finally:
        connection.close()
    missing = [t for t in checklist.SCHEMA_TABLES if t not in tables]
    return {"connect": outcome(uses_ssl, f"connected, SSL {'in use' if uses_ssl else 'NOT in use'}"),
            "schema": outcome(not missing, sorted(set(checklist.SCHEMA_TABLES) & set(tables)) if not missing
                              else {"missing": missing}),
            "statistics": statistics}


def query_statistics(cursor) -> dict:
    """Whether pg_stat_statements is created (migration V005) and collecting (library preloaded)."""
    cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'")
    row = cursor.fetchone()
    if row is None:
        return outcome(False, "extension pg_stat_statements not created (schema migration V005)")
    try:
        # Without the library in shared_preload_libraries the view raises
        # "pg_stat_statements must be loaded via shared_preload_libraries".
        cursor.execute("SELECT count(*) FROM pg_stat_statements")
        tracked = cursor.fetchone()[0]
    except psycopg2.Error as e:
        return outcome(False, f"pg_stat_statements {row[0]} created but not collecting: "
                              f"{str(e).strip().splitlines()[0]} (parameter group shared_preload_libraries)")
    return outcome(True, f"pg_stat_statements {row[0]}, {tracked} statement(s) tracked")


def redis_commands(snap: dict, endpoint: dict, timeout: int, auth: dict | None = None) -> dict:
    """PING, SET, GET and DEL of a throwaway key, over TLS when the group has transit encryption.

    ``auth`` is the user and AUTH token of the app's REDIS_URL, when it has them.
    """
    group = snap.get("redis")
    if group is None:
        return skip("no replication group")
    host, port = endpoint_of(endpoint, group["endpoint"], group["port"], 6379)
    if not host:
        return skip("the replication group has no primary endpoint yet")
    why = unreachable("Redis endpoint" + (" given in verify_redis_endpoint" if endpoint else ""), host, port, timeout)
    if why:
        return skip(why)
    if redis is None:
        return skip("the redis Python library is not installed on this host")
    key, value = f"credlink-verify:{uuid.uuid4().hex}", uuid.uuid4().hex
    # One attempt: the probe reports what a client sees, it does not wait out a broken endpoint
    # (redis-py otherwise retries each command three times with backoff).
    client = redis.Redis(host=host, port=port, ssl=bool(group["transit_encryption"]), socket_timeout=timeout,
                         socket_connect_timeout=timeout, decode_responses=True, retry=Retry(NoBackoff(), 0),
                         **(auth or {}))
    try:
        pong = client.ping()
        stored = client.set(key, value, ex=60)
        read = client.get(key)
        client.delete(key)
    except redis.RedisError as e:
        return outcome(False, f"connection failed: {type(e).__name__}")
    finally:
        client.close()
    ok = pong is True and stored is True and read == value
    return outcome(ok, "PONG, value read back" if ok else f"unexpected replies {[pong, stored]}")


def s3_roundtrip(snap: dict, client, check_mode: bool) -> dict:
    bucket = snap.get("bucket")
    if bucket is None:
        return skip("no bucket")
    if check_mode:
        return skip("check mode: the round trip would write an object")
    key, body = f"credlink-verify/{uuid.uuid4().hex}", uuid.uuid4().hex.encode()
    try:
        put = client.put_object(Bucket=bucket["name"], Key=key, Body=body)
        read = client.get_object(Bucket=bucket["name"], Key=key)["Body"].read()
        # Versioned bucket: remove the version itself, not only hide it behind a delete marker.
        if put.get("VersionId"):
            client.delete_object(Bucket=bucket["name"], Key=key, VersionId=put["VersionId"])
        else:
            client.delete_object(Bucket=bucket["name"], Key=key)
    except AWS_ERRORS as e:
        return outcome(False, f"{type(e).__name__}: {getattr(e, 'response', {}).get('Error', {}).get('Code', e)}")
    return outcome(read == body, "written, read back and removed" if read == body else "read back different bytes")


def http_health(snap: dict, timeout: int) -> dict:
    """GET /health at the ALB URL (https with the certificate's name when it serves one), following redirects."""
    if snap.get("alb") is None:
        return skip("no load balancer")
    url = snap["outputs"]["alb_url"]["value"]
    parts = urlsplit(url)
    why = unreachable("load balancer's address", parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                      timeout)
    if why:
        return skip(why)
    try:
        # Certificates are validated against the name in the URL.
        with open_url(f"{url}/health", timeout=timeout, validate_certs=True) as answer:
            return outcome(answer.status == 200, f"HTTP {answer.status} from {url}/health")
    except (OSError, RequestError) as e:
        return outcome(False, f"no answer from {url}/health: {e}")


PROBES = ("database", "schema", "statistics", "redis", "s3", "http")


def run_all(module, snapshot, snap: dict) -> dict:
    """Every live item's result, or every one skipped when live checks are off."""
    p = module.params
    if not p["live_checks"]:
        return {name: skip("live checks turned off") for name in PROBES}
    found = database(snap, snapshot.credentials, p["database_endpoint"], p["connect_timeout"])
    return {"database": found["connect"], "schema": found["schema"], "statistics": found["statistics"],
            "redis": redis_commands(snap, p["redis_endpoint"], p["connect_timeout"], snapshot.redis_auth),
            "s3": s3_roundtrip(snap, snapshot.client("s3"), module.check_mode),
            "http": http_health(snap, p["connect_timeout"])}
