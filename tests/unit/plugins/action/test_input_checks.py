"""credlink.infra.input_checks, run by ansible-playbook as the roles run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def results() -> dict:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
           "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections")}
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(HERE / "checks.yml")],
                          env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    tasks = json.loads(proc.stdout)["plays"][0]["tasks"]
    return {task["task"]["name"]: task["hosts"]["localhost"] for task in tasks}


def test_passing_checks_do_not_fail(results):
    passing = results["All checks pass"]
    assert not passing.get("failed") and not passing["changed"]
    assert passing["problems"] == [] and passing["msg"] == "all 1 checks passed"


def test_every_failed_check_is_reported_with_its_own_message(results):
    failed = results["Every failed check is reported, in order, each with its own message"]
    assert failed["failed"]
    assert failed["msg"] == "2 problems: (1) nodes must be at least 1 (0) (2) a token needs encryption"
    assert failed["problems"] == [{"assertion": "nodes >= 1", "msg": "nodes must be at least 1 (0)"},
                                  {"assertion": "not token or encrypted", "msg": "a token needs encryption"}]


def test_a_check_that_does_not_apply_is_skipped_and_messages_render_only_on_failure(results):
    skipped = results["A check whose condition does not apply is skipped, and a message is rendered only when needed"]
    assert not skipped.get("failed"), skipped["msg"]
    assert skipped["checked"] == 2


def test_one_failed_check_gives_its_message_alone(results):
    one = results["One failed check gives its message alone"]
    assert one["failed"] and one["msg"] == "nodes must be 1 or 2"


def test_a_check_without_a_message_is_refused(results):
    malformed = results["A malformed check is refused"]
    assert malformed["failed"] and "check 1 must have 'that' and 'msg'" in malformed["msg"]
