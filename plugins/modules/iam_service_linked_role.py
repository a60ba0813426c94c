#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_service_linked_role
short_description: Ensure the service-linked role of an AWS service exists
version_added: 0.2.0
description:
  - Creates the service-linked role of an AWS service (for example C(AWSServiceRoleForECS)
    for C(ecs.amazonaws.com)) when the account does not have it yet.
  - A fresh account has no C(AWSServiceRoleForECS), and C(CreateCluster) with capacity
    providers then fails with C(Unable to assume the service linked role).
  - In check mode the module only reads; C(changed) says whether the role would be
    created. An account readiness check can therefore run it against any account to
    report the role as present or to be created.
  - The role is never deleted, because other stacks of the account rely on it.
options:
  aws_service_name:
    description:
      - Service principal the role is linked to, such as C(ecs.amazonaws.com).
    type: str
    required: true
  description:
    description: Description of the role when it is created.
    type: str
notes:
  - Needs C(iam:ListRoles) and, to create the role, C(iam:CreateServiceLinkedRole).
  - A role created by this run can take seconds before the service can assume it; callers
    retry the service's exact error for a bounded time (M(credlink.infra.ecs_cluster) does).
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ensure the ECS service-linked role exists before the first cluster
  credlink.infra.iam_service_linked_role:
    aws_service_name: ecs.amazonaws.com

- name: Report whether it exists, changing nothing
  credlink.infra.iam_service_linked_role:
    aws_service_name: ecs.amazonaws.com
  check_mode: true
  register: ecs_slr

- name: Show the answer
  ansible.builtin.debug:
    msg: "AWSServiceRoleForECS is {{ 'present' if ecs_slr.exists else 'to be created' }}"
"""

RETURN = r"""
exists:
  description: Whether the role exists after this run (in check mode, whether it exists now).
  returned: always
  type: bool
role:
  description: The role; empty when it does not exist.
  returned: always
  type: dict
  contains:
    role_name:
      description: Name of the role.
      type: str
      sample: AWSServiceRoleForECS
    arn:
      description: ARN of the role.
      type: str
      sample: arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS
    path:
      description: Path of the role.
      type: str
      sample: /aws-service-role/ecs.amazonaws.com/
    create_date:
      description: When the role was created.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import diff_for
from ansible_collections.credlink.infra.plugins.module_utils.common import error_matches
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error

# CreateServiceLinkedRole for a role that exists: InvalidInput "Service role name
# AWSServiceRoleForECS has been taken in this account, please try a different suffix."
# (research A, 2: Rayraegah/terraform-aws-hasura#17, bcgov/startup-sample-project-aws-containers#13).
# Another run may create the role between our read and our create: that answer means
# the role is there.
TAKEN = ("InvalidInput", "has been taken")


def role_path(service):
    """Service-linked roles live under /aws-service-role/<service principal>/ (IAM user guide)."""
    return f"/aws-service-role/{service}/"


def format_role(role):
    created = role.get("CreateDate")
    return {
        "role_name": role["RoleName"],
        "arn": role["Arn"],
        "path": role.get("Path"),
        "create_date": created.isoformat() if hasattr(created, "isoformat") else created,
    }


@RETRY
def list_roles(client, prefix):
    return client.get_paginator("list_roles").paginate(PathPrefix=prefix).build_full_result()["Roles"]


def describe_role(client, module, service):
    with fail_on_aws_error(module, f"Couldn't list the service-linked roles of {service}"):
        roles = list_roles(client, role_path(service))
    roles = [r for r in roles if r.get("Path") == role_path(service)]
    return format_role(sorted(roles, key=lambda r: r["RoleName"])[0]) if roles else None


def create_role(client, module, service):
    """Create the role; False when another caller created it first."""
    kwargs = {"AWSServiceName": service}
    if module.params["description"]:
        kwargs["Description"] = module.params["description"]
    try:
        client.create_service_linked_role(aws_retry=True, **kwargs)
    except AWS_ERRORS as e:
        if error_matches(e, *TAKEN):
            return False
        module.fail_json_aws(e, msg=f"Couldn't create the service-linked role of {service}")
    return True


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            aws_service_name=dict(type="str", required=True),
            description=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    service = module.params["aws_service_name"]
    client = module.client("iam", retry_decorator=RETRY)
    current = describe_role(client, module, service)
    if current is not None:
        module.exit_json(changed=False, exists=True, role=current)
    if module.check_mode:
        module.exit_json(changed=True, exists=False, role={},
                         diff=diff_for(None, {"aws_service_name": service, "path": role_path(service)}))
    created = create_role(client, module, service)
    after = describe_role(client, module, service) or {}
    module.exit_json(changed=created, exists=True, role=after, diff=diff_for(None, after) if created else diff_for(after, after))


if __name__ == "__main__":
    main()
