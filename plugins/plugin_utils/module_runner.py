# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Warm module runner: an opt-in controller-side Python interpreter for localhost modules.

Every task on ``localhost`` starts a new Python, which then spends most of its second
importing ``ansible.module_utils.basic``, the amazon.aws module_utils and boto3, and
parsing botocore's JSON service models. None of that depends on the task.

The runner keeps one server per user, controller Python and environment that has done
that work once. The interpreter Ansible starts (a small launcher written by the
``credlink.infra.module_python`` lookup) is a client that hands its argv, environment,
working directory, umask, resource limits and stdin/stdout/stderr to the server; the
server forks a child that runs the AnsiballZ payload exactly as ``python <payload>`` would
and reports the exit status. The client exits with it. Nothing about the module changes:
same payload, same environment, same file descriptors, a fresh process per module.

It is off unless asked for: the inventory variable ``credlink_module_runner: true`` or
``CREDLINK_MODULE_RUNNER=on`` switch it on; the environment variable, when set, decides,
so ``CREDLINK_MODULE_RUNNER=off`` always switches it off (see ``requested``). It runs
only on Linux with the ansible-core versions in ``TESTED_ANSIBLE_CORE``.

Safety rules, in the order they matter:

* Whenever the server cannot be used before the module has started (no server yet, a
  stale socket, a protocol error, an unusual interpreter command line, a working
  directory that no longer exists, limits the child cannot take on), the client
  ``exec``s the real Python instead. A module never runs twice: the child waits for the
  server's go-ahead, which is only given once the client knows the module started.
* The environment (which carries AWS credentials) is sent only to a server that runs
  as the same user (``SO_PEERCRED``), through a socket in a directory that is opened
  with ``O_DIRECTORY|O_NOFOLLOW``, checked on the open descriptor (owned by the user,
  mode 0700, in a parent others cannot write to unless it is sticky) and connected to
  through that descriptor (``/proc/self/fd/N/<key>.sock``), so a path swapped after the
  check cannot redirect the connection. Log, lock and marker files are opened
  ``O_NOFOLLOW`` in that directory. The server serves only its own uid and never logs
  or keeps an environment.
* A server is keyed by the Python, the mount/net/pid namespaces, the variables that
  shape ``sys.path`` and every ``sys.path`` location with its modification time, so
  containers sharing ``/tmp`` never share a server and an upgrade starts a new one. A
  server also re-checks its own ``sys.path`` at every request and retires when any
  entry changed.
* A server whose preload fails leaves ``<key>.failed`` next to its socket, so clients
  stop starting servers for that key (instead of every module starting one that
  crashes) until the marker is an hour old, ``stop`` clears it, or an upgrade changes
  the key.
* Preloaded ``ansible`` and collection module_utils are only used when they are
  byte-identical to the copies in the payload; otherwise they are dropped and the
  payload's own copies are imported, as a cold Python would.
* A server exits after ``CREDLINK_MODULE_RUNNER_IDLE`` seconds (default 600) without a
  request. ``python module_runner.py stop`` stops this user's servers (found through
  their sockets and ``SO_PEERCRED``, checked before they are signalled).

The client half runs under ``python -IS`` and imports only C modules (``_socket``,
``marshal``, ``zlib``, ``resource``), so it starts in about 15 ms. Both halves are the
same Python, so the request is marshalled; the server reads requests from its own uid only.
"""

from __future__ import annotations

import os
import struct
import sys

SWITCH_ENV = "CREDLINK_MODULE_RUNNER"
INVENTORY_VARIABLE = "credlink_module_runner"
DIR_ENV = "CREDLINK_MODULE_RUNNER_DIR"
IDLE_ENV = "CREDLINK_MODULE_RUNNER_IDLE"
DEFAULT_IDLE = 600.0
CONNECT_TIMEOUT = 2.0
# What the client forwards to the module's process group, as a terminal would signal it.
_FORWARDED = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT")
# Dispositions a plain Python inherits from its caller when they are "ignore".
_INHERITED = _FORWARDED + ("SIGCHLD",)
# ansible-core minor versions the runner was tested with (its payload handling follows
# ansible-core's AnsiballZ internals); elsewhere modules run with the plain Python.
TESTED_ANSIBLE_CORE = ("2.21",)
# A failed preload stops clients from starting servers for this long (seconds).
FAILED_MARKER_TTL = 3600
ON_VALUES = ("on", "1", "true", "yes")
OFF_VALUES = ("off", "0", "false", "no")
# Environment variables that decide a Python's sys.path: part of the key, passed to the
# server, and compared with the caller's at every request.
PATH_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONNOUSERSITE", "PYTHONSAFEPATH")
NAMESPACES = ("mnt", "net", "pid")
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


# --------------------------------------------------------------------------- switch


def requested(environ, inventory_value: bool) -> bool:
    """Whether this run asked for the runner.

    ``CREDLINK_MODULE_RUNNER``, when set, decides (``on`` / ``off``); otherwise the
    inventory variable does. So ``off`` in the environment always wins, and ``make demo``
    / ``make test`` / ``make bench`` switch it on without touching the inventories.
    """
    value = environ.get(SWITCH_ENV, "").strip().lower()
    if value in OFF_VALUES:
        return False
    if value in ON_VALUES:
        return True
    if value:
        raise ValueError("%s=%s is neither on nor off" % (SWITCH_ENV, environ.get(SWITCH_ENV)))
    return bool(inventory_value)


def runner_disabled(environ=os.environ) -> bool:
    """The launcher's own check: anything but unset or ``on`` means the plain Python."""
    value = environ.get(SWITCH_ENV, "").strip().lower()
    return bool(value) and value not in ON_VALUES


def unsupported(platform: str, ansible_core: str) -> str | None:
    """Why the runner cannot be used here, or None."""
    if not platform.startswith("linux"):
        return "it runs on Linux only (this is %s)" % platform
    if ".".join(ansible_core.split(".")[:2]) not in TESTED_ANSIBLE_CORE:
        return "it was tested with ansible-core %s only (this is %s)" % (
            ", ".join(TESTED_ANSIBLE_CORE), ansible_core)
    return None


# --------------------------------------------------------------------------- key and directory


def socket_dir(environ=os.environ) -> str:
    configured = environ.get(DIR_ENV)
    if configured:
        return configured
    base = environ.get("XDG_RUNTIME_DIR") or environ.get("TMPDIR") or "/tmp"
    return os.path.join(base, "credlink-module-runner-%d" % os.getuid())


def namespaces() -> list[str]:
    """Inodes of this process's mount, network and pid namespaces."""
    found = []
    for name in NAMESPACES:
        try:
            found.append("%s:%d" % (name, os.stat("/proc/self/ns/" + name).st_ino))
        except OSError:
            found.append(name + ":-")
    return found


def prefixes(python: str) -> list[str]:
    """The prefixes a plain ``python`` gets: its virtualenv's, then the installation's.

    Found as ``site`` finds a virtualenv (a ``pyvenv.cfg`` next to the executable or one
    level up): the launcher runs without ``site``, so its own ``sys.prefix`` is the base.
    """
    exe_dir = os.path.dirname(os.path.abspath(python))
    found = []
    if any(os.path.isfile(os.path.join(where, "pyvenv.cfg")) for where in (exe_dir, os.path.dirname(exe_dir))):
        found.append(os.path.dirname(exe_dir))
    return list(dict.fromkeys(found + [sys.prefix, sys.exec_prefix, sys.base_prefix]))


def key_paths(python: str, environ=os.environ) -> list[str]:
    """Where a plain ``python`` here finds modules: the sys.path of a cold module.

    The launcher runs isolated (``-IS``), so this is worked out rather than read from its
    own sys.path: PYTHONPATH, the standard library, the site-packages and Debian
    dist-packages of each prefix, and the user site. Locations that do not exist are
    listed too; creating one changes the key. Entries a ``.pth`` file or
    ``sitecustomize`` adds are not known here: the server watches its real sys.path.
    """
    version = "python%d.%d" % sys.version_info[:2]
    paths = [entry for entry in environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    base = os.path.join(sys.base_prefix, sys.platlibdir)
    paths += [os.path.join(base, "python%d%d.zip" % sys.version_info[:2]),
              os.path.join(base, version), os.path.join(base, version, "lib-dynload")]
    for prefix in prefixes(python):
        for lib in dict.fromkeys((sys.platlibdir, "lib")):
            paths.append(os.path.join(prefix, lib, version, "site-packages"))
            paths.append(os.path.join(prefix, lib, version, "dist-packages"))
        paths.append(os.path.join(prefix, "local", "lib", version, "dist-packages"))
        paths.append(os.path.join(prefix, "lib", "python3", "dist-packages"))
    user_base = environ.get("PYTHONUSERBASE") or os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".local")
    paths.append(os.path.join(user_base, "lib", version, "site-packages"))
    return list(dict.fromkeys(paths))


def _mtime(path: str) -> str:
    try:
        return str(os.stat(path).st_mtime_ns)
    except OSError:
        return "-"


def server_key(python: str, environ=os.environ) -> str:
    """One server per Python, user, namespaces, sys.path (with mtimes) and runner version."""
    import zlib

    parts = [os.path.realpath(python), python, str(os.getuid())] + prefixes(python)
    parts += namespaces()
    parts += ["%s=%s" % (name, environ.get(name, "\x01unset")) for name in PATH_ENV]
    parts += ["%s@%s" % (path, _mtime(path)) for path in key_paths(python, environ)]
    parts.append(_mtime(__file__))
    data = "\0".join(parts).encode("utf-8", "surrogateescape")
    return "%08x%08x" % (zlib.crc32(data), zlib.adler32(data))


def _parent_is_safe(info) -> bool:
    """Owned by us or root, and nobody else may rename entries in it (or it is sticky)."""
    import stat

    return (stat.S_ISDIR(info.st_mode) and info.st_uid in (os.getuid(), 0)
            and (not info.st_mode & 0o022 or bool(info.st_mode & stat.S_ISVTX)))


def open_private_dir(path: str, create: bool) -> int | None:
    """A descriptor of ``path`` when it is a directory only this user can enter, else None.

    The directory is opened ``O_DIRECTORY|O_NOFOLLOW`` relative to its opened parent and
    checked with ``fstat`` on that descriptor: owned by us, mode 0700, in a parent that
    is ours or root's and not writable by others unless sticky (``/tmp``). Everything
    after this goes through the descriptor, never through the path again.
    """
    import stat

    if not os.path.isabs(path):
        return None
    parent, name = os.path.split(os.path.normpath(path))
    if not name:
        return None
    try:
        parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not _parent_is_safe(os.fstat(parent_fd)):
            return None
        if create:
            try:
                os.mkdir(name, 0o700, dir_fd=parent_fd)
            except FileExistsError:
                pass
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
    except OSError:
        return None
    finally:
        os.close(parent_fd)
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o700:
        return fd
    os.close(fd)
    return None


def via_fd(dir_fd: int, name: str) -> str:
    """An AF_UNIX address that reaches ``name`` in the directory open as ``dir_fd``.

    The kernel resolves ``/proc/self/fd/N`` to the very directory that was checked, even
    if its path has been renamed or replaced since; unlike ``fchdir`` it changes nothing
    process-wide, and it keeps the address short whatever the directory's path.
    """
    return "/proc/self/fd/%d/%s" % (dir_fd, name)


def open_nofollow(dir_fd: int, name: str, flags: int) -> int:
    return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd)


def preload_blocked(dir_fd: int, key: str, now: float | None = None) -> bool:
    """A server for this key is preloading or failed to, less than an hour ago."""
    import stat
    import time

    try:
        info = os.stat(key + ".failed", dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return False
    age = (time.time() if now is None else now) - info.st_mtime
    return stat.S_ISREG(info.st_mode) and age < FAILED_MARKER_TTL


def plain_invocation(argv: list[str]) -> bool:
    """The command lines Ansible uses: a script on stdin, or a script path (+ debug verb)."""
    if not argv:
        return True
    return len(argv) <= 2 and not argv[0].startswith("-") and os.path.isfile(argv[0])


def peer_uid(conn) -> tuple[int, int]:
    """(pid, uid) of the process at the other end of a connected AF_UNIX socket."""
    import _socket

    creds = conn.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", creds)
    return pid, uid


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


def _working_directory() -> tuple[str, tuple[int, int]]:
    """The cwd path and identity; OSError when it was deleted or its path now names another."""
    cwd = os.getcwd()  # FileNotFoundError for a deleted directory
    here, named = os.stat("."), os.stat(cwd)
    if (here.st_dev, here.st_ino) != (named.st_dev, named.st_ino):
        raise FileNotFoundError(cwd)
    return cwd, (here.st_dev, here.st_ino)


def _limits() -> list[tuple[int, int, int]]:
    import resource

    return [(number,) + resource.getrlimit(number)
            for number in sorted({getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_")})]


def client_main(argv: list[str], python: str | None = None):
    """Entry point of the launcher: run argv through the server or exec Python."""
    python = python or sys.executable
    if runner_disabled() or not sys.platform.startswith("linux") or not plain_invocation(argv):
        _exec_python(python, argv)
    try:
        cwd, cwd_id = _working_directory()
    except OSError:
        _exec_python(python, argv)
    directory = socket_dir()
    dir_fd = open_private_dir(directory, create=True)
    if dir_fd is None:
        _exec_python(python, argv)
    key = server_key(python)
    import _socket
    import marshal

    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        conn.settimeout(CONNECT_TIMEOUT)
        conn.connect(via_fd(dir_fd, key + ".sock"))
    except OSError:
        conn.close()
        if not preload_blocked(dir_fd, key):
            _spawn_server(python, directory, key, dir_fd)
        _exec_python(python, argv)
    try:
        _pid, uid = peer_uid(conn)
    except OSError:
        uid = -1
    if uid != os.getuid():
        # Not our server: it gets nothing, and no server of ours is started in its place.
        conn.close()
        _exec_python(python, argv)
    import _signal

    # A signal that comes before the forwarders are in place must wait for them, not be
    # lost or end this client alone: the module may print (and its caller signal) before
    # the "started" line has been read.
    ignored = [signum for signum in _signal_numbers(_signal, _INHERITED)
               if _signal.getsignal(signum) == _signal.SIG_IGN]
    forwarded = [signum for signum in _signal_numbers(_signal, _FORWARDED) if signum not in ignored]
    caller_mask = _signal.pthread_sigmask(_signal.SIG_BLOCK, forwarded)
    request = marshal.dumps({
        "argv": argv, "cwd": cwd, "cwd_id": cwd_id, "env": dict(os.environ), "umask": _umask(),
        "limits": _limits(), "key": key, "namespaces": namespaces(), "ignored": ignored,
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
        _signal.pthread_sigmask(_signal.SIG_SETMASK, caller_mask)
        _exec_python(python, argv)
    # From here on the module may be running: never fall back to a second run.
    try:
        _forward_signals(int(started[1:]), forwarded)
        _signal.pthread_sigmask(_signal.SIG_SETMASK, caller_mask)
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


def _signal_numbers(module, names) -> list[int]:
    return [int(getattr(module, name)) for name in names]


def _forward_signals(child: int, signals: list[int]):
    import _signal

    def forward(signum, _frame):
        try:
            os.killpg(child, signum)  # as a terminal signals the whole foreground group
        except OSError:
            try:
                os.kill(child, signum)
            except OSError:
                pass

    for signum in signals:
        _signal.signal(signum, forward)


def _spawn_server(python: str, directory: str, key: str, dir_fd: int):
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
        log = open_nofollow(dir_fd, key + ".log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(log, 2)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # hold no pipe of the caller open
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "XDG_RUNTIME_DIR",
                DIR_ENV, IDLE_ENV) + PATH_ENV
        env = {name: os.environ[name] for name in keep if name in os.environ}
        os.execve(python, [python, os.path.abspath(__file__), "--serve", directory, key], env)
    finally:
        os._exit(127)


# --------------------------------------------------------------------------- server


_LOG_FD = 2  # the server's log; module children get the client's stderr as fd 2
_SERVER: dict = {}  # this server's key and namespaces, set by serve()


def _log(message: str):
    import time

    line = "%s [%d] %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), os.getpid(), message)
    try:
        os.write(_LOG_FD, line.encode("utf-8", "backslashreplace"))
    except OSError:
        pass


def _write_marker(dir_fd: int, key: str, text: str):
    fd = open_nofollow(dir_fd, key + ".failed", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.write(fd, text.encode("utf-8", "backslashreplace") + b"\n")
    finally:
        os.close(fd)


class PathState:
    """The modification time of every sys.path entry, to notice an upgrade under a running server."""

    def __init__(self, entries: list[str]):
        self.entries = [entry for entry in dict.fromkeys(entries) if entry]
        self.seen = self._read()

    def _read(self) -> list[str]:
        return [_mtime(entry) for entry in self.entries]

    def changed(self) -> str | None:
        """The first entry whose state differs from when the server started, or None."""
        for entry, before, now in zip(self.entries, self.seen, self._read()):
            if before != now:
                return entry
        return None


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


def serve(directory: str, key: str) -> int:
    import fcntl
    import signal
    import socket
    import time
    import traceback

    global _LOG_FD
    _LOG_FD = os.dup(2)
    dir_fd = open_private_dir(directory, create=False)
    if dir_fd is None:
        _log("refusing to serve: %s is not a private directory of this user" % directory)
        return 1
    try:
        lock = open_nofollow(dir_fd, key + ".lock", os.O_WRONLY | os.O_CREAT)
    except OSError as exc:
        _log("refusing to serve: cannot open %s.lock (%s)" % (key, exc))
        return 1
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another server for this key is starting or running
    try:
        # Until the preload has finished, clients run the plain Python and start no other
        # server; if this process dies or fails here, the marker stays (FAILED_MARKER_TTL).
        _write_marker(dir_fd, key, "preload started %s by pid %d, not finished"
                      % (time.strftime("%Y-%m-%dT%H:%M:%S"), os.getpid()))
    except OSError as exc:
        _log("refusing to serve: cannot write %s.failed (%s)" % (key, exc))
        return 1
    idle = float(os.environ.get(IDLE_ENV) or DEFAULT_IDLE)
    _log("preloading for %s" % key)
    try:
        Preloaded().load()
    except BaseException as exc:  # noqa: B036 - whatever stops the preload, clients must learn of it
        _log("preload failed:\n" + traceback.format_exc())
        try:
            _write_marker(dir_fd, key, "preload failed %s: %s: %s"
                          % (time.strftime("%Y-%m-%dT%H:%M:%S"), type(exc).__name__, exc))
        except OSError:
            pass
        return 1
    _SERVER.update(key=key, namespaces=namespaces(), paths=PathState(sys.path))
    name = key + ".sock"
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)  # the socket is created 0600
    try:
        listener.bind(via_fd(dir_fd, name))
    finally:
        os.umask(previous)
    bound = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_ino
    os.unlink(key + ".failed", dir_fd=dir_fd)
    listener.listen(64)
    listener.settimeout(idle)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    _log("serving %s/%s (idle timeout %ss)" % (directory, name, idle))
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
            changed = _SERVER["paths"].changed()
            if changed:
                # This request gets no go-ahead (its client runs the plain Python); the next
                # one starts a server that imports what is installed now.
                _log("%s changed since the preload; retiring" % changed)
                conn.close()
                return 0
            # A SIGTERM during fork() would reach the handler inside the fork hooks, where
            # its SystemExit is ignored: it waits until the fork is done.
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
            try:
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    os.close(lock)
                    os.close(dir_fd)
                    _handle(conn)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
            handlers.add(pid)
            conn.close()
    finally:
        try:
            if os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_ino == bound:
                os.unlink(name, dir_fd=dir_fd)  # not yet replaced by a newer server
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
    return peer_uid(conn)[1] == os.getuid()


class _Quiet(Exception):
    """A connection that closed without a request (``status`` and ``stop`` look, then leave)."""


def _recv_request(conn):
    import marshal
    import socket

    message, fds, _flags, _addr = socket.recv_fds(conn, 65536, 3)
    if not message and not fds:
        raise _Quiet()
    if len(fds) != 3 or len(message) < _HEADER.size:
        for fd in fds:
            os.close(fd)
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


def _refusal(request: dict) -> str | None:
    """Why this server cannot run the request as a plain Python of the caller would, or None."""
    if request.get("key") != _SERVER.get("key"):
        return "the request is for another server"
    if request.get("namespaces") != _SERVER.get("namespaces"):
        return "the caller is in other namespaces"
    env = request.get("env", {})
    for name in PATH_ENV:
        if env.get(name) != os.environ.get(name):
            return "the caller's %s differs from this server's" % name
    return None


def _handle(conn):
    """Forked per connection: start the module child, report its wait status."""
    import signal

    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
        conn.settimeout(30)
        request, fds = _recv_request(conn)
        reason = _refusal(request)
        if reason:
            conn.sendall(b"R\n")
            raise ConnectionError("refused: " + reason)
        ready_read, ready_write = os.pipe()
        go_read, go_write = os.pipe()
        child = os.fork()
        if child == 0:
            conn.close()
            os.close(go_write)
            os.close(ready_read)
            _run_child(request, fds, ready_write, go_read)
        try:
            os.setpgid(child, child)  # also done by the child; whichever runs first wins the race
        except OSError:
            pass
        os.close(go_read)
        os.close(ready_write)
        for fd in fds:
            os.close(fd)
        ready = os.read(ready_read, 512)
        os.close(ready_read)
        if ready != b"r":
            try:
                os.write(go_write, b"0")
            except OSError:
                pass  # the child is gone already
            os.waitpid(child, 0)
            conn.sendall(b"R\n")
            raise ConnectionError("refused: " + ready[1:].decode("utf-8", "backslashreplace"))
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
    except _Quiet:
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


def _take_on_caller(request: dict):
    """What a plain Python started by the caller would have inherited and cannot be sent
    afterwards: resource limits and working directory. Raises when it cannot be done."""
    import resource

    for number, soft, hard in request["limits"]:
        if resource.getrlimit(number) != (soft, hard):
            resource.setrlimit(number, (soft, hard))
    os.chdir(request["cwd"])
    here = os.stat(".")
    if (here.st_dev, here.st_ino) != tuple(request["cwd_id"]):
        raise OSError("%s is no longer the caller's working directory" % request["cwd"])


def _run_child(request: dict, fds: list[int], ready_write: int, go_read: int):
    """Become what ``python <argv>`` would have been, then run the script."""
    import signal

    os.setpgid(0, 0)  # the module and what it starts can be signalled as one group
    try:
        _take_on_caller(request)
        answer = b"r"
    except Exception as exc:  # the client runs the plain Python instead
        answer = b"n" + str(exc).encode("utf-8", "backslashreplace")[:500]
    os.write(ready_write, answer)
    os.close(ready_write)
    if os.read(go_read, 1) != b"1":
        os._exit(70)
    os.close(go_read)
    # A plain Python keeps what its caller ignored and resets the rest; SIGINT raises
    # KeyboardInterrupt unless ignored.
    ignored = set(request.get("ignored", ()))
    for signum in _signal_numbers(signal, _INHERITED):
        if signum in ignored:
            signal.signal(signum, signal.SIG_IGN)
        elif signum == signal.SIGINT:
            signal.signal(signum, signal.default_int_handler)
        else:
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
    import time
    import traceback
    import types

    os.environ.clear()
    os.environ.update(request["env"])
    os.umask(request["umask"])
    time.tzset()  # the caller's TZ (or its absence), as a new Python reads it at start
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
        first = os.path.dirname(os.path.realpath(filename))
    else:
        filename = "<stdin>"
        source = sys.stdin.buffer.read()
        sys.argv = [""]
        first = ""
    if not request["env"].get("PYTHONSAFEPATH"):
        sys.path[0:0] = [first]
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


# --------------------------------------------------------------------------- status and stop


def servers(directory: str) -> list[dict]:
    """This user's servers, found through their sockets: key, pid and whether it is ours.

    Each socket in the private directory is connected to (and left at once); the peer's
    credentials (``SO_PEERCRED``) name the process that listens on it.
    """
    import _socket

    dir_fd = open_private_dir(directory, create=False)
    if dir_fd is None:
        return []
    found = []
    try:
        for name in sorted(os.listdir(dir_fd)):
            if not name.endswith(".sock"):
                continue
            entry = {"key": name[:-len(".sock")], "pid": 0, "uid": -1}
            conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            try:
                conn.settimeout(CONNECT_TIMEOUT)
                conn.connect(via_fd(dir_fd, name))
                entry["pid"], entry["uid"] = peer_uid(conn)
            except OSError:
                pass  # a stale socket: its server is gone
            finally:
                conn.close()
            found.append(entry)
    finally:
        os.close(dir_fd)
    return found


def _is_our_server(pid: int, key: str) -> bool:
    """The process is this user's runner server for ``key`` (checked after its pidfd is open)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as cmdline:
            argv = cmdline.read().split(b"\0")
        owner = os.stat("/proc/%d" % pid).st_uid
    except OSError:
        return False
    return (owner == os.getuid() and b"--serve" in argv and key.encode() in argv
            and any(arg.endswith(b"module_runner.py") for arg in argv))


def stop(directory: str, out=sys.stdout) -> int:
    """Stop this user's servers in ``directory`` and forget failed preloads."""
    import select
    import signal

    stopped = 0
    for entry in servers(directory):
        pid, key = entry["pid"], entry["key"]
        if entry["uid"] != os.getuid() or pid <= 0:
            out.write("%s: no server of this user answers (left alone)\n" % key)
            continue
        try:
            handle = os.pidfd_open(pid)
        except OSError:
            continue  # it has just exited
        try:
            if not _is_our_server(pid, key):
                out.write("%s: pid %d is not a module runner server of this user (left alone)\n" % (key, pid))
                continue
            signal.pidfd_send_signal(handle, signal.SIGTERM)
            if not select.select([handle], [], [], 10)[0]:
                signal.pidfd_send_signal(handle, signal.SIGKILL)
            out.write("stopped the module runner server %s (pid %d)\n" % (key, pid))
            stopped += 1
        finally:
            os.close(handle)
    dir_fd = open_private_dir(directory, create=False)
    if dir_fd is not None:
        try:
            for name in os.listdir(dir_fd):
                if name.endswith(".failed"):
                    os.unlink(name, dir_fd=dir_fd)
                    out.write("cleared the failed preload %s\n" % name[:-len(".failed")])
        finally:
            os.close(dir_fd)
    if not stopped:
        out.write("no module runner server of this user is running in %s\n" % directory)
    return 0


def status(directory: str, out=sys.stdout) -> int:
    dir_fd = open_private_dir(directory, create=False)
    if dir_fd is None:
        out.write("%s: not a private directory of this user (no server can run there)\n" % directory)
        return 1
    try:
        markers = {}
        for name in os.listdir(dir_fd):
            if name.endswith(".failed"):
                fd = open_nofollow(dir_fd, name, os.O_RDONLY)
                try:
                    markers[name[:-len(".failed")]] = os.read(fd, 4096).decode("utf-8", "replace").strip()
                finally:
                    os.close(fd)
    finally:
        os.close(dir_fd)
    entries = servers(directory)
    for entry in entries:
        state = "pid %d" % entry["pid"] if entry["uid"] == os.getuid() and entry["pid"] > 0 else "not answering"
        out.write("server %s: %s\n" % (entry["key"], state))
    for key, text in sorted(markers.items()):
        out.write("marker %s: %s\n" % (key, text))
    if not entries and not markers:
        out.write("no module runner server in %s\n" % directory)
    return 0


USAGE = """usage: python module_runner.py stop|status

  stop    stop this user's warm module runner servers (found through their sockets in
          %s) and clear failed-preload markers
  status  list them and the markers
"""


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        # Modules must not see this directory first on sys.path, as a cold Python would not.
        if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
            del sys.path[0]
        sys.exit(serve(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 2 and sys.argv[1] in ("stop", "status"):
        sys.exit((stop if sys.argv[1] == "stop" else status)(socket_dir()))
    sys.stderr.write(USAGE % socket_dir())
    sys.exit(2)
