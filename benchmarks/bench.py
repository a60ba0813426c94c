"""Benchmark of a full production apply on the emulator: `make bench` (not part of `make test`).

Measures, on this machine, in one run:
  (a) the first full run with zero latency (the playbooks' own overhead),
  (b) the no-op rerun,
  (c) the first full run on an emulator whose slow resources take their real-world time
      times SCALE (data/wait_durations.yml, midpoints), compared with
        - the critical-path bound: the database, then the service that needs its endpoint,
          plus the zero-latency overhead (a),
        - the sequential sum: every slow resource awaited in turn,
      and projected to real AWS (the critical path at full length plus what (c) spent
      beyond its scaled critical path),
  (d) tasks per second of (a) and (b),
and, for comparison, (b) again with every module in a new Python (CREDLINK_MODULE_RUNNER=off)
right after it, so both no-ops are measured on the same machine state.

``--api-latency-ms N`` answers every AWS call N ms late on all emulators (AWS-like call
latency: what a no-op costs when each call takes a round trip to a region); ``--realism off``
runs them without the emulator's realism (on by default, as everywhere).

    .venv/bin/python benchmarks/bench.py [--scale 0.1] [--api-latency-ms 0] [--realism on] [--json results.json]
    .venv/bin/python benchmarks/bench.py --compare REV [--rounds 2]   (make bench COMPARE=REV)

``--compare REV`` runs (a) and (b) of this tree and of revision REV (a temporary git worktree)
in turn on fresh emulators and prints this tree's seconds over REV's: the figure that counts
when the machine's speed drifts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.emulator import aws, latency, realism  # noqa: E402
from tools.emulator.config import settings  # noqa: E402
from tools.emulator.process import free_port  # noqa: E402

INVENTORY = "production"
# The production database is unreachable from this host: the schema layer needs a tunnel.
SKIP = ("--skip-tags", "schema")
# Poll every second: the layers' real-AWS intervals (10-30 s) would dominate a scaled run.
FAST_POLLS = {f"{layer}_poll_interval": 1 for layer in ("network", "database", "cache", "container_platform")}
# A new production stack's checklist fails app.image until an image is pushed: the runs
# still verify (and count the time), but report instead of failing.
FAST_POLLS["verify_fail_on_error"] = False
# The emulator's account; and plain HTTP on the load balancer (no hosted zone to validate a
# certificate in: ACM's validation wait is not what is measured).
FAST_POLLS.update(credlink_expected_account_id="123456789012", container_platform_allow_http=True)
TARGETS = {"latency_vs_bound": 1.15, "latency_vs_sequential": 0.55, "projected_minutes": 16,
           "noop_seconds": 30, "zero_latency_seconds": 60}


EMULATOR_SETTINGS: dict[str, str] = {}  # API latency and realism for every emulator of the run (main sets them)


@contextmanager
def emulator(scale: float):
    """A private emulator at ``scale``; yields the environment that points the playbooks at it."""
    with tempfile.TemporaryDirectory(prefix="credlink-bench-") as state_dir:
        cfg = replace(settings(), state_dir=Path(state_dir), aws_port=free_port())
        wanted = {latency.SCALE_ENV: str(scale), **EMULATOR_SETTINGS}
        saved = {name: os.environ.get(name) for name in wanted}
        os.environ.update(wanted)
        try:
            aws.start(cfg, exit_with_parent=True)
        finally:
            for name, value in saved.items():
                if value is None:
                    del os.environ[name]
                else:
                    os.environ[name] = value
        try:
            yield {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **cfg.aws_env(),
                   "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "CREDLINK_PROGRESS": "lines",
                   # The measured runs use the warm module runner (opt-in); (b) is repeated without it.
                   "CREDLINK_MODULE_RUNNER": "on"}
        finally:
            aws.stop(cfg)


def apply(env: dict[str, str], label: str, root: Path = ROOT) -> dict:
    """One site.yml run of the tree at ``root``: wall seconds and the recap counts."""
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/site.yml", "-i", f"inventories/{INVENTORY}",
            *SKIP, "-e", json.dumps(FAST_POLLS)]
    env = {**env, "ANSIBLE_CONFIG": str(root / "ansible.cfg"), "ANSIBLE_COLLECTIONS_PATH": str(root / "collections")}
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    recap = next((line for line in reversed(proc.stdout.splitlines()) if line.startswith("localhost")), "")
    counts = {k: int(v) for k, v in (part.split("=") for part in recap.split()[2:])}
    if proc.returncode != 0:
        sys.exit(f"{label}: site.yml failed (rc {proc.returncode})\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    print(f"{label}: {seconds:.1f} s, changed={counts['changed']}, ok={counts['ok']}, skipped={counts['skipped']}",
          flush=True)
    return {"seconds": round(seconds, 1), **counts, "tasks_per_second": round((counts["ok"] + counts["skipped"]) / seconds, 2)}


def stack_shape(env: dict[str, str]) -> dict:
    """How many NAT gateways the run built and whether the database is Multi-AZ (read back)."""
    import boto3

    def client(service):
        return boto3.client(service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    nats = [n for n in client("ec2").describe_nat_gateways()["NatGateways"] if n["State"] == "available"]
    db = client("rds").describe_db_instances()["DBInstances"][0]
    return {"nat_gateways": len(nats), "multi_az": db["MultiAZ"]}


def model(shape: dict) -> dict[str, float]:
    """Real-world seconds of the critical path and of the sequential sum, from the duration table."""
    seconds = latency.load_seconds()
    rds = seconds["rds_multi_az" if shape["multi_az"] else "rds"]
    return {
        # network -> database -> endpoint in the secret -> service; the NAT gateways, the cache
        # and the load balancer are shorter and run beside the database.
        "critical_path": rds + seconds["ecs_service"],
        "sequential_sum": shape["nat_gateways"] * seconds["nat_gateway"] + rds
        + seconds["elasticache_replication_group"] + seconds["alb"] + seconds["ecs_service"],
    }


def compare(rev: str, rounds: int) -> dict:
    """(a) and (b) of this tree and of ``rev`` (checked out in a temporary worktree), in turn on
    fresh emulators, ``rounds`` times; the best of each, and this tree's over rev's.

    Taking turns, rather than one tree after the other, spreads the machine's drift over both."""
    best: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="credlink-bench-rev-") as tmp:
        other = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(other), rev], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            for turn in range(1, rounds + 1):
                for name, root in ((rev, other), ("this tree", ROOT)):
                    with emulator(0) as env:
                        runs = {"first": apply(env, f"{name}, round {turn}: (a) first run", root),
                                "noop": apply(env, f"{name}, round {turn}: (b) no-op rerun", root)}
                    for kind, run in runs.items():
                        kept = best.setdefault(name, {}).get(kind)
                        if kept is None or run["seconds"] < kept["seconds"]:
                            best[name][kind] = run
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=False)

    def tasks(run):
        return run["ok"] + run["skipped"]

    this, then = best["this tree"], best[rev]
    return {
        "date": date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "compared_with": rev, "rounds": rounds, "this_tree": this, "rev": then,
        "first_run_ratio": round(this["first"]["seconds"] / then["first"]["seconds"], 3),
        "noop_ratio": round(this["noop"]["seconds"] / then["noop"]["seconds"], 3),
        "noop_tasks": {"this_tree": tasks(this["noop"]), "rev": tasks(then["noop"])},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="latency scale of run (c) (default 0.1)")

    def api_latency(value: str) -> float:
        try:
            return latency.parse_api_latency(value, "--api-latency-ms")
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parser.add_argument("--api-latency-ms", type=api_latency, default=0.0,
                        help="answer every AWS call this many milliseconds late (default 0)")
    parser.add_argument("--realism", choices=("on", "off"), default="on", help="the emulators' realism (default on)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--compare", metavar="REV",
                        help="instead: (a) and (b) of this tree and of git revision REV, in turn, and their ratios")
    parser.add_argument("--rounds", type=int, default=2, help="with --compare: turns per tree, the best counts (2)")
    args = parser.parse_args(argv)
    EMULATOR_SETTINGS.update({latency.API_LATENCY_ENV: str(args.api_latency_ms), realism.REALISM_ENV: args.realism})
    if args.compare:
        results = compare(args.compare, args.rounds)
        print(json.dumps(results, indent=2))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
        return 0

    with emulator(0) as env:
        first = apply(env, "(a) first run, zero latency")
        noop = apply(env, "(b) no-op rerun")
        noop_cold = apply(dict(env, CREDLINK_MODULE_RUNNER="off"), "(b) no-op rerun, module runner off")
    with emulator(args.scale) as env:
        scaled = apply(env, f"(c) first run, latency x{args.scale:g}")
        shape = stack_shape(env)

    real = model(shape)
    bound = real["critical_path"] * args.scale + first["seconds"]
    sequential = real["sequential_sum"] * args.scale
    beyond = scaled["seconds"] - real["critical_path"] * args.scale
    results = {
        "date": date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "scale": args.scale, "api_latency_ms": args.api_latency_ms, "realism": args.realism, "stack": shape,
        "zero_latency": first, "noop": noop, "noop_runner_off": noop_cold,
        "latency": scaled,
        "critical_path_real_minutes": round(real["critical_path"] / 60, 2),
        "sequential_sum_real_minutes": round(real["sequential_sum"] / 60, 2),
        "critical_path_bound_seconds": round(bound, 1),
        "sequential_sum_seconds": round(sequential, 1),
        "latency_vs_bound": round(scaled["seconds"] / bound, 3),
        "latency_vs_sequential": round(scaled["seconds"] / sequential, 3),
        "latency_vs_sequential_with_overhead": round(scaled["seconds"] / (sequential + first["seconds"]), 3),
        "projected_minutes": round((real["critical_path"] + beyond) / 60, 1),
        "targets": TARGETS,
    }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
