"""The progress view: what it reads from a wait task's result, and what it shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.credlink.infra.plugins.callback.progress import choose_mode
from ansible_collections.credlink.infra.plugins.plugin_utils.wait_progress import Pending
from ansible_collections.credlink.infra.plugins.plugin_utils.wait_progress import Progress
from ansible_collections.credlink.infra.plugins.plugin_utils.wait_progress import load_durations
from ansible_collections.credlink.infra.plugins.plugin_utils.wait_progress import pending_from_result
from tests.conftest import ROOT

HERE = Path(__file__).parent


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize("action, result, expected", [
    ("amazon.aws.rds_instance_info",
     {"instances": [{"db_instance_identifier": "credlink-production-db", "multi_az": True, "db_instance_status": "creating"}]},
     [Pending("rds_multi_az", "credlink-production-db", "creating")]),
    ("rds_instance_info",
     {"instances": [{"db_instance_identifier": "credlink-dev-db", "multi_az": False, "db_instance_status": "backing-up"}]},
     [Pending("rds", "credlink-dev-db", "backing-up")]),
    ("credlink.infra.elasticache_replication_group_info",
     {"found": True, "replication_group": {"replication_group_id": "credlink-production-redis", "status": "modifying"}},
     [Pending("elasticache_replication_group", "credlink-production-redis", "modifying")]),
    ("amazon.aws.ec2_vpc_nat_gateway_info",
     {"result": [{"nat_gateway_id": "nat-1", "state": "pending", "tags": {"Name": "credlink-production-nat-us-east-1a"}},
                 {"nat_gateway_id": "nat-2", "state": "available", "tags": {}}]},
     [Pending("nat_gateway", "credlink-production-nat-us-east-1a", "pending"), Pending("nat_gateway", "nat-2", "available")]),
    ("amazon.aws.elb_application_lb_info",
     {"load_balancers": [{"load_balancer_name": "credlink-production-alb", "state": {"code": "provisioning"}}]},
     [Pending("alb", "credlink-production-alb", "provisioning")]),
    ("community.aws.ecs_service_info",
     {"services": [{"serviceName": "credlink-production-service", "runningCount": 1, "desiredCount": 2,
                    "deployments": [{"status": "PRIMARY", "rolloutState": "IN_PROGRESS"}, {"status": "ACTIVE"}]}]},
     [Pending("ecs_service", "credlink-production-service", "in progress, 1 old deployment(s) draining, 1/2 running")]),
])
def test_resources_and_states_come_from_the_polled_modules_result(action, result, expected):
    assert pending_from_result(action, "Wait", result) == expected


def test_a_resource_not_found_yet_or_an_unknown_module_is_shown_by_task_name():
    assert pending_from_result("amazon.aws.rds_instance_info", "Wait for db", {"instances": []}) == [
        Pending("", "Wait for db", "waiting")]
    assert pending_from_result("ansible.builtin.uri", "Wait for app", {"status": 503}) == [
        Pending("", "Wait for app", "waiting")]


def test_a_no_log_result_is_never_read():
    censored = {"censored": "the output has been hidden due to the fact that 'no_log: true' was specified",
                "instances": [{"db_instance_identifier": "leak", "db_instance_status": "creating"}]}
    [pending] = pending_from_result("amazon.aws.rds_instance_info", "Wait", censored)
    assert "leak" not in pending.name + pending.state and pending.kind == ""


def test_the_duration_table_covers_every_awaited_resource_with_a_source():
    table = load_durations()
    assert set(table) == {"rds_multi_az", "rds", "elasticache_replication_group", "nat_gateway", "alb", "ecs_service",
                          "eni_release"}
    assert all(0 < low < high for low, high in (entry["minutes"] for entry in table.values()))
    assert table["rds_multi_az"]["minutes"] == [10, 15] and table["nat_gateway"]["minutes"] == [1.5, 2]
    assert all(entry["source"].strip() for entry in table.values())
    source = yaml.safe_load((ROOT / "data/wait_durations.yml").read_text())["source"]
    assert "design estimates" in source and "published measurements" in source


def test_a_line_shows_state_elapsed_time_and_the_typical_duration():
    clock = FakeClock()
    progress = Progress(load_durations(), now=clock)
    progress.start("db", "Wait until the instance is available")
    clock.now += 270
    progress.update("db", "Wait", [Pending("rds_multi_az", "credlink-production-db", "creating")], 9, 31)
    [line] = progress.lines()
    assert line.split() == ["RDS", "instance", "(Multi-AZ)", "credlink-production-db", "creating", "4m30s",
                            "typically", "10-15", "min,", "up", "to", "~11", "min", "left"]
    assert "poll 9 of 31" in progress.header()
    clock.now += 15 * 60
    assert progress.lines()[0].endswith("longer than usual")


def test_only_a_state_change_counts_as_news():
    progress = Progress({}, now=FakeClock())
    nat = [Pending("nat_gateway", "nat-a", "pending")]
    assert progress.update("nat", "Wait", nat, 1, 10) is True
    assert progress.update("nat", "Wait", nat, 2, 10) is False
    assert progress.update("nat", "Wait", [Pending("nat_gateway", "nat-a", "available")], 3, 10) is True


def test_a_wait_that_never_polled_leaves_no_summary():
    clock = FakeClock()
    progress = Progress(load_durations(), now=clock)
    progress.start("t", "Wait")
    assert progress.finish("t") == [] and progress.lines() == []
    progress.start("t", "Wait")
    progress.update("t", "Wait", [Pending("alb", "credlink-dev-alb", "provisioning")], 1, 10)
    clock.now += 150
    assert progress.finish("t", [Pending("alb", "credlink-dev-alb", "active")]) == [
        "load balancer credlink-dev-alb: active after 2m30s (typically 2.3-3 min on AWS)"]
    assert progress.waits == {}


def test_resources_awaited_together_each_report_when_they_became_ready():
    clock = FakeClock()
    progress = Progress(load_durations(), now=clock)
    progress.start("slow", "Wait for the slow resources together")

    def poll(attempt, nat, db):
        result = {"ready": False, "failed_resources": [], "resources": [
            {"kind": "nat_gateway", "id": "nat-1", "name": "credlink-dev-nat-us-east-1a", "state": nat,
             "ready": nat == "available"},
            {"kind": "rds", "id": "credlink-dev-db", "name": "credlink-dev-db", "state": db, "ready": db == "available"}]}
        pending = pending_from_result("credlink.infra.readiness_info", "Wait", result)
        progress.update("slow", "Wait for the slow resources together", pending, attempt, 100)
        return pending

    clock.now += 60
    poll(1, "pending", "creating")
    assert progress.header().startswith("Waiting for 2 resource(s)")
    clock.now += 45
    poll(2, "available", "creating")
    clock.now += 555
    nat_line, db_line = progress.lines()
    assert nat_line.split()[-2:] == ["1m45s", "ready"] and "creating" in db_line and "11m00s" in db_line
    assert progress.header().startswith("Waiting for 1 resource(s)")
    final = poll(3, "available", "available")
    assert progress.finish("slow", final) == [
        "NAT gateway credlink-dev-nat-us-east-1a: available after 1m45s (typically 1.5-2 min on AWS)",
        "RDS instance credlink-dev-db: available after 11m00s (typically 10-12 min on AWS)"]


@pytest.mark.parametrize("setting, tty, term, mode", [
    ("auto", True, "xterm-256color", "live"), ("auto", False, "xterm", "lines"), ("auto", True, "dumb", "lines"),
    ("lines", True, "xterm", "lines"), ("off", True, "xterm", "off"),
])
def test_the_mode_follows_the_terminal_unless_set(setting, tty, term, mode):
    assert choose_mode(setting, tty, term) == mode


def run_retries(tmp_path, *args: str, **env) -> str:
    """ansible-playbook on a wait that polls three times, with the collection's ansible.cfg."""
    full_env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1", **env}
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(HERE / "retry.yml"),
                           "-i", "localhost,", "-c", "local", "-e", f"counter={tmp_path / 'calls'}", *args],
                          cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_a_log_gets_plain_lines_instead_of_retry_spam(tmp_path):
    out = run_retries(tmp_path)
    assert "FAILED - RETRYING" not in out and "\x1b[" not in out
    assert "waiting: RDS instance (Multi-AZ)  credlink-test-db" in out
    assert "credlink-test-db: available after" in out
    # The no_log wait is shown by its task name only.
    assert "Poll something secret: finished waiting after" in out
    assert out.count("credlink-test-db") == 2


def test_a_terminal_gets_one_view_redrawn_in_place(tmp_path):
    out = run_retries(tmp_path, CREDLINK_PROGRESS="live")
    assert "\x1b[2F\x1b[J" in out and "Waiting for 1 resource(s)" in out
    assert "FAILED - RETRYING" not in out


def test_off_shows_nothing_while_waiting(tmp_path):
    out = run_retries(tmp_path, CREDLINK_PROGRESS="off")
    assert "waiting" not in out.lower() and "RETRYING" not in out
    assert "ok=2" in out


def test_very_verbose_runs_print_every_poll_as_ansible_does(tmp_path):
    out = run_retries(tmp_path, "-vv")
    assert out.count("FAILED - RETRYING") == 4 and "waiting:" not in out
