"""inventories/local end to end: emulator plus a real PostgreSQL 15 for the schema."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import ROOT, local_stack_vars, psql, run_playbook

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def local_stack(emulator, local_postgres, local_redis, tmp_path_factory):
    emulator.reset()
    reports = tmp_path_factory.mktemp("reports")
    first = run_playbook("site.yml", "local", emulator.env, "-vvv", "--diff",
                         extra_vars={**local_stack_vars(local_postgres, local_redis), "verify_report_dir": str(reports)})
    assert first.returncode == 0, first.stdout[-4000:]
    first.reports = reports
    return emulator, local_postgres, first


def password(emulator) -> str:
    raw = emulator.client("secretsmanager").get_secret_value(SecretId="credlink-local-db-credentials")
    return json.loads(raw["SecretString"])["password"]


def test_password_appears_in_no_output(local_stack):
    emulator, pg_port, first = local_stack
    secret = password(emulator)
    assert secret not in first.stdout + first.stderr
    # The layers that handle the credentials (the creating run above covered them all).
    again = run_playbook("site.yml", "local", emulator.env, "-vvv", "--diff", "--check",
                         "--tags", "secrets,database,schema,container_platform,verify",
                         extra_vars=local_stack_vars(pg_port))
    assert again.returncode == 0
    assert secret not in again.stdout + again.stderr
    definition = json.dumps(emulator.client("rds").describe_db_instances()["DBInstances"], default=str)
    assert secret not in definition


def test_checklist_runs_its_live_items_against_the_local_services(local_stack):
    _, _, first = local_stack
    report = json.loads((first.reports / "local-checklist.json").read_text())
    items = {item["id"]: item for item in report["items"]}
    assert report["summary"]["fail"] == 0, [i for i in report["items"] if i["status"] == "fail"]
    for live in ("database.connect", "database.schema", "database.statistics", "redis.commands"):
        assert items[live]["status"] == "pass", items[live]
    assert "SSL in use" in items["database.connect"]["observed"]
    # Skipped, each with its reason: the emulator cannot provide these (no image is pushed to it,
    # so no task can start, serve or log, whatever the emulator's ECS reports).
    skipped = {i for i, item in items.items() if item["status"] == "skip"}
    assert skipped - {"app.redis_tls"} == {"app.image", "app.responds", "ha.rds_standby", "app.logs_streaming",
                                           "app.tasks_running", "app.targets_healthy", "ha.ecs_tasks"}
    assert items["redis.security_group"]["status"] == "pass", items["redis.security_group"]
    # Until the task definition gives the app REDIS_TLS, its comparison is skipped with the reason.
    assert "app.redis_tls" not in skipped or "REDIS_TLS" in items["app.redis_tls"]["reason"]
    assert all(items[i]["reason"] for i in skipped)
    assert "checklist: " in first.stdout and "total per month, USD (local as sized)" in first.stdout
    outputs = json.loads((first.reports / "local-outputs.json").read_text())
    assert outputs["rds_endpoint"]["sensitive"] is True
    assert outputs["rds_endpoint"]["value"] not in first.stdout.split("Print the outputs", 1)[1]
    # The outputs the seeds list: the database URL without its password, the ALB URL, the
    # target group and Redis TLS.
    assert outputs["database_url"]["sensitive"] is True
    assert outputs["database_url"]["value"] == (f"postgresql://credlink_admin@{outputs['rds_endpoint']['value']}"
                                                ":5432/credlink?sslmode=require")
    assert outputs["alb_url"]["value"] == f"http://{outputs['alb_dns_name']['value']}"
    assert outputs["target_group_arn"]["value"].split(":")[5].startswith("targetgroup/credlink-local-tg/")
    assert outputs["redis_tls"]["value"] == "off"


def test_a_stack_below_the_baseline_is_refused_unless_allowed_and_then_waived(local_stack, tmp_path):
    emulator, pg_port, _ = local_stack
    s3 = emulator.client("s3")
    [bucket] = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("credlink-local-proofs-")]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    # Proofs kept in S3 Standard for 180 days where the seeds move them to Glacier at 90.
    later = [{**rule, "Transitions": [{"Days": 180, "StorageClass": "GLACIER"}]} for rule in rules]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": later})
    extra = {**local_stack_vars(pg_port), "verify_report_dir": str(tmp_path), "storage_glacier_transition_days": 180}
    try:
        refused = run_playbook("verify.yml", "local", emulator.env, extra_vars=extra)
        assert refused.returncode != 0
        assert ("is below the baseline of the seeds: storage_glacier_transition_days=180 "
                "(the local baseline is at most 90)") in refused.stdout
        assert not (tmp_path / "local-checklist.json").exists()

        allowed = run_playbook("verify.yml", "local", emulator.env,
                               extra_vars={**extra, "credlink_allow_below_baseline": True})
        assert allowed.returncode == 0, allowed.stdout[-4000:]
        report = json.loads((tmp_path / "local-checklist.json").read_text())
        waived = [i for i in report["items"] if i["status"] == "waived"]
        assert [i["id"] for i in waived] == ["s3.lifecycle_transition"] and report["summary"]["waived"] == 1
        assert "allowed by credlink_allow_below_baseline" in waived[0]["reason"]
        assert "WAIVED  s3.lifecycle_transition" in allowed.stdout and "1 waived below the baseline" in allowed.stdout
        assert 'id="item-s3.lifecycle_transition"' in (tmp_path / "local-report.html").read_text()
    finally:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})


def test_the_report_page_and_the_topology_picture_are_written(local_stack):
    _, _, first = local_stack
    files = {name: first.reports / f"local-{name}" for name in ("report.html", "topology.svg", "topology.png")}
    for path in files.values():
        assert path.stat().st_mode & 0o777 == 0o600, path
    page = files["report.html"].read_text()
    report = json.loads((first.reports / "local-checklist.json").read_text())
    assert all(f'id="item-{item["id"]}"' in page for item in report["items"])
    assert "<svg" in page and "credlink-local-service" in page and "credlink-local-redis-002" in page
    outputs = json.loads((first.reports / "local-outputs.json").read_text())
    assert outputs["rds_endpoint"]["value"] not in page
    assert files["topology.png"].read_bytes().startswith(b"\x89PNG")
    assert f"report: {files['report.html']}" in first.stdout


def test_migrations_are_recorded_with_checksums(local_stack):
    _, pg_port, _ = local_stack
    rows = psql(pg_port, "SELECT version, description, length(checksum) FROM schema_migrations ORDER BY version")
    assert rows == [("001", "core_tables", 64), ("002", "query_indexes", 64),
                    ("003", "operation_statistics_view", 64), ("004", "proof_access_tracking", 64),
                    ("005", "query_statistics", 64)]
    tables = {r[0] for r in psql(pg_port, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"proofs", "signing_operations", "verification_operations", "schema_migrations"} <= tables
    indexes = {r[0] for r in psql(pg_port, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
    assert {"proofs_image_hash_idx", "signing_operations_created_at_idx",
            "verification_operations_status_created_at_idx"} <= indexes


def test_master_user_has_the_secret_password_over_tls(local_stack):
    import psycopg2

    emulator, pg_port, _ = local_stack
    with psycopg2.connect(host="127.0.0.1", port=pg_port, user="credlink_admin", dbname="credlink",
                          password=password(emulator), sslmode="require") as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            assert cur.fetchone() == (True,)
    with pytest.raises(psycopg2.OperationalError, match="no encryption"):
        psycopg2.connect(host="127.0.0.1", port=pg_port, user="credlink_admin", dbname="credlink",
                         password=password(emulator), sslmode="disable").close()


def test_rerun_is_a_no_op(local_stack):
    emulator, pg_port, _ = local_stack
    # What only the local inventory has (the local PostgreSQL); test_production_stack
    # reruns every other layer.
    again = run_playbook("site.yml", "local", emulator.env, "--tags", "secrets,database,schema",
                         extra_vars=local_stack_vars(pg_port))
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]
    assert psql(pg_port, "SELECT count(*) FROM schema_migrations") == [(5,)]


def test_query_statistics_are_collected_by_the_extension_the_master_user_created(local_stack):
    _, pg_port, _ = local_stack
    # Migration V005 ran as the master user, which is no superuser (on RDS it is rds_superuser).
    assert psql(pg_port, "SELECT rolsuper FROM pg_roles WHERE rolname = 'credlink_admin'") == [(False,)]
    assert psql(pg_port, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'") == [(1,)]
    [(tracked,)] = psql(pg_port, "SELECT count(*) FROM pg_stat_statements")
    assert tracked > 0


def test_verification_trigger_tracks_proof_access(local_stack):
    _, pg_port, _ = local_stack
    proof = "10000000-0000-4000-8000-000000000001"
    psql(pg_port, f"""
        INSERT INTO proofs (proof_id, image_hash, manifest, signer, s3_key)
        VALUES ('{proof}', repeat('c', 64), '{{}}', 'test', 'proofs/{proof}.json');
        INSERT INTO verification_operations (proof_id, image_hash, status, duration_ms)
        VALUES ('{proof}', repeat('c', 64), 'verified', 10),
               ('{proof}', repeat('c', 64), 'verified', 12),
               ('{proof}', repeat('c', 64), 'tampered', 9);
    """)
    [(count, accessed)] = psql(pg_port, f"SELECT access_count, last_accessed_at IS NOT NULL FROM proofs WHERE proof_id = '{proof}'")
    assert (count, accessed) == (2, True)


def test_statistics_view_reports_success_rates(local_stack):
    _, pg_port, _ = local_stack
    psql(pg_port, """
        INSERT INTO signing_operations (image_hash, status, duration_ms) VALUES
            (repeat('d', 64), 'succeeded', 100), (repeat('d', 64), 'succeeded', 200), (repeat('d', 64), 'failed', 300);
    """)
    rows = psql(pg_port, """
        SELECT total, succeeded, failed, success_rate_pct, avg_duration_ms
        FROM operation_statistics WHERE operation = 'signing' AND day = current_date
    """)
    assert [tuple(float(v) for v in row) for row in rows] == [(3, 2, 1, 66.67, 200.0)]


def test_test_data_loads_once(local_stack):
    emulator, pg_port, _ = local_stack
    extra = {**local_stack_vars(pg_port), "schema_test_data": True}
    first = run_playbook("site.yml", "local", emulator.env, "--tags", "schema", extra_vars=extra)
    assert first.returncode == 0 and first.recap["changed"] == 1, first.stdout[-3000:]
    again = run_playbook("site.yml", "local", emulator.env, "--tags", "schema", extra_vars=extra)
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-3000:]
    assert psql(pg_port, "SELECT count(*) FROM proofs WHERE signer = 'credlink-test-signer'") == [(2,)]


def test_edited_or_missing_migrations_stop_the_run(local_stack, tmp_path):
    emulator, pg_port, _ = local_stack
    migrations = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", migrations)
    extra = {**local_stack_vars(pg_port), "schema_migrations_dir": str(migrations)}

    (migrations / "V002__query_indexes.sql").write_text("-- edited\n" + (migrations / "V002__query_indexes.sql").read_text())
    edited = run_playbook("site.yml", "local", emulator.env, "--tags", "schema", extra_vars=extra)
    assert edited.returncode != 0
    assert "Migration V002 was changed after it was applied" in edited.stdout

    shutil.copy(ROOT / "sql" / "V002__query_indexes.sql", migrations)
    (migrations / "V004__proof_access_tracking.sql").unlink()
    missing = run_playbook("site.yml", "local", emulator.env, "--tags", "schema", extra_vars=extra)
    assert missing.returncode != 0
    assert "Migration V004 is recorded in schema_migrations but its file is missing" in missing.stdout


def test_new_migration_is_applied_once_and_check_mode_only_lists_it(local_stack, tmp_path):
    emulator, pg_port, _ = local_stack
    migrations = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", migrations)
    (migrations / "V006__proof_labels.sql").write_text("ALTER TABLE proofs ADD COLUMN label text;\n")
    extra = {**local_stack_vars(pg_port), "schema_migrations_dir": str(migrations)}

    planned = run_playbook("site.yml", "local", emulator.env, "--tags", "schema", "--check", extra_vars=extra)
    assert planned.returncode == 0 and "V006__proof_labels.sql" in planned.stdout
    assert psql(pg_port, "SELECT count(*) FROM schema_migrations") == [(5,)]

    applied = run_playbook("site.yml", "local", emulator.env, "--tags", "schema", extra_vars=extra)
    assert applied.returncode == 0 and applied.recap["changed"] == 1, applied.stdout[-3000:]
    again = run_playbook("site.yml", "local", emulator.env, "--tags", "schema", extra_vars=extra)
    assert again.returncode == 0 and again.recap["changed"] == 0
    assert psql(pg_port, "SELECT max(version) FROM schema_migrations") == [("006",)]


def test_failed_migration_leaves_no_trace(local_stack, tmp_path):
    emulator, pg_port, _ = local_stack
    migrations = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", migrations)
    (migrations / "V006__proof_labels.sql").write_text("ALTER TABLE proofs ADD COLUMN label text;\n")
    (migrations / "V007__broken.sql").write_text("CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n")
    extra = {**local_stack_vars(pg_port), "schema_migrations_dir": str(migrations)}
    run = run_playbook("site.yml", "local", emulator.env, "--tags", "schema", extra_vars=extra)
    assert run.returncode != 0
    assert psql(pg_port, "SELECT to_regclass('public.half_done') IS NULL") == [(True,)]
    assert ("007",) not in psql(pg_port, "SELECT version FROM schema_migrations")
