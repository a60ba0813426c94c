"""Teardown of the production stack, on a stack of its own: what it removes does not depend
on which tests ran before it."""

from __future__ import annotations

import pytest

from tests.integration.platform_inspect import live_tagged_resources
from tests.integration.production import ENV, build_stack, run_production, secret_document, zone_records

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(emulator):
    return build_stack(emulator)


def test_teardown_refuses_until_every_safety_rail_is_answered(stack):
    s3 = stack.client("s3")
    s3.put_object(Bucket="credlink-production-proofs-123456789012", Key="proofs/p1.json", Body=b"{}")
    before = live_tagged_resources(stack, ENV)
    confirmed = {"confirm_teardown": f"{ENV}@123456789012"}
    for extra, message in (
        ({}, "confirm with -e confirm_teardown=production@123456789012"),
        ({"confirm_teardown": ENV}, "confirm with -e confirm_teardown=production@123456789012"),
        (confirmed, "Environment production is protected (credlink_protected): database credlink-production-db and "
                    "load balancer credlink-production-alb cannot be deleted while it is on. Add "
                    "-e disable_deletion_protection=true"),
        ({**confirmed, "disable_deletion_protection": True}, "still holds proofs (1 object version(s), of which 0"),
    ):
        refused = run_production("teardown.yml", stack, extra_vars=extra)
        output = " ".join(refused.stdout.split())
        assert refused.returncode != 0 and message in output, output[-3000:]
    # Deleted proofs are still there as noncurrent versions behind a delete marker.
    s3.delete_object(Bucket="credlink-production-proofs-123456789012", Key="proofs/p1.json")
    refused = run_production("teardown.yml", stack, extra_vars={**confirmed, "disable_deletion_protection": True})
    assert refused.returncode != 0
    assert "of which 1 noncurrent, and 1 delete marker(s)" in " ".join(refused.stdout.split())
    assert live_tagged_resources(stack, ENV) == before


def test_teardown_removes_everything_but_the_final_snapshot_and_is_repeatable(stack):
    rails = {"confirm_teardown": f"{ENV}@123456789012", "disable_deletion_protection": True, "purge_proofs": True}
    password = secret_document(stack)["password"]
    first = run_production("teardown.yml", stack, "-vvv", "--diff", extra_vars=rails)
    assert first.returncode == 0, first.stdout[-4000:]
    assert password not in first.stdout + first.stderr
    snapshots = stack.client("rds").describe_db_snapshots()["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"][:28] for s in snapshots] == ["credlink-production-db-final"]
    # The secret stays restorable for 7 days in production; nothing else is left.
    secret = stack.client("secretsmanager").describe_secret(SecretId="credlink-production-db-credentials")
    assert "DeletedDate" in secret
    # A protected environment keeps its database logs (they expire after their retention).
    left = [arn for arn in live_tagged_resources(stack, ENV) if ":secretsmanager:" not in arn and ":snapshot:" not in arn
            and ":log-group:/aws/rds/instance/credlink-production-db/" not in arn]
    assert left == []
    kept = stack.client("logs").describe_log_groups(logGroupNamePrefix="/aws/rds/instance/credlink-production-db/")
    assert [(g["logGroupName"], g["retentionInDays"]) for g in kept["logGroups"]] == [
        ("/aws/rds/instance/credlink-production-db/postgresql", 30),
        ("/aws/rds/instance/credlink-production-db/upgrade", 30)]
    assert stack.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Environment", "Values": [ENV]}])["Vpcs"] == []
    assert stack.client("ec2").describe_addresses()["Addresses"] == []
    clusters = stack.client("ecs").describe_clusters(clusters=["credlink-production-cluster"])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters)
    assert [r["RoleName"] for r in stack.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("credlink-")] == []
    # What the HTTPS setup wrote is gone; the zone itself (the user's) stays.
    assert stack.client("acm").list_certificates()["CertificateSummaryList"] == []
    assert sorted(r["Type"] for r in zone_records(stack)) == ["NS", "SOA"]
    scanning = stack.client("ecr").get_registry_scanning_configuration()["scanningConfiguration"]
    assert not [f for rule in scanning["rules"] for f in rule["repositoryFilters"]
                if f["filter"] == "credlink-production-sign-service"]
    again = run_production("teardown.yml", stack, extra_vars=rails)
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]
