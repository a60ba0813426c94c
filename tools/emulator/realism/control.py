"""The realism layer in front of moto: time moves on before and after every AWS call.

Before each signed AWS request the timeline runs what is due (deployments fail, groups
finish modifying, ...), and the service-managed ENIs are brought in line with their owners;
after it, once more, so a deletion starts its ENIs' linger at once. Requests are served one
at a time while this happens (moto's models are not thread-safe either).

It also serves the emulator's own paths:

- ``POST /_credlink/advance``: months pass (``time_passing``); the answer lists the changes;
- ``GET /_credlink/realism``: whether realism is on, and its delays;
- ``POST /moto-api/reset`` forgets everything pending as well.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from .. import faults
from . import describe, enis, time_passing
from .clock import Context

ADVANCE_PATH = "/_credlink/advance"
REALISM_PATH = "/_credlink/realism"


def _answer(start_response: Callable, status: str, document: Any) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class Realism:
    """WSGI middleware; ``context`` None means realism is off (the paths still answer)."""

    def __init__(self, app: Callable, context: Context | None, schedule=None) -> None:
        self.app = app
        self.context = context
        self.schedule = schedule

    def tick(self) -> None:
        assert self.context is not None
        self.context.timeline.settle()
        if self.schedule is not None:
            self.schedule.settle()
        enis.sync(self.context)

    def _whole(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        captured: list = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers, exc_info]
            return lambda data: None

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        start_response(captured[0], captured[1])
        return [body]

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == ADVANCE_PATH:
            if method != "POST":
                return _answer(start_response, "405 Method Not Allowed", {"error": f"POST {ADVANCE_PATH}"})
            if self.context is None:
                return _answer(start_response, "409 Conflict",
                               {"error": "realism is off in this emulator: nothing ages (start it with --realism on)"})
            return _answer(start_response, "200 OK", time_passing.advance(self.context))
        if path == REALISM_PATH:
            return _answer(start_response, "200 OK",
                           describe(self.context) if self.context is not None else {"realism": "off"})
        if self.context is None:
            return self.app(environ, start_response)
        if path.startswith("/moto-api/reset"):
            with self.context.lock:
                answer = self._whole(environ, start_response)
                self.context.timeline.clear()
            return answer
        if not faults.service_of(environ):
            return self.app(environ, start_response)
        with self.context.lock:
            self.tick()
            answer = self._whole(environ, start_response)
            self.tick()
        return answer
