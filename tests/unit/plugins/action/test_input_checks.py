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


def test_layers_are_validated_with_their_role_defaults_and_typed_inputs_returned(results):
    passing = results["Layers whose inputs are their defaults pass"]
    assert not passing.get("failed"), passing["msg"]
    assert passing["problems"] == []
    # The spec's types (int, bool) and the role defaults underneath the inventory.
    assert passing["inputs"]["cache_num_nodes"] == 2 and passing["inputs"]["database_multi_az"] is True
    assert passing["inputs"]["storage_expiration_days"] == 365
    # One spec per layer plus each layer's checks.
    assert passing["checked"] > 3


def test_every_wrong_input_of_every_layer_is_reported_together(results):
    failing = results["Every wrong input of every layer is reported in one result"]
    assert failing["failed"] and "inputs" not in failing
    messages = [problem["msg"] for problem in failing["problems"]]
    assert len(messages) == 3, messages
    # The database's spec fails, so its checks are skipped; the cache's string "0" was
    # typed by its spec and fails its own check; the storage check fails too.
    assert "database_multi_az" in messages[0] and "convert to bool" in messages[0]
    assert messages[1].startswith("cache_num_nodes must be 1-6 (0)")
    assert "storage_expiration_days" in messages[2]
    assert failing["msg"].startswith("3 problems: (1) ")


def test_a_layer_that_is_not_a_role_or_checks_with_layers_are_refused(results):
    unknown = results["A layer that is not a role of the collection is refused"]
    assert unknown["failed"] and "layer 'nosuch' is not a role of this collection" in unknown["msg"]
    both = results["Checks and layers together are refused"]
    assert both["failed"] and both["msg"] == "give either checks or layers"
