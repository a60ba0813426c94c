"""site.yml awaits the slow resources together, on an emulator where they take time."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_playbook, serve_emulator

# A real minute becomes 3 s: the dev database (11 min) 33 s, the cache (7.5 min) 22.5 s.
SCALE = 0.05
FAST_POLLS = {"network_poll_interval": 1, "database_poll_interval": 1, "cache_poll_interval": 1}


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory):
    with serve_emulator(tmp_path_factory.mktemp("slow-emulator"), "--latency-scale", str(SCALE)) as emu:
        yield emu


def test_nat_database_and_cache_are_awaited_by_one_task(slow_emulator):
    run = run_playbook("site.yml", "dev", {**slow_emulator.env, "CREDLINK_PROGRESS": "lines"},
                       "--tags", "network,secrets,database,cache", extra_vars=FAST_POLLS)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]

    # While waiting, the progress view showed the resources in their transitional states.
    assert re.search(r"^waiting: +RDS instance +credlink-dev-db +creating", run.stdout, re.M), run.stdout[-4000:]

    # The lines a wait prints when it ends, grouped by the task that printed them.
    finished, task = {}, None
    for line in run.stdout.splitlines():
        if line.startswith("TASK ["):
            task = line.rstrip(" *")
        elif m := re.match(r"^(.+?) (credlink-dev-\S+): available after (\d+)(?:m(\d+))?s", line):
            finished.setdefault(task, []).append(m.group(2))
    assert list(finished) == ["TASK [Wait for the NAT gateways, the database and the cache together]"], finished
    [names] = finished.values()
    assert sorted(names) == ["credlink-dev-db", "credlink-dev-nat-us-east-1a", "credlink-dev-redis"]

    # What the layers published once their resource was ready.
    db = slow_emulator.client("rds").describe_db_instances(DBInstanceIdentifier="credlink-dev-db")["DBInstances"][0]
    assert db["DBInstanceStatus"] == "available"
    secret = slow_emulator.client("secretsmanager").get_secret_value(SecretId="credlink-dev-db-credentials")["SecretString"]
    assert db["Endpoint"]["Address"] in secret
