#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_replication_group_info
short_description: Describe an ElastiCache replication group
version_added: 0.1.0
description:
  - Returns a replication group's status, members and primary endpoint; used to await a
    group that was started with C(wait=false).
  - RV(ready) and RV(unrecoverable) use the same states as
    M(credlink.infra.elasticache_replication_group) and M(credlink.infra.readiness_info).
author:
  - CredLink platform team (@credlink)
options:
  replication_group_id:
    description: Identifier of the replication group.
    type: str
    required: true
    aliases: [name]
notes:
  - Read-only; supports C(check_mode).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Wait for the cache
  credlink.infra.elasticache_replication_group_info:
    replication_group_id: credlink-production-redis
  register: redis
  until: redis.ready or redis.unrecoverable
  retries: 120
  delay: 15
"""

RETURN = r"""
found:
  description: Whether the group exists.
  returned: always
  type: bool
replication_group:
  description: The group as AWS describes it (snake case); empty when not found.
  returned: always
  type: dict
primary_endpoint:
  description: Address and port of the primary, once known.
  returned: always
  type: dict
  sample: {"address": "master.credlink-production-redis.abc123.use1.cache.amazonaws.com", "port": 6379}
ready:
  description: Whether the group is C(available) and has a primary endpoint.
  returned: always
  type: bool
unrecoverable:
  description:
    - Whether the group is in a state it does not leave by waiting (C(create-failed),
      C(deleting)), or missing.
  returned: always
  type: bool
state:
  description: The group's status, or C(missing).
  returned: always
  type: str
  sample: creating
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import GROUP_FAILED_STATES


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(replication_group_id=dict(type="str", required=True, aliases=["name"])),
        supports_check_mode=True,
    )
    client = module.client("elasticache", retry_decorator=RETRY)
    group_id = module.params["replication_group_id"]
    try:
        groups = client.describe_replication_groups(aws_retry=True, ReplicationGroupId=group_id)["ReplicationGroups"]
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        groups = []
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't describe replication group {group_id}")
    if not groups:
        module.exit_json(changed=False, found=False, replication_group={}, primary_endpoint={},
                         ready=False, unrecoverable=True, state="missing")
    group = groups[0]
    # No NodeGroups while the group is creating, hence no endpoint yet.
    endpoint = (group.get("NodeGroups") or [{}])[0].get("PrimaryEndpoint") or {}
    module.exit_json(
        changed=False,
        found=True,
        replication_group=camel_dict_to_snake_dict(group),
        primary_endpoint={"address": endpoint["Address"], "port": endpoint["Port"]} if endpoint else {},
        ready=group.get("Status") == "available" and bool(endpoint),
        unrecoverable=group.get("Status") in GROUP_FAILED_STATES,
        state=group.get("Status", ""),
    )


if __name__ == "__main__":
    main()
