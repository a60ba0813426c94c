#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_subnet_group
short_description: Manage an ElastiCache cache subnet group, tags included
version_added: 0.2.0
description:
  - Creates, modifies or deletes a cache subnet group, with its tags.
  - Like M(community.aws.elasticache_subnet_group), which cannot tag; the options it has
    keep their names and meaning here.
  - The tags are given with the creation (CreateCacheSubnetGroup C(Tags)) and kept in line
    afterwards with AddTagsToResource / RemoveTagsFromResource on the group's ARN.
options:
  name:
    description:
      - Name of the cache subnet group. AWS stores it in lowercase; it is compared so.
      - At most 255 letters, digits or hyphens.
    type: str
    required: true
  state:
    description: Whether the subnet group should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description; defaults to O(name) when the group is created, left alone afterwards when omitted.
    type: str
  subnets:
    description:
      - Ids of the VPC subnets of the group, all in one VPC. Required to create it; left
        alone when omitted.
    type: list
    elements: str
notes:
  - AWS refuses to delete a subnet group that a cache cluster still uses
    (C(CacheSubnetGroupInUse)); the module then fails naming that cause.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Subnet group of the cache, on the private subnets
  credlink.infra.elasticache_subnet_group:
    name: credlink-production-redis
    description: Private subnets of credlink-production for Redis
    subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
    tags:
      Project: credlink
      Environment: production
      ManagedBy: ansible
      Name: credlink-production-redis

- name: Remove it
  credlink.infra.elasticache_subnet_group:
    name: credlink-production-redis
    state: absent
"""

RETURN = r"""
cache_subnet_group:
  description: The subnet group; empty when absent (or not created yet in check mode).
  returned: always
  type: dict
  contains:
    name:
      description: Name.
      type: str
      sample: credlink-production-redis
    description:
      description: Description.
      type: str
    arn:
      description: ARN.
      type: str
      sample: arn:aws:elasticache:us-east-1:123456789012:subnetgroup:credlink-production-redis
    vpc_id:
      description: VPC of the subnets.
      type: str
    subnet_ids:
      description: Subnet ids, sorted.
      type: list
      elements: str
    tags:
      description: Tags.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS, RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import ensure_tags, get_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import create_once, desired_tags, differing, sync
from ansible_collections.credlink.infra.plugins.module_utils.sync import describe_or_none
from ansible_collections.credlink.infra.plugins.module_utils.sync import resource_argument_spec


# Cache subnet groups are taggable at creation (CreateCacheSubnetGroup Tags) and afterwards
# through AddTagsToResource on their ARN, arn:<partition>:elasticache:<region>:<account>:subnetgroup:<name>
# (user guide "Tagging your ElastiCache resources"; research notes B, tagging table).


def describe_subnet_group(client, module, name):
    return describe_or_none(module, client.describe_cache_subnet_groups, "CacheSubnetGroupNotFoundFault",
                            f"Couldn't describe cache subnet group {name}", first="CacheSubnetGroups",
                            CacheSubnetGroupName=name)


def subnet_ids(group):
    return sorted(s["SubnetIdentifier"] for s in group.get("Subnets", []))


def desired_state(params, current):
    return {
        "description": params["description"] if params["description"] is not None
        else current.get("description", params["name"]),
        "subnet_ids": sorted(params["subnets"]) if params["subnets"] is not None else current.get("subnet_ids", []),
        "tags": desired_tags(current.get("tags", {}), params["tags"], params["purge_tags"]),
    }


def create_subnet_group(client, module, desired):
    name = module.params["name"]
    request = {"CacheSubnetGroupName": name, "CacheSubnetGroupDescription": desired["description"],
               "SubnetIds": desired["subnet_ids"]}
    if desired["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(desired["tags"])
    create_once(module, lambda: client.create_cache_subnet_group(aws_retry=True, **request),
                "CacheSubnetGroupAlreadyExists", f"cache subnet group {name}")


def modify_subnet_group(client, module, desired):
    name = module.params["name"]
    with fail_on_aws_error(module, f"Couldn't modify cache subnet group {name}"):
        client.modify_cache_subnet_group(aws_retry=True, CacheSubnetGroupName=name,
                                         CacheSubnetGroupDescription=desired["description"],
                                         SubnetIds=desired["subnet_ids"])


def update_subnet_group(client, module, current, changes):
    params = module.params
    if "description" in changes or "subnet_ids" in changes:
        modify_subnet_group(client, module, {**current, **changes})
    if "tags" in changes:
        ensure_tags(client, module, current["arn"], current["tags"], params["tags"], params["purge_tags"])


def delete_subnet_group(client, module):
    name = module.params["name"]
    try:
        client.delete_cache_subnet_group(aws_retry=True, CacheSubnetGroupName=name)
    except is_boto3_error_code("CacheSubnetGroupNotFoundFault"):
        return False
    except is_boto3_error_code("CacheSubnetGroupInUse") as e:  # pylint: disable=duplicate-except
        # "Cache subnet group X is currently in use by a cache cluster." (aws/aws-cdk #6935)
        module.fail_json_aws(e, msg=(f"Couldn't delete cache subnet group {name}: a cache cluster or replication "
                                     f"group still uses it; delete that first"))
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't delete cache subnet group {name}")
    return True


def format_result(client, module, group):
    if group is None:
        return {}
    result = {
        "name": group["CacheSubnetGroupName"],
        "description": group.get("CacheSubnetGroupDescription", ""),
        "vpc_id": group.get("VpcId"),
        "subnet_ids": subnet_ids(group),
    }
    if group.get("ARN"):
        result["arn"] = group["ARN"]
        result["tags"] = get_tags(client, module, group["ARN"])
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=resource_argument_spec(
            description=dict(type="str"),
            subnets=dict(type="list", elements="str"),
        ),
        supports_check_mode=True,
    )
    # "This value is stored as a lowercase string." (CreateCacheSubnetGroup, API reference)
    module.params["name"] = module.params["name"].lower()
    name = module.params["name"]
    client = module.client("elasticache", retry_decorator=RETRY)
    params = module.params
    group = describe_subnet_group(client, module, name)
    if params["state"] == "absent":
        # Only whether it exists matters; its tags are not worth a call.
        outcome = sync(module, {"name": name} if group else None, {}, state="absent",
                       delete=lambda current: delete_subnet_group(client, module))
        module.exit_json(changed=outcome.changed, cache_subnet_group={}, diff=outcome.diff)

    current = format_result(client, module, group) or None
    desired = desired_state(params, current or {})
    if current is None and not params["subnets"]:
        module.fail_json(msg=f"subnets are required to create cache subnet group {name}")
    if current is not None and "tags" not in current:
        if params["tags"] is not None:
            module.warn(f"The endpoint reports no ARN for cache subnet group {name}; its tags are not managed")
        desired.pop("tags")

    outcome = sync(
        module, current, desired,
        describe=lambda: format_result(client, module, describe_subnet_group(client, module, name)),
        create=lambda desired: create_subnet_group(client, module, desired),
        update=lambda current, changes: update_subnet_group(client, module, current, changes),
        compare=differing, diff_keys=["description", "subnet_ids", "tags"],
    )
    # Check mode returns the group as it is; --diff shows what would change.
    group = current if module.check_mode else outcome.result
    module.exit_json(changed=outcome.changed, cache_subnet_group=group or {}, diff=outcome.diff)


if __name__ == "__main__":
    main()
