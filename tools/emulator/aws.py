"""The AWS side of the emulator: moto in server mode on a LocalStack-compatible port."""

from __future__ import annotations

import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

from . import faults, latency, patches, process
from .config import PROJECT_ROOT, Settings

FAULTS_ENV = "CREDLINK_EMULATOR_FAULTS"


def serve(host: str, port: int) -> None:
    """Run moto server in the foreground (what ``start`` detaches)."""
    # AWS managed policies (e.g. AmazonRDSEnhancedMonitoringRole) must exist to be attached.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    patches.apply_all()
    scale = latency.parse_scale(os.environ.get(latency.SCALE_ENV))
    if scale:
        latency.install(latency.Schedule(scale, latency.load_seconds()))
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication, MotoRequestHandler, create_backend_app)
    from werkzeug.serving import make_server

    plan = faults.FaultPlan.parse(os.environ.get(FAULTS_ENV))
    app = faults.FaultInjector(DomainDispatcherApplication(create_backend_app), plan)
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    extra = f" (faulting one request in {plan.every})" if plan.every else ""
    extra += f" (latency scale {scale:g})" if scale else ""
    print(f"emulator: serving AWS APIs on http://{host}:{port}{extra}", flush=True)
    stopped.wait()
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


def start(cfg: Settings, timeout: float = 60.0) -> str:
    pid = process.read_pid(pid_file(cfg))
    if pid and ready(cfg):
        return f"aws: already running (pid {pid}) at {cfg.endpoint_url}"
    if process.port_open(cfg.host, cfg.aws_port):
        raise RuntimeError(
            f"port {cfg.aws_port} is taken by another program; set CREDLINK_EMULATOR_PORT"
        )
    faults.FaultPlan.parse(os.environ.get(FAULTS_ENV))  # a typo fails here, not in the log
    latency.parse_scale(os.environ.get(latency.SCALE_ENV))
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "tools.emulator", "serve", "--host", cfg.host,
            "--port", str(cfg.aws_port)]
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    pid = process.spawn(argv, cfg.state_dir / "aws.log", pid_file(cfg), env=env)
    process.wait_until(lambda: ready(cfg), timeout, f"AWS emulator on {cfg.endpoint_url}")
    return f"aws: started (pid {pid}) at {cfg.endpoint_url}"


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
