# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ElastiCache helpers shared by the replication group and parameter group modules."""

from __future__ import annotations

try:
    import botocore
    import botocore.parsers
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

NOT_IMPLEMENTED_CODES = ("NotImplemented", "InvalidAction", "UnknownOperationException")


def endpoint_lacks_action(error: Exception) -> bool:
    """Whether the endpoint does not implement the API action at all.

    AWS implements every action we call; emulators answer unimplemented ones with an
    error code such as NotImplemented, or with a body that is not an AWS response.
    """
    if isinstance(error, botocore.parsers.ResponseParserError):
        return True
    if isinstance(error, botocore.exceptions.ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in NOT_IMPLEMENTED_CODES or status == 501
    return False


def get_tags(client, module, arn: str) -> dict[str, str]:
    try:
        return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(aws_retry=True, ResourceName=arn)["TagList"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Couldn't read the tags of {arn}")


def desired_tags(current: dict[str, str], tags: dict[str, str] | None, purge: bool) -> dict[str, str]:
    if tags is None:
        return current
    return dict(tags) if purge else {**current, **tags}


def ensure_tags(client, module, arn: str, current: dict[str, str], tags: dict[str, str] | None, purge: bool) -> bool:
    if tags is None:
        return False
    to_set, to_unset = compare_aws_tags(current, tags, purge)
    if not (to_set or to_unset) or module.check_mode:
        return bool(to_set or to_unset)
    try:
        if to_unset:
            client.remove_tags_from_resource(aws_retry=True, ResourceName=arn, TagKeys=to_unset)
        if to_set:
            client.add_tags_to_resource(aws_retry=True, ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Couldn't update the tags of {arn}")
    return True
