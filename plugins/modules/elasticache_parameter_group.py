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
author:
  - CredLink platform team (@credlink)
extends_documentation_fragment:
  - credlink.infra.parameter_group
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - amazon.aws.tags
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

try:
    import botocore
    import botocore.parsers

    # ResponseParserError is not a BotoCoreError: it means the answer was no AWS response.
    API_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError,
                  botocore.parsers.ResponseParserError)
except ImportError:
    API_ERRORS = ()  # AnsibleAWSModule reports the missing library

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY, diff_for
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import (
    desired_tags,
    endpoint_lacks_action,
    ensure_tags,
    get_tags,
)
from ansible_collections.credlink.infra.plugins.module_utils.parameter_groups import plan_parameters

BATCH = 20


class Unsupported(Exception):
    pass


def call(module, what, method, **kwargs):
    try:
        return method(aws_retry=True, **kwargs)
    except API_ERRORS as e:
        if endpoint_lacks_action(e):
            raise Unsupported(what) from None
        module.fail_json_aws(e, msg=f"Couldn't {what}")


def describe_group(client, module, name):
    try:
        groups = client.describe_cache_parameter_groups(aws_retry=True, CacheParameterGroupName=name)
    except is_boto3_error_code("CacheParameterGroupNotFound"):
        return None
    except API_ERRORS as e:  # pylint: disable=duplicate-except
        if endpoint_lacks_action(e):
            raise Unsupported("describe cache parameter groups") from None
        module.fail_json_aws(e, msg=f"Couldn't describe cache parameter group {name}")
    return groups["CacheParameterGroups"][0] if groups["CacheParameterGroups"] else None


def user_parameters(client, module, name):
    pages = call(module, f"read the parameters of {name}", client.describe_cache_parameters,
                 CacheParameterGroupName=name, Source="user")
    return {p["ParameterName"]: p.get("ParameterValue") for p in pages.get("Parameters", [])
            if p.get("ParameterValue") is not None}


def apply(client, module, group, to_set, to_reset):
    params = module.params
    name = params["name"]
    if group is None:
        request = {"CacheParameterGroupName": name, "CacheParameterGroupFamily": params["family"],
                   "Description": params["description"] or name}
        if params["tags"]:
            request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
        call(module, f"create cache parameter group {name}", client.create_cache_parameter_group, **request)
    items = [{"ParameterName": k, "ParameterValue": v} for k, v in sorted(to_set.items())]
    for start in range(0, len(items), BATCH):
        call(module, f"set parameters of {name}", client.modify_cache_parameter_group,
             CacheParameterGroupName=name, ParameterNameValues=items[start:start + BATCH])
    if to_reset:
        call(module, f"reset parameters of {name}", client.reset_cache_parameter_group,
             CacheParameterGroupName=name, ResetAllParameters=False,
             ParameterNameValues=[{"ParameterName": k} for k in to_reset])


def ensure_present(client, module, group):
    params = module.params
    if group and params["family"] and group["CacheParameterGroupFamily"] != params["family"]:
        module.fail_json(msg=f"Cache parameter group {params['name']} has family {group['CacheParameterGroupFamily']}, "
                         f"not {params['family']}; the family cannot change, use a new name")
    if group is None and not params["family"]:
        module.fail_json(msg=f"family is required to create cache parameter group {params['name']}")
    current = user_parameters(client, module, params["name"]) if group else {}
    desired = {k: str(v) for k, v in params["parameters"].items()}
    to_set, to_reset = plan_parameters(current, desired, params["purge_parameters"])
    tags_before = get_tags(client, module, group["ARN"]) if group else {}
    before = {"parameters": current, "tags": tags_before}
    after = {"parameters": {k: v for k, v in {**current, **to_set}.items() if k not in to_reset},
             "tags": desired_tags(tags_before, params["tags"], params["purge_tags"])}
    changed = group is None or before != after
    if changed and not module.check_mode:
        apply(client, module, group, to_set, to_reset)
        if group:
            ensure_tags(client, module, group["ARN"], tags_before, params["tags"], params["purge_tags"])
    return changed, sorted([*to_set, *to_reset]), before if group else {}, after


def format_group(client, module):
    group = describe_group(client, module, module.params["name"])
    if not group:
        return {}
    result = camel_dict_to_snake_dict(group)
    result["parameters"] = user_parameters(client, module, module.params["name"])
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            family=dict(type="str"),
            description=dict(type="str"),
            parameters=dict(type="dict", default={}),
            purge_parameters=dict(type="bool", default=False),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    client = module.client("elasticache", retry_decorator=RETRY)
    name = module.params["name"]
    try:
        group = describe_group(client, module, name)
        if module.params["state"] == "absent":
            if group and not module.check_mode:
                call(module, f"delete cache parameter group {name}", client.delete_cache_parameter_group,
                     CacheParameterGroupName=name)
            module.exit_json(changed=group is not None, supported=True, parameter_group={}, changed_parameters=[])
        changed, changed_parameters, before, after = ensure_present(client, module, group)
        result = format_group(client, module) if not module.check_mode else {}
    except Unsupported as unsupported:
        module.warn(f"The AWS endpoint does not implement cache parameter groups ({unsupported}); "
                    f"cache parameter group {name} is not managed there")
        module.exit_json(changed=False, supported=False, parameter_group={}, changed_parameters=[])
    module.exit_json(changed=changed, supported=True, parameter_group=result,
                     changed_parameters=changed_parameters, diff=diff_for(before, after))


if __name__ == "__main__":
    main()
