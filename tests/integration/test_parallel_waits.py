"""site.yml awaits the slow resources together, on an emulator where they take time."""

from __future__ import annotations

import re

import pytest

from tests.conftest import own_playbook, run_playbook, serve_emulator

# A real minute becomes 3 s: the dev database (11 min) 33 s, the cache (7.5 min) 22.5 s.
SCALE = 0.05
FAST_POLLS = {"network_poll_interval": 1, "database_poll_interval": 1, "cache_poll_interval": 1}


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory):
    with serve_emulator(tmp_path_factory.mktemp("slow-emulator"), "--latency-scale", str(SCALE)) as emu:
        yield emu


def finished_waits(stdout: str) -> dict[str, list[str]]:
    """The resources each wait task reported ready when it ended, by task."""
    finished, task = {}, None
    for line in stdout.splitlines():
        if line.startswith("TASK ["):
            task = line.rstrip(" *")
        elif m := re.match(r"^(.+?) (credlink-dev-\S+): available after ", line):
            finished.setdefault(task, []).append(m.group(2))
    return finished


def test_database_and_cache_are_awaited_by_one_task(slow_emulator):
    slow_emulator.reset()
    env = {**slow_emulator.env, "CREDLINK_PROGRESS": "lines"}
    # The network first: what runs between the database's start and the joint wait is then
    # only the cache's own tasks, much shorter than the database's 33 s.
    ready = run_playbook("site.yml", "dev", env, "--tags", "network,secrets", extra_vars=FAST_POLLS)
    assert ready.returncode == 0, ready.stdout[-4000:] + ready.stderr[-2000:]

    run = run_playbook("site.yml", "dev", env, "--tags", "database,cache", extra_vars=FAST_POLLS)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    # While waiting, the progress view showed both resources in their transitional states.
    assert re.search(r"^waiting: +RDS instance +credlink-dev-db +creating", run.stdout, re.M), run.stdout[-4000:]
    assert re.search(r"^waiting: +Redis replication group +credlink-dev-redis +creating", run.stdout, re.M)
    # One task polled until both were ready; the layers' own waits found them ready at once.
    assert finished_waits(run.stdout) == {
        "TASK [credlink.infra.joint_wait : Wait for the started resources together]": ["credlink-dev-db", "credlink-dev-redis"]
    }, run.stdout[-4000:]

    # What the layers published once their resource was ready.
    db = slow_emulator.client("rds").describe_db_instances(DBInstanceIdentifier="credlink-dev-db")["DBInstances"][0]
    assert db["DBInstanceStatus"] == "available"
    secret = slow_emulator.client("secretsmanager").get_secret_value(SecretId="credlink-dev-db-credentials")["SecretString"]
    assert db["Endpoint"]["Address"] in secret


def test_a_wait_that_runs_out_of_time_says_what_is_still_starting(slow_emulator):
    slow_emulator.reset()
    ready = run_playbook("site.yml", "dev", slow_emulator.env, "--tags", "network,secrets", extra_vars=FAST_POLLS)
    assert ready.returncode == 0, ready.stdout[-4000:] + ready.stderr[-2000:]
    # The database takes 33 s here; one second of waiting is not enough.
    run = run_playbook("site.yml", "dev", slow_emulator.env, "--tags", "database",
                       extra_vars={**FAST_POLLS, "database_wait_timeout": 1})
    output = " ".join(run.stdout.split())
    assert run.returncode != 0, run.stdout[-3000:]
    assert ("Not ready after 1 s: credlink-dev-db is creating. Nothing was undone: run again to keep waiting, "
            "or raise database_wait_timeout.") in output, output[-3000:]
    # Nothing was undone: the instance goes on starting, and a rerun with time to wait converges.
    again = run_playbook("site.yml", "dev", slow_emulator.env, "--tags", "database", extra_vars=FAST_POLLS)
    assert again.returncode == 0, again.stdout[-3000:]
    assert again.recap["changed"] == 1, again.stdout[-3000:]  # the endpoint recorded in the secret


# The database role as a user's own playbook would run it: main, with no joint wait after it.
DATABASE_ALONE = """\
  roles:
    - role: credlink.infra.preflight
    - role: credlink.infra.database
"""


def test_a_layer_run_alone_ends_with_what_it_started_ready(slow_emulator, tmp_path):
    slow_emulator.reset()
    env = {**slow_emulator.env, "CREDLINK_PROGRESS": "lines"}
    ready = run_playbook("site.yml", "dev", env, "--tags", "network,secrets", extra_vars=FAST_POLLS)
    assert ready.returncode == 0, ready.stdout[-4000:] + ready.stderr[-2000:]
    play = own_playbook(tmp_path, "Build the database alone", DATABASE_ALONE)
    run = run_playbook(play, "dev", env, extra_vars=FAST_POLLS)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    # main is start, then the joint wait's await: the role itself waited for the instance...
    assert finished_waits(run.stdout) == {
        "TASK [credlink.infra.joint_wait : Wait for the started resources together]": ["credlink-dev-db"]
    }, run.stdout[-4000:]
    # ...and its finish recorded the endpoint before the play ended.
    db = slow_emulator.client("rds").describe_db_instances(DBInstanceIdentifier="credlink-dev-db")["DBInstances"][0]
    assert db["DBInstanceStatus"] == "available"
    secret = slow_emulator.client("secretsmanager").get_secret_value(SecretId="credlink-dev-db-credentials")["SecretString"]
    assert db["Endpoint"]["Address"] in secret
