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
                     ("redis_endpoint", "Redis endpoint (sensitive)"), ("s3_bucket", "S3 bucket name"),
                     ("ecr_repository_url", "ECR repository URL"), ("alb_dns_name", "ALB DNS name"),
                     ("ecs_service", "ECS cluster and service names")):
    check(f"outputs.{_key}", "outputs", f"{_label} shown")(_output(_key, _label))


# Network

@check("network.subnets", "network", "Two public, two private and two database subnets")
def _subnets(snap, exp):
    subnets = snap.get("subnets")
    if subnets is None:
        return missing("network layer")
    counts = {tier: len(subnets.get(tier, [])) for tier in ("public", "private", "database")}
    return verdict(counts == {"public": 2, "private": 2, "database": 2}, counts, "2 per tier")


# RDS and database

@check("rds.available", "database", "RDS instance is available")
def _rds_available(snap, exp):
    db = snap.get("db")
    if db is None:
        return missing("instance")
    return verdict(db["status"] == "available", db["status"], "available")


@check("rds.multi_az", "database", "Multi-AZ as sized for the environment")
def _rds_multi_az(snap, exp):
    db = snap.get("db")
    if db is None:
        return missing("instance")
    return verdict(db["multi_az"] == exp["rds_multi_az"], db["multi_az"], exp["rds_multi_az"])


@check("rds.backups", "database", "Automated backups kept as sized")
def _rds_backups(snap, exp):
    db = snap.get("db")
    if db is None:
        return missing("instance")
    days = db["backup_retention_days"]
    return verdict(days == exp["rds_backup_retention_days"], f"{days} days", f"{exp['rds_backup_retention_days']} days")


@check("rds.encryption", "database", "Storage encrypted")
def _rds_encryption(snap, exp):
    db = snap.get("db")
    if db is None:
        return missing("instance")
    return verdict(db["encrypted"], db["encrypted"], True)


@check("rds.deletion_protection", "database", "Deletion protection as sized")
def _rds_deletion_protection(snap, exp):
    db = snap.get("db")
    if db is None:
        return missing("instance")
    wanted = exp["rds_deletion_protection"]
    return verdict(db["deletion_protection"] == wanted, db["deletion_protection"], wanted)


@check("rds.security_group", "database", "Security group admits only the private subnets")
def _rds_sg(snap, exp):
    db, subnets = snap.get("db"), snap.get("subnets")
    if db is None or subnets is None:
        return missing("instance and network")
    sources = ingress_sources(db["ingress"], 5432)
    return verdict(sources == cidrs(subnets["private"]), sources, cidrs(subnets["private"]))


@check("rds.log_exports", "database", "PostgreSQL logs exported to CloudWatch")
def _rds_logs(snap, exp):
    db = snap.get("db")
    if db is None:
        return missing("instance")
    exports = sorted(db["log_exports"])
    return verdict({"postgresql", "upgrade"} <= set(exports), exports, ["postgresql", "upgrade"])


@check("database.connect", "database", "Can connect with the secret's credentials over TLS")
def _db_connect(snap, exp):
    return probe(snap.get("probes", {}).get("database"), "connected, SSL in use")


@check("database.schema", "database", "Schema tables created")
def _db_schema(snap, exp):
    result = snap.get("probes", {}).get("schema")
    return probe(result, list(SCHEMA_TABLES))


# Redis

@check("redis.available", "cache", "Replication group is available")
def _redis_available(snap, exp):
    redis = snap.get("redis")
    if redis is None:
        return missing("replication group")
    return verdict(redis["status"] == "available", redis["status"], "available")


@check("redis.nodes", "cache", "Primary and replicas as sized")
def _redis_nodes(snap, exp):
    redis = snap.get("redis")
    if redis is None:
        return missing("replication group")
    return verdict(len(redis["members"]) == exp["redis_nodes"], f"{len(redis['members'])} node(s)",
                   f"{exp['redis_nodes']} node(s)")


@check("redis.multi_az", "cache", "Multi-AZ as sized")
def _redis_multi_az(snap, exp):
    redis = snap.get("redis")
    if redis is None:
        return missing("replication group")
    return verdict(redis["multi_az"] == exp["redis_multi_az"], redis["multi_az"], exp["redis_multi_az"])


@check("redis.failover", "cache", "Automatic failover as sized")
def _redis_failover(snap, exp):
    redis = snap.get("redis")
    if redis is None:
        return missing("replication group")
    wanted = "enabled" if exp["redis_failover"] else "disabled"
    return verdict(redis["failover"] == wanted, redis["failover"], wanted)


@check("redis.snapshots", "cache", "Snapshot backups kept as sized")
def _redis_snapshots(snap, exp):
    redis = snap.get("redis")
    if redis is None:
        return missing("replication group")
    days, wanted = redis["snapshot_retention_days"], exp["redis_snapshot_retention_days"]
    return verdict(days == wanted, f"{days} days", f"{wanted} days")


@check("redis.encryption", "cache", "Encryption at rest")
def _redis_encryption(snap, exp):
    redis = snap.get("redis")
    if redis is None:
        return missing("replication group")
    return verdict(redis["at_rest_encryption"], redis["at_rest_encryption"], True)


@check("redis.security_group", "cache", "Security group admits only the private subnets")
def _redis_sg(snap, exp):
    redis, subnets = snap.get("redis"), snap.get("subnets")
    if redis is None or subnets is None:
        return missing("replication group and network")
    if redis.get("ingress") is None:
        return skipped("the endpoint reports no security group for the member clusters", cidrs(subnets["private"]))
    sources = ingress_sources(redis["ingress"], 6379)
    return verdict(sources == cidrs(subnets["private"]), sources, cidrs(subnets["private"]))


@check("redis.commands", "cache", "Can connect and run PING, SET, GET")
def _redis_commands(snap, exp):
    return probe(snap.get("probes", {}).get("redis"), "PONG, value read back")


# S3

def _bucket_check(key: str, expected: Any, describe: Callable[[Any], Any] = lambda v: v) -> Check:
    def run(snap, exp):
        bucket = snap.get("bucket")
        if bucket is None:
            return missing("bucket")
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
def _s3_lifecycle(snap, exp):
    bucket = snap.get("bucket")
    if bucket is None:
        return missing("bucket")
    return verdict(bucket["lifecycle_rules"] > 0, f"{bucket['lifecycle_rules']} enabled rule(s)", "at least 1")


@check("s3.cors", "storage", "CORS configured")
def _s3_cors(snap, exp):
    bucket = snap.get("bucket")
    if bucket is None:
        return missing("bucket")
    return verdict(bucket["cors_rules"] > 0, f"{bucket['cors_rules']} rule(s)", "at least 1")


@check("s3.object_roundtrip", "storage", "Can upload, download and delete an object")
def _s3_roundtrip(snap, exp):
    return probe(snap.get("probes", {}).get("s3"), "object written, read back and removed")


# Secrets Manager

@check("secrets.exists", "secrets", "Secret holds the database credentials")
def _secret_exists(snap, exp):
    secret = snap.get("secret")
    if secret is None:
        return missing("secret")
    needed = {"username", "password", "engine", "host", "port", "dbname"}
    keys = set(secret["keys"])
    return verdict(needed <= keys, sorted(keys), sorted(needed))


@check("secrets.current_version", "secrets", "A version is in stage AWSCURRENT")
def _secret_version(snap, exp):
    secret = snap.get("secret")
    if secret is None:
        return missing("secret")
    return verdict(bool(secret["current_version"]), "present" if secret["current_version"] else "none", "present")


@check("secrets.retrievable", "secrets", "Secret value can be retrieved")
def _secret_retrievable(snap, exp):
    secret = snap.get("secret")
    if secret is None:
        return missing("secret")
    return verdict(secret["retrievable"], "retrieved (value not shown)" if secret["retrievable"] else secret["error"],
                   "retrieved")


@check("secrets.read_policy", "secrets", "Read policy scoped to this secret")
def _secret_policy(snap, exp):
    secret = snap.get("secret")
    if secret is None:
        return missing("secret")
    resources = secret.get("policy_resources")
    if resources is None:
        return missing("policy credlink-<env>-db-credentials-read")
    return verdict(resources == [secret["arn"]], resources, [secret["arn"]])


# Application

@check("app.image", "application", "Image the service runs is in ECR")
def _app_image(snap, exp):
    ecr, ecs = snap.get("ecr"), snap.get("ecs")
    if ecr is None or ecs is None:
        return missing("repository and service")
    if not ecr["tags"]:
        return skipped("nothing pushed yet: push the image, then run playbooks/deploy_image.yml", ecs["image_tag"])
    return verdict(ecs["image_tag"] in ecr["tags"], ecr["tags"] or "no images", ecs["image_tag"])


@check("app.tasks_running", "application", "Tasks running at the desired count")
def _app_tasks(snap, exp):
    ecs = snap.get("ecs")
    if ecs is None:
        return missing("service")
    ok = ecs["running"] == ecs["desired"] and ecs["running"] >= exp["ecs_min_tasks"]
    return verdict(ok, f"{ecs['running']} of {ecs['desired']}", f">= {exp['ecs_min_tasks']}, all desired")


@check("app.targets_healthy", "application", "ALB health checks passing")
def _app_targets(snap, exp):
    alb = snap.get("alb")
    if alb is None:
        return missing("load balancer")
    states = alb["target_states"]
    healthy = states.count("healthy")
    return verdict(healthy >= max(1, exp["ecs_min_tasks"]) and healthy == len(states),
                   f"{healthy} of {len(states)} healthy", f">= {exp['ecs_min_tasks']} healthy, none failing")


@check("app.responds", "application", "Application answers /health at the ALB")
def _app_responds(snap, exp):
    return probe(snap.get("probes", {}).get("http"), "HTTP 200")


@check("app.log_group", "application", "Log group receives the service's logs")
def _app_logs(snap, exp):
    logs = snap.get("log_group")
    if logs is None:
        return missing("log group /ecs/credlink-<env>")
    return verdict(logs["retention_days"] == exp["log_retention_days"] and logs["configured"],
                   f"{logs['retention_days']} days, {'used' if logs['configured'] else 'not used'} by the task definition",
                   f"{exp['log_retention_days']} days, used by the task definition")


# Security

@check("security.rds_private", "security", "RDS in the database subnets, not publicly accessible")
def _sec_rds(snap, exp):
    db, subnets = snap.get("db"), snap.get("subnets")
    if db is None or subnets is None:
        return missing("instance and network")
    ok = not db["publicly_accessible"] and sorted(db["subnet_ids"]) == sorted(s["id"] for s in subnets["database"])
    return verdict(ok, "private" if ok else "reachable from outside or outside the database subnets", "private")


@check("security.redis_private", "security", "Redis in the private subnets")
def _sec_redis(snap, exp):
    redis, subnets = snap.get("redis"), snap.get("subnets")
    if redis is None or subnets is None:
        return missing("replication group and network")
    ok = sorted(redis["subnet_ids"]) == sorted(s["id"] for s in subnets["private"])
    return verdict(ok, "private subnets" if ok else redis["subnet_ids"], "private subnets")


@check("security.ecs_private", "security", "Tasks in the private subnets without public IP")
def _sec_ecs(snap, exp):
    ecs, subnets = snap.get("ecs"), snap.get("subnets")
    if ecs is None or subnets is None:
        return missing("service and network")
    ok = not ecs["public_ip"] and sorted(ecs["subnet_ids"]) == sorted(s["id"] for s in subnets["private"])
    return verdict(ok, "private" if ok else "public IP or other subnets", "private")


@check("security.alb_public", "security", "ALB in the public subnets only")
def _sec_alb(snap, exp):
    alb, subnets = snap.get("alb"), snap.get("subnets")
    if alb is None or subnets is None:
        return missing("load balancer and network")
    ok = sorted(alb["subnet_ids"]) == sorted(s["id"] for s in subnets["public"])
    return verdict(ok, "public subnets" if ok else alb["subnet_ids"], "public subnets")


@check("security.world_open", "security", "Only the ALB accepts traffic from anywhere")
def _sec_world(snap, exp):
    groups = snap.get("world_open_groups")
    if groups is None:
        return missing("network")
    allowed = {exp["alb_security_group"]}
    return verdict(set(groups) <= allowed, sorted(groups) or "none", sorted(allowed))


@check("security.secrets_not_hardcoded", "security", "Database URL comes from Secrets Manager, not the task definition")
def _sec_secrets(snap, exp):
    ecs, secret = snap.get("ecs"), snap.get("secret")
    if ecs is None or secret is None:
        return missing("service and secret")
    suspicious = [name for name in ecs["environment"] if any(w in name.upper() for w in ("PASSWORD", "DATABASE_URL", "SECRET"))]
    injected = ecs["secrets"].get("DATABASE_URL", "")
    ok = not suspicious and injected.startswith(secret["arn"])
    return verdict(ok, {"plain": suspicious, "DATABASE_URL": "from the secret" if injected.startswith(secret["arn"]) else "not injected"},
                   {"plain": [], "DATABASE_URL": "from the secret"})


# High availability

@check("ha.ecs_tasks", "high_availability", "Enough tasks running")
def _ha_tasks(snap, exp):
    ecs = snap.get("ecs")
    if ecs is None:
        return missing("service")
    return verdict(ecs["running"] >= exp["ecs_min_tasks"], ecs["running"], f">= {exp['ecs_min_tasks']}")


@check("ha.rds_standby", "high_availability", "RDS standby in another zone when Multi-AZ")
def _ha_rds(snap, exp):
    db = snap.get("db")
    if db is None:
        return missing("instance")
    if not exp["rds_multi_az"]:
        return skipped("the environment is sized single-AZ", "no standby")
    if db["multi_az"] and not db.get("secondary_az"):
        # AWS always reports the standby's zone for a Multi-AZ instance; some emulators do not.
        return skipped("the endpoint reports Multi-AZ but not the standby's zone", "primary and standby in different zones")
    ok = db["multi_az"] and db["secondary_az"] != db.get("az")
    return verdict(ok, f"{db.get('az')} / {db.get('secondary_az') or 'no standby'}", "primary and standby in different zones")


@check("ha.redis_replication", "high_availability", "Redis replication across zones when sized for it")
def _ha_redis(snap, exp):
    redis = snap.get("redis")
    if redis is None:
        return missing("replication group")
    if exp["redis_nodes"] < 2:
        return skipped("the environment is sized with one node", "1 node")
    return verdict(len(redis["members"]) >= 2 and redis["failover"] == "enabled",
                   f"{len(redis['members'])} node(s), failover {redis['failover']}", "2+ nodes, failover enabled")


@check("ha.nat_gateways", "high_availability", "NAT gateways as sized (one per zone in production)")
def _ha_nat(snap, exp):
    nats = snap.get("nat_gateways")
    if nats is None:
        return missing("network")
    zones = sorted({n["az"] for n in nats if n["state"] == "available"})
    return verdict(len(zones) == exp["nat_gateways"], zones, f"{exp['nat_gateways']} zone(s)")


@check("ha.alb_zones", "high_availability", "ALB spans both zones")
def _ha_alb(snap, exp):
    alb = snap.get("alb")
    if alb is None:
        return missing("load balancer")
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
