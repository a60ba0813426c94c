# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Warm module runner: the controller-side Python interpreter for localhost modules.

Every task on ``localhost`` starts a new Python, which then spends most of its second
importing ``ansible.module_utils.basic``, the amazon.aws module_utils and boto3, and
parsing botocore's JSON service models. None of that depends on the task.

The runner keeps one server per controller Python that has done that work once. The
interpreter Ansible starts (a small launcher written by the ``credlink.infra.module_python``
lookup) is a client that hands its argv, environment, working directory, umask and
stdin/stdout/stderr to the server; the server forks a child that runs the AnsiballZ
payload exactly as ``python <payload>`` would and reports the exit status. The client
exits with it. Nothing about the module changes: same payload, same environment, same
file descriptors, a fresh process per module.

Safety rules, in the order they matter:

* Whenever the server cannot be used before the module has started (no server yet, a
  stale socket, a protocol error, an unusual interpreter command line), the client
  ``exec``s the real Python instead. A module never runs twice: the child waits for
  the server's go-ahead, which is only given once the client knows the module started.
* Preloaded ``ansible`` and collection module_utils are only used when they are
  byte-identical to the copies in the payload; otherwise they are dropped and the
  payload's own copies are imported, as a cold Python would.
* The socket lives in a 0700 directory owned by the user, and the server serves only
  connections from its own uid (``SO_PEERCRED``). The environment (which carries AWS
  credentials) travels over that socket only; the server neither logs nor keeps it.
* A server exits after ``CREDLINK_MODULE_RUNNER_IDLE`` seconds (default 600) without a
  request. A new one is keyed by the Python, its site-packages and this file, so an
  upgrade never runs modules against stale preloads.

``CREDLINK_MODULE_RUNNER=off`` makes the launcher a plain ``exec`` of the Python.

The client half runs under ``python -IS`` and imports only C modules (``_socket``,
``marshal``, ``zlib``), so it starts in about 15 ms. Both halves are the same Python, so
the request is marshalled; the server reads requests from its own uid only.
"""

from __future__ import annotations

import os
import struct
import sys

OFF_ENV = "CREDLINK_MODULE_RUNNER"
DIR_ENV = "CREDLINK_MODULE_RUNNER_DIR"
IDLE_ENV = "CREDLINK_MODULE_RUNNER_IDLE"
DEFAULT_IDLE = 600.0
CONNECT_TIMEOUT = 2.0
_HEADER = struct.Struct("!I")
_MAX_REQUEST = 16 * 1024 * 1024

# Imported once by the server so that module runs find them in sys.modules.
PRELOAD_MODULES = (
    "boto3",
    "botocore.session",
    "ansible.module_utils.basic",
    "ansible.module_utils._internal._ansiballz._loader",
)
# Every module_utils of these collections is imported (the bundled copies; the payload
# check below decides whether a run may use them).
PRELOAD_COLLECTIONS = ("amazon.aws", "community.aws")
# Package markers the payload builder writes itself; they extend __path__ and hold no code.
SYNTHESIZED_INITS = ("ansible/__init__.py", "ansible/module_utils/__init__.py")
# Service models parsed once; parsing the EC2 model alone costs about 0.2 s per module.
WARM_SERVICES = (
    "application-autoscaling", "cloudwatch", "ec2", "ecr", "ecs", "elasticache", "elbv2",
    "iam", "kms", "logs", "rds", "s3", "secretsmanager", "sns", "sts",
)


def runner_disabled(environ=os.environ) -> bool:
    return environ.get(OFF_ENV, "").strip().lower() in ("off", "0", "false", "no")


def socket_dir(environ=os.environ) -> str:
    configured = environ.get(DIR_ENV)
    if configured:
        return configured
    base = environ.get("XDG_RUNTIME_DIR") or environ.get("TMPDIR") or "/tmp"
    return os.path.join(base, "credlink-module-runner-%d" % os.getuid())


def socket_path(python: str, environ=os.environ) -> str:
    """One server per Python installation, site-packages state and runner version."""
    import zlib

    site_packages = os.path.join(
        sys.prefix, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")
    parts = [os.path.realpath(python), python, sys.prefix]
    for path in (site_packages, __file__):
        try:
            parts.append(str(os.stat(path).st_mtime_ns))
        except OSError:
            parts.append("-")
    data = "\0".join(parts).encode("utf-8", "surrogateescape")
    key = "%08x%08x" % (zlib.crc32(data), zlib.adler32(data))
    return os.path.join(socket_dir(environ), key + ".sock")


def private_dir(path: str, create: bool) -> bool:
    """True when path is a directory only this user can enter."""
    if create:
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
        except OSError:
            return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    import stat

    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & 0o077)


def plain_invocation(argv: list[str]) -> bool:
    """The command lines Ansible uses: a script on stdin, or a script path (+ debug verb)."""
    if not argv:
        return True
    return len(argv) <= 2 and not argv[0].startswith("-") and os.path.isfile(argv[0])


# --------------------------------------------------------------------------- client


def _exec_python(python: str, argv: list[str]):
    os.execv(python, [python] + argv)


class _Replies:
    """The server's reply lines. A fast module's "started" and "exit" lines can arrive in
    one read; the second must not be lost (or, worse, break the parse of the first)."""

    def __init__(self, conn):
        self.conn = conn
        self.buffer = b""

    def line(self) -> bytes:
        while b"\n" not in self.buffer:
            chunk = self.conn.recv(64)
            if not chunk:
                raise ConnectionError("module runner closed the connection")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line


def client_main(argv: list[str], python: str | None = None):
    """Entry point of the launcher: run argv through the server or exec Python."""
    python = python or sys.executable
    if runner_disabled() or not plain_invocation(argv):
        _exec_python(python, argv)
    directory = socket_dir()
    if not private_dir(directory, create=True):
        _exec_python(python, argv)
    path = socket_path(python)
    import _socket
    import marshal

    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        conn.settimeout(CONNECT_TIMEOUT)
        conn.connect(path)
    except OSError:
        conn.close()
        _spawn_server(python, path)
        _exec_python(python, argv)
    request = marshal.dumps({
        "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": _umask(),
    })
    message = _HEADER.pack(len(request)) + request
    replies = _Replies(conn)
    try:
        conn.settimeout(None)
        sent = conn.sendmsg([message], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack("3i", 0, 1, 2))])
        conn.sendall(message[sent:])
        started = replies.line()
    except OSError:
        started = b""
    if not started.startswith(b"S"):
        # No "started" line, so the server gave the module no go-ahead: it has not run.
        conn.close()
        _exec_python(python, argv)
    # From here on the module may be running: never fall back to a second run.
    try:
        _forward_signals(int(started[1:]))
        status = int(replies.line()[1:])
    except (OSError, ValueError):
        os.write(2, b"module runner: lost the module process\n")
        os._exit(1)
    if os.WIFSIGNALED(status):
        import signal

        signum = os.WTERMSIG(status)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _forward_signals(child: int):
    import signal

    def forward(signum, _frame):
        try:
            os.killpg(child, signum)  # as a terminal signals the whole foreground group
        except OSError:
            try:
                os.kill(child, signum)
            except OSError:
                pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)


def _spawn_server(python: str, path: str):
    """Start a detached server; this call does not wait for it."""
    try:
        pid = os.fork()
    except OSError:
        return
    if pid:
        os.waitpid(pid, 0)
        return
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        log = os.open(path[:-len(".sock")] + ".log",
                      os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(log, 2)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # hold no pipe of the caller open
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH",
                "XDG_RUNTIME_DIR", DIR_ENV, IDLE_ENV)
        env = {name: os.environ[name] for name in keep if name in os.environ}
        os.execve(python, [python, os.path.abspath(__file__), "--serve", path], env)
    finally:
        os._exit(127)


# --------------------------------------------------------------------------- server


_LOG_FD = 2  # the server's log; module children get the client's stderr as fd 2


def _log(message: str):
    import time

    line = "%s [%d] %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), os.getpid(), message)
    try:
        os.write(_LOG_FD, line.encode("utf-8", "backslashreplace"))
    except OSError:
        pass


class Preloaded:
    """What the server imported, with the CRC and size of each file the payload check compares."""

    def __init__(self):
        self.expected: dict[str, tuple[int, int]] = {}

    def load(self):
        import importlib

        for name in PRELOAD_MODULES:
            try:
                importlib.import_module(name)
            except ImportError as exc:
                _log("not preloaded: %s (%s)" % (name, exc))
        for collection in PRELOAD_COLLECTIONS:
            self._import_module_utils(collection)
        self._warm_botocore()
        self._record_sources()
        self._guard_loader()

    def _import_module_utils(self, collection: str):
        import importlib
        import pkgutil

        package = "ansible_collections.%s.plugins.module_utils" % collection
        try:
            utils = importlib.import_module(package)
        except ImportError:
            return
        for info in pkgutil.walk_packages(utils.__path__, package + "."):
            try:
                importlib.import_module(info.name)
            except Exception as exc:  # an optional dependency of one util is missing
                _log("not preloaded: %s (%s)" % (info.name, exc))

    def _warm_botocore(self):
        """Parse the service models once and hand the same loader to every session."""
        import botocore.loaders
        import botocore.session

        shared = botocore.loaders.create_loader()
        session = botocore.session.get_session()
        session.register_component("data_loader", shared)
        for service in WARM_SERVICES:
            try:
                session.create_client(service, region_name="us-east-1",
                                      aws_access_key_id="preload", aws_secret_access_key="preload")
                for kind in ("waiters-2", "paginators-1"):
                    try:
                        shared.load_service_model(service, kind)
                    except botocore.exceptions.DataNotFoundError:
                        pass
            except Exception as exc:
                _log("service model not preloaded: %s (%s)" % (service, exc))
        original = botocore.session.create_loader

        def create_loader(search_path_string=None):
            # AWS_DATA_PATH adds model directories; only the default search path is shared.
            if search_path_string is None:
                return shared
            return original(search_path_string)

        botocore.session.create_loader = create_loader

    def _record_sources(self):
        """Size and CRC of every file a run may import from the preloaded packages.

        ``ansible`` is a regular package here, so anything a run imports from
        ``ansible.module_utils`` or ``ansible.modules`` comes from the installed copy: all
        of those files are recorded. Collection
        module_utils are namespace packages that also search the payload, so only the
        preloaded ones matter.
        """
        import zlib

        def record(relative, filename):
            with open(filename, "rb") as source:
                data = source.read()
            self.expected[relative] = (zlib.crc32(data), len(data))

        import ansible

        root = os.path.dirname(os.path.dirname(ansible.__file__))
        for package in ("module_utils", "modules"):
            for directory, _dirs, files in os.walk(os.path.join(os.path.dirname(ansible.__file__), package)):
                for name in files:
                    if name.endswith(".py"):
                        filename = os.path.join(directory, name)
                        record(os.path.relpath(filename, root).replace(os.sep, "/"), filename)
        for name, module in list(sys.modules.items()):
            filename = getattr(module, "__file__", None)
            if name.startswith("ansible_collections.") and filename and filename.endswith(".py"):
                relative = name.replace(".", "/")
                relative += "/__init__.py" if filename.endswith("__init__.py") else ".py"
                record(relative, filename)

    @staticmethod
    def payload_entries(modlib_path: str) -> list:
        import zipfile

        with zipfile.ZipFile(modlib_path) as payload:
            return payload.infolist()

    def payload_matches(self, entries: list) -> bool:
        for info in entries:
            name = info.filename
            if name in SYNTHESIZED_INITS:
                continue
            expected = self.expected.get(name)
            if expected is None and not (name.startswith("ansible/") and name.endswith(".py")):
                continue
            if expected != (info.CRC, info.file_size):
                _log("payload's %s differs from the preloaded copy; importing the payload's" % name)
                return False
        return True

    @staticmethod
    def search_payload_first(modlib_path: str, entries: list):
        """Let collection packages find the payload's files before the installed ones.

        In a cold Python the payload's ``ansible_collections`` is the package, so other
        collections (this one included) and non-preloaded module_utils come from the
        payload. The preloaded packages are namespace packages of the installed
        collections; putting the payload's directory first in their ``__path__`` gives
        the same resolution while keeping the preloaded (identical) modules.
        """
        directories = {info.filename.rsplit("/", 1)[0] for info in entries if "/" in info.filename}
        for name, module in list(sys.modules.items()):
            if name != "ansible_collections" and not name.startswith("ansible_collections."):
                continue
            relative = name.replace(".", "/")
            if relative in directories and hasattr(module, "__path__"):
                module.__path__ = [modlib_path + "/" + relative] + [
                    entry for entry in module.__path__ if not entry.startswith(modlib_path)]

    def _guard_loader(self):
        """Run the payload with the preloads only when they are the payload's own code."""
        from ansible.module_utils._internal._ansiballz import _loader

        original = _loader.run_module
        preloaded = self

        def run_module(**kwargs):
            entries = preloaded.payload_entries(kwargs["modlib_path"])
            if preloaded.payload_matches(entries):
                preloaded.search_payload_first(kwargs["modlib_path"], entries)
                return original(**kwargs)
            import importlib

            for name in list(sys.modules):
                if name == "ansible" or name.startswith(("ansible.", "ansible_collections")):
                    del sys.modules[name]
            importlib.invalidate_caches()
            fresh = importlib.import_module("ansible.module_utils._internal._ansiballz._loader")
            return fresh.run_module(**kwargs)

        _loader.run_module = run_module


def serve(path: str):
    import fcntl
    import signal
    import socket

    lock = os.open(path + ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another server for this key is starting or running
    global _LOG_FD
    _LOG_FD = os.dup(2)
    idle = float(os.environ.get(IDLE_ENV) or DEFAULT_IDLE)
    Preloaded().load()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    bound = os.stat(path).st_ino
    listener.listen(64)
    listener.settimeout(idle)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    _log("serving %s (idle timeout %ss)" % (path, idle))
    handlers: set[int] = set()
    try:
        while True:
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                _reap(handlers)
                if not handlers:
                    _log("idle, exiting")
                    return 0
                continue
            _reap(handlers)
            if not _same_user(conn):
                conn.close()
                continue
            pid = os.fork()
            if pid == 0:
                listener.close()
                os.close(lock)
                _handle(conn)
            handlers.add(pid)
            conn.close()
    finally:
        try:
            if os.stat(path).st_ino == bound:  # not yet replaced by a newer server
                os.unlink(path)
        except OSError:
            pass


def _reap(handlers: set[int]):
    for pid in list(handlers):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            handlers.discard(pid)


def _same_user(conn) -> bool:
    import socket

    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def _recv_request(conn):
    import marshal
    import socket

    message, fds, _flags, _addr = socket.recv_fds(conn, 65536, 3)
    if len(fds) != 3 or len(message) < _HEADER.size:
        raise ConnectionError("malformed request")
    (length,) = _HEADER.unpack_from(message)
    if length > _MAX_REQUEST:
        raise ConnectionError("request too large")
    body = message[_HEADER.size:]
    while len(body) < length:
        chunk = conn.recv(min(1 << 20, length - len(body)))
        if not chunk:
            raise ConnectionError("truncated request")
        body += chunk
    return marshal.loads(body), fds


def _handle(conn):
    """Forked per connection: start the module child, report its wait status."""
    import signal

    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        conn.settimeout(30)
        request, fds = _recv_request(conn)
        go_read, go_write = os.pipe()
        child = os.fork()
        if child == 0:
            conn.close()
            os.close(go_write)
            _run_child(request, fds, go_read)
        try:
            os.setpgid(child, child)  # also done by the child; whichever runs first wins the race
        except OSError:
            pass
        os.close(go_read)
        for fd in fds:
            os.close(fd)
        try:
            conn.sendall(b"S%d\n" % child)
        except OSError:
            os.write(go_write, b"0")
            raise
        os.write(go_write, b"1")
        os.close(go_write)
        status = _wait_child(child, conn)
        try:
            conn.sendall(b"E%d\n" % status)
        except OSError:
            pass  # the client is gone
        code = 0
    except Exception as exc:  # the client falls back or reports the lost child
        _log("request failed: %s" % exc)
    finally:
        os._exit(code)


def _wait_child(child: int, conn) -> int:
    """Wait for the module; if the client dies first, kill the module as its group would be.

    A cold module is in the process group of the ``ansible-playbook`` that started it, so
    killing that group (a CI timeout, ``kill -9``) ends the module too. The client cannot
    forward SIGKILL, but its death closes the connection.
    """
    import select
    import signal

    conn.settimeout(None)
    try:
        watched = os.pidfd_open(child)
    except (AttributeError, OSError):
        watched = None
    while watched is not None:
        ready, _, _ = select.select([conn, watched], [], [])
        if watched in ready:
            break
        if not conn.recv(1):
            try:
                os.killpg(child, signal.SIGKILL)
            except OSError:
                pass
            break
    _, status = os.waitpid(child, 0)
    return status


def _run_child(request: dict, fds: list[int], go_read: int):
    """Become what ``python <argv>`` would have been, then run the script."""
    import signal

    os.setpgid(0, 0)  # the module and what it starts can be signalled as one group
    if os.read(go_read, 1) != b"1":
        os._exit(70)
    os.close(go_read)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    code = 1
    try:
        code = _exec_script(request)
    finally:
        _flush()
        if code < 0:
            # Python ends on an uncaught KeyboardInterrupt by dying of SIGINT; so does this.
            signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
        os._exit(code)


def _exec_script(request: dict) -> int:
    import atexit
    import io
    import locale
    import signal
    import tempfile
    import traceback
    import types

    os.environ.clear()
    os.environ.update(request["env"])
    os.umask(request["umask"])
    os.chdir(request["cwd"])
    try:
        locale.setlocale(locale.LC_CTYPE, "")
    except locale.Error:
        pass
    tempfile.tempdir = None
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(
        io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8", errors="surrogateescape")
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8", errors="strict")
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(2, "w", closefd=False)), encoding="utf-8",
        errors="backslashreplace", line_buffering=True)
    argv = request["argv"]
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    if argv:
        filename = argv[0]
        with open(filename, "rb") as script:
            source = script.read()
        main.__file__ = filename
        sys.argv = list(argv)
        sys.path[0:0] = [os.path.dirname(os.path.realpath(filename))]
    else:
        filename = "<stdin>"
        source = sys.stdin.buffer.read()
        sys.argv = [""]
        sys.path[0:0] = [""]
    sys.modules["__main__"] = main
    code = 0
    try:
        exec(compile(source, filename, "exec"), main.__dict__)
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        code = -signal.SIGINT
    except BaseException:  # what the interpreter would print for an uncaught exception
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    return code


def _exit_code(value) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    sys.stderr.write("%s\n" % value)
    return 1


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        # Modules must not see this directory first on sys.path, as a cold Python would not.
        if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
            del sys.path[0]
        sys.exit(serve(sys.argv[2]))
    client_main(sys.argv[1:])
