"""The warm module runner behaves like ``python <script>``, only faster, and falls back safely."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from ansible_collections.credlink.infra.plugins.lookup import module_python
from ansible_collections.credlink.infra.plugins.plugin_utils import module_runner

ROOT = Path(__file__).resolve().parents[4]

# Prints what a module would depend on; "warm" is only true inside the runner, whose
# server preloaded boto3 before forking.
PROBE = r"""
import json, os, sys
data = sys.stdin.read() if len(sys.argv) > 1 and sys.argv[1] == "stdin" else ""
json.dump({
    "warm": "boto3" in sys.modules,
    "argv": sys.argv[1:],
    "cwd": os.getcwd(),
    "umask": oct(os.umask(0)),
    "marker": os.environ.get("PROBE_MARKER"),
    "stdin": data,
    "path0": sys.path[0],
}, sys.stdout)
sys.stderr.write("to stderr\n")
sys.exit(int(os.environ.get("PROBE_EXIT", "0")))
"""


@pytest.fixture
def runner(tmp_path):
    """A launcher and a private socket directory (short: AF_UNIX paths are limited)."""
    socket_dir = tempfile.mkdtemp(prefix="mr-", dir="/tmp")
    env = dict(os.environ)
    env.update({
        module_runner.DIR_ENV: socket_dir,
        module_runner.IDLE_ENV: "60",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    })
    env.pop(module_runner.OFF_ENV, None)
    launcher = module_python.ensure_launcher(sys.executable, environ=env)
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    state = {"launcher": launcher, "env": env, "dir": socket_dir, "probe": str(probe), "tmp": tmp_path}
    yield state
    for pid in _server_pids(socket_dir):
        os.kill(pid, signal.SIGTERM)
    shutil.rmtree(socket_dir, ignore_errors=True)


def _server_pids(socket_dir):
    listing = subprocess.run(["pgrep", "-f", "module_runner.py --serve " + socket_dir],
                             capture_output=True, text=True, check=False)
    return [int(pid) for pid in listing.stdout.split()]


def run(state, *argv, stdin=None, cwd=None, **env):
    environ = dict(state["env"], **env)
    return subprocess.run([state["launcher"], *argv], input=stdin, capture_output=True, text=True,
                          env=environ, cwd=cwd or state["tmp"], timeout=60, check=False)


def probe(state, *argv, **kwargs):
    import json

    result = run(state, state["probe"], *argv, **kwargs)
    return json.loads(result.stdout), result


def warm_up(state):
    """The first run starts the server; wait until it serves."""
    first, result = probe(state)
    assert result.returncode == 0 and first["warm"] is False, result.stderr
    deadline = time.time() + 90
    while time.time() < deadline:
        if list(Path(state["dir"]).glob("*.sock")):
            return
        time.sleep(0.2)
    pytest.fail("the module runner server did not start: %s" % list(Path(state["dir"]).iterdir()))


def test_first_run_falls_back_and_starts_a_private_server(runner):
    warm_up(runner)
    directory = Path(runner["dir"])
    assert directory.stat().st_mode & 0o777 == 0o700
    (sock,) = directory.glob("*.sock")
    assert sock.stat().st_mode & 0o777 == 0o600
    assert "serving" in next(directory.glob("*.log")).read_text()


def test_warm_run_matches_a_cold_python(runner):
    warm_up(runner)
    workdir = runner["tmp"] / "work"
    workdir.mkdir()
    warm, warm_result = probe(runner, "debug", cwd=workdir, PROBE_MARKER="x=1 y", PROBE_EXIT="3")
    cold, cold_result = probe(runner, "debug", cwd=workdir, PROBE_MARKER="x=1 y", PROBE_EXIT="3",
                              **{module_runner.OFF_ENV: "off"})
    assert warm.pop("warm") is True and cold.pop("warm") is False
    assert warm == cold
    assert warm["cwd"] == str(workdir) and warm["marker"] == "x=1 y"
    assert warm_result.returncode == cold_result.returncode == 3
    assert warm_result.stderr == cold_result.stderr == "to stderr\n"


def test_a_large_environment_arrives_whole(runner):
    """More than a socket buffer of environment: the request is sent in several parts."""
    warm_up(runner)
    big = {"BIG_%d" % index: chr(65 + index) * 100_000 for index in range(6)}
    report, result = probe(runner, PROBE_MARKER="end", **big)
    assert result.returncode == 0 and report["warm"] is True and report["marker"] == "end"
    script = runner["tmp"] / "sizes.py"
    script.write_text("import os\nprint(sum(len(os.environ[k]) for k in os.environ if k.startswith('BIG_')))\n")
    assert run(runner, str(script), **big).stdout.strip() == "600000"


def test_script_on_stdin_runs_like_pipelining(runner):
    import json

    warm_up(runner)
    result = run(runner, stdin=Path(runner["probe"]).read_text())
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["warm"] is True
    assert report["argv"] == [] and report["path0"] == ""


def test_umask_is_the_callers(runner):
    warm_up(runner)
    script = runner["tmp"] / "umask.py"
    script.write_text("import os\nprint(oct(os.umask(0)))\n")
    result = subprocess.run(["sh", "-c", 'umask 027 && exec "$0" "$1"', runner["launcher"], str(script)],
                            capture_output=True, text=True, env=runner["env"], check=False, timeout=60)
    assert result.stdout.strip() == "0o27"


def test_exit_by_signal_and_forwarded_signals(runner):
    warm_up(runner)
    suicide = runner["tmp"] / "suicide.py"
    suicide.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
    assert run(runner, str(suicide)).returncode == -signal.SIGTERM
    sleeper = runner["tmp"] / "sleeper.py"
    sleeper.write_text("import sys, time\nprint('up', flush=True)\ntime.sleep(30)\n")
    process = subprocess.Popen([runner["launcher"], str(sleeper)], stdout=subprocess.PIPE, text=True,
                               env=runner["env"])
    assert process.stdout.readline() == "up\n"
    started = time.time()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == -signal.SIGINT  # as a cold Python ends on KeyboardInterrupt
    assert time.time() - started < 10


def test_a_killed_client_takes_its_module_down(runner):
    """kill -9 of ansible-playbook's process group ends its modules, as with a cold Python."""
    warm_up(runner)
    pid_file = runner["tmp"] / "module.pid"
    done_file = runner["tmp"] / "module.done"
    script = runner["tmp"] / "slow.py"
    script.write_text("import os, sys, time\n"
                      "open(sys.argv[1] + '/module.pid', 'w').write('%d %s' % (os.getpid(), 'boto3' in sys.modules))\n"
                      "time.sleep(5)\n"
                      "open(sys.argv[1] + '/module.done', 'w').write('finished')\n")
    process = subprocess.Popen([runner["launcher"], str(script), str(runner["tmp"])],
                               env=runner["env"], start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline and not pid_file.exists():
        time.sleep(0.05)
    while time.time() < deadline and " " not in pid_file.read_text():
        time.sleep(0.05)
    module_pid, warm = pid_file.read_text().split()
    module_pid = int(module_pid)
    assert warm == "True", "the module must run in the server, or this proves nothing"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    deadline = time.time() + 10
    while time.time() < deadline and Path("/proc/%d" % module_pid).exists():
        time.sleep(0.05)
    assert not Path("/proc/%d" % module_pid).exists()
    time.sleep(5.5)
    assert not done_file.exists()


def test_switched_off_or_unusual_command_lines_use_plain_python(runner):
    warm_up(runner)
    off, _ = probe(runner, **{module_runner.OFF_ENV: "off"})
    assert off["warm"] is False
    inline = run(runner, "-c", "import sys; print('boto3' in sys.modules)")
    assert inline.stdout.strip() == "False"


def test_a_directory_others_can_enter_is_not_used(runner):
    shared = tempfile.mkdtemp(prefix="mr-shared-", dir="/tmp")
    try:
        os.chmod(shared, 0o755)
        report, result = probe(runner, **{module_runner.DIR_ENV: shared})
        assert result.returncode == 0 and report["warm"] is False
        time.sleep(1)
        assert os.listdir(shared) == []
    finally:
        shutil.rmtree(shared)


def test_parallel_runs(runner):
    warm_up(runner)
    processes = [subprocess.Popen([runner["launcher"], runner["probe"], str(index)], stdout=subprocess.PIPE,
                                  text=True, env=runner["env"]) for index in range(6)]
    outputs = [process.communicate(timeout=60)[0] for process in processes]
    assert all('"warm": true' in output for output in outputs)
    assert all('"argv": ["%d"]' % index in output for index, output in enumerate(outputs))


def test_a_dead_server_is_replaced(runner):
    warm_up(runner)
    for pid in _server_pids(runner["dir"]):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    assert list(Path(runner["dir"]).glob("*.sock")), "a killed server leaves its socket behind"
    report, result = probe(runner)
    assert result.returncode == 0 and report["warm"] is False
    deadline = time.time() + 90
    while time.time() < deadline and not probe(runner)[0]["warm"]:
        time.sleep(0.5)
    assert probe(runner)[0]["warm"] is True


def test_idle_server_exits_and_removes_its_socket(runner):
    runner["env"][module_runner.IDLE_ENV] = "1"
    warm_up(runner)
    deadline = time.time() + 30
    while time.time() < deadline and _server_pids(runner["dir"]):
        time.sleep(0.2)
    assert not _server_pids(runner["dir"])
    assert not list(Path(runner["dir"]).glob("*.sock"))


def test_ansible_modules_run_warm(runner):
    """A stock module and one of this collection's (found through the payload) both work."""
    warm_up(runner)
    env = dict(runner["env"], ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), CREDLINK_PROGRESS="off")
    interpreter = "ansible_python_interpreter=" + runner["launcher"]
    ansible = str(Path(sys.executable).parent / "ansible")
    ping = subprocess.run([ansible, "localhost", "-e", interpreter, "-m", "ansible.builtin.ping"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert ping.returncode == 0 and "pong" in ping.stdout, ping.stdout + ping.stderr
    own = subprocess.run([ansible, "localhost", "-e", interpreter, "-m", "credlink.infra.readiness_info"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert "missing required arguments: resources" in own.stdout, own.stdout + own.stderr
    assert "payload" not in next(Path(runner["dir"]).glob("*.log")).read_text()


class _Chunks:
    """A connection whose reads return the given chunks."""

    def __init__(self, *chunks):
        self.chunks = list(chunks)

    def recv(self, _size):
        return self.chunks.pop(0) if self.chunks else b""


@pytest.mark.parametrize("chunks", [
    (b"S123\nE0\n",),  # a fast module: both replies in one read
    (b"S1", b"23\nE", b"0\n"),  # replies split anywhere
])
def test_replies_are_read_line_by_line(chunks):
    replies = module_runner._Replies(_Chunks(*chunks))
    assert replies.line() == b"S123"
    assert replies.line() == b"E0"
    with pytest.raises(ConnectionError):
        replies.line()


def _payload(tmp_path, files):
    path = tmp_path / "payload.zip"
    with zipfile.ZipFile(path, "w") as payload:
        for name, data in files.items():
            payload.writestr(name, data)
    return str(path)


def test_payload_check_refuses_differing_module_utils(tmp_path):
    import ansible.module_utils.basic as basic

    preloaded = module_runner.Preloaded()
    preloaded._record_sources()
    installed = Path(basic.__file__).read_bytes()
    same = {"ansible/__init__.py": "# written by the payload builder\n",
            "ansible/module_utils/__init__.py": "# written by the payload builder\n",
            "ansible/module_utils/basic.py": installed,
            "ansible_collections/credlink/infra/plugins/modules/x.py": "print()\n"}
    assert preloaded.payload_matches(preloaded.payload_entries(_payload(tmp_path, same)))
    changed = dict(same, **{"ansible/module_utils/basic.py": installed + b"\n# patched\n"})
    assert not preloaded.payload_matches(preloaded.payload_entries(_payload(tmp_path, changed)))
    unknown = dict(same, **{"ansible/module_utils/newer.py": "x = 1\n"})
    assert not preloaded.payload_matches(preloaded.payload_entries(_payload(tmp_path, unknown)))


def test_launcher_is_written_once_and_refreshed(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    path = module_python.ensure_launcher(sys.executable, environ=env)
    first = os.stat(path)
    assert os.access(path, os.X_OK) and first.st_mode & 0o077 == 0
    assert module_python.ensure_launcher(sys.executable, environ=env) == path
    assert os.stat(path).st_mtime_ns == first.st_mtime_ns
    Path(path).write_text("#!/bin/sh\n")
    module_python.ensure_launcher(sys.executable, environ=env)
    assert Path(path).read_text() == module_python.launcher_text(sys.executable)


def test_lookup_returns_the_plain_python_when_switched_off(monkeypatch):
    monkeypatch.setenv(module_runner.OFF_ENV, "off")
    assert module_python.LookupModule().run([]) == [sys.executable]


def test_output_encoding_survives_non_ascii(runner):
    warm_up(runner)
    script = runner["tmp"] / "utf8.py"
    script.write_text("print('caf\\u00e9 \\u2713')\n")
    result = subprocess.run([runner["launcher"], str(script)], capture_output=True, env=runner["env"],
                            check=False, timeout=60)
    assert io.TextIOWrapper(io.BytesIO(result.stdout), encoding="utf-8").read() == "caf\u00e9 \u2713\n"
