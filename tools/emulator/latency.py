"""Latency mode: slow resources pass through their real transitional states.

moto answers every create call with a resource that is ready at once, so the playbooks'
waiting logic (and the progress view) never runs against it. With a scale (e.g. 0.0167:
one real minute becomes one second) each slow resource reports its transitional state
until its typical real-world duration times the scale has passed since it was created:

==========================  ====================  ====================
resource                    while waiting         then
==========================  ====================  ====================
RDS instance                ``creating``          ``available``
Redis replication group     ``creating``          ``available``
NAT gateway                 ``pending``           ``available``
load balancer               ``provisioning``      ``active``
ECS service deployment      ``IN_PROGRESS``,      ``COMPLETED``, desired
                            0 running             count running
==========================  ====================  ====================

The durations are the midpoints of the ranges in ``data/wait_durations.yml``
(one table for the emulator, the progress view and the benchmark). Only creation (and an
ECS deployment) takes time: modifications and deletions stay immediate. With realism on
(``realism``), no creation is shorter than the realism delay, whatever the scale.

API latency (``--api-latency-ms N``, ``CREDLINK_EMULATOR_API_LATENCY_MS``, default 0) answers
every signed AWS call N milliseconds late, so a benchmark can show what a run costs at
AWS-like call latency. AWS publishes no per-call figure: 50-150 ms from the same region is a
modelling assumption (UNCONFIRMED), not a measurement.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from .config import PROJECT_ROOT

DURATIONS_FILE = PROJECT_ROOT / "data" / "wait_durations.yml"
SCALE_ENV = "CREDLINK_EMULATOR_LATENCY_SCALE"
API_LATENCY_ENV = "CREDLINK_EMULATOR_API_LATENCY_MS"


def load_seconds(path: Path = DURATIONS_FILE) -> dict[str, float]:
    """Real-world seconds per resource kind: the midpoint of each range in the table."""
    table = yaml.safe_load(path.read_text())
    return {kind: 60 * sum(entry["minutes"]) / len(entry["minutes"])
            for kind, entry in table.items() if isinstance(entry, dict) and "minutes" in entry}


def _non_negative(value: str | None, source: str, example: str, refusal: str) -> float:
    """A finite number of 0 or more; unset or empty is 0 (off)."""
    if value in (None, ""):
        return 0.0
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{source} {value!r}: expected {example}") from None
    if not 0 <= number < float("inf"):  # NaN fails every comparison
        raise ValueError(f"{source} {value!r}: {refusal}")
    return number


def parse_scale(value: str | None, source: str = SCALE_ENV) -> float:
    """0 (or unset) turns the mode off; a negative, infinite or non-numeric scale is refused."""
    return _non_negative(value, source, "a number such as 0.0167", "the scale must be 0 or more")


def parse_api_latency(value: str | None, source: str = API_LATENCY_ENV) -> float:
    """Milliseconds added to every AWS call; 0 (or unset) adds nothing."""
    return _non_negative(value, source, "a number of milliseconds such as 60",
                         "the latency must be 0 or more milliseconds")


class ApiLatency:
    """WSGI middleware: every signed AWS call is answered ``milliseconds`` late."""

    def __init__(self, app: Callable, milliseconds: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.app = app
        self.milliseconds = milliseconds
        self.sleep = sleep

    def __call__(self, environ: dict, start_response: Callable):
        from .faults import service_of

        if self.milliseconds and service_of(environ) and not environ.get("PATH_INFO", "").startswith("/_credlink"):
            self.sleep(self.milliseconds / 1000)
        return self.app(environ, start_response)


class Schedule:
    """When each resource in transition becomes ready, and what to do then.

    ``floor`` is the shortest time any resource takes (the realism delay; 0 without realism).
    """

    def __init__(self, scale: float, seconds: dict[str, float], now: Callable[[], float] = time.monotonic,
                 floor: float = 0.0):
        self.scale = scale
        self.seconds = seconds
        self.now = now
        self.floor = floor
        self._due: dict[int, tuple[float, Callable[[], None]]] = {}
        self._lock = threading.Lock()

    def delay(self, kind: str) -> float:
        return max(self.seconds[kind] * self.scale, self.floor)

    def hold(self, resource: object, kind: str, become_ready: Callable[[], None]) -> None:
        """Keep ``resource`` in transition for its kind's duration, then call ``become_ready``."""
        with self._lock:
            self._due[id(resource)] = (self.now() + self.delay(kind), become_ready)

    def pending(self, resource: object) -> bool:
        with self._lock:
            return id(resource) in self._due

    def settle(self) -> None:
        """Make ready what is due; called before every read of the resources."""
        with self._lock:
            now = self.now()
            due = [key for key, (at, _) in self._due.items() if at <= now]
            actions = [self._due.pop(key)[1] for key in due]
        for action in actions:
            action()


def _set(obj: object, **values: object) -> Callable[[], None]:
    def apply() -> None:
        for name, value in values.items():
            setattr(obj, name, value)
    return apply


def install(schedule: Schedule) -> None:
    """Patch moto's models so that creations take ``schedule``'s time (emulator process only)."""
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elbv2.models import FakeLoadBalancer
    from moto.elbv2.models import ELBv2Backend
    from moto.rds.models import RDSBackend

    from . import patches

    def settling(method):
        def wrapper(*args, **kwargs):
            schedule.settle()
            return method(*args, **kwargs)
        return wrapper

    def holding(method, kind_of: Callable[[object], str], transitional: dict, ready: dict):
        def wrapper(*args, **kwargs):
            resource = method(*args, **kwargs)
            for name, value in transitional.items():
                setattr(resource, name, value)
            schedule.hold(resource, kind_of(resource), _set(resource, **ready))
            return resource
        return wrapper

    NatGatewayBackend.create_nat_gateway = holding(
        NatGatewayBackend.create_nat_gateway, lambda _: "nat_gateway", {"state": "pending"}, {"state": "available"})
    NatGatewayBackend.describe_nat_gateways = settling(NatGatewayBackend.describe_nat_gateways)

    RDSBackend.create_db_instance = holding(
        RDSBackend.create_db_instance, lambda db: "rds_multi_az" if db.multi_az else "rds",
        {"status": "creating"}, {"status": "available"})
    RDSBackend.describe_db_instances = settling(RDSBackend.describe_db_instances)

    ElastiCacheBackend.create_replication_group = holding(
        ElastiCacheBackend.create_replication_group, lambda _: "elasticache_replication_group",
        {"status": "creating"}, {"status": "available"})
    ElastiCacheBackend.describe_replication_groups = settling(ElastiCacheBackend.describe_replication_groups)

    # moto turns a new balancer active at the first describe; it now waits for its time.
    ELBv2Backend.create_load_balancer = holding(
        ELBv2Backend.create_load_balancer, lambda _: "alb", {"state": "provisioning"}, {"state": "active"})
    original_activate = FakeLoadBalancer.activate

    def activate(balancer) -> None:
        if not schedule.pending(balancer):
            original_activate(balancer)
    FakeLoadBalancer.activate = activate
    ELBv2Backend.describe_load_balancers = settling(ELBv2Backend.describe_load_balancers)

    def start_deployment(service) -> None:
        service.running_count, service.pending_count = 0, service.desired_count
        for deployment in service.deployments[:1]:
            deployment.update({"taskDefinition": service.task_definition, "desiredCount": service.desired_count,
                               "runningCount": 0, "pendingCount": service.desired_count,
                               "rolloutState": "IN_PROGRESS"})
        schedule.hold(service, "ecs_service", lambda: patches.complete_ecs_deployment(service))
    patches.start_ecs_deployment = start_deployment
    EC2ContainerServiceBackend.describe_services = settling(EC2ContainerServiceBackend.describe_services)
