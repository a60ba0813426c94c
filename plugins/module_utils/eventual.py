# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded retries of one specific AWS error that means "not yet", never "retry everything".

AWS answers some calls with an error while something it depends on settles: a role
created seconds ago, a certificate a deleted listener still holds. The same text can also
mean a real fault, so the retry is bounded in time, matches one error code and one message
fragment, and re-raises the last error when the time is up.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

try:
    import botocore
except ImportError:  # reported by AnsibleAWSModule
    pass

T = TypeVar("T")


def is_error(error: Exception, code: str, fragment: str = "") -> bool:
    """Whether ``error`` is the AWS error ``code`` whose message contains ``fragment``."""
    if not isinstance(error, botocore.exceptions.ClientError):
        return False
    details = error.response.get("Error", {})
    return details.get("Code") == code and fragment in (details.get("Message") or "")


def retry_while(call: Callable[[], T], code: str, fragment: str, timeout: float, delay: float = 5,
                sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> T:
    """Return ``call()``; retry it every ``delay`` seconds while it fails with exactly
    ``code``/``fragment``, for at most ``timeout`` seconds, then let the last error through."""
    deadline = clock() + timeout
    while True:
        try:
            return call()
        except botocore.exceptions.ClientError as error:
            if not is_error(error, code, fragment) or clock() + delay > deadline:
                raise
        sleep(delay)
