"""Command line: ``python -m tools.emulator {start,stop,status,reset,env,serve}``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from . import aws, local_services
from .config import Settings, settings

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.emulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("start", "start services (detached) and wait until ready"),
                       ("stop", "stop services"), ("status", "show services; exit 1 if any is down")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--services", type=_services, default=list(SERVICES),
                         help="comma-separated subset of aws,postgres,redis (default: all)")
    sub.add_parser("reset", help="forget every AWS resource the emulator holds")
    sub.add_parser("env", help="print the shell exports that point AWS clients at the emulator")
    serve = sub.add_parser("serve", help="run the AWS emulator in the foreground")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    cfg = settings()

    try:
        if args.command == "serve":
            aws.serve(args.host or cfg.host, args.port if args.port is not None else cfg.aws_port)
            return 0
        if args.command == "env":
            for key, value in cfg.aws_env().items():
                print(f"export {key}={value}")
            return 0
        if args.command == "reset":
            print(aws.reset(cfg))
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
    except (RuntimeError, TimeoutError, OSError) as exc:
        print(f"emulator: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
