"""Fixtures shared by every test: collection import path, the emulator, playbook runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Make `ansible_collections.credlink.infra` importable next to the bundled collections.
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402

_AnsibleCollectionFinder(paths=[str(ROOT / "collections")])._install()

from tools.emulator import aws, latency, realism  # noqa: E402
from tools.emulator.realism import versions  # noqa: E402
from tools.emulator.config import dummy_aws_env, settings  # noqa: E402
from tools.emulator.process import free_port, wait_until  # noqa: E402

# Dummy credentials without an endpoint (moto in-process, or a test that adds its own).
DUMMY_AWS = {key: value for key, value in dummy_aws_env("", "us-east-1").items() if key != "AWS_ENDPOINT_URL"}


@pytest.fixture
def offline_aws(monkeypatch):
    """Dummy credentials and no endpoint: for moto's in-process mock."""
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in DUMMY_AWS.items():
        monkeypatch.setenv(key, value)


@dataclass
class Endpoint:
    """An AWS endpoint with dummy credentials in us-east-1: the embedded emulator or LocalStack."""

    endpoint_url: str

    @property
    def env(self) -> dict[str, str]:
        return dummy_aws_env(self.endpoint_url, "us-east-1")

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")


class Emulator(Endpoint):
    """The embedded emulator, with its reset, fault, clock and realism controls."""

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()

    def faults(self, plan: str | None = None) -> dict:
        """Set the fault plan (``every=N[,kinds=...]``, "" for none) or, without one, read it."""
        data = None if plan is None else plan.encode()
        request = urllib.request.Request(f"{self.endpoint_url}/_credlink/faults", data=data,
                                         method="GET" if data is None else "POST")
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())

    def advance(self) -> dict:
        """Let months pass on the emulator (``POST /_credlink/advance``): what changed."""
        request = urllib.request.Request(f"{self.endpoint_url}/_credlink/advance", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read())

    def realism(self) -> dict:
        """The emulator's realism settings (``GET /_credlink/realism``)."""
        with urllib.request.urlopen(f"{self.endpoint_url}/_credlink/realism", timeout=10) as resp:
            return json.loads(resp.read())


# Realism is on in every test emulator, as in the product; its delays are short so tests that
# wait for them stay quick. A test that needs moto's plain behaviour asks for "--realism", "off".
TEST_CONSISTENCY_SECONDS = "2"


@contextmanager
def serve_emulator(log_dir: Path, *options: str, extra_env: dict[str, str] | None = None):
    """The project's own emulator on a free port (``options`` as for ``serve``), stopped after."""
    port = free_port()
    # Latency, faults and realism only as the test asks, whatever the developer's shell exports.
    env = {k: v for k, v in os.environ.items()
           if k not in (latency.SCALE_ENV, aws.FAULTS_ENV, latency.API_LATENCY_ENV, realism.REALISM_ENV,
                        realism.CONSISTENCY_ENV, versions.VERSIONS_ENV)}
    env[realism.CONSISTENCY_ENV] = TEST_CONSISTENCY_SECONDS
    env.update(extra_env or {})
    with open(log_dir / "aws.log", "wb") as out:
        proc = subprocess.Popen(
            # A run killed before its teardown must not leave the server behind.
            [sys.executable, "-m", "tools.emulator", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--exit-with-parent", *options],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    cfg = replace(settings(), host="127.0.0.1", aws_port=port)
    try:
        wait_until(lambda: aws.ready(cfg), 60, "emulator")
        yield Emulator(f"http://127.0.0.1:{port}")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    """The project's own emulator, started once per test session."""
    with serve_emulator(tmp_path_factory.mktemp("emulator")) as emu:
        yield emu


@pytest.fixture(scope="session")
def emulator_without_realism(tmp_path_factory):
    """The project's emulator with realism off (moto's kinder answers), started once per session."""
    with serve_emulator(tmp_path_factory.mktemp("plain-emulator"), "--realism", "off") as emu:
        yield emu


@pytest.fixture
def clean_emulator(emulator):
    emulator.reset()
    return emulator


@dataclass
class PlaybookRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def recap(self) -> dict[str, int]:
        for line in reversed(self.stdout.splitlines()):
            if line.startswith("localhost") and "ok=" in line:
                return {k: int(v) for k, v in (part.split("=") for part in line.split()[2:])}
        raise AssertionError(f"no play recap in output:\n{self.stdout[-3000:]}\n{self.stderr[-3000:]}")


# The account moto answers get-caller-identity with. The production and dev inventories
# name no account (their users set theirs); runs against the emulator name this one.
EMULATOR_ACCOUNT = "123456789012"
FAST_POLLS = {**{f"{layer}_poll_interval": 1 for layer in ("network", "database", "cache", "container_platform")},
              "credlink_consistency_delay": 1}


def run_playbook(playbook: str, inventory: str, env: dict[str, str], *args: str,
                 extra_vars: dict | None = None, timeout: int = 900) -> PlaybookRun:
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), f"playbooks/{playbook}",
            "-i", f"inventories/{inventory}", *args]
    extra_vars = dict(extra_vars or {})
    if inventory != "local":
        extra_vars.setdefault("credlink_expected_account_id", EMULATOR_ACCOUNT)
        # The emulator's delays are seconds, not the minutes real-AWS poll intervals are made
        # for (inventories/local polls every second for the same reason).
        for name, value in FAST_POLLS.items():
            extra_vars.setdefault(name, value)
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    full_env.update(env)
    full_env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    full_env["ANSIBLE_NOCOLOR"] = "1"
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def own_playbook(directory: Path, name: str, body: str) -> str:
    """A user's own play of the collection's roles, written to ``directory``, as run_playbook takes it.

    ``body`` is the play's roles:/tasks: part; the header is the one site.yml uses (the
    inventory's hosts, the region for every module of the collection's action group).
    """
    play = directory / (name.lower().replace(" ", "_") + ".yml")
    header = (f"- name: {name}\n  hosts: all\n  gather_facts: false\n  module_defaults:\n"
              "    group/credlink.infra.aws:\n      region: \"{{ credlink_region }}\"\n")
    play.write_text("---\n" + header + body)
    return os.path.relpath(play, ROOT / "playbooks")  # run_playbook takes paths under playbooks/


@pytest.fixture
def playbook(clean_emulator):
    def run(playbook_name: str, inventory: str, *args: str, **kwargs) -> PlaybookRun:
        return run_playbook(playbook_name, inventory, clean_emulator.env, *args, **kwargs)

    return run


@contextmanager
def local_service(service: str, state: Path, port_variable: str, timeout: int):
    """One of the emulator tooling's local services on a free port of its own; yields the port."""
    port = free_port()
    env = {**os.environ, "CREDLINK_EMULATOR_DIR": str(state), port_variable: str(port)}
    argv = [sys.executable, "-m", "tools.emulator"]
    started = subprocess.run([*argv, "start", "--services", service], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=timeout)
    assert started.returncode == 0, started.stderr
    try:
        yield port
    finally:
        subprocess.run([*argv, "stop", "--services", service], cwd=ROOT, env=env, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def local_postgres(tmp_path_factory):
    """A private PostgreSQL 15 from the emulator tooling, on a free port (socket in /tmp)."""
    import shutil

    from tools.emulator import local_services

    state = tmp_path_factory.mktemp("pg-state")
    try:
        with local_service("postgres", state, "CREDLINK_PG_PORT", timeout=120) as port:
            yield port
    finally:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CREDLINK_EMULATOR_DIR", str(state))
            shutil.rmtree(local_services._pg_base(settings()), ignore_errors=True)


@pytest.fixture(scope="session")
def local_redis(tmp_path_factory):
    """A private redis-server from the emulator tooling, on a free port."""
    with local_service("redis", tmp_path_factory.mktemp("redis-state"), "CREDLINK_REDIS_PORT", timeout=60) as port:
        yield port


def local_stack_vars(pg_port: int, redis_port: int = 0) -> dict:
    """Point inventories/local (and its checklist) at the test's own PostgreSQL and Redis."""
    return {"database_local_postgres": {"socket_dir": "/tmp", "port": pg_port}, "schema_db_port": pg_port,
            "verify_database_endpoint": {"host": "127.0.0.1", "port": pg_port},
            # Port 0 is never reachable: without a Redis of its own the item is skipped.
            "verify_redis_endpoint": {"host": "127.0.0.1", "port": redis_port}}


def psql(pg_port: int, sql: str, database: str = "credlink") -> list[tuple]:
    import psycopg2

    with psycopg2.connect(host="/tmp", port=pg_port, user="postgres", dbname=database) as conn:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
