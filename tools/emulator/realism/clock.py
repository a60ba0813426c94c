"""The realism clock: how old a resource is, and what happens when its time comes.

Every behaviour reads time from one :class:`Context`, so tests can replace the clock with
a fake one (as ``latency.Schedule`` takes ``now``) and walk it forward by hand.
Ages are kept on the moto model objects themselves (``_credlink_born``): a reset of the
emulator drops the objects, and with them every record of their age.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

BORN = "_credlink_born"


@dataclass(frozen=True)
class Delays:
    """Seconds each behaviour waits: one default, optionally overridden per behaviour."""

    default: float = 3.0
    overrides: tuple[tuple[str, float], ...] = ()

    def of(self, behaviour: str) -> float:
        return dict(self.overrides).get(behaviour, self.default)


class Timeline:
    """Actions due at given times, run in time order whenever the emulator is asked anything."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._lock = threading.RLock()
        self._running_at: float | None = None

    def at(self, when: float, action: Callable[[], None]) -> None:
        with self._lock:
            heapq.heappush(self._due, (when, next(self._order), action))

    def after(self, seconds: float, action: Callable[[], None]) -> float:
        """Run ``action`` ``seconds`` from now; returns when that is.

        Called from an action, "now" is when that action was due: a chain of changes plays out
        as it would have, however late the emulator is next asked.
        """
        when = (self._running_at if self._running_at is not None else self.now()) + seconds
        self.at(when, action)
        return when

    def settle(self) -> int:
        """Run every action whose time has come (including ones they schedule); how many ran.

        An action that fails is reported in the emulator's log and dropped: the request that
        happened to come by is not failed for it.
        """
        ran = 0
        with self._lock:
            while self._due and self._due[0][0] <= self.now():
                when, _, action = heapq.heappop(self._due)
                self._running_at = when
                try:
                    action()
                except Exception:  # noqa: BLE001 - whatever went wrong, the emulator keeps serving
                    print("emulator: realism: a timed change failed:", file=sys.stderr)
                    traceback.print_exc()
                finally:
                    self._running_at = None
                ran += 1
        return ran

    def pending(self) -> int:
        with self._lock:
            return len(self._due)

    def clear(self) -> None:
        with self._lock:
            self._due.clear()


@dataclass
class Context:
    """Settings, clock and timeline shared by every realism behaviour in the emulator process."""

    delays: Delays = field(default_factory=Delays)
    now: Callable[[], float] = time.monotonic
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.timeline = Timeline(self.now)

    def delay(self, behaviour: str) -> float:
        return self.delays.of(behaviour)

    def stamp(self, resource: object, at: float | None = None) -> None:
        """Remember when ``resource`` came into being (now unless told)."""
        setattr(resource, BORN, self.now() if at is None else at)

    def age(self, resource: object) -> float:
        """Seconds since ``resource`` was stamped; resources the emulator never stamped are old."""
        born = getattr(resource, BORN, None)
        return float("inf") if born is None else self.now() - born

    def young(self, resource: object, behaviour: str) -> bool:
        """True while ``resource`` is younger than ``behaviour``'s delay."""
        return self.age(resource) < self.delay(behaviour)

    def ready_at(self, resource: object, behaviour: str) -> float:
        """When ``resource`` stops being young (now if it already has)."""
        born = getattr(resource, BORN, None)
        return self.now() if born is None else max(self.now(), born + self.delay(behaviour))


_current: Context | None = None


def current() -> Context:
    """The context installed in this process (a default one until ``install`` sets it)."""
    global _current
    if _current is None:
        _current = Context()
    return _current


def set_current(context: Context) -> Context:
    global _current
    _current = context
    return context
