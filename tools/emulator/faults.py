"""Fault injection: answer a share of AWS calls the way AWS does under load.

AWS throttles bursts of API calls (``RequestLimitExceeded`` on EC2, ``Throttling`` on the
query APIs, ``ThrottlingException`` on the JSON APIs, ``SlowDown`` on S3) and sometimes
answers 500/503. A playbook that only ever met a perfect endpoint has never exercised its
retries, so the emulator can fault one request in N, deterministically: the retry of a
faulted request is the next request and goes through, so a run with faults converges the
same way every time, while ``every=1`` faults everything and proves that exhausted
retries are reported.

Turned on with ``CREDLINK_EMULATOR_FAULTS=every=4`` (optionally ``,kinds=throttle+internal``)
when the emulator starts, or at run time through ``/_credlink/faults`` (GET shows the
plan and counters, POST with the same text replaces the plan and zeroes the counters).

The kind ``processed`` (only when named in ``kinds``, never in the default rotation) lets
the call take effect and then answers it with a 500 ``InternalError``: the resource exists,
the client saw a failure and retries. EC2 documents exactly that: "Operations might also
time out or encounter other server issues before they complete, even though the request has
already returned a result ... you might create more resources than you intended" (Amazon EC2
API, "Ensuring idempotency", https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).
It is how an unguarded CreateNatGateway ends with two gateways.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

CONTROL_PATH = "/_credlink/faults"
KINDS = ("throttle", "unavailable", "internal")  # the default rotation
PROCESSED = "processed"  # the call takes effect, then the client gets a 500
ALL_KINDS = (*KINDS, PROCESSED)
# Service name from the SigV4 credential scope: Credential=<key>/<date>/<region>/<service>/aws4_request
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


@dataclass(frozen=True)
class FaultPlan:
    every: int = 0
    kinds: tuple[str, ...] = KINDS

    @classmethod
    def parse(cls, text: str | None) -> "FaultPlan":
        """``every=N[,kinds=a+b]``; empty text means no faults."""
        if not text or not text.strip():
            return cls()
        values: dict[str, str] = {}
        for part in text.split(","):
            key, sep, value = part.partition("=")
            if not sep or key.strip() not in ("every", "kinds"):
                raise ValueError(f"fault plan {text!r}: expected every=N[,kinds={'+'.join(ALL_KINDS)}]")
            values[key.strip()] = value.strip()
        try:
            every = int(values.get("every", "0"))
        except ValueError:
            raise ValueError(f"fault plan {text!r}: every must be a whole number") from None
        if every < 0:
            raise ValueError(f"fault plan {text!r}: every must be 0 (off) or more")
        kinds = tuple(k for k in values.get("kinds", "+".join(KINDS)).split("+") if k)
        unknown = sorted(set(kinds) - set(ALL_KINDS))
        if unknown or not kinds:
            raise ValueError(f"fault plan {text!r}: kinds must be among {', '.join(ALL_KINDS)}")
        return cls(every=every, kinds=kinds)

    def describe(self) -> dict[str, Any]:
        return {"every": self.every, "kinds": list(self.kinds)}


@dataclass
class _Counters:
    requests: int = 0
    faults: dict[str, int] = field(default_factory=dict)


def service_of(environ: dict[str, Any]) -> str:
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else ""


def error_response(kind: str, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status, headers and body of the fault, in the wire format the caller's SDK parses."""
    service = service_of(environ)
    json_api = "HTTP_X_AMZ_TARGET" in environ or "json" in environ.get("CONTENT_TYPE", "")
    if kind == "throttle":
        if service == "ec2":
            status, code, message = "503 Service Unavailable", "RequestLimitExceeded", "Request limit exceeded."
        elif service == "s3":
            status, code, message = "503 Slow Down", "SlowDown", "Please reduce your request rate."
        elif json_api:
            status, code, message = "400 Bad Request", "ThrottlingException", "Rate exceeded"
        else:
            status, code, message = "400 Bad Request", "Throttling", "Rate exceeded"
    elif kind == "unavailable":
        status, code, message = "503 Service Unavailable", "ServiceUnavailable", "Service is unavailable."
    else:
        status, code, message = "500 Internal Server Error", "InternalError", "We encountered an internal error."

    if json_api:
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)], body
    if service == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                "<RequestID>credlink-fault</RequestID></Response>")
    elif service == "s3":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>credlink-fault</RequestId></Error>"
    else:
        party = "Sender" if kind == "throttle" else "Receiver"
        body = (f"<ErrorResponse><Error><Type>{party}</Type><Code>{code}</Code><Message>{message}</Message>"
                "</Error><RequestId>credlink-fault</RequestId></ErrorResponse>")
    return status, [("Content-Type", "text/xml")], body.encode()


class FaultInjector:
    """WSGI middleware in front of the emulator."""

    def __init__(self, app: Callable, plan: FaultPlan | None = None) -> None:
        self.app = app
        self.plan = plan or FaultPlan()
        self.counters = _Counters()
        self._lock = threading.Lock()

    def _next_fault(self) -> str | None:
        with self._lock:
            self.counters.requests += 1
            if not self.plan.every or self.counters.requests % self.plan.every:
                return None
            injected = sum(self.counters.faults.values())
            kind = self.plan.kinds[injected % len(self.plan.kinds)]
            self.counters.faults[kind] = self.counters.faults.get(kind, 0) + 1
            return kind

    def _control(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            text = environ["wsgi.input"].read(length).decode() if length else ""
            try:
                plan = FaultPlan.parse(text)
            except ValueError as exc:
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [str(exc).encode()]
            with self._lock:
                self.plan, self.counters = plan, _Counters()
        with self._lock:
            state = {**self.plan.describe(), "requests": self.counters.requests,
                     "faults": dict(self.counters.faults)}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(state).encode()]

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PATH:
            return self._control(environ, start_response)
        # Only signed AWS calls are faulted: the emulator's own API (/moto-api) stays reliable.
        if path.startswith("/moto-api") or not service_of(environ):
            return self.app(environ, start_response)
        kind = self._next_fault()
        if kind is None:
            return self.app(environ, start_response)
        if kind == PROCESSED:
            return self._processed_then_failed(environ, start_response)
        # Drain the request body so the connection stays usable for the retry.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
        status, headers, body = error_response(kind, environ)
        start_response(status, headers + [("Content-Length", str(len(body)))])
        return [body]

    def _processed_then_failed(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Let the call take effect, throw its answer away, and report an internal error."""
        result = self.app(environ, lambda status, headers, exc_info=None: (lambda data: None))
        try:
            for _ in result:
                pass
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers, body = error_response("internal", environ)
        start_response(status, headers + [("Content-Length", str(len(body)))])
        return [body]
