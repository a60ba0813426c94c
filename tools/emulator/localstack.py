"""Real LocalStack (community edition) in host mode, beside the embedded emulator.

``python -m tools.emulator.localstack {install,start,stop,status,env,run}``

LocalStack runs from its own virtualenv (``.venv-localstack``, Python 3.13) built from
the exact pins of ``tools/localstack/requirements.txt`` and reused while that file is
unchanged. It is started detached in its own process group (``python -m
localstack.runtime.main``, no Docker), on a port of our choosing, with a scratch volume
directory, and is ready when ``/_localstack/health`` answers. The playbooks are pointed
at it exactly as at any AWS endpoint: ``AWS_ENDPOINT_URL`` plus dummy credentials.

``run -- CMD`` installs (or reuses) the venv, starts a private LocalStack on a free port,
runs CMD against it (``AWS_ENDPOINT_URL`` and ``CREDLINK_LOCALSTACK_URL`` name it) and
stops it. When the venv cannot be installed (no Python 3.13, no
package index), ``run`` prints one ``SKIPPED`` line with the reason and exits 0, unless
``CREDLINK_LOCALSTACK_REQUIRED=1`` makes that a failure. Once installed, every failure
(start, health, CMD) is a failure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

from . import process
from .config import PROJECT_ROOT, dummy_aws_env

REQUIREMENTS = PROJECT_ROOT / "tools" / "localstack" / "requirements.txt"
PYTHON_VERSION = (3, 13)
# The services the community edition serves and the stack uses (health must list them).
SERVICES = ("ec2", "iam", "logs", "s3", "secretsmanager", "sns", "cloudwatch", "sts", "kms")


class Unavailable(RuntimeError):
    """LocalStack cannot be installed here (the reason is the message)."""


@dataclass(frozen=True)
class Settings:
    venv: Path
    state_dir: Path
    host: str
    port: int
    region: str

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "localstack.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "localstack.log"

    @property
    def volume_dir(self) -> Path:
        return self.state_dir / "volume"

    def aws_env(self) -> dict[str, str]:
        """Standard AWS variables and dummy credentials (a long secret: see config.Settings)."""
        return dummy_aws_env(self.endpoint_url, self.region)

    def runtime_env(self) -> dict[str, str]:
        """What LocalStack needs to run in host mode, on our port, without the internet."""
        address = f"{self.host}:{self.port}"
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV"))}
        env.update({
            "GATEWAY_LISTEN": address,
            "LOCALSTACK_HOST": address,
            "DNS_ADDRESS": "0",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "DISABLE_EVENTS": "1",
            "LOCALSTACK_VOLUME_DIR": str(self.volume_dir),
        })
        return env


def settings() -> Settings:
    env = os.environ
    return Settings(
        venv=Path(env.get("CREDLINK_LOCALSTACK_VENV", PROJECT_ROOT / ".venv-localstack")),
        state_dir=Path(env.get("CREDLINK_LOCALSTACK_DIR", PROJECT_ROOT / ".localstack")),
        host=env.get("CREDLINK_LOCALSTACK_HOST", "127.0.0.1"),
        port=int(env.get("CREDLINK_LOCALSTACK_PORT", "4567")),
        region=env.get("AWS_DEFAULT_REGION", "us-east-1"),
    )


# --- the virtualenv ---------------------------------------------------------------------

def requirements_hash() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _python_ok(candidate: str | Path) -> bool:
    try:
        out = subprocess.run([str(candidate), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return False
    return out.returncode == 0 and out.stdout.strip() == str(PYTHON_VERSION)


def find_python() -> str:
    """Python 3.13: $CREDLINK_LOCALSTACK_PYTHON, python3.13 on PATH, then pyenv's."""
    wanted = ".".join(map(str, PYTHON_VERSION))
    given = os.environ.get("CREDLINK_LOCALSTACK_PYTHON")
    if given:
        if not _python_ok(given):
            raise Unavailable(f"CREDLINK_LOCALSTACK_PYTHON={given} is not Python {wanted}")
        return given
    candidates = [shutil.which(f"python{wanted}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(str(p) for p in pyenv.glob(f"{wanted}*/bin/python3"))
    for candidate in filter(None, candidates):
        if _python_ok(candidate):
            return candidate
    raise Unavailable(f"no Python {wanted} found (python{wanted} on PATH or pyenv); "
                      f"set CREDLINK_LOCALSTACK_PYTHON")


def installed(cfg: Settings) -> bool:
    stamp = cfg.venv / ".requirements.sha256"
    return (cfg.python.exists() and stamp.exists()
            and stamp.read_text().strip() == requirements_hash() and _python_ok(cfg.python))


def install(cfg: Settings) -> str:
    """Create the venv from the pinned requirements, or reuse it while they are unchanged."""
    if installed(cfg):
        return f"localstack: reusing {cfg.venv}"
    python = find_python()
    started = time.monotonic()
    shutil.rmtree(cfg.venv, ignore_errors=True)
    steps = ([python, "-m", "venv", str(cfg.venv)],
             # --no-compile: byte-compiling all of it is most of the install's time; Python
             # compiles (and caches) only the modules LocalStack imports, on first start.
             [str(cfg.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              "--no-compile", "-r", str(REQUIREMENTS)])
    for argv in steps:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(cfg.venv, ignore_errors=True)
            lines = [line for line in (done.stderr or done.stdout).splitlines()
                     if line.strip() and "is ignored" not in line]
            raise Unavailable(f"installing {REQUIREMENTS.relative_to(PROJECT_ROOT)} failed: "
                              f"{lines[-1] if lines else 'exit ' + str(done.returncode)}")
    (cfg.venv / ".requirements.sha256").write_text(requirements_hash() + "\n")
    return f"localstack: installed {cfg.venv} in {time.monotonic() - started:.0f}s"


# --- the process ------------------------------------------------------------------------

def health(cfg: Settings) -> dict | None:
    try:
        with urllib.request.urlopen(f"{cfg.endpoint_url}/_localstack/health", timeout=2) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def ready(cfg: Settings) -> bool:
    services = (health(cfg) or {}).get("services", {})
    return all(services.get(name) in ("available", "running") for name in SERVICES)


def start(cfg: Settings, timeout: float = 120.0) -> str:
    pid = process.read_pid(cfg.pid_file)
    if pid and ready(cfg):
        return f"localstack: already running (pid {pid}) at {cfg.endpoint_url}"
    if process.port_open(cfg.host, cfg.port):
        raise RuntimeError(f"port {cfg.port} is taken by another program; set CREDLINK_LOCALSTACK_PORT")
    if not installed(cfg):
        raise RuntimeError(f"{cfg.venv} is missing or stale: run `python -m tools.emulator.localstack install`")
    cfg.volume_dir.mkdir(parents=True, exist_ok=True)
    argv = [str(cfg.python), "-m", "localstack.runtime.main"]
    pid = process.spawn(argv, cfg.log_file, cfg.pid_file, env=cfg.runtime_env())
    try:
        process.wait_until(lambda: ready(cfg) or not process.pid_alive(pid), timeout,
                           f"LocalStack on {cfg.endpoint_url}", interval=0.2)
    except TimeoutError:
        stop(cfg)
        raise
    if not ready(cfg):
        stop(cfg)
        raise RuntimeError(f"LocalStack exited during start-up; see {cfg.log_file}")
    return f"localstack: started (pid {pid}) at {cfg.endpoint_url}"


def stop(cfg: Settings, timeout: float = 20.0) -> str:
    """SIGTERM to the whole process group, SIGKILL after timeout; the volume is scratch."""
    pid = process.read_pid(cfg.pid_file)
    cfg.pid_file.unlink(missing_ok=True)
    shutil.rmtree(cfg.volume_dir, ignore_errors=True)
    if not pid:
        return "localstack: not running"
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return "localstack: not running"
    deadline = time.monotonic() + timeout
    while process.pid_alive(pid, group=True) and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    if process.pid_alive(pid, group=True):
        os.killpg(pid, signal.SIGKILL)
    shutil.rmtree(cfg.volume_dir, ignore_errors=True)
    return f"localstack: stopped (pid {pid})"


def status(cfg: Settings) -> tuple[bool, str]:
    pid = process.read_pid(cfg.pid_file)
    info = health(cfg)
    if pid and info and ready(cfg):
        return True, f"localstack: running (pid {pid}) at {cfg.endpoint_url}, version {info.get('version')}"
    return False, "localstack: not running"


def run_isolated(argv: list[str], base: Settings) -> int:
    """Run argv against a private LocalStack on a free port; SKIPPED if it cannot install."""
    if not argv:
        raise RuntimeError("run needs a command, e.g. run -- molecule test -s localstack")
    try:
        print(install(base), flush=True)
    except Unavailable as exc:
        if os.environ.get("CREDLINK_LOCALSTACK_REQUIRED") == "1":
            raise
        print(f"SKIPPED: LocalStack scenario not run: {exc}", flush=True)
        return 0
    with tempfile.TemporaryDirectory(prefix="credlink-localstack-") as state_dir:
        cfg = replace(base, state_dir=Path(state_dir), port=process.free_port(base.host))
        print(start(cfg), flush=True)
        try:
            env = {**os.environ, **cfg.aws_env(), "CREDLINK_LOCALSTACK_URL": cfg.endpoint_url}
            return subprocess.run(argv, env=env, check=False).returncode
        finally:
            print(stop(cfg), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.emulator.localstack",
                                     description=__doc__.split("\n\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="create .venv-localstack from the pinned requirements (reused while unchanged)")
    sub.add_parser("start", help="start LocalStack (detached) and wait until it is healthy")
    sub.add_parser("stop", help="stop LocalStack (its whole process group) and drop its volume")
    sub.add_parser("status", help="show whether LocalStack runs; exit 1 if not")
    sub.add_parser("env", help="print the shell exports that point AWS clients at LocalStack")
    run = sub.add_parser("run", help="run a command against a private LocalStack on a free port, then stop it")
    run.add_argument("argv", nargs=argparse.REMAINDER, help="the command (after --)")
    args = parser.parse_args(argv)
    cfg = settings()
    try:
        if args.command == "install":
            print(install(cfg))
        elif args.command == "start":
            print(start(cfg))
        elif args.command == "stop":
            print(stop(cfg))
        elif args.command == "status":
            up, line = status(cfg)
            print(line)
            return 0 if up else 1
        elif args.command == "env":
            for key, value in cfg.aws_env().items():
                print(f"export {key}={value}")
        else:
            return run_isolated(args.argv[1:] if args.argv[:1] == ["--"] else args.argv, cfg)
        return 0
    except (RuntimeError, TimeoutError, OSError) as exc:
        print(f"localstack: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
