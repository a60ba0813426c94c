"""The emulator's fault injection: plans, wire formats SDKs understand, and module retries."""

from __future__ import annotations

import threading

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from werkzeug.serving import make_server

from tools.emulator.faults import FaultInjector, FaultPlan

from ansible_collections.credlink.infra.plugins.modules import db_credentials_secret
from tests.unit.in_process import call_main


def _healthy(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"{}"]


@pytest.fixture
def injector(offline_aws, monkeypatch):
    """A fault injector in front of an endpoint that would always succeed."""
    app = FaultInjector(_healthy, FaultPlan.parse("every=1,kinds=throttle"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    yield app, endpoint
    server.shutdown()
    thread.join()


def _client(service, endpoint):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        config=Config(retries={"mode": "standard", "max_attempts": 1}))


@pytest.mark.parametrize("text, every, kinds", [
    ("", 0, ("throttle", "unavailable", "internal")),
    ("every=4", 4, ("throttle", "unavailable", "internal")),
    ("every=1,kinds=throttle", 1, ("throttle",)),
    (" every = 10 , kinds = internal+unavailable ", 10, ("internal", "unavailable")),
])
def test_plans_parse(text, every, kinds):
    plan = FaultPlan.parse(text)
    assert (plan.every, plan.kinds) == (every, kinds)


@pytest.mark.parametrize("text", ["every=x", "every=-1", "often=3", "every=2,kinds=slow", "every=2,kinds=", "4"])
def test_bad_plans_are_refused(text):
    with pytest.raises(ValueError, match="fault plan"):
        FaultPlan.parse(text)


def test_one_request_in_n_is_faulted_and_kinds_rotate():
    app = FaultInjector(_healthy, FaultPlan.parse("every=3"))
    environ = {"PATH_INFO": "/", "HTTP_AUTHORIZATION":
               "AWS4-HMAC-SHA256 Credential=testing/20261123/us-east-1/iam/aws4_request, SignedHeaders=host"}
    statuses = []
    for _ in range(9):
        app(dict(environ), lambda status, headers: statuses.append(status))
    assert [s[:3] for s in statuses] == ["200", "200", "400", "200", "200", "503", "200", "200", "500"]
    assert app.counters.requests == 9
    assert app.counters.faults == {"throttle": 1, "unavailable": 1, "internal": 1}


def test_the_emulators_own_api_and_unsigned_calls_are_never_faulted():
    app = FaultInjector(_healthy, FaultPlan.parse("every=1"))
    statuses = []
    for path in ("/moto-api/reset", "/"):
        app({"PATH_INFO": path}, lambda status, headers: statuses.append(status))
    assert statuses == ["200 OK", "200 OK"] and app.counters.requests == 0


@pytest.mark.parametrize("service, call, code", [
    ("ec2", lambda c: c.describe_vpcs(), "RequestLimitExceeded"),
    ("iam", lambda c: c.list_roles(), "Throttling"),
    ("secretsmanager", lambda c: c.list_secrets(), "ThrottlingException"),
    ("ecs", lambda c: c.list_clusters(), "ThrottlingException"),
    ("s3", lambda c: c.list_objects_v2(Bucket="proofs"), "SlowDown"),
])
def test_the_sdk_reads_each_throttle_as_that_services_throttling_code(injector, service, call, code):
    _, endpoint = injector
    with pytest.raises(ClientError) as caught:
        call(_client(service, endpoint))
    assert caught.value.response["Error"]["Code"] == code


@pytest.mark.parametrize("kind, status", [("unavailable", 503), ("internal", 500)])
def test_server_errors_reach_the_sdk_as_5xx(injector, kind, status):
    app, endpoint = injector
    app.plan = FaultPlan.parse(f"every=1,kinds={kind}")
    with pytest.raises(ClientError) as caught:
        _client("rds", endpoint).describe_db_instances()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_a_module_retries_with_backoff_then_names_the_call_and_the_error(injector, capsys, monkeypatch):
    app, _ = injector
    pauses = []
    # The backoff's sleeps are recorded instead of waited: the budget is what is asserted.
    monkeypatch.setattr("time.sleep", pauses.append)
    result, code = call_main(db_credentials_secret, {"name": "credlink-test-db-credentials"}, capsys)
    assert code == 1 and result["failed"]
    assert "ThrottlingException" in result["msg"] and "reached max retries" in result["msg"]
    assert "Traceback" not in result["msg"]
    # The module's policy (11 attempts, each of them the SDK's own quick attempts), not
    # only the SDK's: throttling of a JSON API is retried as long as that of EC2.
    assert app.counters.requests >= 11 * 2
    assert len(pauses) >= 10
