"""Command line: ``python -m tools.emulator {start,stop,status,reset,advance,env,run,serve}``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from collections.abc import Callable

from . import aws, latency, local_services, realism
from .config import Settings, settings
from .process import free_port

SERVICES = ("aws", "postgres", "redis")

STARTERS: dict[str, Callable[[Settings], str]] = {
    "aws": aws.start,
    "postgres": local_services.postgres_start,
    "redis": local_services.redis_start,
}
STOPPERS: dict[str, Callable[[Settings], str]] = {
    "aws": aws.stop,
    "postgres": local_services.postgres_stop,
    "redis": local_services.redis_stop,
}
STATUS: dict[str, Callable[[Settings], tuple[bool, str]]] = {
    "aws": aws.status,
    "postgres": local_services.postgres_status,
    "redis": local_services.redis_status,
}


def _services(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SERVICES))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown service(s) {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    return names


def _latency_scale(value: str) -> float:
    try:
        return latency.parse_scale(value, "--latency-scale")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _checked(parse: Callable[[str, str], object], flag: str) -> Callable[[str], str]:
    """An argparse type that refuses what ``parse`` refuses, and keeps the text for the environment."""
    def check(value: str) -> str:
        try:
            parse(value, flag)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return value
    return check


def _latency_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--latency-scale", type=_latency_scale, default=None, metavar="SCALE",
                     help="slow resources take their real-world time times SCALE to become ready "
                          f"(e.g. 0.0167: a minute becomes a second; default ${latency.SCALE_ENV} or 0, at once)")
    cmd.add_argument("--realism", choices=("on", "off"), default=None,
                     help=f"fail where real AWS fails (default ${realism.REALISM_ENV} or on)")
    cmd.add_argument("--consistency-seconds",
                     type=_checked(lambda v, f: realism.parse_consistency(v, f, realism=False), "--consistency-seconds"),
                     default=None, metavar="N[,KEY=M]",
                     help=f"realism delays: N seconds, or per behaviour ({', '.join(realism.DELAY_KEYS)}) "
                          f"(default ${realism.CONSISTENCY_ENV} or {realism.DEFAULT_CONSISTENCY_SECONDS:g})")
    cmd.add_argument("--api-latency-ms", type=_checked(latency.parse_api_latency, "--api-latency-ms"),
                     default=None, metavar="MS",
                     help=f"answer every AWS call MS milliseconds late (default ${latency.API_LATENCY_ENV} or 0)")


OPTION_ENV = {"latency_scale": latency.SCALE_ENV, "realism": realism.REALISM_ENV,
              "consistency_seconds": realism.CONSISTENCY_ENV, "api_latency_ms": latency.API_LATENCY_ENV}


def run_isolated(argv: list[str]) -> int:
    """Run argv with AWS_* pointing at a fresh emulator that nothing else shares."""
    if not argv:
        raise RuntimeError("run needs a command, e.g. run -- molecule test")
    with tempfile.TemporaryDirectory(prefix="credlink-emulator-") as state_dir:
        cfg = replace(settings(), state_dir=Path(state_dir), aws_port=free_port())
        # Killed outright, run cannot stop the emulator itself: the emulator then stops on its own.
        print(aws.start(cfg, exit_with_parent=True), flush=True)
        try:
            return subprocess.run(argv, env={**os.environ, **cfg.aws_env()}, check=False).returncode
        finally:
            print(aws.stop(cfg), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.emulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("start", "start services (detached) and wait until ready"),
                       ("stop", "stop services"), ("status", "show services; exit 1 if any is down")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--services", type=_services, default=list(SERVICES),
                         help="comma-separated subset of aws,postgres,redis (default: all)")
        if name == "start":
            _latency_option(cmd)
    sub.add_parser("reset", help="forget every AWS resource the emulator holds")
    sub.add_parser("advance", help="let months pass: minor version upgrades, patches, storage growth (realism)")
    run = sub.add_parser("run", help="run a command against a private AWS emulator on a free port, then stop it")
    _latency_option(run)
    run.add_argument("argv", nargs=argparse.REMAINDER, help="the command (after --)")
    sub.add_parser("env", help="print the shell exports that point AWS clients at the emulator")
    serve = sub.add_parser("serve", help="run the AWS emulator in the foreground")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--exit-with-parent", action="store_true",
                       help="also stop when the process that started it ends (test fixtures, run)")
    _latency_option(serve)
    args = parser.parse_args(argv)
    for option, variable in OPTION_ENV.items():
        if getattr(args, option, None) is not None:
            os.environ[variable] = str(getattr(args, option))
    if getattr(args, "consistency_seconds", None) is not None:
        try:  # 0 is refused only while realism is on, which the other flag or the environment decides
            realism.parse_consistency(args.consistency_seconds, "--consistency-seconds",
                                      realism=realism.parse_realism(os.environ.get(realism.REALISM_ENV)))
        except ValueError as exc:
            parser.error(str(exc))
    cfg = settings()

    try:
        if args.command in ("start", "run", "serve"):
            aws.Options.from_env()  # a bad setting (from the shell or a flag) stops here, without a traceback
        if args.command == "serve":
            aws.serve(args.host or cfg.host, args.port if args.port is not None else cfg.aws_port,
                      exit_with_parent=args.exit_with_parent)
            return 0
        if args.command == "run":
            return run_isolated(args.argv[1:] if args.argv[:1] == ["--"] else args.argv)
        if args.command == "env":
            for key, value in cfg.aws_env().items():
                print(f"export {key}={value}")
            return 0
        if args.command == "reset":
            print(aws.reset(cfg))
            return 0
        if args.command == "advance":
            changes = aws.advance(cfg)
            lines = [f"{service}: {c['resource']} {c['setting']} {c['from']} -> {c['to']}"
                     for service, listed in changes.items() for c in listed]
            print("\n".join(lines) if lines else "advance: nothing to change")
            return 0
        if args.command == "start":
            for name in args.services:
                print(STARTERS[name](cfg), flush=True)
            return 0
        if args.command == "stop":
            for name in reversed(args.services):
                print(STOPPERS[name](cfg), flush=True)
            return 0
        healthy = True
        for name in args.services:
            up, line = STATUS[name](cfg)
            healthy &= up
            print(line)
        return 0 if healthy else 1
    except (RuntimeError, TimeoutError, OSError, ValueError) as exc:
        print(f"emulator: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
