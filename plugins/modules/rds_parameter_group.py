#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_parameter_group
short_description: Manage an RDS DB parameter group and its parameters
version_added: 0.1.0
description:
  - Creates, updates or deletes an RDS DB parameter group, sets the given parameters and
    reports exactly which ones change.
  - Static parameters are applied at the next reboot (C(pending-reboot)), dynamic ones
    immediately, as the engine's parameter metadata says; parameters whose metadata the
    endpoint does not return are applied at the next reboot.
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
- name: PostgreSQL 15 parameters of the production database
  credlink.infra.rds_parameter_group:
    name: credlink-production-postgres15
    family: postgres15
    description: CredLink production PostgreSQL 15
    parameters:
      shared_preload_libraries: pg_stat_statements
      rds.force_ssl: "1"
    tags:
      Project: credlink
"""

RETURN = r"""
parameter_group:
  description: The parameter group; empty after O(state=absent).
  returned: always
  type: dict
  contains:
    db_parameter_group_name:
      description: Name.
      type: str
      sample: credlink-production-postgres15
    db_parameter_group_family:
      description: Family.
      type: str
      sample: postgres15
    db_parameter_group_arn:
      description: ARN.
      type: str
    parameters:
      description: User-set parameters, name to value.
      type: dict
      sample: {"rds.force_ssl": "1"}
    tags:
      description: Tags.
      type: dict
changed_parameters:
  description: Names of the parameters this run set or reset.
  returned: always
  type: list
  elements: str
  sample: ["rds.force_ssl"]
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.rds import ensure_tags
from ansible_collections.amazon.aws.plugins.module_utils.rds import get_tags
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY, diff_for
from ansible_collections.credlink.infra.plugins.module_utils.parameter_groups import plan_parameters

# ModifyDBParameterGroup accepts at most 20 parameters per call.
BATCH = 20


def describe_group(client, module, name):
    try:
        groups = client.describe_db_parameter_groups(aws_retry=True, DBParameterGroupName=name)["DBParameterGroups"]
    except is_boto3_error_code("DBParameterGroupNotFound"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't describe DB parameter group {name}")
    return groups[0] if groups else None


def describe_parameters(client, module, name, source=None):
    kwargs = {"DBParameterGroupName": name}
    if source:
        kwargs["Source"] = source
    try:
        paginator = client.get_paginator("describe_db_parameters")
        return paginator.paginate(**kwargs).build_full_result()["Parameters"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Couldn't read the parameters of DB parameter group {name}")


def user_parameters(client, module, name):
    return {
        p["ParameterName"]: p.get("ParameterValue")
        for p in describe_parameters(client, module, name, source="user")
        if p.get("ParameterValue") is not None
    }


def apply_methods(client, module, name):
    """Static parameters only take effect after a reboot; AWS rejects 'immediate' for them."""
    return {
        p["ParameterName"]: "immediate" if p.get("ApplyType") == "dynamic" else "pending-reboot"
        for p in describe_parameters(client, module, name)
    }


def create_group(client, module):
    params = module.params
    request = {
        "DBParameterGroupName": params["name"],
        "DBParameterGroupFamily": params["family"],
        "Description": params["description"] or params["name"],
    }
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
    try:
        return client.create_db_parameter_group(aws_retry=True, **request)["DBParameterGroup"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Couldn't create DB parameter group {params['name']}")


def set_parameters(client, module, name, to_set):
    methods = apply_methods(client, module, name)
    items = [
        {"ParameterName": key, "ParameterValue": value, "ApplyMethod": methods.get(key, "pending-reboot")}
        for key, value in sorted(to_set.items())
    ]
    for start in range(0, len(items), BATCH):
        try:
            client.modify_db_parameter_group(
                aws_retry=True, DBParameterGroupName=name, Parameters=items[start:start + BATCH]
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Couldn't set parameters {', '.join(sorted(to_set))} of {name}")


def reset_parameters(client, module, name, to_reset):
    items = [{"ParameterName": key, "ApplyMethod": "pending-reboot"} for key in sorted(to_reset)]
    for start in range(0, len(items), BATCH):
        try:
            client.reset_db_parameter_group(
                aws_retry=True, DBParameterGroupName=name, Parameters=items[start:start + BATCH]
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Couldn't reset parameters {', '.join(sorted(to_reset))} of {name}")


def delete_group(client, module, name):
    try:
        client.delete_db_parameter_group(aws_retry=True, DBParameterGroupName=name)
    except is_boto3_error_code("DBParameterGroupNotFound"):
        return
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't delete DB parameter group {name}")


def format_group(client, module, group):
    result = camel_dict_to_snake_dict(group)
    result["parameters"] = user_parameters(client, module, group["DBParameterGroupName"])
    result["tags"] = get_tags(client, module, group["DBParameterGroupArn"])
    return result


def ensure_present(client, module, group):
    params = module.params
    name = params["name"]
    desired = {key: str(value) for key, value in params["parameters"].items()}
    if group and params["family"] and group["DBParameterGroupFamily"] != params["family"]:
        module.fail_json(
            msg=f"DB parameter group {name} has family {group['DBParameterGroupFamily']}, not {params['family']}; "
            "the family of a parameter group cannot change, use a new name"
        )
    if group is None and not params["family"]:
        module.fail_json(msg=f"family is required to create DB parameter group {name}")

    current = user_parameters(client, module, name) if group else {}
    to_set, to_reset = plan_parameters(current, desired, params["purge_parameters"])
    before = {"parameters": current, "tags": get_tags(client, module, group["DBParameterGroupArn"]) if group else {}}
    after_tags = before["tags"] if params["tags"] is None else (
        params["tags"] if params["purge_tags"] else {**before["tags"], **params["tags"]})
    after_parameters = {k: v for k, v in {**current, **to_set}.items() if k not in to_reset}
    after = {"parameters": after_parameters, "tags": after_tags}
    changed = group is None or before != after

    if module.check_mode or not changed:
        return changed, group, sorted([*to_set, *to_reset]), before if group else {}, after

    if group is None:
        group = create_group(client, module)
    elif params["tags"] is not None:
        ensure_tags(client, module, group["DBParameterGroupArn"], before["tags"], params["tags"], params["purge_tags"])
    if to_set:
        set_parameters(client, module, name, to_set)
    if to_reset:
        reset_parameters(client, module, name, to_reset)
    return changed, describe_group(client, module, name), sorted([*to_set, *to_reset]), before, after


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
    client = module.client("rds", retry_decorator=RETRY)
    name = module.params["name"]
    group = describe_group(client, module, name)

    if module.params["state"] == "absent":
        if group and not module.check_mode:
            delete_group(client, module, name)
        module.exit_json(changed=group is not None, parameter_group={}, changed_parameters=[],
                         diff=diff_for({"name": name} if group else {}, {}))

    changed, group, changed_parameters, before, after = ensure_present(client, module, group)
    module.exit_json(
        changed=changed,
        parameter_group=format_group(client, module, group) if group else {},
        changed_parameters=changed_parameters,
        diff=diff_for(before, after),
    )


if __name__ == "__main__":
    main()
