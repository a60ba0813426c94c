# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared core of the credlink.infra modules: one retry policy and one compare step.

Every module follows get -> compare -> (check mode?) -> apply -> wait, and uses these
helpers so the modules agree on what "changed" means and what ``--diff`` shows.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar

try:
    import botocore
    import botocore.parsers
except ImportError:  # reported by AnsibleAWSModule
    AWS_ERRORS: tuple = ()
    ENDPOINT_ERRORS: tuple = ()
else:
    AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
    # ResponseParserError is no BotoCoreError: the answer was not an AWS response at all,
    # which is how some emulators answer an action they lack. Callers that tolerate a
    # missing API catch these.
    ENDPOINT_ERRORS = AWS_ERRORS + (botocore.parsers.ResponseParserError,)

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

T = TypeVar("T")


class _Retry(AWSRetry):
    """AWSRetry that never retries an answer with HTTP status 501.

    501 Not Implemented means the endpoint lacks the API (an emulator without the service,
    whose error code may still be a retryable InternalFailure); AWS does not answer a call
    it implements with 501, and no wait changes the answer. Retrying it ten times with
    backoff cost minutes per call.
    """

    @staticmethod
    def status_code_from_exception(error):
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 501:
            return "NotImplemented"
        return AWSRetry.status_code_from_exception(error)


# Throttling and the short eventual-consistency windows of EC2/IAM are retried with
# jittered exponential backoff. AWSRetry knows the query APIs' codes (Throttling,
# RequestLimitExceeded, 5xx) but not how the JSON APIs (Secrets Manager, ECS, ECR, Logs,
# Application Auto Scaling) and S3 spell throttling: without these, a throttled call of
# those services failed after the SDK's few quick attempts.
RETRY = _Retry.jittered_backoff(
    retries=10,
    delay=1,
    max_delay=30,
    catch_extra_error_codes=["ThrottlingException", "SlowDown"],
)


@contextmanager
def fail_on_aws_error(module, msg: str) -> Iterator[None]:
    """Fail the module with ``msg`` and AWS's error when the block raises one (ClientError or
    BotoCoreError); other exceptions pass."""
    try:
        yield
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=msg)


class Clients:
    """One client per service, created on first use, every call retried on throttling (RETRY).

    ``clients("ec2")`` is the EC2 client of the module's connection settings.
    """

    def __init__(self, module) -> None:
        self._module = module
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str):
        if service not in self._clients:
            self._clients[service] = self.created(self._module.client(service, retry_decorator=RETRY))
        return self._clients[service]

    def created(self, client):
        """What a new client becomes before it is kept (a subclass may instrument it)."""
        return client


def changed_settings(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """Return the desired settings whose value differs from the current one.

    Settings the caller does not specify (value None) are left alone.
    """
    return {
        key: value
        for key, value in desired.items()
        if value is not None and current.get(key) != value
    }


def diff_for(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
             keys: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Build Ansible's ``diff`` result, restricted to ``keys`` when given."""
    def pick(data: Mapping[str, Any] | None) -> dict[str, Any]:
        if not data:
            return {}
        return {k: v for k, v in data.items() if keys is None or k in keys}

    return {"before": pick(before), "after": pick(after)}


def error_matches(error: Exception, code: str, fragment: str) -> bool:
    """Whether ``error`` is the AWS error ``code`` with ``fragment`` in its message."""
    response = getattr(error, "response", None) or {}
    details = response.get("Error", {})
    return details.get("Code") == code and fragment in (details.get("Message") or "")


def retry_while(call: Callable[[], T], code: str, fragment: str, timeout: float, delay: float = 2.0, *,
                max_delay: float = 30.0, sleep: Callable[[float], None] | None = None,
                now: Callable[[], float] | None = None) -> T:
    """Call ``call``, retrying exactly one transient AWS refusal for at most ``timeout`` seconds.

    For the refusals that eventual consistency causes and only time cures: an IAM role
    created seconds ago that a service cannot assume yet, an id not yet visible to another
    API, a name still held by a deletion in progress. Any other error, and the same error
    once the time is up, is raised as it is.

    The waits back off exponentially, as the EC2 API guide advises for eventual consistency
    ("starting with a couple of seconds of wait time, and increasing gradually up to a few
    minutes", devguide/eventual-consistency.html): ``delay``, doubling up to ``max_delay``;
    the last one is shortened so that the last attempt falls on the deadline.
    """
    sleep, now = sleep or time.sleep, now or time.monotonic
    deadline = now() + timeout
    while True:
        try:
            return call()
        except AWS_ERRORS as error:
            wait = min(delay, deadline - now())
            if not error_matches(error, code, fragment) or wait <= 0:
                raise
        sleep(wait)
        delay = min(delay * 2, max_delay)
