"""security_group_propagating: only the signs of a security group AWS has not propagated yet retry."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.test.propagation import security_group_propagating

NOT_FOUND = {"code": "InvalidGroup.NotFound", "message": "The security group 'sg-0fb34a435a022e5dd' does not exist"}


@pytest.mark.parametrize("result", [
    # amazon.aws.ec2_security_group dying while it reads back the group it has just created:
    # as ansible-core 2.21 hands it to `until` (exception rendered, no message yet) ...
    {"failed": True, "changed": False, "exception": "(traceback unavailable)", "attempts": 1},
    # ... as it registers it after the retries ...
    {"failed": True, "changed": False, "exception": "(traceback unavailable)",
     "msg": "Task failed: Module failed: list index out of range"},
    # ... and as ansible-core before 2.19 reported it
    {"failed": True, "msg": "MODULE FAILURE\nSee stdout/stderr for the exact error", "rc": 1,
     "module_stderr": "Traceback (most recent call last):\n...\nIndexError: list index out of range\n"},
    # AuthorizeSecurityGroupIngress / RevokeSecurityGroupEgress on the new group, as amazon.aws 11 reports them
    {"failed": True, "exception": "(traceback unavailable)", "msg": "Unable to authorize ingress rules: [{'IpProtocol': "
     "'tcp', 'FromPort': 5432, 'ToPort': 5432, 'IpRanges': [{'CidrIp': '10.9.0.0/24'}]}]: "
     "Failed to authorize security group ingress"},
    {"failed": True, "msg": "Unable to revoke egress rules: [...]: Failed to revoke security group egress"},
    # the next attempt creating the group again because its lookup by name missed it too
    {"failed": True, "attempts": 2, "msg": "Unable to create security group: Failed to create security group"},
    {"failed": True, "attempts": 3, "msg": "...", "error": {"code": "InvalidGroup.Duplicate"}},
    # a module that passes AWS's error on
    {"failed": True, "msg": "An error occurred (InvalidGroup.NotFound) when calling the AuthorizeSecurityGroupIngress "
                            "operation: The security group 'sg-0fb34a435a022e5dd' does not exist"},
    {"failed": True, "msg": "Unable to revoke egress", "error": NOT_FOUND},
], ids=["read-back-until", "read-back-registered", "read-back-before-2.19", "authorize", "revoke", "created-again",
        "duplicate-code", "aws-message", "error-code-only"])
def test_a_group_not_yet_propagated_is_tried_again(result):
    assert security_group_propagating(result)


@pytest.mark.parametrize("result", [
    {"changed": True, "group_id": "sg-1"},
    {"failed": False, "msg": "list index out of range"},
    {"failed": True, "msg": "Unable to create security group: An error occurred (UnauthorizedOperation)",
     "error": {"code": "UnauthorizedOperation"}},
    # a first attempt that cannot create the group (a permission, a quota, a name taken by another group)
    {"failed": True, "exception": "(traceback unavailable)", "attempts": 1,
     "msg": "Unable to create security group: Failed to create security group"},
    {"failed": True, "msg": "Unable to create security group: An error occurred (InvalidGroup.Duplicate)",
     "error": {"code": "InvalidGroup.Duplicate"}, "attempts": 1},
    {"failed": True, "msg": "value of proto must be one of ...", "error": "not a dict"},
    {"failed": True, "msg": "MODULE FAILURE", "module_stderr": "ModuleNotFoundError: No module named 'boto3'"},
], ids=["succeeded", "not-failed", "denied", "create-failed", "duplicate", "input", "other-crash-before-2.19"])
def test_any_other_outcome_is_final(result):
    assert not security_group_propagating(result)


def test_something_else_than_a_result_is_refused():
    with pytest.raises(AnsibleFilterError, match="registered task result"):
        security_group_propagating("failed")
