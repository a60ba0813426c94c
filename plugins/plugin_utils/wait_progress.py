# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a retried wait task is waiting for, and how long that usually takes.

The roles await slow resources with ``until``/``retries``/``delay`` on an ``*_info``
module. Every retry hands the stdout callback that module's result, so the resources and
their states are read from the result itself: the roles need no extra convention, and a
wait task written later with one of these modules is shown the same way. Anything else
is shown by its task name.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

DURATIONS_FILE = Path(__file__).resolve().parents[2] / "data" / "wait_durations.yml"


@dataclass(frozen=True)
class Pending:
    """One resource a wait task polls: ``kind`` is a key of the duration table, or ''."""

    kind: str
    name: str
    state: str
    ready: bool = False


def _rds(result: dict) -> list[Pending]:
    return [Pending("rds_multi_az" if i.get("multi_az") else "rds", i.get("db_instance_identifier", "?"),
                    i.get("db_instance_status", "unknown")) for i in result.get("instances") or []]


def _replication_group(result: dict) -> list[Pending]:
    group = result.get("replication_group") or {}
    if not result.get("found") or not group:
        return []
    return [Pending("elasticache_replication_group", group.get("replication_group_id", "?"), group.get("status", "unknown"))]


def _nat_gateways(result: dict) -> list[Pending]:
    return [Pending("nat_gateway", (n.get("tags") or {}).get("Name") or n.get("nat_gateway_id", "?"), n.get("state", "unknown"))
            for n in result.get("result") or []]


def _load_balancers(result: dict) -> list[Pending]:
    return [Pending("alb", lb.get("load_balancer_name", "?"), (lb.get("state") or {}).get("code", "unknown"))
            for lb in result.get("load_balancers") or []]


def _ecs_services(result: dict) -> list[Pending]:
    pending = []
    for service in result.get("services") or []:
        deployments = service.get("deployments") or []
        primary = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
        rollout = str(primary.get("rolloutState", "")).lower().replace("_", " ") or "deploying"
        if len(deployments) > 1:
            rollout += f", {len(deployments) - 1} old deployment(s) draining"
        running = f"{service.get('runningCount', 0)}/{service.get('desiredCount', 0)} running"
        pending.append(Pending("ecs_service", service.get("serviceName", "?"), f"{rollout}, {running}"))
    return pending


def _readiness(result: dict) -> list[Pending]:
    return [Pending(r.get("kind", ""), r.get("name", "?"), r.get("state", "unknown"), bool(r.get("ready")))
            for r in result.get("resources") or []]


# By module name without its collection: the roles call them by FQCN, users may not.
EXTRACTORS: dict[str, Callable[[dict], list[Pending]]] = {
    "rds_instance_info": _rds,
    "elasticache_replication_group_info": _replication_group,
    "ec2_vpc_nat_gateway_info": _nat_gateways,
    "elb_application_lb_info": _load_balancers,
    "ecs_service_info": _ecs_services,
    "readiness_info": _readiness,
}


def pending_from_result(action: str, task_name: str, result: dict) -> list[Pending]:
    """The resources a retried task is waiting for, as its module reported them.

    A no_log result is censored by Ansible before it reaches a callback; nothing of it is
    read, not even to name the resource.
    """
    if result.get("censored"):
        return [Pending("", task_name, "waiting (details hidden by no_log)")]
    extract = EXTRACTORS.get(action.rsplit(".", 1)[-1])
    found = extract(result) if extract else []
    return found or [Pending("", task_name, "waiting")]


def load_durations(path: Path = DURATIONS_FILE) -> dict[str, dict]:
    """The duration table; an unreadable one only costs the estimates."""
    try:
        table = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return {key: value for key, value in table.items() if isinstance(value, dict) and "minutes" in value}


def clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def minutes(value: float) -> str:
    return f"{value:g}"


@dataclass
class Wait:
    """One retried task on one host."""

    title: str
    started: float
    pending: list[Pending] = field(default_factory=list)
    attempt: int = 0
    retries: int = 0
    # Resources awaited together become ready one by one: seconds from the start to each.
    ready_after: dict[str, float] = field(default_factory=dict)


class Progress:
    """The waits under way, rendered as one line per pending resource."""

    def __init__(self, durations: dict[str, dict], now: Callable[[], float] = time.monotonic):
        self.durations = durations
        self.now = now
        self.waits: dict[Any, Wait] = {}

    def start(self, key: Any, title: str) -> None:
        """The task began: elapsed times count from here, not from the first retry."""
        self.waits.setdefault(key, Wait(title, self.now()))

    def update(self, key: Any, title: str, pending: list[Pending], attempt: int, retries: int) -> bool:
        """Record a retry; True when a resource's state changed (worth a line in a log)."""
        self.start(key, title)
        wait = self.waits[key]
        changed = [(p.name, p.state) for p in pending] != [(p.name, p.state) for p in wait.pending]
        wait.pending, wait.attempt, wait.retries = pending, attempt, retries
        for p in pending:
            if p.ready:
                wait.ready_after.setdefault(p.name, self.now() - wait.started)
        return changed

    def finish(self, key: Any, pending: list[Pending] | None = None) -> list[str]:
        """Forget a wait; lines saying how long it took when it had to be retried."""
        wait = self.waits.pop(key, None)
        if wait is None or wait.attempt == 0:
            return []
        total = self.now() - wait.started
        return [f"{self.label(p)} {p.name}: {p.state} after {clock(wait.ready_after.get(p.name, total))}"
                f"{self.typical(p)}" if p.kind in self.durations
                else f"{p.name}: finished waiting after {clock(total)}" for p in (pending or wait.pending)]

    def label(self, pending: Pending) -> str:
        return self.durations.get(pending.kind, {}).get("label", "task")

    def typical(self, pending: Pending) -> str:
        low, high = self.durations.get(pending.kind, {}).get("minutes", [None, None])
        return f" (typically {minutes(low)}-{minutes(high)} min on AWS)" if high else ""

    def estimate(self, pending: Pending, elapsed: float) -> str:
        low, high = self.durations.get(pending.kind, {}).get("minutes", [None, None])
        if not high:
            return ""
        left = high * 60 - elapsed
        if left <= 0:
            outlook = "longer than usual"
        else:
            outlook = f"up to ~{math.ceil(left / 60)} min left" if left >= 60 else "under a minute left"
        return f"typically {minutes(low)}-{minutes(high)} min, {outlook}"

    def lines(self) -> list[str]:
        """One line per pending resource of every wait under way."""
        rows = []
        for wait in self.waits.values():
            if not wait.attempt:
                continue
            elapsed = self.now() - wait.started
            for p in wait.pending:
                if p.name in wait.ready_after:
                    rows.append(f"  {self.label(p):<24} {p.name:<32} {p.state:<22} "
                                f"{clock(wait.ready_after[p.name]):>7}  ready")
                else:
                    rows.append(f"  {self.label(p):<24} {p.name:<32} {p.state:<22} {clock(elapsed):>7}  "
                                f"{self.estimate(p, elapsed)}".rstrip())
        return rows

    def header(self) -> str:
        waits = [w for w in self.waits.values() if w.attempt]
        polls = ", ".join(f"{w.title}: poll {w.attempt} of {w.retries}" for w in waits)
        waiting = sum(1 for w in waits for p in w.pending if p.name not in w.ready_after)
        return f"Waiting for {waiting} resource(s) [{polls}]"
