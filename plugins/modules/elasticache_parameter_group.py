#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_parameter_group
short_description: Manage an ElastiCache cache parameter group, including the redis7 family
version_added: 0.1.0
description:
  - Creates, updates or deletes a cache parameter group and sets its parameters,
    reporting which ones change. Unlike C(community.aws.elasticache_parameter_group) it
    accepts every family AWS does (V(redis7), V(valkey8), ...).
  - When the endpoint does not implement the cache parameter group API (some emulators),
    the module does not fail; it warns and returns RV(supported=false), so a play can
    decide what to do. AWS implements it.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - credlink.infra.parameter_group
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Redis 7 settings of the production cache
  credlink.infra.elasticache_parameter_group:
    name: credlink-production-redis7
    family: redis7
    description: CredLink production Redis 7
    parameters:
      maxmemory-policy: allkeys-lru
"""

RETURN = r"""
supported:
  description: Whether the endpoint implements cache parameter groups.
  returned: always
  type: bool
parameter_group:
  description: The parameter group; empty after O(state=absent) or when not supported.
  returned: always
  type: dict
  contains:
    cache_parameter_group_name:
      description: Name.
      type: str
    cache_parameter_group_family:
      description: Family.
      type: str
    arn:
      description: ARN.
      type: str
    parameters:
      description: User-set parameters.
      type: dict
      sample: {"maxmemory-policy": "allkeys-lru"}
changed_parameters:
  description: Names of the parameters set or reset.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.credlink.infra.plugins.module_utils.common import ENDPOINT_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import endpoint_lacks_action
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import ensure_tags
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import get_tags
from ansible_collections.credlink.infra.plugins.module_utils.parameter_groups import planned
from ansible_collections.credlink.infra.plugins.module_utils.parameter_groups import sync_group
from ansible_collections.credlink.infra.plugins.module_utils.sync import sync
from ansible_collections.credlink.infra.plugins.module_utils.parameter_groups import parameter_group_argument_spec

BATCH = 20


class Unsupported(Exception):
    pass


def call(module, what, method, **kwargs):
    try:
        return method(aws_retry=True, **kwargs)
    except ENDPOINT_ERRORS as e:
        if endpoint_lacks_action(e):
            raise Unsupported(what) from None
        module.fail_json_aws(e, msg=f"Couldn't {what}")


def describe_group(client, module, name):
    try:
        groups = client.describe_cache_parameter_groups(aws_retry=True, CacheParameterGroupName=name)
    except is_boto3_error_code("CacheParameterGroupNotFound"):
        return None
    except ENDPOINT_ERRORS as e:  # pylint: disable=duplicate-except
        if endpoint_lacks_action(e):
            raise Unsupported("describe cache parameter groups") from None
        module.fail_json_aws(e, msg=f"Couldn't describe cache parameter group {name}")
    return groups["CacheParameterGroups"][0] if groups["CacheParameterGroups"] else None


def user_parameters(client, module, name):
    pages = call(module, f"read the parameters of {name}", client.describe_cache_parameters,
                 CacheParameterGroupName=name, Source="user")
    return {p["ParameterName"]: p.get("ParameterValue") for p in pages.get("Parameters", [])
            if p.get("ParameterValue") is not None}


def create_group(client, module, desired):
    params = module.params
    name = params["name"]
    request = {"CacheParameterGroupName": name, "CacheParameterGroupFamily": params["family"],
               "Description": params["description"] or name}
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
    call(module, f"create cache parameter group {name}", client.create_cache_parameter_group, **request)
    set_parameters(client, module, *planned(None, params))


def set_parameters(client, module, to_set, to_reset):
    name = module.params["name"]
    items = [{"ParameterName": k, "ParameterValue": v} for k, v in sorted(to_set.items())]
    for start in range(0, len(items), BATCH):
        call(module, f"set parameters of {name}", client.modify_cache_parameter_group,
             CacheParameterGroupName=name, ParameterNameValues=items[start:start + BATCH])
    if to_reset:
        call(module, f"reset parameters of {name}", client.reset_cache_parameter_group,
             CacheParameterGroupName=name, ResetAllParameters=False,
             ParameterNameValues=[{"ParameterName": k} for k in to_reset])


def update_group(client, module, group, current, changes):
    params = module.params
    if "parameters" in changes:
        set_parameters(client, module, *planned(current, params))
    if "tags" in changes:
        ensure_tags(client, module, group["ARN"], current["tags"], params["tags"], params["purge_tags"])


def ensure_present(client, module, group):
    """(changed, names of the parameters set or reset, diff)."""
    outcome, changed_parameters = sync_group(
        module, "Cache parameter group", (group or {}).get("CacheParameterGroupFamily"),
        (lambda: {"parameters": user_parameters(client, module, module.params["name"]),
                  "tags": get_tags(client, module, group["ARN"])}) if group else None,
        create=lambda desired: create_group(client, module, desired),
        update=lambda current, changes: update_group(client, module, group, current, changes),
    )
    return outcome.changed, changed_parameters, outcome.diff


def format_group(client, module):
    group = describe_group(client, module, module.params["name"])
    if not group:
        return {}
    result = camel_dict_to_snake_dict(group)
    result["parameters"] = user_parameters(client, module, module.params["name"])
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=parameter_group_argument_spec(),
        supports_check_mode=True,
    )
    client = module.client("elasticache", retry_decorator=RETRY)
    name = module.params["name"]
    try:
        group = describe_group(client, module, name)
        if module.params["state"] == "absent":
            outcome = sync(module, {"name": name} if group else None, {}, state="absent",
                           delete=lambda current: call(module, f"delete cache parameter group {name}",
                                                       client.delete_cache_parameter_group, CacheParameterGroupName=name))
            module.exit_json(changed=outcome.changed, supported=True, parameter_group={}, changed_parameters=[],
                             diff=outcome.diff)
        changed, changed_parameters, diff = ensure_present(client, module, group)
        result = format_group(client, module) if not module.check_mode else {}
    except Unsupported as unsupported:
        module.warn(f"The AWS endpoint does not implement cache parameter groups ({unsupported}); "
                    f"cache parameter group {name} is not managed there")
        module.exit_json(changed=False, supported=False, parameter_group={}, changed_parameters=[])
    module.exit_json(changed=changed, supported=True, parameter_group=result,
                     changed_parameters=changed_parameters, diff=diff)


if __name__ == "__main__":
    main()
