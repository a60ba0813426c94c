# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment verification checklist, as pure functions of a snapshot of the account.

``deployment_checklist`` collects the snapshot (read-only AWS calls plus the live probes)
and ``evaluate`` turns it into one item per checklist line, so every line can be tested
for pass, fail and skip without AWS.

A snapshot is a dict; a layer that does not exist is ``None``. Live probes are stored as
``{"status": "pass"|"fail"|"skip", "observed": ..., "reason": ...}``.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

PASS, FAIL, SKIP = "pass", "fail", "skip"
SCHEMA_TABLES = ("proofs", "signing_operations", "verification_operations")
LAYERS = ("outputs", "network", "database", "cache", "storage", "secrets", "application", "security",
          "high_availability")

Check = Callable[[dict, dict], tuple]
CHECKS: list[tuple[str, str, str, Check]] = []


def check(item_id: str, layer: str, title: str):
    def register(func: Check) -> Check:
        CHECKS.append((item_id, layer, title, func))
        return func
    return register


def verdict(ok: bool, observed: Any, expected: Any) -> tuple:
    return (PASS if ok else FAIL, observed, expected, "")


def missing(what: str) -> tuple:
    return (FAIL, "missing", what, "")


# What a missing part of the snapshot is called in an item's ``expected``.
PARTS = {"db": "instance", "redis": "replication group", "bucket": "bucket", "secret": "secret", "ecs": "service",
         "alb": "load balancer", "ecr": "repository", "subnets": "network", "nat_gateways": "network",
         "world_open_groups": "network", "log_group": "log group /ecs/credlink-<env>"}


def requires(*parts: str):
    """The item fails as ``missing`` unless the snapshot holds every part; the parts are passed after ``exp``."""
    def wrap(func: Callable[..., tuple]) -> Check:
        @functools.wraps(func)
        def run(snap: dict, exp: dict) -> tuple:
            found = [snap.get(part) for part in parts]
            if any(value is None for value in found):
                return missing(" and ".join(dict.fromkeys(PARTS[part] for part in parts)))
            return func(snap, exp, *found)
        return run
    return wrap


def skipped(reason: str, expected: Any = "") -> tuple:
    return (SKIP, None, expected, reason)


def probe(result: dict | None, expected: Any) -> tuple:
    if not result:
        return skipped("not probed", expected)
    return (result["status"], result.get("observed"), expected, result.get("reason", ""))


def cidrs(subnets: list[dict]) -> list[str]:
    return sorted(s["cidr"] for s in subnets)


def ingress_sources(rules: list[dict], port: int) -> list[str]:
    """CIDRs and security groups that may open ``port``."""
    return sorted(
        source for rule in rules
        if rule.get("protocol") == "-1" or rule.get("from_port", 0) <= port <= rule.get("to_port", 65535)
        for source in rule.get("sources", [])
    )


# Outputs: what `terraform output` showed in the seeds.

def _output(key: str, label: str) -> Check:
    def run(snap: dict, exp: dict) -> tuple:
        value = ((snap.get("outputs") or {}).get(key) or {}).get("value")
        return verdict(bool(value), "shown" if value else "missing", label)
    return run


for _key, _label in (("vpc_id", "VPC id"), ("rds_endpoint", "RDS endpoint (sensitive)"),
                     ("database_url", "Database URL without the password (sensitive)"),
                     ("redis_endpoint", "Redis endpoint (sensitive)"), ("redis_tls", "Redis TLS on or off"),
                     ("s3_bucket", "S3 bucket name"), ("ecr_repository_url", "ECR repository URL"),
                     ("alb_dns_name", "ALB DNS name"), ("alb_url", "ALB URL"), ("target_group_arn", "Target group ARN"),
                     ("ecs_service", "ECS cluster and service names")):
    check(f"outputs.{_key}", "outputs", f"{_label} shown")(_output(_key, _label))


# Network

@check("network.subnets", "network", "Two public, two private and two database subnets")
@requires("subnets")
def _subnets(snap, exp, subnets):
    counts = {tier: len(subnets.get(tier, [])) for tier in ("public", "private", "database")}
    return verdict(counts == {"public": 2, "private": 2, "database": 2}, counts, "2 per tier")


# RDS and database

@check("rds.available", "database", "RDS instance is available")
@requires("db")
def _rds_available(snap, exp, db):
    return verdict(db["status"] == "available", db["status"], "available")


@check("rds.multi_az", "database", "Multi-AZ as sized for the environment")
@requires("db")
def _rds_multi_az(snap, exp, db):
    return verdict(db["multi_az"] == exp["rds_multi_az"], db["multi_az"], exp["rds_multi_az"])


@check("rds.backups", "database", "Automated backups kept as sized")
@requires("db")
def _rds_backups(snap, exp, db):
    days = db["backup_retention_days"]
    return verdict(days == exp["rds_backup_retention_days"], f"{days} days", f"{exp['rds_backup_retention_days']} days")


@check("rds.encryption", "database", "Storage encrypted")
@requires("db")
def _rds_encryption(snap, exp, db):
    return verdict(db["encrypted"], db["encrypted"], True)


@check("rds.deletion_protection", "database", "Deletion protection as sized")
@requires("db")
def _rds_deletion_protection(snap, exp, db):
    wanted = exp["rds_deletion_protection"]
    return verdict(db["deletion_protection"] == wanted, db["deletion_protection"], wanted)


@check("rds.security_group", "database", "Security group admits only the private subnets")
@requires("db", "subnets")
def _rds_sg(snap, exp, db, subnets):
    sources = ingress_sources(db["ingress"], 5432)
    return verdict(sources == cidrs(subnets["private"]), sources, cidrs(subnets["private"]))


@check("rds.log_exports", "database", "PostgreSQL logs exported to CloudWatch")
@requires("db")
def _rds_logs(snap, exp, db):
    exports = sorted(db["log_exports"])
    return verdict({"postgresql", "upgrade"} <= set(exports), exports, ["postgresql", "upgrade"])


@check("database.connect", "database", "Can connect with the secret's credentials over TLS")
def _db_connect(snap, exp):
    return probe(snap.get("probes", {}).get("database"), "connected, SSL in use")


@check("database.schema", "database", "Schema tables created")
def _db_schema(snap, exp):
    result = snap.get("probes", {}).get("schema")
    return probe(result, list(SCHEMA_TABLES))


@check("database.statistics", "database", "Query statistics available (pg_stat_statements)")
def _db_statistics(snap, exp):
    return probe(snap.get("probes", {}).get("statistics"), "pg_stat_statements created and collecting")


# Redis

@check("redis.available", "cache", "Replication group is available")
@requires("redis")
def _redis_available(snap, exp, redis):
    return verdict(redis["status"] == "available", redis["status"], "available")


@check("redis.nodes", "cache", "Primary and replicas as sized")
@requires("redis")
def _redis_nodes(snap, exp, redis):
    return verdict(len(redis["members"]) == exp["redis_nodes"], f"{len(redis['members'])} node(s)",
                   f"{exp['redis_nodes']} node(s)")


@check("redis.multi_az", "cache", "Multi-AZ as sized")
@requires("redis")
def _redis_multi_az(snap, exp, redis):
    return verdict(redis["multi_az"] == exp["redis_multi_az"], redis["multi_az"], exp["redis_multi_az"])


@check("redis.failover", "cache", "Automatic failover as sized")
@requires("redis")
def _redis_failover(snap, exp, redis):
    wanted = "enabled" if exp["redis_failover"] else "disabled"
    return verdict(redis["failover"] == wanted, redis["failover"], wanted)


@check("redis.snapshots", "cache", "Snapshot backups kept as sized")
@requires("redis")
def _redis_snapshots(snap, exp, redis):
    days, wanted = redis["snapshot_retention_days"], exp["redis_snapshot_retention_days"]
    return verdict(days == wanted, f"{days} days", f"{wanted} days")


@check("redis.encryption", "cache", "Encryption at rest")
@requires("redis")
def _redis_encryption(snap, exp, redis):
    return verdict(redis["at_rest_encryption"], redis["at_rest_encryption"], True)


@check("redis.security_group", "cache", "Security group admits only the private subnets")
@requires("redis", "subnets")
def _redis_sg(snap, exp, redis, subnets):
    if redis.get("ingress") is None:
        return skipped("the endpoint reports no security group for the member clusters", cidrs(subnets["private"]))
    sources = ingress_sources(redis["ingress"], 6379)
    return verdict(sources == cidrs(subnets["private"]), sources, cidrs(subnets["private"]))


@check("redis.commands", "cache", "Can connect and run PING, SET, GET")
def _redis_commands(snap, exp):
    return probe(snap.get("probes", {}).get("redis"), "PONG, value read back")


# S3

def _bucket_check(key: str, expected: Any, describe: Callable[[Any], Any] = lambda v: v) -> Check:
    @requires("bucket")
    def run(snap, exp, bucket):
        value = bucket.get(key)
        return verdict(value == expected, describe(value), describe(expected))
    return run


@check("s3.exists", "storage", "Proofs bucket exists")
def _s3_exists(snap, exp):
    bucket = snap.get("bucket")
    return verdict(bucket is not None, bucket["name"] if bucket else "missing", "credlink-<env>-proofs-<account>")


check("s3.versioning", "storage", "Versioning enabled")(_bucket_check("versioning", "Enabled"))
check("s3.encryption", "storage", "Default encryption AES256")(_bucket_check("encryption", "AES256"))
check("s3.public_access_block", "storage", "All four public access blocks on")(
    _bucket_check("public_access_blocked", True))
check("s3.tls_only", "storage", "Bucket policy denies requests without TLS")(_bucket_check("tls_only", True))


@check("s3.lifecycle", "storage", "Lifecycle rules active")
@requires("bucket")
def _s3_lifecycle(snap, exp, bucket):
    return verdict(bucket["lifecycle_rules"] > 0, f"{bucket['lifecycle_rules']} enabled rule(s)", "at least 1")


@check("s3.cors", "storage", "CORS configured")
@requires("bucket")
def _s3_cors(snap, exp, bucket):
    return verdict(bucket["cors_rules"] > 0, f"{bucket['cors_rules']} rule(s)", "at least 1")


@check("s3.object_roundtrip", "storage", "Can upload, download and delete an object")
def _s3_roundtrip(snap, exp):
    return probe(snap.get("probes", {}).get("s3"), "object written, read back and removed")


# Secrets Manager

@check("secrets.exists", "secrets", "Secret holds the database credentials")
@requires("secret")
def _secret_exists(snap, exp, secret):
    needed = {"username", "password", "engine", "host", "port", "dbname"}
    keys = set(secret["keys"])
    return verdict(needed <= keys, sorted(keys), sorted(needed))


@check("secrets.current_version", "secrets", "A version is in stage AWSCURRENT")
@requires("secret")
def _secret_version(snap, exp, secret):
    return verdict(bool(secret["current_version"]), "present" if secret["current_version"] else "none", "present")


@check("secrets.retrievable", "secrets", "Secret value can be retrieved")
@requires("secret")
def _secret_retrievable(snap, exp, secret):
    return verdict(secret["retrievable"], "retrieved (value not shown)" if secret["retrievable"] else secret["error"],
                   "retrieved")


@check("secrets.read_policy", "secrets", "Read policy scoped to this secret")
@requires("secret")
def _secret_policy(snap, exp, secret):
    resources = secret.get("policy_resources")
    if resources is None:
        return missing("policy credlink-<env>-db-credentials-read")
    return verdict(resources == [secret["arn"]], resources, [secret["arn"]])


# Application

@check("app.image", "application", "Image the service runs is in ECR")
@requires("ecr", "ecs")
def _app_image(snap, exp, ecr, ecs):
    if not ecr["tags"]:
        return skipped("nothing pushed yet: push the image, then run playbooks/deploy_image.yml", ecs["image_tag"])
    return verdict(ecs["image_tag"] in ecr["tags"], ecr["tags"] or "no images", ecs["image_tag"])


@check("app.tasks_running", "application", "Tasks running at the desired count")
@requires("ecs")
def _app_tasks(snap, exp, ecs):
    ok = ecs["running"] == ecs["desired"] and ecs["running"] >= exp["ecs_min_tasks"]
    return verdict(ok, f"{ecs['running']} of {ecs['desired']}", f">= {exp['ecs_min_tasks']}, all desired")


@check("app.redis_tls", "application", "The app's REDIS_TLS and REDIS_URL match the group's transit encryption")
@requires("ecs", "redis")
def _app_redis_tls(snap, exp, ecs, redis):
    tls = bool(redis["transit_encryption"])
    wanted = {"REDIS_TLS": "true" if tls else "false", "REDIS_URL": "rediss://" if tls else "redis://"}
    scheme, setting = ecs.get("redis_url_scheme"), ecs.get("redis_tls_setting")
    readable = {"REDIS_TLS": setting if setting != "from a secret" else None, "REDIS_URL": scheme}
    observed = {"REDIS_TLS": setting or "not set",
                "REDIS_URL": f"{scheme}://" if scheme else ecs.get("redis_url_source") or "not set"}
    agrees = ((scheme is None or f"{scheme}://" == wanted["REDIS_URL"])
              and (readable["REDIS_TLS"] is None or readable["REDIS_TLS"].strip().lower() == wanted["REDIS_TLS"]))
    if agrees and None in readable.values():
        unknown = " or ".join(name for name, value in readable.items() if value is None)
        return skipped(f"the task definition gives no readable {unknown} to compare with the group's transit "
                       f"encryption ({'on' if tls else 'off'})", wanted)
    return verdict(agrees, observed, wanted)


@check("app.targets_healthy", "application", "ALB health checks passing")
@requires("alb")
def _app_targets(snap, exp, alb):
    states = alb["target_states"]
    healthy = states.count("healthy")
    return verdict(healthy >= max(1, exp["ecs_min_tasks"]) and healthy == len(states),
                   f"{healthy} of {len(states)} healthy", f">= {exp['ecs_min_tasks']} healthy, none failing")


@check("app.responds", "application", "Application answers /health at the ALB")
def _app_responds(snap, exp):
    return probe(snap.get("probes", {}).get("http"), "HTTP 200")


@check("app.log_group", "application", "Log group receives the service's logs")
@requires("log_group")
def _app_logs(snap, exp, logs):
    return verdict(logs["retention_days"] == exp["log_retention_days"] and logs["configured"],
                   f"{logs['retention_days']} days, {'used' if logs['configured'] else 'not used'} by the task definition",
                   f"{exp['log_retention_days']} days, used by the task definition")


# Security

@check("security.rds_private", "security", "RDS in the database subnets, not publicly accessible")
@requires("db", "subnets")
def _sec_rds(snap, exp, db, subnets):
    ok = not db["publicly_accessible"] and sorted(db["subnet_ids"]) == sorted(s["id"] for s in subnets["database"])
    return verdict(ok, "private" if ok else "reachable from outside or outside the database subnets", "private")


@check("security.redis_private", "security", "Redis in the private subnets")
@requires("redis", "subnets")
def _sec_redis(snap, exp, redis, subnets):
    ok = sorted(redis["subnet_ids"]) == sorted(s["id"] for s in subnets["private"])
    return verdict(ok, "private subnets" if ok else redis["subnet_ids"], "private subnets")


@check("security.ecs_private", "security", "Tasks in the private subnets without public IP")
@requires("ecs", "subnets")
def _sec_ecs(snap, exp, ecs, subnets):
    ok = not ecs["public_ip"] and sorted(ecs["subnet_ids"]) == sorted(s["id"] for s in subnets["private"])
    return verdict(ok, "private" if ok else "public IP or other subnets", "private")


@check("security.alb_public", "security", "ALB in the public subnets only")
@requires("alb", "subnets")
def _sec_alb(snap, exp, alb, subnets):
    ok = sorted(alb["subnet_ids"]) == sorted(s["id"] for s in subnets["public"])
    return verdict(ok, "public subnets" if ok else alb["subnet_ids"], "public subnets")


@check("security.world_open", "security", "Only the ALB accepts traffic from anywhere")
@requires("world_open_groups")
def _sec_world(snap, exp, groups):
    allowed = {exp["alb_security_group"]}
    return verdict(set(groups) <= allowed, sorted(groups) or "none", sorted(allowed))


@check("security.secrets_not_hardcoded", "security", "Database URL comes from Secrets Manager, not the task definition")
@requires("ecs", "secret")
def _sec_secrets(snap, exp, ecs, secret):
    suspicious = [name for name in ecs["environment"] if any(w in name.upper() for w in ("PASSWORD", "DATABASE_URL", "SECRET"))]
    injected = ecs["secrets"].get("DATABASE_URL", "")
    ok = not suspicious and injected.startswith(secret["arn"])
    return verdict(ok, {"plain": suspicious, "DATABASE_URL": "from the secret" if injected.startswith(secret["arn"]) else "not injected"},
                   {"plain": [], "DATABASE_URL": "from the secret"})


# High availability

@check("ha.ecs_tasks", "high_availability", "Enough tasks running")
@requires("ecs")
def _ha_tasks(snap, exp, ecs):
    return verdict(ecs["running"] >= exp["ecs_min_tasks"], ecs["running"], f">= {exp['ecs_min_tasks']}")


@check("ha.rds_standby", "high_availability", "RDS standby in another zone when Multi-AZ")
@requires("db")
def _ha_rds(snap, exp, db):
    if not exp["rds_multi_az"]:
        return skipped("the environment is sized single-AZ", "no standby")
    if db["multi_az"] and not db.get("secondary_az"):
        # AWS always reports the standby's zone for a Multi-AZ instance; some emulators do not.
        return skipped("the endpoint reports Multi-AZ but not the standby's zone", "primary and standby in different zones")
    ok = db["multi_az"] and db["secondary_az"] != db.get("az")
    return verdict(ok, f"{db.get('az')} / {db.get('secondary_az') or 'no standby'}", "primary and standby in different zones")


@check("ha.redis_replication", "high_availability", "Redis replication across zones when sized for it")
@requires("redis")
def _ha_redis(snap, exp, redis):
    if exp["redis_nodes"] < 2:
        return skipped("the environment is sized with one node", "1 node")
    return verdict(len(redis["members"]) >= 2 and redis["failover"] == "enabled",
                   f"{len(redis['members'])} node(s), failover {redis['failover']}", "2+ nodes, failover enabled")


@check("ha.nat_gateways", "high_availability", "NAT gateways as sized (one per zone in production)")
@requires("nat_gateways")
def _ha_nat(snap, exp, nats):
    zones = sorted({n["az"] for n in nats if n["state"] == "available"})
    return verdict(len(zones) == exp["nat_gateways"], zones, f"{exp['nat_gateways']} zone(s)")


@check("ha.alb_zones", "high_availability", "ALB spans both zones")
@requires("alb")
def _ha_alb(snap, exp, alb):
    return verdict(len(set(alb["zones"])) >= 2, sorted(alb["zones"]), "2 zones")


def _short(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, list, dict)) or value is None else str(value)


def evaluate(snapshot: dict, expected: dict, only: list[str] | None = None) -> list[dict]:
    """One item per checklist line, in checklist order."""
    items = []
    for item_id, layer, title, func in CHECKS:
        if only and item_id not in only and layer not in only:
            continue
        status, observed, wanted, reason = func(snapshot, expected)
        items.append({"id": item_id, "layer": layer, "title": title, "status": status,
                      "observed": _short(observed), "expected": _short(wanted), "reason": reason})
    return items


def summarize(items: list[dict]) -> dict:
    return {status: sum(1 for item in items if item["status"] == status) for status in (PASS, FAIL, SKIP)}
