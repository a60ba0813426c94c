"""An emulator started for a test run does not outlive the run, however the run ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import DUMMY_AWS, ROOT
from tools.emulator.process import free_port, port_open, wait_until

# A parent that starts the server, says its pid, then waits to be killed without cleaning up
# (as a test run killed with SIGKILL, or one whose fixtures never ran their teardown).
PARENT = textwrap.dedent("""
    import subprocess, sys, time
    argv = [sys.executable, "-m", "tools.emulator", "serve", "--port", sys.argv[1], "--realism", "off", *sys.argv[2:]]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(server.pid, flush=True)
    time.sleep(600)
""")


def running(pid: int) -> bool:
    """Alive and not a zombie (the server is re-parented to a process that may never reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def orphan_server(*flags: str) -> tuple[int, int]:
    """Start a server through a parent, kill the parent; return the server's pid and port."""
    port = free_port()
    env = {**os.environ, **DUMMY_AWS, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(port), *flags], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True)
    server = int(parent.stdout.readline())
    wait_until(lambda: port_open("127.0.0.1", port), 60, "the emulator")
    parent.kill()
    parent.wait()
    return server, port


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_server_started_with_exit_with_parent_stops_when_its_parent_is_killed():
    server, port = orphan_server("--exit-with-parent")
    deadline = time.monotonic() + 10
    while running(server) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not running(server), "the emulator outlived the process that started it"
    assert not port_open("127.0.0.1", port)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_without_the_flag_the_server_outlives_its_parent():
    # What the flag is for: a detached `start` must survive the command that started it.
    server, port = orphan_server()
    try:
        time.sleep(3)
        assert running(server) and port_open("127.0.0.1", port)
    finally:
        os.kill(server, signal.SIGTERM)
