"""The checklist's verdicts (pass, fail and skip of every item) and its collection on moto."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import boto3
import pytest
import yaml

from ansible_collections.credlink.infra.plugins.module_utils import baseline
from ansible_collections.credlink.infra.plugins.module_utils import checklist
from ansible_collections.credlink.infra.plugins.module_utils import probes
from ansible_collections.credlink.infra.plugins.module_utils.stack_snapshot import StackSnapshot
from ansible_collections.credlink.infra.plugins.modules import deployment_checklist
from tests.unit.in_process import call_main

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:credlink-production-db-credentials-AbCdEf"
PRIVATE = [{"id": "subnet-p1", "cidr": "10.0.11.0/24", "az": "us-east-1a"},
           {"id": "subnet-p2", "cidr": "10.0.12.0/24", "az": "us-east-1b"}]
PASSED = {"status": "pass", "observed": "ok", "reason": ""}
BASELINE = yaml.safe_load((Path(__file__).parents[4] / "data" / "baseline.yml").read_text())
REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/credlink-production-sign-service"
# The production inventory as verify.yml passes it (module options), then what the module adds.
EXPECTED_ARGS = {"rds_multi_az": True, "rds_backup_retention_days": 30, "rds_deletion_protection": True,
                 "redis_nodes": 2, "redis_multi_az": True, "redis_failover": True, "redis_snapshot_retention_days": 5,
                 "nat_gateways": 2, "ecs_min_tasks": 2, "log_retention_days": 30, "s3_glacier_transition_days": 90,
                 "s3_expiration_days": 365, "s3_noncurrent_expiration_days": 30,
                 "cors_origins": ["https://app.credlink.example"]}
EXPECTED = {**EXPECTED_ARGS, "alb_security_group": "credlink-production-alb",
            "baseline": baseline.for_environment(BASELINE, "production"), "allow_below_baseline": False}


def private_only(port):
    return [{"protocol": "tcp", "from_port": port, "to_port": port, "sources": ["10.0.11.0/24", "10.0.12.0/24"]}]


def healthy_production():
    """A snapshot of a production stack where every item passes."""
    return {
        "outputs": {k: {"value": "x", "sensitive": False} for k in (
            "vpc_id", "rds_endpoint", "database_url", "redis_endpoint", "redis_tls", "s3_bucket", "ecr_repository_url",
            "alb_dns_name", "alb_url", "target_group_arn", "ecs_service")},
        "vpc": {"id": "vpc-1", "cidr": "10.0.0.0/16"},
        "subnets": {
            "public": [{"id": "subnet-a1", "cidr": "10.0.1.0/24", "az": "us-east-1a"},
                       {"id": "subnet-a2", "cidr": "10.0.2.0/24", "az": "us-east-1b"}],
            "private": PRIVATE,
            "database": [{"id": "subnet-d1", "cidr": "10.0.21.0/24", "az": "us-east-1a"},
                         {"id": "subnet-d2", "cidr": "10.0.22.0/24", "az": "us-east-1b"}],
        },
        "nat_gateways": [{"az": "us-east-1a", "state": "available"}, {"az": "us-east-1b", "state": "available"}],
        "world_open_groups": ["credlink-production-alb"],
        "db": {"status": "available", "multi_az": True, "encrypted": True, "backup_retention_days": 30,
               "deletion_protection": True, "publicly_accessible": False, "log_exports": ["postgresql", "upgrade"],
               "subnet_ids": ["subnet-d1", "subnet-d2"], "ingress": private_only(5432), "az": "us-east-1a",
               "secondary_az": "us-east-1b", "endpoint": "db.example", "port": 5432},
        "redis": {"status": "available", "members": ["r-001", "r-002"], "multi_az": True, "failover": "enabled",
                  "snapshot_retention_days": 5, "at_rest_encryption": True, "transit_encryption": False,
                  "subnet_ids": ["subnet-p1", "subnet-p2"], "ingress": private_only(6379),
                  "endpoint": "redis.example", "port": 6379},
        "bucket": {"name": "credlink-production-proofs-123456789012", "versioning": "Enabled", "encryption": "AES256",
                   "public_access_blocked": True, "lifecycle_rules": 1, "cors_rules": 1, "tls_only": True,
                   "lifecycle": {"id": "proofs-lifecycle", "transitions": [{"days": 90, "storage_class": "GLACIER"}],
                                 "expiration_days": 365, "noncurrent_expiration_days": 30},
                   "cors_origins": ["https://app.credlink.example"]},
        "secret": {"arn": SECRET_ARN, "current_version": True, "retrievable": True, "error": "",
                   "keys": ["dbname", "engine", "host", "password", "port", "url", "username"],
                   "policy_resources": [SECRET_ARN]},
        "ecr": {"uri": REPOSITORY, "tags": ["v1"], "digests": ["sha256:" + "a" * 64]},
        "ecs": {"cluster": "c", "service": "s", "desired": 2, "running": 2, "subnet_ids": ["subnet-p1", "subnet-p2"],
                "public_ip": False, "image": f"{REPOSITORY}:v1", "image_repository": REPOSITORY, "image_tag": "v1",
                "environment": ["NODE_ENV", "PORT", "REDIS_URL"],
                "secrets": {"DATABASE_URL": SECRET_ARN + ":url::"}, "log_group": "/ecs/credlink-production",
                "redis_tls_setting": "false", "redis_url_scheme": "redis", "redis_url_source": "environment"},
        "alb": {"dns": "alb.example", "subnet_ids": ["subnet-a1", "subnet-a2"], "zones": ["us-east-1a", "us-east-1b"],
                "target_states": ["healthy", "healthy"], "https": False, "domain": None,
                "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/credlink-production-tg/1"},
        "log_group": {"name": "/ecs/credlink-production", "retention_days": 30, "configured": True,
                      "window_minutes": 60, "recent_events": True},
        "probes": {name: dict(PASSED) for name in probes.PROBES},
    }


def status_of(snapshot, item_id, expected=None):
    [item] = [i for i in checklist.evaluate(snapshot, expected or EXPECTED) if i["id"] == item_id]
    return item


def test_every_item_passes_on_a_healthy_production_stack():
    items = checklist.evaluate(healthy_production(), EXPECTED)
    assert [i["id"] for i in items if i["status"] != "pass"] == []
    assert len(items) == len(checklist.CHECKS) >= 45
    assert len({i["id"] for i in items}) == len(items)
    assert {i["layer"] for i in items} <= set(checklist.LAYERS)


def set_path(snapshot, path, value):
    target = snapshot
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


FAILURES = [
    ("outputs.vpc_id", ("outputs", "vpc_id", "value"), None),
    ("outputs.rds_endpoint", ("outputs", "rds_endpoint", "value"), ""),
    ("outputs.redis_endpoint", ("outputs", "redis_endpoint", "value"), None),
    ("outputs.s3_bucket", ("outputs", "s3_bucket", "value"), None),
    ("outputs.ecr_repository_url", ("outputs", "ecr_repository_url", "value"), None),
    ("outputs.alb_dns_name", ("outputs", "alb_dns_name", "value"), None),
    ("outputs.ecs_service", ("outputs", "ecs_service", "value"), None),
    ("outputs.database_url", ("outputs", "database_url", "value"), None),
    ("outputs.redis_tls", ("outputs", "redis_tls", "value"), None),
    ("outputs.alb_url", ("outputs", "alb_url", "value"), None),
    ("outputs.target_group_arn", ("outputs", "target_group_arn", "value"), None),
    ("network.subnets", ("subnets", "database"), []),
    ("rds.available", ("db", "status"), "modifying"),
    ("rds.multi_az", ("db", "multi_az"), False),
    ("rds.backups", ("db", "backup_retention_days"), 7),
    ("rds.encryption", ("db", "encrypted"), False),
    ("rds.deletion_protection", ("db", "deletion_protection"), False),
    ("rds.security_group", ("db", "ingress"), [{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "sources": ["0.0.0.0/0"]}]),
    ("rds.log_exports", ("db", "log_exports"), ["postgresql"]),
    ("database.connect", ("probes", "database"), {"status": "fail", "observed": "login failed", "reason": ""}),
    ("database.schema", ("probes", "schema"), {"status": "fail", "observed": {"missing": ["proofs"]}, "reason": ""}),
    ("database.statistics", ("probes", "statistics"),
     {"status": "fail", "observed": "extension pg_stat_statements not created (schema migration V005)", "reason": ""}),
    ("redis.available", ("redis", "status"), "creating"),
    ("redis.nodes", ("redis", "members"), ["r-001"]),
    ("redis.multi_az", ("redis", "multi_az"), False),
    ("redis.failover", ("redis", "failover"), "disabled"),
    ("redis.snapshots", ("redis", "snapshot_retention_days"), 0),
    ("redis.encryption", ("redis", "at_rest_encryption"), False),
    ("redis.security_group", ("redis", "ingress"), [{"protocol": "-1", "sources": ["10.0.0.0/8"]}]),
    ("redis.commands", ("probes", "redis"), {"status": "fail", "observed": "connection failed", "reason": ""}),
    ("s3.exists", ("bucket",), None),
    ("s3.versioning", ("bucket", "versioning"), "Suspended"),
    ("s3.encryption", ("bucket", "encryption"), "aws:kms"),
    ("s3.public_access_block", ("bucket", "public_access_blocked"), False),
    ("s3.tls_only", ("bucket", "tls_only"), False),
    ("s3.lifecycle", ("bucket", "lifecycle_rules"), 0),
    ("s3.lifecycle", ("bucket", "lifecycle"), None),
    ("s3.lifecycle_transition", ("bucket", "lifecycle", "transitions"), [{"days": 120, "storage_class": "GLACIER"}]),
    ("s3.lifecycle_transition", ("bucket", "lifecycle", "transitions"), [{"days": 90, "storage_class": "DEEP_ARCHIVE"}]),
    ("s3.lifecycle_transition", ("bucket", "lifecycle", "transitions"), []),
    ("s3.lifecycle_expiration", ("bucket", "lifecycle", "expiration_days"), 730),
    ("s3.lifecycle_expiration", ("bucket", "lifecycle", "expiration_days"), None),
    ("s3.lifecycle_noncurrent", ("bucket", "lifecycle", "noncurrent_expiration_days"), 60),
    ("s3.cors", ("bucket", "cors_origins"), ["https://app.credlink.example", "https://elsewhere.example"]),
    ("s3.cors", ("bucket", "cors_origins"), []),
    ("s3.object_roundtrip", ("probes", "s3"), {"status": "fail", "observed": "AccessDenied", "reason": ""}),
    ("secrets.exists", ("secret", "keys"), ["username"]),
    ("secrets.current_version", ("secret", "current_version"), False),
    ("secrets.retrievable", ("secret", "retrievable"), False),
    ("secrets.read_policy", ("secret", "policy_resources"), ["*"]),
    ("app.image", ("ecr", "tags"), ["v0"]),
    ("app.image", ("ecr", "tags"), []),  # production runs only pushed images
    ("app.image", ("ecs", "image_repository"), "docker.io/library/node"),
    ("app.tasks_running", ("ecs", "running"), 1),
    ("app.redis_tls", ("ecs", "redis_tls_setting"), "true"),
    ("app.redis_tls", ("ecs", "redis_url_scheme"), "rediss"),
    ("app.redis_tls", ("redis", "transit_encryption"), True),
    ("app.targets_healthy", ("alb", "target_states"), ["healthy", "unhealthy"]),
    ("app.responds", ("probes", "http"), {"status": "fail", "observed": "HTTP 502", "reason": ""}),
    ("app.log_group", ("log_group", "retention_days"), 1),
    ("app.logs_streaming", ("log_group", "recent_events"), False),
    ("security.rds_private", ("db", "publicly_accessible"), True),
    ("security.redis_private", ("redis", "subnet_ids"), ["subnet-a1", "subnet-a2"]),
    ("security.ecs_private", ("ecs", "public_ip"), True),
    ("security.alb_public", ("alb", "subnet_ids"), ["subnet-p1", "subnet-p2"]),
    ("security.world_open", ("world_open_groups",), ["credlink-production-alb", "credlink-production-rds"]),
    ("security.secrets_not_hardcoded", ("ecs", "environment"), ["DATABASE_URL", "PORT"]),
    ("ha.ecs_tasks", ("ecs", "running"), 1),
    ("ha.rds_standby", ("db", "secondary_az"), "us-east-1a"),
    ("ha.redis_replication", ("redis", "failover"), "disabled"),
    ("ha.nat_gateways", ("nat_gateways",), [{"az": "us-east-1a", "state": "available"}]),
    ("ha.alb_zones", ("alb", "zones"), ["us-east-1a"]),
]


def test_every_item_has_a_failure_case():
    assert {item_id for item_id, _, _ in FAILURES} == {item_id for item_id, _, _, _ in checklist.CHECKS}


@pytest.mark.parametrize(("item_id", "path", "value"), FAILURES, ids=[f[0] for f in FAILURES])
def test_a_broken_setting_fails_exactly_its_items(item_id, path, value):
    snapshot = healthy_production()
    set_path(snapshot, path, value)
    failed = [i["id"] for i in checklist.evaluate(snapshot, EXPECTED) if i["status"] == "fail"]
    assert item_id in failed
    # A setting shared by several checklist lines (as in the seeds) fails each of them, nothing else.
    related = {"s3.exists": {"s3.versioning", "s3.encryption", "s3.public_access_block", "s3.tls_only", "s3.lifecycle",
                             "s3.lifecycle_transition", "s3.lifecycle_expiration", "s3.lifecycle_noncurrent",
                             "s3.cors"},
               "app.tasks_running": {"ha.ecs_tasks"}, "ha.ecs_tasks": {"app.tasks_running"},
               "redis.nodes": {"ha.redis_replication"}, "redis.failover": {"ha.redis_replication"},
               "ha.redis_replication": {"redis.failover"}, "rds.multi_az": {"ha.rds_standby"},
               "network.subnets": {"security.rds_private"}}
    assert set(failed) - {item_id} <= related.get(item_id, set()), failed


def test_a_misplaced_resource_names_its_public_address_and_its_subnets():
    snapshot = healthy_production()
    snapshot["db"].update(publicly_accessible=True, subnet_ids=["subnet-p2", "subnet-p1"])
    items = {i["id"]: i for i in checklist.evaluate(snapshot, EXPECTED)}
    assert items["security.rds_private"]["observed"] == "public accessibility; subnets subnet-p1, subnet-p2"
    assert items["security.rds_private"]["expected"] == "database subnets, no public accessibility"
    assert items["security.alb_public"] == {**items["security.alb_public"], "status": "pass",
                                            "observed": "public subnets", "expected": "public subnets"}


SKIPS = [
    ("database.connect", ("probes", "database"), {"status": "skip", "observed": None, "reason": "db.example does not resolve"}),
    ("database.schema", ("probes", "schema"), {"status": "skip", "observed": None, "reason": "not connected"}),
    ("database.statistics", ("probes", "statistics"), {"status": "skip", "observed": None, "reason": "not connected"}),
    ("redis.commands", ("probes", "redis"), {"status": "skip", "observed": None, "reason": "not reachable"}),
    ("s3.object_roundtrip", ("probes", "s3"), {"status": "skip", "observed": None, "reason": "check mode"}),
    ("app.responds", ("probes", "http"), {"status": "skip", "observed": None, "reason": "does not resolve"}),
    ("redis.security_group", ("redis", "ingress"), None),
    ("app.redis_tls", ("ecs", "redis_tls_setting"), None),
    ("app.redis_tls", ("ecs", "redis_tls_setting"), "from a secret"),
    ("ha.rds_standby", ("db", "secondary_az"), None),
    # Without a whole-bucket rule only s3.lifecycle fails; its details cannot be judged.
    ("s3.lifecycle_transition", ("bucket", "lifecycle"), None),
    ("s3.lifecycle_expiration", ("bucket", "lifecycle"), None),
    ("s3.lifecycle_noncurrent", ("bucket", "lifecycle"), None),
    ("app.logs_streaming", ("ecs", "running"), 0),
    ("app.logs_streaming", ("ecr",), {"uri": REPOSITORY, "tags": [], "digests": []}),
    ("app.logs_streaming", ("log_group", "recent_events"), None),
]


@pytest.mark.parametrize(("item_id", "path", "value"), SKIPS, ids=[s[0] for s in SKIPS])
def test_items_that_cannot_be_checked_are_skipped_with_a_reason(item_id, path, value):
    snapshot = healthy_production()
    set_path(snapshot, path, value)
    item = status_of(snapshot, item_id)
    assert item["status"] == "skip" and item["reason"]


def test_dev_expectations_skip_the_high_availability_items_and_pass_single_az():
    dev = {**EXPECTED, "rds_multi_az": False, "rds_deletion_protection": False, "rds_backup_retention_days": 7,
           "redis_nodes": 1, "redis_multi_az": False, "redis_failover": False, "redis_snapshot_retention_days": 1,
           "nat_gateways": 1, "ecs_min_tasks": 1, "log_retention_days": 14,
           "baseline": baseline.for_environment(BASELINE, "dev")}
    snapshot = healthy_production()
    snapshot["db"].update(multi_az=False, deletion_protection=False, backup_retention_days=7, secondary_az=None)
    snapshot["redis"].update(members=["r-001"], multi_az=False, failover="disabled", snapshot_retention_days=1)
    snapshot["nat_gateways"] = snapshot["nat_gateways"][:1]
    snapshot["ecs"].update(desired=1, running=1)
    snapshot["alb"]["target_states"] = ["healthy"]
    snapshot["log_group"]["retention_days"] = 14
    items = {i["id"]: i for i in checklist.evaluate(snapshot, dev)}
    assert [k for k, i in items.items() if i["status"] == "fail"] == []
    assert items["ha.rds_standby"]["status"] == items["ha.redis_replication"]["status"] == "skip"
    production_snapshot_judged_as_dev = {i["id"] for i in checklist.evaluate(healthy_production(), dev) if i["status"] == "fail"}
    assert {"rds.multi_az", "redis.nodes", "ha.nat_gateways"} <= production_snapshot_judged_as_dev


def test_an_empty_repository_is_a_skip_that_says_what_to_do_but_fails_in_production():
    snapshot = healthy_production()
    snapshot["ecr"].update(tags=[], digests=[])
    dev = status_of(snapshot, "app.image", {**EXPECTED, "baseline": baseline.for_environment(BASELINE, "dev")})
    assert dev["status"] == "skip" and "deploy_image.yml" in dev["reason"]
    production = status_of(snapshot, "app.image", {**EXPECTED, "allow_below_baseline": True})
    assert production["status"] == "fail" and "deploy_image.yml" in production["reason"]
    assert production["observed"] == "nothing pushed"


@pytest.mark.parametrize("item_id", ["app.tasks_running", "app.targets_healthy", "ha.ecs_tasks", "app.logs_streaming"])
def test_before_the_first_push_the_task_items_are_skipped_whatever_ecs_reports(item_id):
    # ECS cannot pull an image that was never pushed: whether the emulator (or a stale count)
    # shows tasks or not, the items say why they cannot be judged instead of passing or failing.
    for running, targets in ((0, []), (1, ["healthy"])):
        snapshot = healthy_production()
        snapshot["ecr"].update(tags=[], digests=[])
        snapshot["ecs"]["running"], snapshot["alb"]["target_states"] = running, targets
        item = status_of(snapshot, item_id)
        assert item["status"] == "skip" and "deploy_image.yml" in item["reason"], item


def test_an_image_of_another_repository_is_judged_by_its_tasks_though_the_stacks_is_empty():
    snapshot = healthy_production()
    snapshot["ecr"].update(tags=[], digests=[])
    snapshot["ecs"].update(image_repository="public.ecr.aws/example/app")
    assert status_of(snapshot, "app.tasks_running")["status"] == "pass"
    snapshot["ecs"]["running"] = 0
    assert status_of(snapshot, "app.tasks_running")["status"] == "fail"


def test_an_image_named_by_digest_is_found_by_its_digest():
    snapshot = healthy_production()
    digest = snapshot["ecr"]["digests"][0]
    snapshot["ecs"].update(image=f"{REPOSITORY}@{digest}", image_tag=digest)
    assert status_of(snapshot, "app.image")["status"] == "pass"
    snapshot["ecr"]["digests"] = ["sha256:" + "b" * 64]
    assert status_of(snapshot, "app.image")["status"] == "fail"


# The seeds' baseline: a stack weaker than it fails even when its inventory asks for it,
# and is waived (not passed) when the inventory was allowed below it.

BELOW_BASELINE = [
    ("rds.backups", {"rds_backup_retention_days": 10}, [(("db", "backup_retention_days"), 10)]),
    ("rds.multi_az", {"rds_multi_az": False}, [(("db", "multi_az"), False), (("db", "secondary_az"), None)]),
    ("rds.deletion_protection", {"rds_deletion_protection": False}, [(("db", "deletion_protection"), False)]),
    ("redis.nodes", {"redis_nodes": 1, "redis_failover": False, "redis_multi_az": False},
     [(("redis", "members"), ["r-001"]), (("redis", "failover"), "disabled"), (("redis", "multi_az"), False)]),
    ("redis.multi_az", {"redis_multi_az": False}, [(("redis", "multi_az"), False)]),
    ("redis.failover", {"redis_failover": False}, [(("redis", "failover"), "disabled")]),
    ("redis.snapshots", {"redis_snapshot_retention_days": 1}, [(("redis", "snapshot_retention_days"), 1)]),
    ("ha.nat_gateways", {"nat_gateways": 1}, [(("nat_gateways",), [{"az": "us-east-1a", "state": "available"}])]),
    ("app.tasks_running", {"ecs_min_tasks": 1},
     [(("ecs", "running"), 1), (("ecs", "desired"), 1), (("alb", "target_states"), ["healthy"])]),
    ("app.log_group", {"log_retention_days": 14}, [(("log_group", "retention_days"), 14)]),
    ("s3.lifecycle_transition", {"s3_glacier_transition_days": 180},
     [(("bucket", "lifecycle", "transitions"), [{"days": 180, "storage_class": "GLACIER"}])]),
    ("s3.lifecycle_expiration", {"s3_expiration_days": 200}, [(("bucket", "lifecycle", "expiration_days"), 200)]),
    ("s3.lifecycle_noncurrent", {"s3_noncurrent_expiration_days": 7},
     [(("bucket", "lifecycle", "noncurrent_expiration_days"), 7)]),
]
# Lines of the seeds' checklist that judge the same setting.
BASELINE_RELATED = {"rds.multi_az": {"ha.rds_standby"}, "redis.nodes": {"redis.failover", "redis.multi_az",
                                                                        "ha.redis_replication"},
                    "redis.failover": {"ha.redis_replication"}, "app.tasks_running": {"ha.ecs_tasks"}}


def below_baseline(inventory, stack, allow):
    snapshot = healthy_production()
    for path, value in stack:
        set_path(snapshot, path, value)
    items = checklist.evaluate(snapshot, {**EXPECTED, **inventory, "allow_below_baseline": allow})
    return {status: {i["id"] for i in items if i["status"] == status} for status in checklist.STATUSES}, items


@pytest.mark.parametrize(("item_id", "inventory", "stack"), BELOW_BASELINE, ids=[b[0] for b in BELOW_BASELINE])
def test_a_stack_below_the_baseline_fails_exactly_its_items_though_its_inventory_asks_for_it(item_id, inventory, stack):
    found, items = below_baseline(inventory, stack, allow=False)
    assert item_id in found["fail"] and found["fail"] - {item_id} <= BASELINE_RELATED.get(item_id, set()), found["fail"]
    [item] = [i for i in items if i["id"] == item_id]
    assert item["reason"].startswith("below the baseline: the production baseline is at ")


@pytest.mark.parametrize(("item_id", "inventory", "stack"), BELOW_BASELINE, ids=[b[0] for b in BELOW_BASELINE])
def test_a_stack_allowed_below_the_baseline_is_waived_not_passed(item_id, inventory, stack):
    found, items = below_baseline(inventory, stack, allow=True)
    assert found["fail"] == set()
    assert item_id in found["waived"] and found["waived"] - {item_id} <= BASELINE_RELATED.get(item_id, set())
    [item] = [i for i in items if i["id"] == item_id]
    assert "allowed by credlink_allow_below_baseline" in item["reason"]
    assert checklist.summarize(items)["waived"] == len(found["waived"])


def test_the_allowance_waives_only_what_the_inventory_asked_for():
    # The inventory keeps 30 days; the stack runs 10: drift, allowed or not.
    found, _ = below_baseline({}, [(("db", "backup_retention_days"), 10)], allow=True)
    assert found["fail"] == {"rds.backups"} and found["waived"] == set()
    # No inventory setting asks for another storage class: it cannot be waived.
    found, _ = below_baseline({}, [(("bucket", "lifecycle", "transitions"), [{"days": 90, "storage_class": "STANDARD_IA"}])],
                              allow=True)
    assert found["fail"] == {"s3.lifecycle_transition"}


def test_a_stack_stronger_than_the_baseline_passes_against_it():
    dev = {**EXPECTED, "baseline": baseline.for_environment(BASELINE, "dev")}
    assert [i["id"] for i in checklist.evaluate(healthy_production(), dev) if i["status"] != "pass"] == []


def test_an_environment_the_baseline_does_not_list_is_held_to_the_one_it_names():
    held = baseline.for_environment(BASELINE, "dev-alice")
    assert held["environment"] == BASELINE["unlisted_environments"] == "dev"
    assert baseline.for_environment(BASELINE, "local")["settings"]["rds_deletion_protection"]["value"] is False


def test_the_baseline_file_is_a_usable_baseline_with_every_setting_for_every_environment():
    assert baseline.problems(BASELINE) == []
    for name, values in BASELINE["environments"].items():
        assert set(values) == set(BASELINE["settings"]), name
    items = {item_id for item_id, _, _, _ in checklist.CHECKS}
    assert {rule["item"] for rule in BASELINE["settings"].values()} <= items


def test_missing_layers_fail_their_items_instead_of_crashing():
    empty = {"probes": {}}
    items = checklist.evaluate(empty, EXPECTED)
    assert {i["status"] for i in items} <= {"fail", "skip"}
    assert status_of(empty, "rds.available")["observed"] == "missing"


def test_only_selects_items_by_id_or_layer():
    items = checklist.evaluate(healthy_production(), EXPECTED, only=["storage", "rds.multi_az"])
    assert {i["layer"] for i in items} == {"storage", "database"} and len([i for i in items if i["layer"] == "database"]) == 1


# The module itself, collecting from moto in-process (nothing built: everything missing).

@pytest.fixture
def aws(moto):
    return moto


def test_module_on_an_empty_account_fails_items_and_never_changes(aws, capsys):
    result, code = call_main(deployment_checklist, {"environment": "production", "expected": EXPECTED_ARGS}, capsys,
                             check_mode=True)
    assert code == 0 and result["changed"] is False
    assert result["summary"]["pass"] == 0 and result["summary"]["fail"] > 30
    assert result["outputs"]["rds_endpoint"] == {"value": None, "sensitive": True}


def test_module_reads_the_secret_but_never_returns_it(aws, capsys):
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    secrets.create_secret(Name="credlink-production-db-credentials", SecretString=json.dumps(
        {"username": "credlink_admin", "password": "Sup3r-s3cret-passw0rd", "engine": "postgres", "host": "h",
         "port": 5432, "dbname": "credlink"}))
    result, _ = call_main(deployment_checklist, {"environment": "production", "expected": EXPECTED_ARGS}, capsys)
    items = {i["id"]: i for i in result["items"]}
    assert items["secrets.exists"]["status"] == "pass" and items["secrets.retrievable"]["status"] == "pass"
    assert items["secrets.read_policy"]["status"] == "fail"
    assert "Sup3r-s3cret-passw0rd" not in json.dumps(result)


def test_module_refuses_a_baseline_that_is_not_one(aws, capsys):
    result, code = call_main(deployment_checklist, {"environment": "production", "expected": EXPECTED_ARGS,
                                                    "baseline": {"settings": {}}}, capsys)
    assert code == 1 and "baseline is not a baseline document" in result["msg"]


def test_module_refuses_incomplete_expectations(aws, capsys):
    partial = copy.deepcopy(EXPECTED_ARGS)
    del partial["nat_gateways"]
    result, code = call_main(deployment_checklist, {"environment": "production", "expected": partial}, capsys)
    assert code == 1 and "nat_gateways" in result["msg"]


# Live probes: reasons never name the (sensitive) endpoint.

def test_unreachable_reasons_name_the_endpoint_kind_not_the_host():
    reason = probes.unreachable("database endpoint", "credlink-x-db.invalid", 5432, 1)
    assert reason.startswith("the database endpoint does not resolve") and "credlink-x-db" not in reason
    from tools.emulator.process import free_port

    closed = probes.unreachable("Redis endpoint", "127.0.0.1", free_port(), 1)
    assert closed.startswith("the Redis endpoint is not reachable") and "127.0.0.1" not in closed


def test_an_override_port_of_zero_is_kept_not_replaced_by_the_aws_port():
    assert probes.endpoint_of({"host": "127.0.0.1", "port": 0}, "aws.host", 6379, 6379) == ("127.0.0.1", 0)
    assert probes.endpoint_of({}, "aws.host", None, 6379) == ("aws.host", 6379)


def test_probes_skip_in_check_mode_and_without_a_layer():
    assert probes.redis_commands({"redis": None}, {}, 1)["status"] == "skip"
    found = probes.database({"db": None}, {}, {}, 1)
    assert {r["status"] for r in found.values()} == {"skip"} and set(found) == {"connect", "schema", "statistics"}


def test_redis_probe_runs_its_commands_against_a_real_server(local_redis):
    snapshot = {"redis": {"endpoint": "127.0.0.1", "port": local_redis, "transit_encryption": False}}
    result = probes.redis_commands(snapshot, {}, 2)
    assert result == {"status": "pass", "observed": "PONG, value read back", "reason": ""}


def test_redis_probe_over_tls_fails_against_a_server_without_it(local_redis):
    snapshot = {"redis": {"endpoint": "127.0.0.1", "port": local_redis, "transit_encryption": True}}
    result = probes.redis_commands(snapshot, {}, 2)
    assert result["status"] == "fail" and result["observed"].startswith("connection failed")


# Hygiene: credentials masked as soon as read, every page of policies, IPv6 counted.

CREDENTIALS = {"username": "credlink_admin", "password": "Sup3r-s3cret-passw0rd", "engine": "postgres", "host": "h",
               "port": 5432, "dbname": "credlink",
               "url": "postgresql://credlink_admin:Sup3r-s3cret-passw0rd@h:5432/credlink?sslmode=require"}


def create_secret():
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    return secrets.create_secret(Name="credlink-production-db-credentials", SecretString=json.dumps(CREDENTIALS))["ARN"]


def test_secret_values_are_masked_in_whatever_the_module_returns(aws, capsys, monkeypatch):
    create_secret()

    def leaky(module, snapshot, snap):
        # Any path by which a credential could reach the result, e.g. a driver's error message.
        leak = {"status": "fail", "reason": "", "observed": f"login failed for {snapshot.credentials['url']}"}
        return {**{name: dict(leak) for name in probes.PROBES}}

    monkeypatch.setattr(probes, "run_all", leaky)
    result, _ = call_main(deployment_checklist, {"environment": "production", "expected": EXPECTED_ARGS}, capsys)
    out = json.dumps(result)
    assert CREDENTIALS["password"] not in out and "postgresql://credlink_admin:" not in out
    assert {i["id"]: i for i in result["items"]}["database.connect"]["observed"] == "login failed for ********"


def test_the_read_policy_is_found_beyond_the_first_page_of_policies(aws, capsys):
    arn = create_secret()
    iam = boto3.client("iam", region_name="us-east-1")
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
    for n in range(110):  # ListPolicies answers 100 a page
        iam.create_policy(PolicyName=f"another-team-{n:03}", PolicyDocument=json.dumps(document))
    read = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                                    "Resource": arn}]}
    iam.create_policy(PolicyName="credlink-production-db-credentials-read", PolicyDocument=json.dumps(read))
    result, _ = call_main(deployment_checklist, {"environment": "production", "expected": EXPECTED_ARGS,
                                                 "only": ["secrets"]}, capsys)
    item = {i["id"]: i for i in result["items"]}["secrets.read_policy"]
    assert item["status"] == "pass", item


def test_a_group_open_to_the_ipv6_internet_is_world_open(aws, capsys):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "credlink-production-vpc"}]}])["Vpc"]["VpcId"]
    for name, permission in (
            ("credlink-production-alb", {"IpRanges": [{"CidrIp": "0.0.0.0/0"}]}),
            ("credlink-production-rds", {"Ipv6Ranges": [{"CidrIpv6": "::/0"}]}),
            ("credlink-production-redis", {"Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]})):
        group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, **permission}])
    result, _ = call_main(deployment_checklist, {"environment": "production", "expected": EXPECTED_ARGS,
                                                 "only": ["security.world_open"]}, capsys)
    [item] = result["items"]
    assert item["status"] == "fail" and item["observed"] == ["credlink-production-alb", "credlink-production-rds"]


# Query statistics on the local stand-in, which lets a master user that is no superuser
# create pg_stat_statements, as RDS lets rds_superuser.

def test_statistics_are_reported_once_migration_v005_ran_as_a_master_user(local_postgres):
    import psycopg2

    from tests.conftest import ROOT

    user = {"username": "stats_probe_admin", "password": "Pr0be-passw0rd-for-the-test", "dbname": "stats_probe"}
    admin = psycopg2.connect(host="/tmp", port=local_postgres, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {user['dbname']}")
        cur.execute(f"DROP ROLE IF EXISTS {user['username']}")
        # As the database role makes the master user: no superuser.
        cur.execute(f"CREATE ROLE {user['username']} LOGIN CREATEDB CREATEROLE PASSWORD '{user['password']}'")
        cur.execute(f"CREATE DATABASE {user['dbname']} OWNER {user['username']}")
    admin.close()
    snap = {"db": {"endpoint": "127.0.0.1", "port": local_postgres}}

    before = probes.database(snap, user, {}, 5)
    assert before["connect"]["status"] == "pass" and "SSL in use" in before["connect"]["observed"]
    assert before["statistics"] == {"status": "fail", "reason": "",
                                    "observed": "extension pg_stat_statements not created (schema migration V005)"}

    with psycopg2.connect(host="127.0.0.1", port=local_postgres, user=user["username"], password=user["password"],
                          dbname=user["dbname"], sslmode="require") as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            assert cur.fetchone() == (False,)
            cur.execute((ROOT / "sql" / "V005__query_statistics.sql").read_text())
    conn.close()

    after = probes.database(snap, user, {}, 5)["statistics"]
    assert after["status"] == "pass" and after["observed"].startswith("pg_stat_statements 1.")


# Outputs the seeds list.

def load_balancer(ec2, elbv2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"us-east-1{zone}")
               ["Subnet"]["SubnetId"] for n, zone in ((1, "a"), (2, "b"))]
    lb = elbv2.create_load_balancer(Name="credlink-production-alb", Subnets=subnets)["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="credlink-production-tg", Protocol="HTTP", Port=3001, VpcId=vpc,
                                      TargetType="ip")["TargetGroups"][0]
    forward = [{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}]
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward)
    return lb, group, forward


def test_outputs_hold_the_database_url_without_password_the_alb_url_and_the_target_group(aws, capsys):
    create_secret()
    ec2, elbv2 = boto3.client("ec2", region_name="us-east-1"), boto3.client("elbv2", region_name="us-east-1")
    lb, group, _ = load_balancer(ec2, elbv2)
    result, _ = call_main(deployment_checklist, {"environment": "production", "expected": EXPECTED_ARGS,
                                                 "only": ["outputs"]}, capsys)
    outputs = result["outputs"]
    assert outputs["database_url"] == {"value": "postgresql://credlink_admin@h:5432/credlink?sslmode=require",
                                       "sensitive": True}
    assert outputs["alb_url"] == {"value": f"http://{lb['DNSName']}", "sensitive": False}
    assert outputs["target_group_arn"]["value"] == group["TargetGroupArn"]
    assert outputs["redis_tls"]["value"] is None  # no replication group
    items = {i["id"]: i["status"] for i in result["items"]}
    assert items["outputs.database_url"] == items["outputs.alb_url"] == items["outputs.target_group_arn"] == "pass"
    assert items["outputs.redis_tls"] == "fail"


def test_the_alb_url_is_https_with_the_certificate_name_when_the_alb_serves_one(aws, capsys):
    ec2, elbv2 = boto3.client("ec2", region_name="us-east-1"), boto3.client("elbv2", region_name="us-east-1")
    lb, _, forward = load_balancer(ec2, elbv2)
    certificate = boto3.client("acm", region_name="us-east-1").request_certificate(
        DomainName="credlink.example.com", ValidationMethod="DNS")["CertificateArn"]
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443, DefaultActions=forward,
                          Certificates=[{"CertificateArn": certificate}])
    result, _ = call_main(deployment_checklist, {"environment": "production", "expected": EXPECTED_ARGS,
                                                 "only": ["outputs"]}, capsys)
    assert result["outputs"]["alb_url"]["value"] == "https://credlink.example.com"


@pytest.mark.parametrize(("transit_encryption", "status"), [(True, "pass"), (False, "fail")])
def test_the_redis_url_of_a_secret_is_compared_by_its_scheme_and_never_returned(
        aws, capsys, transit_encryption, status):
    token = "AuthT0ken-of-the-redis-group-0123456789"
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    arn = secrets.create_secret(Name="credlink-production-redis-auth", SecretString=json.dumps(
        {"url": f"rediss://:{token}@redis.example:6379"}))["ARN"]
    ecs = boto3.client("ecs", region_name="us-east-1")
    ecs.create_cluster(clusterName="credlink-production-cluster")
    definition = ecs.register_task_definition(family="credlink-production-app", containerDefinitions=[{
        "name": "app", "image": "repo:v1", "memory": 512,
        "environment": [{"name": "REDIS_TLS", "value": "true"}],
        "secrets": [{"name": "REDIS_URL", "valueFrom": f"{arn}:url::"}]}])["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="credlink-production-cluster", serviceName="credlink-production-service",
                       taskDefinition=definition, desiredCount=0)
    boto3.client("elasticache", region_name="us-east-1").create_replication_group(
        ReplicationGroupId="credlink-production-redis", ReplicationGroupDescription="cache", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=1, TransitEncryptionEnabled=transit_encryption)
    result, _ = call_main(deployment_checklist, {"environment": "production", "expected": EXPECTED_ARGS}, capsys)
    assert token not in json.dumps(result)
    item = {i["id"]: i for i in result["items"]}["app.redis_tls"]
    assert item["status"] == status, item
    assert item["observed"] == {"REDIS_TLS": "true", "REDIS_URL": "rediss://"}


# What the snapshot reads for the new comparisons, on moto.

PROOFS = "credlink-production-proofs-123456789012"


def test_the_lifecycle_rule_and_the_cors_origins_are_compared_with_the_inventory(aws, capsys):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=PROOFS)
    s3.put_bucket_lifecycle_configuration(Bucket=PROOFS, LifecycleConfiguration={"Rules": [{
        "ID": "proofs-lifecycle", "Status": "Enabled", "Filter": {"Prefix": ""},
        "Transitions": [{"Days": 90, "StorageClass": "GLACIER"}], "Expiration": {"Days": 365},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})
    s3.put_bucket_cors(Bucket=PROOFS, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://app.credlink.example"], "AllowedMethods": ["GET", "HEAD"]}]})
    args = {"environment": "production", "expected": EXPECTED_ARGS, "baseline": BASELINE, "only": ["storage"]}
    result, _ = call_main(deployment_checklist, args, capsys)
    items = {i["id"]: i for i in result["items"]}
    for item_id in ("s3.lifecycle", "s3.lifecycle_transition", "s3.lifecycle_expiration", "s3.lifecycle_noncurrent",
                    "s3.cors"):
        assert items[item_id]["status"] == "pass", items[item_id]
    assert items["s3.lifecycle_transition"]["observed"] == [{"days": 90, "storage_class": "GLACIER"}]

    later = {**EXPECTED_ARGS, "s3_glacier_transition_days": 180, "cors_origins": ["https://other.example"]}
    result, _ = call_main(deployment_checklist, {**args, "expected": later}, capsys)
    items = {i["id"]: i for i in result["items"]}
    assert items["s3.lifecycle_transition"]["status"] == items["s3.cors"]["status"] == "fail"


def running_service(minutes_ago: float | None):
    """A service with one running task, an image in the repository and (perhaps) one log event."""
    import time

    ecr = boto3.client("ecr", region_name="us-east-1")
    repo = ecr.create_repository(repositoryName="credlink-production-sign-service")["repository"]["repositoryUri"]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"digest": "sha256:" + "c" * 64, "size": 1, "mediaType":
                                      "application/vnd.docker.container.image.v1+json"}, "layers": []})
    ecr.put_image(repositoryName="credlink-production-sign-service", imageManifest=manifest, imageTag="v1")
    ecs = boto3.client("ecs", region_name="us-east-1")
    ecs.create_cluster(clusterName="credlink-production-cluster")
    definition = ecs.register_task_definition(family="credlink-production-app", containerDefinitions=[{
        "name": "app", "image": f"{repo}:v1", "memory": 512, "logConfiguration": {
            "logDriver": "awslogs", "options": {"awslogs-group": "/ecs/credlink-production"}}}])
    ecs.create_service(cluster="credlink-production-cluster", serviceName="credlink-production-service",
                       taskDefinition=definition["taskDefinition"]["taskDefinitionArn"], desiredCount=1)
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="/ecs/credlink-production")
    logs.put_retention_policy(logGroupName="/ecs/credlink-production", retentionInDays=30)
    if minutes_ago is not None:
        logs.create_log_stream(logGroupName="/ecs/credlink-production", logStreamName="app/app/1")
        logs.put_log_events(logGroupName="/ecs/credlink-production", logStreamName="app/app/1", logEvents=[
            {"timestamp": int((time.time() - minutes_ago * 60) * 1000), "message": "listening on 3001"}])


@pytest.mark.parametrize(("minutes_ago", "status"), [(5, "pass"), (90, "fail"), (None, "fail")],
                         ids=["recent", "too-old", "none"])
def test_logs_streaming_looks_for_events_within_the_window(aws, capsys, monkeypatch, minutes_ago, status):
    running_service(minutes_ago)
    application = StackSnapshot.application

    def one_task_runs(self, snap):
        # moto starts no task for a service; AWS would run the desired one.
        application(self, snap)
        snap["ecs"].update(running=1)

    monkeypatch.setattr(StackSnapshot, "application", one_task_runs)
    args = {"environment": "production", "expected": {**EXPECTED_ARGS, "ecs_min_tasks": 1}, "baseline": BASELINE,
            "allow_below_baseline": True, "only": ["app.logs_streaming", "app.image"]}
    result, _ = call_main(deployment_checklist, args, capsys)
    items = {i["id"]: i for i in result["items"]}
    assert items["app.image"]["status"] == "pass", items["app.image"]
    assert items["app.logs_streaming"]["status"] == status, items["app.logs_streaming"]


class ScriptedLogs(StackSnapshot):
    """FilterLogEvents answering the given pages, as CloudWatch Logs may: empty pages with a next token."""

    def __init__(self, pages):  # pylint: disable=super-init-not-called
        self.pages, self.asked = list(pages), []

    def call(self, service, method, missing_codes=(), **kwargs):
        self.asked.append(kwargs)
        return self.pages.pop(0)


def test_recent_events_follow_empty_pages_while_a_next_token_says_more_may_come():
    later = ScriptedLogs([{"events": [], "nextToken": "a"}, {"events": [], "nextToken": "b"},
                          {"events": [{"timestamp": 1, "message": "up"}]}])
    assert later.recent_events("/ecs/credlink-production", 60) is True
    assert [q.get("nextToken") for q in later.asked] == [None, "a", "b"]
    assert later.asked[0]["startTime"] > 0 and later.asked[0]["limit"] == 1
    assert ScriptedLogs([{"events": []}]).recent_events("/ecs/x", 60) is False
    endless = ScriptedLogs([{"events": [], "nextToken": str(n)} for n in range(20)])
    assert endless.recent_events("/ecs/x", 60, pages=10) is None and len(endless.asked) == 10


class Masks:
    """Only what StackSnapshot asks of the module for the app's Redis settings."""

    def __init__(self):
        self.no_log_values = set()


def test_the_auth_token_of_the_apps_redis_url_is_decoded_for_the_probe_and_masked():
    snapshot = StackSnapshot.__new__(StackSnapshot)
    snapshot.module, snapshot.redis_auth = Masks(), {}
    # A token with '#' must be percent-encoded in the URL, or the rest reads as a fragment.
    settings = snapshot.app_redis_settings({"environment": [
        {"name": "REDIS_URL", "value": "rediss://:Abc%23def-0123456789@redis.example:6379/0"},
        {"name": "REDIS_TLS", "value": "true"}]})
    assert settings == {"redis_tls_setting": "true", "redis_url_scheme": "rediss", "redis_url_source": "environment"}
    assert snapshot.redis_auth == {"username": None, "password": "Abc#def-0123456789"}
    assert "Abc#def-0123456789" in snapshot.module.no_log_values
