"""site.yml run the way AWX and Automation Platform run a job: ansible-runner on a private data dir.

AWX does not call ansible-playbook itself. It lays out a private data directory and hands
it to ansible-runner (``awx/main/tasks/jobs.py`` in the AWX repository: ``build_inventory``,
``build_env``, ``build_args``, ``build_extra_vars_file``), which runs the playbook and
reports each step as a job event:

    project/          the SCM checkout (the playbooks, this collection through collections/)
    inventory/hosts   an executable script printing the synced inventory as JSON
                      (AWX syncs a project source with ``ansible-inventory --list --export``)
    env/envvars       the job's environment: AWX's own settings plus injected credentials
    env/extravars     AWX's meta variables and the template's extra variables
    env/cmdline       -u, -t and the other options of the job template
    env/settings      ansible-runner settings (job timeout, output suppression)

The job environment is AWX's, not the developer's shell: in particular it has no
``CREDLINK_MODULE_RUNNER``, so the warm module runner must stay off.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

# The layers that need nothing but the AWS APIs and cost seconds on the emulator; the whole
# stack is covered by the other integration tests.
JOB_TAGS = "network,secrets,storage"
JOB_ID = 42
SECRET = "credlink-local-db-credentials"
BUCKET = "credlink-local-proofs-123456789012"
BIN = Path(sys.executable).parent


def _project(destination: Path) -> None:
    """The repository as AWX checks it out: tracked and new files, symlinks kept as links."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for relative in filter(None, listing):
        source, target = ROOT / relative, destination / relative
        if not source.is_symlink() and not source.is_file():
            continue  # deleted in the work tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
    # collections/ansible_collections/credlink/infra -> ../../.. : the checkout itself.
    assert (destination / "collections/ansible_collections/credlink/infra/galaxy.yml").is_file()


def _inventory(project: Path, destination: Path, env: dict) -> None:
    """inventories/local synced as AWX syncs a project source, written as AWX writes it for a job."""
    synced = subprocess.run([str(BIN / "ansible-inventory"), "-i", "inventories/local", "--list", "--export"],
                            cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert synced.returncode == 0, synced.stderr
    data = json.dumps(json.loads(synced.stdout))
    destination.mkdir()
    hosts = destination / "hosts"
    hosts.write_text("#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n" % data)
    hosts.chmod(0o700)


def _job_environment(private: Path) -> dict:
    """What the job process starts with: the execution environment's basics, not this shell's."""
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
           "HOME": str(private / "home"), "LANG": "C.UTF-8"}
    (private / "home").mkdir()
    return env


def _write_private_data_dir(private: Path, endpoint_url: str, base_env: dict) -> None:
    project = private / "project"
    _project(project)
    _inventory(project, private / "inventory", base_env)
    env_dir = private / "env"
    env_dir.mkdir()
    envvars = {
        # AWX's own job settings (build_env).
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_FORCE_COLOR": "False",
        "JOB_ID": str(JOB_ID),
        "INVENTORY_ID": "7",
        "PROJECT_REVISION": "test",
        "AWX_HOST": "https://awx.example.com",
        # AWX puts requirements_collections first, then the project's collections_path and the
        # execution environment's paths; the collection comes from the project's collections/.
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([
            str(private / "requirements_collections"), str(project / "collections"),
            "~/.ansible/collections", "/usr/share/ansible/collections"]),
        # The "Amazon Web Services" credential (dummy keys) and the endpoint credential type of
        # docs/awx.md, which also names a region: a client with an endpoint URL and no region
        # cannot sign IAM calls (real IAM needs none; the playbooks' modules get credlink_region
        # from module_defaults, a play of one's own may not).
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        # Where the warm module runner would keep its socket and launcher, were it used.
        "CREDLINK_MODULE_RUNNER_DIR": str(private / "module-runner"),
        "XDG_CACHE_HOME": str(private / "cache"),
        "CREDLINK_PROGRESS": "off",
    }
    (env_dir / "envvars").write_text(json.dumps(envvars))
    extravars = {
        # AWX's meta variables (awx_meta_vars) ...
        "awx_job_id": JOB_ID, "awx_job_launch_type": "manual", "awx_job_template_name": "CredLink deploy",
        "awx_project_revision": "test", "awx_user_name": "admin", "tower_job_id": JOB_ID,
        # ... and the extra variables docs/awx.md gives for a job against the emulator.
        "database_local_postgres": {}, "verify_live_checks": False,
    }
    (env_dir / "extravars").write_text(json.dumps(extravars))
    (env_dir / "cmdline").write_text(f"-u root -t {JOB_TAGS}")  # build_args: -u root, job tags
    (env_dir / "settings").write_text(json.dumps({"job_timeout": 900, "suppress_ansible_output": True}))


def _events(artifacts: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(
        (artifacts / "job_events").glob("*.json"), key=lambda path: int(path.name.split("-", 1)[0]))]


def test_site_converges_as_an_awx_job(clean_emulator, tmp_path):
    private = tmp_path / "awx-job"
    private.mkdir()
    base_env = _job_environment(private)
    _write_private_data_dir(private, clean_emulator.endpoint_url, base_env)
    ident = str(JOB_ID)

    started = time.monotonic()
    job = subprocess.run([str(BIN / "ansible-runner"), "run", str(private), "-p", "playbooks/site.yml",
                          "--ident", ident, "--inventory", str(private / "inventory" / "hosts")],
                         env=base_env, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - started
    artifacts = private / "artifacts" / ident
    stdout = (artifacts / "stdout").read_text() if (artifacts / "stdout").exists() else job.stdout
    assert job.returncode == 0, f"{job.stderr[-2000:]}\n{stdout[-4000:]}"
    assert (artifacts / "status").read_text() == "successful"
    assert (artifacts / "rc").read_text() == "0"

    events = _events(artifacts)
    [stats] = [event["event_data"] for event in events if event["event"] == "playbook_on_stats"]
    assert stats["failures"] == {} and stats["dark"] == {}, stats
    assert stats["changed"].get("localhost", 0) > 0 and stats["ok"].get("localhost", 0) > 0, stats
    ok_tasks = {event["event_data"]["task"] for event in events if event["event"] == "runner_on_ok"}
    for task in ("Ensure the database credentials secret exists",
                 "Ensure the proofs bucket exists, versioned, encrypted and private"):
        assert task in ok_tasks, sorted(ok_tasks)
    assert not [event for event in events if event["event"] == "runner_on_failed"
                and not event["event_data"].get("ignore_errors")]

    # The job built what the tags asked for, in the emulator it was pointed at.
    s3, secrets = clean_emulator.client("s3"), clean_emulator.client("secretsmanager")
    assert BUCKET in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
    password = json.loads(secrets.get_secret_value(SecretId=SECRET)["SecretString"])["password"]
    # Nothing in the job output or its events, which AWX stores and shows, holds the password.
    assert password not in stdout
    assert not [path.name for path in (artifacts / "job_events").glob("*.json") if password in path.read_text()]

    # AWX runs get the plain Python: no launcher written, no server started.
    assert not (private / "module-runner").exists()
    assert not (private / "cache" / "credlink-infra").exists()
    print(f"AWX-style job (--tags {JOB_TAGS}): {seconds:.1f} s, {len(events)} events")
