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

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.rds import ensure_tags
from ansible_collections.amazon.aws.plugins.module_utils.rds import get_tags
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.parameter_groups import parameter_group_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.parameter_groups import planned
from ansible_collections.credlink.infra.plugins.module_utils.parameter_groups import sync_group
from ansible_collections.credlink.infra.plugins.module_utils.sync import describe_or_none
from ansible_collections.credlink.infra.plugins.module_utils.sync import sync

# ModifyDBParameterGroup and ResetDBParameterGroup take at most 20 parameters per call
# (API reference: "A maximum of 20 parameters can be modified in a single request").
BATCH = 20


def describe_group(client, module, name):
    return describe_or_none(module, client.describe_db_parameter_groups, "DBParameterGroupNotFound",
                            f"Couldn't describe DB parameter group {name}", first="DBParameterGroups",
                            DBParameterGroupName=name)


def describe_parameters(client, module, name, source=None):
    kwargs = {"DBParameterGroupName": name}
    if source:
        kwargs["Source"] = source
    with fail_on_aws_error(module, f"Couldn't read the parameters of DB parameter group {name}"):
        paginator = client.get_paginator("describe_db_parameters")
        return paginator.paginate(**kwargs).build_full_result()["Parameters"]


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


def create_group(client, module, desired):
    params = module.params
    request = {
        "DBParameterGroupName": params["name"],
        "DBParameterGroupFamily": params["family"],
        "Description": params["description"] or params["name"],
    }
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
    with fail_on_aws_error(module, f"Couldn't create DB parameter group {params['name']}"):
        client.create_db_parameter_group(aws_retry=True, **request)
    to_set, _ = planned(None, params)
    if to_set:
        set_parameters(client, module, params["name"], to_set)


def set_parameters(client, module, name, to_set):
    methods = apply_methods(client, module, name)
    items = [
        {"ParameterName": key, "ParameterValue": value, "ApplyMethod": methods.get(key, "pending-reboot")}
        for key, value in sorted(to_set.items())
    ]
    in_batches(module, client.modify_db_parameter_group, name, items,
               f"Couldn't set parameters {', '.join(sorted(to_set))} of {name}")


def reset_parameters(client, module, name, to_reset):
    items = [{"ParameterName": key, "ApplyMethod": "pending-reboot"} for key in sorted(to_reset)]
    in_batches(module, client.reset_db_parameter_group, name, items,
               f"Couldn't reset parameters {', '.join(sorted(to_reset))} of {name}")


def in_batches(module, call, name, items, failure):
    for start in range(0, len(items), BATCH):
        with fail_on_aws_error(module, failure):
            call(aws_retry=True, DBParameterGroupName=name, Parameters=items[start:start + BATCH])


def delete_group(client, module, name):
    try:
        client.delete_db_parameter_group(aws_retry=True, DBParameterGroupName=name)
    except is_boto3_error_code("DBParameterGroupNotFound"):
        return
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't delete DB parameter group {name}")


def format_group(client, module, group):
    result = camel_dict_to_snake_dict(group)
    result["parameters"] = user_parameters(client, module, group["DBParameterGroupName"])
    result["tags"] = get_tags(client, module, group["DBParameterGroupArn"])
    return result


def update_group(client, module, group, current, changes):
    params = module.params
    if "tags" in changes:
        ensure_tags(client, module, group["DBParameterGroupArn"], current["tags"], params["tags"], params["purge_tags"])
    to_set, to_reset = planned(current, params)
    if to_set:
        set_parameters(client, module, params["name"], to_set)
    if to_reset:
        reset_parameters(client, module, params["name"], to_reset)


def ensure_present(client, module, group):
    """(changed, the group after the run, names of the parameters set or reset, diff)."""
    name = module.params["name"]
    outcome, changed_parameters = sync_group(
        module, "DB parameter group", (group or {}).get("DBParameterGroupFamily"),
        (lambda: {"parameters": user_parameters(client, module, name),
                  "tags": get_tags(client, module, group["DBParameterGroupArn"])}) if group else None,
        create=lambda desired: create_group(client, module, desired),
        update=lambda current, changes: update_group(client, module, group, current, changes),
    )
    if outcome.changed and not module.check_mode:
        group = describe_group(client, module, name)
    return outcome.changed, group, changed_parameters, outcome.diff


def main():
    module = AnsibleAWSModule(
        argument_spec=parameter_group_argument_spec(),
        supports_check_mode=True,
    )
    client = module.client("rds", retry_decorator=RETRY)
    name = module.params["name"]
    group = describe_group(client, module, name)

    if module.params["state"] == "absent":
        outcome = sync(module, {"name": name} if group else None, {}, state="absent",
                       delete=lambda current: delete_group(client, module, name))
        module.exit_json(changed=outcome.changed, parameter_group={}, changed_parameters=[], diff=outcome.diff)

    changed, group, changed_parameters, diff = ensure_present(client, module, group)
    module.exit_json(
        changed=changed,
        parameter_group=format_group(client, module, group) if group else {},
        changed_parameters=changed_parameters,
        diff=diff,
    )


if __name__ == "__main__":
    main()
