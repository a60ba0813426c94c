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
options:
  replication_group_id:
    description: Identifier of the replication group.
    type: str
    required: true
    aliases: [name]
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.read_only
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

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import group_info


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(replication_group_id=dict(type="str", required=True, aliases=["name"])),
        supports_check_mode=True,
    )
    client = module.client("elasticache", retry_decorator=RETRY)
    module.exit_json(changed=False, **group_info(client, module, module.params["replication_group_id"]))


if __name__ == "__main__":
    main()
