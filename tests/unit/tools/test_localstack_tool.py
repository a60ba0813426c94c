"""python -m tools.emulator.localstack: venv reuse, host-mode environment, honest skipping."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from tools.emulator import localstack as ls


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    monkeypatch.delenv("CREDLINK_LOCALSTACK_REQUIRED", raising=False)
    return replace(ls.settings(), venv=tmp_path / "venv", state_dir=tmp_path / "state", port=4999)


def fake_venv(cfg, stamp: str) -> None:
    (cfg.venv / "bin").mkdir(parents=True)
    (cfg.venv / "bin" / "python").symlink_to(sys.executable)
    (cfg.venv / ".requirements.sha256").write_text(stamp + "\n")


@pytest.mark.skipif(sys.version_info[:2] != ls.PYTHON_VERSION, reason="needs the Python LocalStack runs on")
def test_venv_is_reused_while_the_requirements_are_unchanged(cfg):
    fake_venv(cfg, ls.requirements_hash())
    assert ls.installed(cfg)
    assert ls.install(cfg) == f"localstack: reusing {cfg.venv}"


def test_changed_requirements_make_the_venv_stale(cfg):
    fake_venv(cfg, "0" * 64)
    assert not ls.installed(cfg)


def test_host_mode_environment_uses_our_port_and_a_scratch_volume(cfg, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://elsewhere:1")
    env = cfg.runtime_env()
    assert env["GATEWAY_LISTEN"] == env["LOCALSTACK_HOST"] == "127.0.0.1:4999"
    assert env["DNS_ADDRESS"] == "0" and env["SKIP_SSL_CERT_DOWNLOAD"] == "1"
    assert env["LOCALSTACK_VOLUME_DIR"] == str(cfg.state_dir / "volume")
    assert not any(key.startswith("AWS_") for key in env), "LocalStack must not inherit the caller's AWS target"
    assert cfg.aws_env()["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4999"
    assert len(cfg.aws_env()["AWS_SECRET_ACCESS_KEY"]) > 1, "a one-letter secret is masked everywhere"


def test_run_without_python_313_is_reported_skipped_not_passed(cfg, monkeypatch, capsys):
    monkeypatch.setenv("CREDLINK_LOCALSTACK_PYTHON", "/bin/false")
    assert ls.run_isolated(["false"], cfg) == 0
    out = capsys.readouterr().out
    assert out.startswith("SKIPPED: LocalStack scenario not run: ")
    assert "is not Python 3.13" in out


def test_required_localstack_that_cannot_install_fails(cfg, monkeypatch, capsys):
    monkeypatch.setenv("CREDLINK_LOCALSTACK_PYTHON", "/bin/false")
    monkeypatch.setenv("CREDLINK_LOCALSTACK_REQUIRED", "1")
    monkeypatch.setattr(ls, "settings", lambda: cfg)
    assert ls.main(["run", "--", "true"]) == 1
    assert "is not Python 3.13" in capsys.readouterr().err


def test_start_refuses_a_missing_venv(cfg):
    with pytest.raises(RuntimeError, match="missing or stale"):
        ls.start(replace(cfg, port=0))


def test_stop_without_a_running_instance_says_so(cfg):
    assert ls.stop(cfg) == "localstack: not running"
