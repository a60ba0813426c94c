"""The warm module runner behaves like ``python <script>``, only faster, and falls back safely."""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import socket
import stat
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
import json, os, resource, sys, time
data = sys.stdin.read() if len(sys.argv) > 1 and sys.argv[1] == "stdin" else ""
try:
    cwd = os.getcwd()
except OSError as exc:
    cwd = str(exc)
json.dump({
    "warm": "boto3" in sys.modules,
    "argv": sys.argv[1:],
    "cwd": cwd,
    "umask": oct(os.umask(0)),
    "marker": os.environ.get("PROBE_MARKER"),
    "stdin": data,
    "path": sys.path,
    "tz": time.strftime("%Z %z", time.localtime(0)),
    "nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
}, sys.stdout)
sys.stderr.write("to stderr\n")
sys.exit(int(os.environ.get("PROBE_EXIT", "0")))
"""


def _private_tmp(prefix="mr-"):
    """A socket directory under /tmp (short: the launcher's own paths stay short too)."""
    return tempfile.mkdtemp(prefix=prefix, dir="/tmp")


def _runner_state(tmp_path, socket_dir):
    env = dict(os.environ)
    env.update({
        module_runner.DIR_ENV: socket_dir,
        module_runner.IDLE_ENV: "60",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    })
    env.pop(module_runner.SWITCH_ENV, None)  # the launcher runs warm unless switched off
    for name in module_runner.PATH_ENV:
        env.pop(name, None)
    launcher = module_python.ensure_launcher(sys.executable, environ=env)
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    return {"launcher": launcher, "env": env, "dir": socket_dir, "probe": str(probe), "tmp": tmp_path}


def _stop_servers(socket_dir):
    if os.path.isdir(socket_dir):
        module_runner.stop(socket_dir, out=io.StringIO())
    shutil.rmtree(socket_dir, ignore_errors=True)


@pytest.fixture
def runner(tmp_path):
    """A launcher and a private socket directory of its own."""
    state = _runner_state(tmp_path, _private_tmp())
    yield state
    _stop_servers(state["dir"])


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One warm server for the tests that only read what a module gets."""
    state = _runner_state(tmp_path_factory.mktemp("shared"), _private_tmp())
    warm_up(state)
    yield state
    _stop_servers(state["dir"])


def _server_pids(socket_dir):
    return [entry["pid"] for entry in module_runner.servers(socket_dir) if entry["pid"] > 0]


def run(state, *argv, stdin=None, cwd=None, preexec_fn=None, **env):
    environ = dict(state["env"], **env)
    return subprocess.run([state["launcher"], *argv], input=stdin, capture_output=True, text=True,
                          env=environ, cwd=cwd or state["tmp"], timeout=60, check=False, preexec_fn=preexec_fn)


def probe(state, *argv, **kwargs):
    result = run(state, state["probe"], *argv, **kwargs)
    assert result.stdout, result.stderr
    return json.loads(result.stdout), result


def wait_warm(state, **env):
    """Probe until a run is warm (the server started by an earlier run is serving)."""
    deadline = time.time() + 90
    while time.time() < deadline:
        report, result = probe(state, **env)
        assert result.returncode == 0, result.stderr
        if report["warm"]:
            return report
        time.sleep(0.2)
    pytest.fail("the module runner server did not start: %s" % os.listdir(state["dir"]))


def warm_up(state, **env):
    """The first run falls back and starts the server; wait until it serves."""
    first, result = probe(state, **env)
    assert result.returncode == 0 and first["warm"] is False, result.stderr
    return wait_warm(state, **env)


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
                              **{module_runner.SWITCH_ENV: "off"})
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
    assert report["argv"] == [] and report["path"][0] == ""


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
    process, marker, state = _start_sleeper(runner, [runner["launcher"]])
    assert state == {"ignored": False, "warm": True}
    started = time.time()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == -signal.SIGINT  # as a cold Python ends on KeyboardInterrupt
    assert time.time() - started < 10
    assert marker.read_text() == "interrupted"


# Prints "up" once it runs, then sleeps; records a KeyboardInterrupt before dying of it.
SLEEPER = """
import os, signal, sys, time
try:
    print("up", signal.getsignal(signal.SIGINT) == signal.SIG_IGN, "boto3" in sys.modules, flush=True)
    time.sleep(float(os.environ["SLEEPER_SECONDS"]))
except KeyboardInterrupt:
    open(sys.argv[1], "w").write("interrupted")
    raise
open(sys.argv[1], "w").write("slept")
"""


def _start_sleeper(state, command, seconds=30, sigint=signal.SIG_DFL, **env):
    """Start the sleeper with SIGINT as a terminal (SIG_DFL) or a background job (SIG_IGN)
    leaves it, whatever the test runner inherited; return once the module runs."""
    sleeper = state["tmp"] / "sleeper.py"
    sleeper.write_text(SLEEPER)
    marker = state["tmp"] / ("sleeper-%d.out" % len(list(state["tmp"].glob("sleeper-*.out"))))
    marker.write_text("")
    process = subprocess.Popen([*command, str(sleeper), str(marker)], stdout=subprocess.PIPE, text=True,
                               env=dict(state["env"], SLEEPER_SECONDS=str(seconds), **env),
                               preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))
    line = process.stdout.readline().split()
    assert line[0] == "up", line
    return process, marker, {"ignored": line[1] == "True", "warm": line[2] == "True"}


def test_a_signal_before_the_forwarders_are_in_place_reaches_the_module(runner):
    """On a loaded machine the module can print before its client has read "started": a
    signal then must wait for the forwarders, not end the client and leave the module to
    be killed unwarned."""
    warm_up(runner)
    slow = runner["tmp"] / "slow_client.py"
    slow.write_text("import sys, time\n"
                    "sys.path.insert(0, %r)\n"
                    "import module_runner\n"
                    "forward = module_runner._forward_signals\n"
                    "def late(*args):\n"
                    "    time.sleep(2)\n"
                    "    forward(*args)\n"
                    "module_runner._forward_signals = late\n"
                    "module_runner.client_main(sys.argv[1:], sys.executable)\n"
                    % os.path.dirname(module_runner.__file__))
    process, marker, state = _start_sleeper(runner, [sys.executable, "-IS", str(slow)])
    assert state["warm"], "the module must run in the server, or this proves nothing"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == -signal.SIGINT
    assert marker.read_text() == "interrupted", "the module never saw the interrupt"


def test_an_ignored_sigint_stays_ignored_as_in_a_cold_python(runner):
    """A job started in the background of a shell ignores SIGINT; Python keeps that."""
    warm_up(runner)
    results = {}
    for mode in ("on", "off"):
        process, marker, state = _start_sleeper(runner, [runner["launcher"]], seconds=1.5, sigint=signal.SIG_IGN,
                                                **{module_runner.SWITCH_ENV: mode})
        process.send_signal(signal.SIGINT)
        results[mode] = (process.wait(timeout=20), marker.read_text(), state)
    assert results["on"] == (0, "slept", {"ignored": True, "warm": True})
    assert results["off"] == (0, "slept", {"ignored": True, "warm": False})


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
    off, _ = probe(runner, **{module_runner.SWITCH_ENV: "off"})
    assert off["warm"] is False
    inline = run(runner, "-c", "import sys; print('boto3' in sys.modules)")
    assert inline.stdout.strip() == "False"


def assert_unused(runner, directory, watched):
    """With ``directory`` as the socket directory the module runs in a new Python and no server appears in ``watched``."""
    report, result = probe(runner, **{module_runner.DIR_ENV: directory})
    assert result.returncode == 0 and report["warm"] is False
    time.sleep(1)  # a server started anyway would have written its socket and log by now
    assert os.listdir(watched) == []


def test_a_directory_others_can_enter_is_not_used(runner):
    shared = tempfile.mkdtemp(prefix="mr-shared-", dir="/tmp")
    try:
        os.chmod(shared, 0o755)
        assert_unused(runner, shared, shared)
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
    directory = Path(runner["dir"])
    deadline = time.time() + 30
    while time.time() < deadline and list(directory.glob("*.sock")):
        time.sleep(0.2)
    assert not list(directory.glob("*.sock"))
    assert "idle, exiting" in next(directory.glob("*.log")).read_text()


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


# --------------------------------------------------------------------------- opt-in


def _lookup():
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    loader = DataLoader()
    return module_python.LookupModule(loader=loader, templar=Templar(loader=loader))


@pytest.mark.parametrize("environment, inventory, expected", [
    (None, None, False),  # off unless asked for
    (None, True, True),
    (None, "yes", True),
    (None, "{{ 1 == 1 }}", True),
    ("on", None, True),  # make demo / test / bench
    ("on", False, True),
    ("off", True, False),  # off in the environment always wins
    ("OFF", "true", False),
    ("0", True, False),
])
def test_lookup_returns_the_plain_python_unless_switched_on(monkeypatch, tmp_path, environment, inventory, expected):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if environment is None:
        monkeypatch.delenv(module_runner.SWITCH_ENV, raising=False)
    else:
        monkeypatch.setenv(module_runner.SWITCH_ENV, environment)
    from ansible.template import trust_as_template

    if isinstance(inventory, str):
        inventory = trust_as_template(inventory)  # as an inventory file's value is
    variables = {} if inventory is None else {module_runner.INVENTORY_VARIABLE: inventory}
    [python] = _lookup().run([], variables=variables)
    assert python == (module_python.launcher_path(sys.executable) if expected else sys.executable)


@pytest.mark.parametrize("environment, inventory", [("maybe", None), (None, "sometimes")])
def test_a_switch_that_is_neither_on_nor_off_is_refused(monkeypatch, environment, inventory):
    from ansible.errors import AnsibleLookupError

    if environment is None:
        monkeypatch.delenv(module_runner.SWITCH_ENV, raising=False)
    else:
        monkeypatch.setenv(module_runner.SWITCH_ENV, environment)
    variables = {} if inventory is None else {module_runner.INVENTORY_VARIABLE: inventory}
    with pytest.raises(AnsibleLookupError, match="on or off|true or false"):
        _lookup().run([], variables=variables)


def test_only_linux_and_tested_ansible_core_versions():
    assert module_runner.unsupported("linux", "2.21.5") is None
    assert "Linux" in module_runner.unsupported("darwin", "2.21.5")
    assert "2.21" in module_runner.unsupported("linux", "2.22.0")
    assert module_runner.unsupported("linux", "2.20.1") is not None


def test_the_lookup_warns_and_returns_the_plain_python_where_untested(monkeypatch):
    warnings = []
    monkeypatch.setenv(module_runner.SWITCH_ENV, "on")
    monkeypatch.setattr(module_python, "ansible_version", "2.99.0")
    monkeypatch.setattr(module_python.display, "warning", warnings.append)
    assert _lookup().run([]) == [sys.executable]
    assert len(warnings) == 1 and "2.99.0" in warnings[0]


def test_an_untested_version_warns_once_per_run(tmp_path):
    """Every module task looks the interpreter up; the warning is printed once, not per task."""
    collection = tmp_path / "ansible_collections" / "credlink" / "infra"
    for relative in ("plugins/lookup/module_python.py", "plugins/plugin_utils/module_runner.py",
                     "plugins/plugin_utils/__init__.py"):
        (collection / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, collection / relative)
    runner_file = collection / "plugins/plugin_utils/module_runner.py"
    runner_file.write_text(runner_file.read_text().replace(
        'TESTED_ANSIBLE_CORE = ("2.21",)', 'TESTED_ANSIBLE_CORE = ("0.1",)'))
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: \"{{ lookup('credlink.infra.module_python') }}\"\n"
        "      credlink_module_runner: true\n")
    playbook = tmp_path / "play.yml"
    playbook.write_text("- hosts: all\n  gather_facts: false\n  tasks:\n"
                        + "    - ansible.builtin.ping:\n" * 3)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "CREDLINK_"))}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(tmp_path), ANSIBLE_STDOUT_CALLBACK="default",
               ANSIBLE_NOCOLOR="1", XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook)],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "ok=3" in output, output
    assert output.count("the warm module runner is not used") == 1, output
    assert not (tmp_path / "cache").exists()


def test_output_encoding_survives_non_ascii(runner):
    warm_up(runner)
    script = runner["tmp"] / "utf8.py"
    script.write_text("print('caf\\u00e9 \\u2713')\n")
    result = subprocess.run([runner["launcher"], str(script)], capture_output=True, env=runner["env"],
                            check=False, timeout=60)
    assert io.TextIOWrapper(io.BytesIO(result.stdout), encoding="utf-8").read() == "caf\u00e9 \u2713\n"


# --------------------------------------------------------------------------- rails when on


def _key(state, **env):
    return module_runner.server_key(sys.executable, dict(state["env"], **env))


@pytest.mark.skipif(os.getuid() != 0, reason="listening as another user needs root")
def test_a_server_of_another_user_is_sent_nothing(runner):
    """The client checks SO_PEERCRED before it sends the environment (AWS credentials)."""
    dir_fd = module_runner.open_private_dir(runner["dir"], create=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(module_runner.via_fd(dir_fd, _key(runner) + ".sock"))
    os.close(dir_fd)
    report_read, report_write = os.pipe()
    impostor = os.fork()
    if impostor == 0:  # listens as nobody: SO_PEERCRED gives the uid at listen()
        try:
            os.close(report_read)
            os.setgid(65534)
            os.setuid(65534)
            listener.listen(1)
            listener.settimeout(30)
            conn, _ = listener.accept()
            conn.settimeout(3)
            received = b""
            try:
                while chunk := conn.recv(1 << 20):
                    received += chunk
            except OSError:
                pass
            os.write(report_write, b"%d" % len(received))
        finally:
            os._exit(0)
    listener.close()
    os.close(report_write)
    try:
        report, result = probe(runner, PROBE_MARKER="secret")
        assert result.returncode == 0 and report["warm"] is False
        assert os.read(report_read, 64) == b"0", "the impostor received the request"
    finally:
        os.close(report_read)
        os.waitpid(impostor, 0)
    assert not any(name.endswith(".log") for name in os.listdir(runner["dir"])), "no server is started in its place"


def test_a_symlinked_socket_directory_is_not_used(runner):
    target = _private_tmp()
    link = runner["dir"] + "-link"
    try:
        os.symlink(target, link)
        assert_unused(runner, link, target)
    finally:
        os.unlink(link)
        shutil.rmtree(target)


def test_a_directory_in_a_parent_others_can_write_is_not_used(runner):
    parent = _private_tmp("mr-open-")
    try:
        os.chmod(parent, 0o777)  # world-writable and not sticky: others could swap the directory
        inside = os.path.join(parent, "sockets")
        assert_unused(runner, inside, parent)
    finally:
        shutil.rmtree(parent)


def test_the_socket_is_reached_through_the_directory_descriptor(runner, tmp_path):
    """A socket directory deeper than an AF_UNIX path can name works: nothing uses its path."""
    deep = Path(_private_tmp("mr-deep-"))
    try:
        directory = deep / ("d" * 60) / ("e" * 60)
        directory.parent.mkdir(mode=0o700)
        assert len(str(directory / "0123456789abcdef.sock")) > 108
        env = {module_runner.DIR_ENV: str(directory)}
        warm_up(runner, **env)
        assert probe(runner, **env)[0]["warm"] is True
    finally:
        _stop_servers(str(directory))
        shutil.rmtree(deep)


@pytest.mark.parametrize("suffix", [".log", ".lock", ".failed"])
def test_log_lock_and_marker_are_never_followed_through_a_symlink(runner, suffix):
    dir_fd = module_runner.open_private_dir(runner["dir"], create=True)
    os.close(dir_fd)
    victim = runner["tmp"] / "victim"
    os.symlink(victim, os.path.join(runner["dir"], _key(runner) + suffix))
    report, result = probe(runner)
    assert result.returncode == 0 and report["warm"] is False
    deadline = time.time() + 15
    log = Path(runner["dir"]) / (_key(runner) + ".log")
    while time.time() < deadline and not victim.exists():
        if suffix == ".log" or (log.is_file() and "refusing to serve" in log.read_text()):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    assert not victim.exists()
    assert not _server_pids(runner["dir"])


def _broken_botocore(tmp_path):
    broken = tmp_path / "broken"
    (broken / "botocore").mkdir(parents=True)
    (broken / "botocore" / "__init__.py").write_text("raise RuntimeError('botocore is broken here')\n")
    return str(broken)


def test_a_failed_preload_stops_new_servers_until_its_marker_expires(runner):
    env = {"PYTHONPATH": _broken_botocore(runner["tmp"])}
    key = _key(runner, **env)
    directory = Path(runner["dir"])
    marker, log = directory / (key + ".failed"), directory / (key + ".log")
    report, result = probe(runner, **env)
    assert result.returncode == 0 and report["warm"] is False
    deadline = time.time() + 30
    while time.time() < deadline and not (marker.is_file() and "preload failed" in marker.read_text()):
        time.sleep(0.1)
    assert "RuntimeError: botocore is broken here" in marker.read_text()
    for _ in range(3):
        report, result = probe(runner, **env)
        assert result.returncode == 0 and report["warm"] is False
    time.sleep(1)
    assert log.read_text().count("preloading") == 1, "a module started another server"
    status = io.StringIO()
    module_runner.status(runner["dir"], out=status)
    assert "preload failed" in status.getvalue()

    expired = time.time() - module_runner.FAILED_MARKER_TTL - 1
    os.utime(marker, (expired, expired))
    probe(runner, **env)
    deadline = time.time() + 30
    while time.time() < deadline and log.read_text().count("preload failed") < 2:
        time.sleep(0.1)
    assert log.read_text().count("preloading") == 2, "an expired marker lets a server try again"
    module_runner.stop(runner["dir"], out=io.StringIO())
    assert not marker.exists()


def test_the_key_covers_namespaces(monkeypatch, runner):
    before = _key(runner)
    monkeypatch.setattr(module_runner, "namespaces", lambda: ["mnt:1", "net:2", "pid:3"])
    assert _key(runner) != before


def _unshare_works():
    try:
        return subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _unshare_works(), reason="no permission to create a network namespace")
def test_a_client_in_another_network_namespace_does_not_use_this_server(runner):
    warm_up(runner)
    isolated = subprocess.run(["unshare", "--net", runner["launcher"], runner["probe"]], capture_output=True,
                              text=True, env=runner["env"], cwd=runner["tmp"], timeout=60, check=False)
    assert isolated.returncode == 0 and json.loads(isolated.stdout)["warm"] is False


def test_the_key_covers_every_sys_path_location(runner, tmp_path):
    paths = module_runner.key_paths(sys.executable, runner["env"])
    version = "python%d.%d" % sys.version_info[:2]
    for expected in (os.path.join(sys.prefix, "lib", version, "site-packages"),  # the virtualenv's
                     os.path.join(sys.base_prefix, "lib", version, "site-packages"),
                     os.path.join(sys.base_prefix, sys.platlibdir, version),
                     os.path.join(sys.base_prefix, "lib", "python3", "dist-packages"),  # Debian's
                     os.path.join(os.path.expanduser("~"), ".local", "lib", version, "site-packages")):
        assert expected in paths
    extra = tmp_path / "extra"
    extra.mkdir()
    env = {"PYTHONPATH": str(extra)}
    before = _key(runner, **env)
    assert before != _key(runner)
    (extra / "newer.py").write_text("x = 1\n")
    assert _key(runner, **env) != before, "an upgrade in a PYTHONPATH entry"
    user_base = tmp_path / "userbase"
    env = {"PYTHONUSERBASE": str(user_base)}
    before = _key(runner, **env)
    (user_base / "lib" / version / "site-packages").mkdir(parents=True)
    assert _key(runner, **env) != before, "a new user site"


def test_a_server_retires_when_a_sys_path_entry_outside_the_key_changes(runner):
    """An entry only the server's own site setup adds (here by sitecustomize) is watched too."""
    hook, extra = runner["tmp"] / "hook", runner["tmp"] / "extra"
    hook.mkdir()
    extra.mkdir()
    (hook / "sitecustomize.py").write_text("import sys\nsys.path.append(%r)\n" % str(extra))
    import compileall

    compileall.compile_dir(hook, quiet=1)  # its __pycache__ now, not when the key is taken
    env = {"PYTHONPATH": str(hook)}
    assert str(extra) in warm_up(runner, **env)["path"]
    (extra / "upgraded.py").write_text("x = 1\n")
    report, result = probe(runner, **env)
    assert result.returncode == 0 and report["warm"] is False
    assert "changed since the preload; retiring" in next(Path(runner["dir"]).glob("*.log")).read_text()
    wait_warm(runner, **env)


def _lower_nofile():
    resource.setrlimit(resource.RLIMIT_NOFILE, (200, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def test_a_module_gets_the_callers_tz_limits_and_pythonpath(shared):
    library = shared["tmp"] / "library"
    library.mkdir(exist_ok=True)
    caller = {"TZ": "XYZ-05:30", "PYTHONPATH": str(library)}
    wait_warm(shared, **caller)  # a PYTHONPATH of its own is a server of its own
    warm, _ = probe(shared, preexec_fn=_lower_nofile, **caller)
    cold, _ = probe(shared, preexec_fn=_lower_nofile, **caller, **{module_runner.SWITCH_ENV: "off"})
    assert warm.pop("warm") is True and cold.pop("warm") is False
    assert warm == cold
    assert warm["tz"] == "XYZ +0530" and warm["nofile"][0] == 200 and str(library) in warm["path"]


def test_a_deleted_working_directory_falls_back(shared):
    gone = shared["tmp"] / "gone"
    script = 'mkdir "$1" && cd "$1" && rmdir "$1" && exec "$2" "$3"'
    result = subprocess.run(["sh", "-c", script, "sh", str(gone), shared["launcher"], shared["probe"]],
                            capture_output=True, text=True, env=shared["env"], timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["warm"] is False


def _speak(state, **changes):
    """Send the server a request as the launcher would, with ``changes``; return its first reply."""
    key = _key(state)
    here = os.stat(state["tmp"])
    request = {"argv": [state["probe"]], "cwd": str(state["tmp"]), "cwd_id": (here.st_dev, here.st_ino),
               "env": dict(state["env"]), "umask": 0o022, "limits": module_runner._limits(), "key": key,
               "namespaces": module_runner.namespaces()}
    for name, value in changes.items():
        if name == "env":
            request["env"] = dict(request["env"], **value)
        else:
            request[name] = value
    import marshal

    body = marshal.dumps(request)
    dir_fd = module_runner.open_private_dir(state["dir"], create=False)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    out_read, out_write = os.pipe()
    null = os.open(os.devnull, os.O_RDWR)
    try:
        conn.connect(module_runner.via_fd(dir_fd, key + ".sock"))
        socket.send_fds(conn, [module_runner._HEADER.pack(len(body)) + body], [null, out_write, null])
        os.close(out_write)
        conn.settimeout(30)
        reply = module_runner._Replies(conn).line()
        output = b""
        while chunk := os.read(out_read, 65536):
            output += chunk
        return reply, output
    finally:
        conn.close()
        os.close(dir_fd)
        os.close(null)
        os.close(out_read)


@pytest.mark.parametrize("changes", [
    {"env": {"PYTHONPATH": "/elsewhere"}},
    {"namespaces": ["mnt:1", "net:2", "pid:3"]},
    {"key": "0000000000000000"},
    {"limits": [(resource.RLIMIT_NOFILE, 300, 200)]},  # limits the child cannot take on
    {"cwd_id": (0, 0)},  # the path now names another directory
], ids=["pythonpath", "namespaces", "key", "limits", "cwd"])
def test_the_server_refuses_what_it_cannot_run_as_the_caller(shared, changes):
    assert _speak(shared)[0].startswith(b"S"), "the unchanged request runs"
    reply, output = _speak(shared, **changes)
    assert reply == b"R" and output == b"", "refused before the module started"


def _running(pid):
    """Alive and not a zombie (a stopped server is reaped by init, not by us)."""
    try:
        return Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def test_stop_ends_this_users_servers_and_leaves_other_processes_alone(runner):
    warm_up(runner)
    (server,) = _server_pids(runner["dir"])
    # Another process of this user listening on a socket in the directory is not a server.
    dir_fd = module_runner.open_private_dir(runner["dir"], create=False)
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    other.bind(module_runner.via_fd(dir_fd, "ffffffffffffffff.sock"))
    os.close(dir_fd)
    bystander = subprocess.Popen([sys.executable, "-c", "import socket, sys, time\n"
                                  "s = socket.socket(fileno=int(sys.argv[1])); s.listen(1); time.sleep(60)",
                                  str(other.fileno())], pass_fds=[other.fileno()])
    other.close()
    try:
        time.sleep(0.5)
        result = subprocess.run([sys.executable, str(ROOT / "plugins/plugin_utils/module_runner.py"), "stop"],
                                capture_output=True, text=True, env=runner["env"], timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        assert "stopped the module runner server" in result.stdout
        assert "is not a module runner server" in result.stdout
        assert not _running(server), (result.stdout, Path("/proc/%d/status" % server).read_text()[:300])
        assert bystander.poll() is None, "a process that is not a server was signalled"
    finally:
        bystander.kill()
        bystander.wait()
