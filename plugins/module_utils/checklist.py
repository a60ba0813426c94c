# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment verification checklist, as pure functions of a snapshot of the account.

``deployment_checklist`` collects the snapshot (read-only AWS calls plus the live probes)
and ``evaluate`` turns it into one item per checklist line, so every line can be tested
for pass, fail and skip without AWS.

A snapshot is a dict; a layer that does not exist is ``None``. Live probes are stored as
``{"status": "pass"|"fail"|"skip", "observed": ..., "reason": ...}``.

Sized items are judged twice: against the inventory (``expected``, as the stack was
built) and against the seeds' baseline of the environment (``expected["baseline"]``, see
``baseline.for_environment``). A stack weaker than the baseline fails even when its
inventory asks for it; it is ``waived`` instead when the inventory was deliberately
allowed below the baseline (``expected["allow_below_baseline"]``).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ansible_collections.credlink.infra.plugins.module_utils import baseline

PASS, FAIL, SKIP, WAIVED = "pass", "fail", "skip", "waived"
STATUSES = (PASS, FAIL, SKIP, WAIVED)
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


def held_to(exp: dict, key: str) -> dict | None:
    """The baseline rule of a setting (``value``, ``compare``, ``variable``), None when there is none."""
    return ((exp.get("baseline") or {}).get("settings") or {}).get(key)


def against_baseline(exp: dict, key: str, value: Any, result: tuple) -> tuple:
    """An item's verdict once the baseline has judged ``value``.

    A pass whose value is weaker than the baseline fails - or is waived when the inventory
    asked for that value (a setting the preflight checks) and credlink_allow_below_baseline
    allowed it. Other verdicts stand.
    """
    rule = held_to(exp, key)
    if rule is None or result[0] != PASS or not baseline.weaker(rule["compare"], value, rule["value"]):
        return result
    status, observed, expected, _ = result
    where = f"the {exp['baseline']['environment']} baseline is {baseline.describe(rule['compare'], rule['value'])}"
    asked = rule.get("variable") and exp.get(key) is not None and baseline.weaker(rule["compare"], exp[key], rule["value"])
    if asked and exp.get("allow_below_baseline"):
        return (WAIVED, observed, expected, f"below the baseline ({where}): allowed by credlink_allow_below_baseline")
    return (FAIL, observed, expected, f"below the baseline: {where}")


def below_baseline(exp: dict, key: str, value: Any, observed: Any, expected: Any) -> tuple | None:
    """The verdict (fail or waived) of a value the baseline finds too weak; None when it is not."""
    rule = held_to(exp, key)
    if rule is None or not baseline.weaker(rule["compare"], value, rule["value"]):
        return None
    return against_baseline(exp, key, value, (PASS, observed, expected, ""))


def live(item_id: str, layer: str, title: str, name: str, expected: Any) -> None:
    """Register an item whose verdict is the live probe ``name`` of the snapshot (skipped when not probed)."""
    def run(snap: dict, exp: dict) -> tuple:
        result = snap.get("probes", {}).get(name)
        if not result:
            return skipped("not probed", expected)
        return (result["status"], result.get("observed"), expected, result.get("reason", ""))
    check(item_id, layer, title)(run)


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

def _available(item_id: str, layer: str, title: str, part: str) -> None:
    """Register the item that holds the snapshot's ``part`` to the status ``available``."""
    @check(item_id, layer, title)
    @requires(part)
    def judge(snap, exp, resource):
        return verdict(resource["status"] == "available", resource["status"], "available")


_available("rds.available", "database", "RDS instance is available", "db")


@check("rds.multi_az", "database", "Multi-AZ as sized for the environment")
@requires("db")
def _rds_multi_az(snap, exp, db):
    return against_baseline(exp, "rds_multi_az", db["multi_az"],
                            verdict(db["multi_az"] == exp["rds_multi_az"], db["multi_az"], exp["rds_multi_az"]))


@check("rds.backups", "database", "Automated backups kept as sized")
@requires("db")
def _rds_backups(snap, exp, db):
    days = db["backup_retention_days"]
    return against_baseline(exp, "rds_backup_retention_days", days, verdict(
        days == exp["rds_backup_retention_days"], f"{days} days", f"{exp['rds_backup_retention_days']} days"))


@check("rds.encryption", "database", "Storage encrypted")
@requires("db")
def _rds_encryption(snap, exp, db):
    return verdict(db["encrypted"], db["encrypted"], True)


@check("rds.deletion_protection", "database", "Deletion protection as sized")
@requires("db")
def _rds_deletion_protection(snap, exp, db):
    wanted = exp["rds_deletion_protection"]
    return against_baseline(exp, "rds_deletion_protection", db["deletion_protection"],
                            verdict(db["deletion_protection"] == wanted, db["deletion_protection"], wanted))


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


live("database.connect", "database", "Can connect with the secret's credentials over TLS",
     "database", "connected, SSL in use")


live("database.schema", "database", "Schema tables created", "schema", list(SCHEMA_TABLES))


live("database.statistics", "database", "Query statistics available (pg_stat_statements)",
     "statistics", "pg_stat_statements created and collecting")


# Redis

_available("redis.available", "cache", "Replication group is available", "redis")


@check("redis.nodes", "cache", "Primary and replicas as sized")
@requires("redis")
def _redis_nodes(snap, exp, redis):
    nodes = len(redis["members"])
    return against_baseline(exp, "redis_nodes", nodes, verdict(
        nodes == exp["redis_nodes"], f"{nodes} node(s)", f"{exp['redis_nodes']} node(s)"))


@check("redis.multi_az", "cache", "Multi-AZ as sized")
@requires("redis")
def _redis_multi_az(snap, exp, redis):
    return against_baseline(exp, "redis_multi_az", redis["multi_az"], verdict(
        redis["multi_az"] == exp["redis_multi_az"], redis["multi_az"], exp["redis_multi_az"]))


@check("redis.failover", "cache", "Automatic failover as sized")
@requires("redis")
def _redis_failover(snap, exp, redis):
    wanted = "enabled" if exp["redis_failover"] else "disabled"
    return against_baseline(exp, "redis_failover", redis["failover"] == "enabled",
                            verdict(redis["failover"] == wanted, redis["failover"], wanted))


@check("redis.snapshots", "cache", "Snapshot backups kept as sized")
@requires("redis")
def _redis_snapshots(snap, exp, redis):
    days, wanted = redis["snapshot_retention_days"], exp["redis_snapshot_retention_days"]
    return against_baseline(exp, "redis_snapshot_retention_days", days,
                            verdict(days == wanted, f"{days} days", f"{wanted} days"))


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


live("redis.commands", "cache", "Can connect and run PING, SET, GET", "redis", "PONG, value read back")


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


@check("s3.lifecycle", "storage", "Lifecycle rules active, one for the whole bucket")
@requires("bucket")
def _s3_lifecycle(snap, exp, bucket):
    whole = bucket.get("lifecycle") is not None
    return verdict(bucket["lifecycle_rules"] > 0 and whole,
                   f"{bucket['lifecycle_rules']} enabled rule(s), {'one' if whole else 'none'} for the whole bucket",
                   "an enabled rule for the whole bucket")


def _lifecycle_rule(func: Callable[..., tuple]) -> Check:
    """The item judges the bucket's whole-bucket rule; without one it is skipped (s3.lifecycle fails)."""
    @requires("bucket")
    @functools.wraps(func)
    def run(snap, exp, bucket):
        if bucket.get("lifecycle") is None:
            return skipped("no enabled lifecycle rule for the whole bucket (see s3.lifecycle)")
        return func(snap, exp, bucket["lifecycle"])
    return run


def _days(days: Any) -> str:
    return "never" if days is None else f"{days} days"


@check("s3.lifecycle_transition", "storage", "Objects move to Glacier after the days the inventory sets")
@_lifecycle_rule
def _s3_transition(snap, exp, rule):
    storage_class = (held_to(exp, "s3_transition_storage_class") or {}).get("value", "GLACIER")
    days = exp.get("s3_glacier_transition_days")
    observed = rule["transitions"]
    if days is None:  # no inventory figure: any single transition to the class; the baseline judges the days
        result = verdict(len(observed) == 1 and observed[0]["storage_class"] == storage_class, observed,
                         f"one transition to {storage_class}")
    else:
        wanted = [{"days": days, "storage_class": storage_class}]
        result = verdict(observed == wanted, observed, wanted)
    first = observed[0] if observed else {}
    result = against_baseline(exp, "s3_glacier_transition_days", first.get("days"), result)
    return against_baseline(exp, "s3_transition_storage_class", first.get("storage_class"), result)


def _expiry_item(item_id: str, title: str, days_key: str, setting: str, any_wanted: str) -> None:
    """Register the item that holds the lifecycle rule's ``days_key`` to the inventory's ``setting`` and the baseline.

    Without the setting any expiration passes the inventory comparison; none at all fails.
    """
    @check(item_id, "storage", title)
    @_lifecycle_rule
    def judge(snap, exp, rule):
        days, wanted = rule[days_key], exp.get(setting)
        result = verdict(days is not None and days == (wanted if wanted is not None else days), _days(days),
                         _days(wanted) if wanted is not None else any_wanted)
        return against_baseline(exp, setting, days, result)


_expiry_item("s3.lifecycle_expiration", "Objects expire after the days the inventory sets",
             "expiration_days", "s3_expiration_days", "an expiration")
_expiry_item("s3.lifecycle_noncurrent", "Old versions expire after the days the inventory sets",
             "noncurrent_expiration_days", "s3_noncurrent_expiration_days", "an expiration of old versions")


@check("s3.cors", "storage", "CORS lets the browser app's origins read proofs")
@requires("bucket")
def _s3_cors(snap, exp, bucket):
    wanted = exp.get("cors_origins")
    if wanted is None:  # not told the origins: any rule will do
        return verdict(bucket["cors_rules"] > 0, f"{bucket['cors_rules']} rule(s)", "at least 1")
    wanted = sorted(set(wanted))
    return verdict(bucket.get("cors_origins", []) == wanted, bucket.get("cors_origins") or "no CORS rules",
                   wanted or "no CORS rules")


live("s3.object_roundtrip", "storage", "Can upload, download and delete an object",
     "s3", "object written, read back and removed")


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

def repository_empty(ecr: dict) -> bool:
    return not (ecr["tags"] or ecr.get("digests"))


@check("app.image", "application", "Image the service runs is in ECR")
@requires("ecr", "ecs")
def _app_image(snap, exp, ecr, ecs):
    reference = ecs["image_tag"]
    if repository_empty(ecr):
        rule = held_to(exp, "app_image_in_repository")
        if rule and rule["value"]:
            return (FAIL, "nothing pushed", reference, f"the {exp['baseline']['environment']} baseline runs only "
                    "images of the repository: push the image, then run playbooks/deploy_image.yml")
        return skipped("nothing pushed yet: push the image, then run playbooks/deploy_image.yml", reference)
    repository = ecs.get("image_repository", ecr["uri"])
    if repository != ecr["uri"]:
        return verdict(False, f"an image of another repository ({repository})", f"{ecr['uri']}:{reference}")
    pushed = ecr.get("digests", []) if reference.startswith("sha256:") else ecr["tags"]
    return verdict(reference in pushed, ecr["tags"], reference)


def nothing_pushed(snap: dict) -> bool:
    """Whether the service runs an image of the stack's repository and nothing is pushed to it.

    No task can then start (ECS cannot pull the image), so the items about running tasks are
    skipped with the reason rather than judged: their outcome would only say how far an
    unpullable deployment had got. app.image says what to do.
    """
    ecr, ecs = snap.get("ecr"), snap.get("ecs")
    return (ecr is not None and ecs is not None and repository_empty(ecr)
            and ecs.get("image_repository", ecr["uri"]) == ecr["uri"])


NOTHING_PUSHED = "nothing pushed to the repository yet: no task can start (push the image, then run playbooks/deploy_image.yml)"


@check("app.tasks_running", "application", "Tasks running at the desired count")
@requires("ecs")
def _app_tasks(snap, exp, ecs):
    if nothing_pushed(snap):
        return skipped(NOTHING_PUSHED, f">= {exp['ecs_min_tasks']}, all desired")
    ok = ecs["running"] == ecs["desired"] and ecs["running"] >= exp["ecs_min_tasks"]
    # The inventory's minimum is the service's autoscaling minimum: that is what the baseline judges.
    return against_baseline(exp, "ecs_min_tasks", exp["ecs_min_tasks"], verdict(
        ok, f"{ecs['running']} of {ecs['desired']}", f">= {exp['ecs_min_tasks']}, all desired"))


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
    if nothing_pushed(snap):
        return skipped(NOTHING_PUSHED, f">= {exp['ecs_min_tasks']} healthy, none failing")
    states = alb["target_states"]
    healthy = states.count("healthy")
    return verdict(healthy >= max(1, exp["ecs_min_tasks"]) and healthy == len(states),
                   f"{healthy} of {len(states)} healthy", f">= {exp['ecs_min_tasks']} healthy, none failing")


live("app.responds", "application", "Application answers /health at the ALB", "http", "HTTP 200")


@check("app.log_group", "application", "Log group receives the service's logs")
@requires("log_group")
def _app_logs(snap, exp, logs):
    return against_baseline(exp, "log_retention_days", logs["retention_days"], verdict(
        logs["retention_days"] == exp["log_retention_days"] and logs["configured"],
        f"{logs['retention_days']} days, {'used' if logs['configured'] else 'not used'} by the task definition",
        f"{exp['log_retention_days']} days, used by the task definition"))


@check("app.logs_streaming", "application", "Logs streaming to CloudWatch where tasks run")
@requires("ecs", "log_group")
def _app_logs_streaming(snap, exp, ecs, logs):
    window = logs.get("window_minutes")
    wanted = f"events in the last {window} minutes"
    if nothing_pushed(snap):
        return skipped(NOTHING_PUSHED, wanted)
    if not ecs["running"]:
        return skipped("no task runs, so none can log", wanted)
    if logs.get("recent_events") is None:
        return skipped("CloudWatch Logs had not finished searching the window (empty pages with a next token)",
                       wanted)
    return verdict(logs["recent_events"], f"{'events' if logs['recent_events'] else 'no event'} in the last "
                                          f"{window} minutes", wanted)


# Security

def _placement(item_id: str, title: str, part: str, tier: str, public_flag: str | None) -> None:
    """Register the item that holds ``part`` to the ``tier`` subnets and, with ``public_flag``, to no public address."""
    wanted = f"{tier} subnets" + (f", no {PUBLIC_FLAGS[public_flag]}" if public_flag else "")

    @check(item_id, "security", title)
    @requires(part, "subnets")
    def placed(snap, exp, resource, subnets):
        wrong = []
        if public_flag and resource[public_flag]:
            wrong.append(PUBLIC_FLAGS[public_flag])
        if sorted(resource["subnet_ids"]) != sorted(s["id"] for s in subnets[tier]):
            wrong.append("subnets " + ", ".join(sorted(resource["subnet_ids"])))
        return verdict(not wrong, "; ".join(wrong) or wanted, wanted)


PUBLIC_FLAGS = {"publicly_accessible": "public accessibility", "public_ip": "public IP"}

for _placed in (("security.rds_private", "RDS in the database subnets, not publicly accessible", "db", "database",
                 "publicly_accessible"),
                ("security.redis_private", "Redis in the private subnets", "redis", "private", None),
                ("security.ecs_private", "Tasks in the private subnets without public IP", "ecs", "private", "public_ip"),
                ("security.alb_public", "ALB in the public subnets only", "alb", "public", None)):
    _placement(*_placed)


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
    if nothing_pushed(snap):
        return skipped(NOTHING_PUSHED, f">= {exp['ecs_min_tasks']}")
    return against_baseline(exp, "ecs_min_tasks", ecs["running"], verdict(
        ecs["running"] >= exp["ecs_min_tasks"], ecs["running"], f">= {exp['ecs_min_tasks']}"))


@check("ha.rds_standby", "high_availability", "RDS standby in another zone when Multi-AZ")
@requires("db")
def _ha_rds(snap, exp, db):
    if not exp["rds_multi_az"]:
        # Single-AZ where the baseline wants a standby fails (or is waived) here too.
        return (below_baseline(exp, "rds_multi_az", False, "sized single-AZ", "a standby in another zone")
                or skipped("the environment is sized single-AZ", "no standby"))
    if db["multi_az"] and not db.get("secondary_az"):
        # AWS always reports the standby's zone for a Multi-AZ instance; some emulators do not.
        return skipped("the endpoint reports Multi-AZ but not the standby's zone", "primary and standby in different zones")
    ok = db["multi_az"] and db["secondary_az"] != db.get("az")
    return verdict(ok, f"{db.get('az')} / {db.get('secondary_az') or 'no standby'}", "primary and standby in different zones")


@check("ha.redis_replication", "high_availability", "Redis replication across zones when sized for it")
@requires("redis")
def _ha_redis(snap, exp, redis):
    if exp["redis_nodes"] < 2:
        return (below_baseline(exp, "redis_nodes", exp["redis_nodes"], "sized with one node", "2+ nodes")
                or skipped("the environment is sized with one node", "1 node"))
    if not exp["redis_failover"]:
        return (below_baseline(exp, "redis_failover", False, "sized without automatic failover",
                               "2+ nodes, failover enabled")
                or skipped("the environment is sized without automatic failover", "no failover"))
    return verdict(len(redis["members"]) >= 2 and redis["failover"] == "enabled",
                   f"{len(redis['members'])} node(s), failover {redis['failover']}", "2+ nodes, failover enabled")


@check("ha.nat_gateways", "high_availability", "NAT gateways as sized (one per zone in production)")
@requires("nat_gateways")
def _ha_nat(snap, exp, nats):
    zones = sorted({n["az"] for n in nats if n["state"] == "available"})
    return against_baseline(exp, "nat_gateways", len(zones), verdict(
        len(zones) == exp["nat_gateways"], zones, f"{exp['nat_gateways']} zone(s)"))


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
    return {status: sum(1 for item in items if item["status"] == status) for status in STATUSES}
