"""The AWS side of the emulator: moto in server mode on a LocalStack-compatible port."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import faults, latency, patches, process, realism
from .config import PROJECT_ROOT, Settings
from .realism import versions

FAULTS_ENV = "CREDLINK_EMULATOR_FAULTS"


@dataclass(frozen=True)
class Options:
    """How the emulator behaves, from its environment (the command line sets the variables)."""

    scale: float
    realism: bool
    delays: realism.Delays
    api_latency_ms: float
    plan: faults.FaultPlan

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Options":
        """Every setting checked, so a typo fails here and not in the server's log."""
        env = os.environ if env is None else env
        on = realism.parse_realism(env.get(realism.REALISM_ENV))
        options = cls(scale=latency.parse_scale(env.get(latency.SCALE_ENV)), realism=on,
                      delays=realism.parse_consistency(env.get(realism.CONSISTENCY_ENV), realism=on),
                      api_latency_ms=latency.parse_api_latency(env.get(latency.API_LATENCY_ENV)),
                      plan=faults.FaultPlan.parse(env.get(FAULTS_ENV)))
        if on:
            versions.load(env.get(versions.VERSIONS_ENV))
        return options

    def describe(self) -> str:
        parts = [f"realism on, delay {self.delays.default:g} s" if self.realism else "realism off"]
        if self.plan.every:
            parts.append(f"faulting one request in {self.plan.every}")
        if self.scale:
            parts.append(f"latency scale {self.scale:g}")
        if self.api_latency_ms:
            parts.append(f"API latency {self.api_latency_ms:g} ms")
        return ", ".join(parts)


def build_app(options: Options):
    """moto with the project's fixes, realism, faults and API latency (emulator process only)."""
    # AWS managed policies (e.g. AmazonRDSEnhancedMonitoringRole) must exist to be attached.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    patches.apply_all()
    schedule = None
    if options.scale or options.realism:
        floor = options.delays.of("states") if options.realism else 0.0
        schedule = latency.Schedule(options.scale, latency.load_seconds(), floor=floor)
        latency.install(schedule)
    context = realism.install(realism.Context(options.delays), schedule) if options.realism else None
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from .realism import control

    app = control.Realism(DomainDispatcherApplication(create_backend_app), context, schedule)
    app = faults.FaultInjector(app, options.plan)
    return latency.ApiLatency(app, options.api_latency_ms)


def serve(host: str, port: int, exit_with_parent: bool = False) -> None:
    """Run moto server in the foreground (what ``start`` detaches).

    With ``exit_with_parent`` it also stops when the process that started it ends, however
    it ends: a test run killed with SIGKILL, or whose fixtures never ran their teardown,
    would otherwise leave the server and its port behind. The parent is polled every second
    (its pid changes when it dies and the server is re-parented), which works whichever
    thread started the server, unlike ``PR_SET_PDEATHSIG``.
    """
    parent = os.getppid()
    options = Options.from_env()
    app = build_app(options)
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    print(f"emulator: serving AWS APIs on http://{host}:{port} ({options.describe()})", flush=True)
    while not stopped.wait(1.0):
        if exit_with_parent and os.getppid() != parent:
            print(f"emulator: parent {parent} ended, stopping", flush=True)
            break
    server.shutdown()
    thread.join()


def ready(cfg: Settings) -> bool:
    try:
        with urllib.request.urlopen(f"{cfg.endpoint_url}/moto-api/", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def pid_file(cfg: Settings) -> Path:
    return cfg.state_dir / "aws.pid"


def start(cfg: Settings, timeout: float = 60.0, exit_with_parent: bool = False) -> str:
    pid = process.read_pid(pid_file(cfg))
    if pid and ready(cfg):
        return f"aws: already running (pid {pid}) at {cfg.endpoint_url}"
    if process.port_open(cfg.host, cfg.aws_port):
        raise RuntimeError(
            f"port {cfg.aws_port} is taken by another program; set CREDLINK_EMULATOR_PORT"
        )
    options = Options.from_env()  # a typo fails here, not in the log
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "tools.emulator", "serve", "--host", cfg.host,
            "--port", str(cfg.aws_port)] + (["--exit-with-parent"] if exit_with_parent else [])
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    pid = process.spawn(argv, cfg.state_dir / "aws.log", pid_file(cfg), env=env)
    process.wait_until(lambda: ready(cfg), timeout, f"AWS emulator on {cfg.endpoint_url}")
    return f"aws: started (pid {pid}) at {cfg.endpoint_url} ({options.describe()})"


def stop(cfg: Settings) -> str:
    pid = process.read_pid(pid_file(cfg))
    pid_file(cfg).unlink(missing_ok=True)
    if not pid:
        return "aws: not running"
    process.terminate(pid)
    return f"aws: stopped (pid {pid})"


def status(cfg: Settings) -> tuple[bool, str]:
    pid = process.read_pid(pid_file(cfg))
    if pid and ready(cfg):
        return True, f"aws: running (pid {pid}) at {cfg.endpoint_url}"
    return False, "aws: not running"


def reset(cfg: Settings) -> str:
    request = urllib.request.Request(f"{cfg.endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    return "aws: state reset"


def advance(cfg: Settings) -> dict:
    """Ask the running emulator to let months pass; what changed."""
    from .realism.control import ADVANCE_PATH

    request = urllib.request.Request(f"{cfg.endpoint_url}{ADVANCE_PATH}", data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
        raise RuntimeError(f"advance refused by {cfg.endpoint_url}: {detail}") from None
    except (urllib.error.URLError, OSError):
        raise RuntimeError(f"no emulator answers at {cfg.endpoint_url} (start it first)") from None
