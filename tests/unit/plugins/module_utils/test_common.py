"""The shared core: bounded retries of one transient AWS refusal."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ansible_collections.credlink.infra.plugins.module_utils.common import error_matches, fail_on_aws_error, retry_while

ROLE = "arn:aws:iam::123456789012:role/credlink-dev-flow-logs"


def refusal(code="InvalidParameter", message=f"Unable to assume given IAM role: '{ROLE}'"):
    return ClientError({"Error": {"Code": code, "Message": message}}, "CreateFlowLogs")


class Clock:
    def __init__(self):
        self.time, self.slept = 0.0, []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.time += seconds


def flaky(failures, error):
    calls = []

    def call():
        calls.append(1)
        if len(calls) <= failures:
            raise error
        return "created"
    return call, calls


def test_the_refusal_is_retried_with_exponential_backoff_until_the_call_is_accepted():
    clock = Clock()
    call, calls = flaky(6, refusal())
    assert retry_while(call, "InvalidParameter", "Unable to assume given IAM role", 120,
                       sleep=clock.sleep, now=lambda: clock.time) == "created"
    # A couple of seconds first, doubling, capped at max_delay (30 s).
    assert len(calls) == 7 and clock.slept == [2, 4, 8, 16, 30, 30]


def test_the_refusal_is_raised_once_the_time_is_up():
    clock = Clock()
    call, calls = flaky(100, refusal())
    with pytest.raises(ClientError):
        retry_while(call, "InvalidParameter", "Unable to assume given IAM role", 20, 5,
                    sleep=clock.sleep, now=lambda: clock.time)
    # 5 + 10, then the last wait is cut to the deadline and one last attempt is made there.
    assert clock.slept == [5, 10, 5] and clock.time == 20 and len(calls) == 4


@pytest.mark.parametrize("error", [
    refusal(message="The log group does not exist"),       # same code, another cause
    refusal(code="AccessDenied", message="Unable to assume given IAM role"),  # same words, another code
    ValueError("not an AWS error"),
])
def test_any_other_error_is_raised_at_once(error):
    clock = Clock()
    call, calls = flaky(1, error)
    with pytest.raises(type(error)):
        retry_while(call, "InvalidParameter", "Unable to assume given IAM role", 120, 5,
                    sleep=clock.sleep, now=lambda: clock.time)
    assert len(calls) == 1 and clock.slept == []


def test_error_matches_reads_code_and_message():
    assert error_matches(refusal(), "InvalidParameter", "Unable to assume")
    assert not error_matches(refusal(), "InvalidParameter", "scheduled for deletion")
    assert not error_matches(ValueError(), "InvalidParameter", "")


def _answer(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


def test_retry_gives_up_at_once_on_an_endpoint_that_lacks_the_api(monkeypatch):
    from ansible_collections.credlink.infra.plugins.module_utils import common

    monkeypatch.setattr("time.sleep", lambda seconds: None)
    calls = []

    @common.RETRY
    def call(error):
        calls.append(error)
        raise error

    with pytest.raises(ClientError):
        call(_answer("InternalFailure", 501))  # an emulator without the service
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(ClientError):
        call(_answer("InternalFailure", 500))  # AWS's transient failure: retried
    assert len(calls) == 10


class _Module:
    def __init__(self):
        self.failures = []

    def fail_json_aws(self, error, msg):
        self.failures.append((error, msg))
        raise SystemExit(1)


def test_an_aws_error_fails_the_module_with_the_message_and_the_error():
    module = _Module()
    error = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeThings")
    with pytest.raises(SystemExit):
        with fail_on_aws_error(module, "Couldn't describe the things"):
            raise error
    assert module.failures == [(error, "Couldn't describe the things")]


def test_other_errors_and_success_pass_through():
    module = _Module()
    with pytest.raises(KeyError):
        with fail_on_aws_error(module, "unused"):
            raise KeyError("not AWS")
    with fail_on_aws_error(module, "unused"):
        value = 1
    assert value == 1 and module.failures == []
