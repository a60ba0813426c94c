"""The ``localstack`` fixture: real LocalStack (community edition) as a second AWS endpoint.

It uses the instance named by ``CREDLINK_LOCALSTACK_URL`` (``make molecule-localstack``
runs everything against one instance), otherwise starts a private one on a free port
from ``.venv-localstack``; when that venv is missing the tests are skipped with the
command that installs it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import Endpoint
from tools.emulator import localstack as ls
from tools.emulator.process import free_port


@pytest.fixture(scope="session")
def localstack(tmp_path_factory):
    url = os.environ.get("CREDLINK_LOCALSTACK_URL")
    if url:
        yield Endpoint(url)
        return
    base = ls.settings()
    if not ls.installed(base):
        pytest.skip(f"LocalStack is not installed in {base.venv}: run `python -m tools.emulator.localstack install`")
    cfg = replace(base, state_dir=Path(tmp_path_factory.mktemp("localstack")), port=free_port())
    ls.start(cfg)
    try:
        yield Endpoint(cfg.endpoint_url)
    finally:
        ls.stop(cfg)


@pytest.fixture
def localstack_env(localstack, monkeypatch):
    """Point in-process boto3 clients (and modules run with module_runner) at LocalStack."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in localstack.env.items():
        monkeypatch.setenv(key, value)
    return localstack
