# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a task failed only because AWS had not yet propagated a new security group."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# EC2 answers InvalidGroup.NotFound for a group seconds old: its id "might not have propagated
# throughout the system" (Amazon EC2 API, "Eventual consistency").
NOT_FOUND = "InvalidGroup.NotFound"
# amazon.aws 11's ec2_security_group reads a new group back by id 3 s after creating it; its
# describe helper turns that error into an empty list, and the module dies on its first item.
READ_BACK = "list index out of range"
# Its rule changes fail with these words for any AWS error, InvalidGroup.NotFound among them:
# its EC2 helpers drop AWS's error code (amazon.aws module_utils/ec2.py, common_error_handler).
RULE_CHANGES = ("Failed to authorize security group", "Failed to revoke security group")
# The next attempt's lookup by name can miss the group as well, and creating it again answers
# InvalidGroup.Duplicate (skypilot-org/skypilot#4584), reported as this. Only after a first
# attempt, which has created the group: a first attempt's creation error is final.
DUPLICATE = ("InvalidGroup.Duplicate", "Failed to create security group")


def _crashed(result: Mapping) -> bool:
    """The module ended on an uncaught exception rather than reporting a failure."""
    # ansible-core 2.19 and later hand `until` the exception without a message (the
    # "Module failed: list index out of range" line is written after the retries); older
    # releases said MODULE FAILURE and left the traceback on stderr.
    if result.get("exception") and not result.get("msg"):
        return True
    return READ_BACK in f"{result.get('msg', '')} {result.get('module_stderr', '')}"


def security_group_propagating(result) -> bool:
    """True when ``result`` (a registered task result) failed in one of the ways above."""
    if not isinstance(result, Mapping):
        raise AnsibleFilterError("security_group_propagating needs a registered task result")
    if not result.get("failed"):
        return False
    error = result.get("error")
    code = error.get("code") if isinstance(error, Mapping) else None
    msg = str(result.get("msg", ""))
    if code == NOT_FOUND or any(sign in msg for sign in (NOT_FOUND, *RULE_CHANGES)) or _crashed(result):
        return True
    return result.get("attempts", 1) > 1 and (code == DUPLICATE[0] or any(sign in msg for sign in DUPLICATE))


class TestModule:
    def tests(self):
        return {"security_group_propagating": security_group_propagating}
