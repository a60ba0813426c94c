# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ElastiCache helpers shared by the replication group, subnet group and parameter group modules.

What AWS does that these helpers account for (sources in each docstring):
- a replication group refuses tag calls, even ListTagsForResource, and every modification
  while it is not ``available``;
- while ``creating`` it has no NodeGroups, hence no primary endpoint and no port;
- it reports the full engine version (``7.0.7``) where ``7.0`` was asked for;
- the group can be ``available`` while a member cluster is still being created or removed.
"""

from __future__ import annotations

import string
import time
from typing import Any, Callable

try:
    import botocore
    import botocore.parsers
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.sync import describe_or_none
from ansible_collections.credlink.infra.plugins.module_utils.sync import retag

NOT_IMPLEMENTED_CODES = ("NotImplemented", "InvalidAction", "UnknownOperationException")

# ReplicationGroup.Status is one of creating, available, modifying, deleting, create-failed,
# snapshotting (ElastiCache API reference, ReplicationGroup; the same six constants in
# hashicorp/terraform-provider-aws internal/service/elasticache/status.go).
GROUP_PENDING_STATES = frozenset({"creating", "modifying", "snapshotting"})
# States a group does not leave by waiting for it to become available. create-failed is
# final (the cause is only in DescribeEvents; ministryofjustice/cloud-platform PR #8304);
# a deleting group ends deleted. readiness_info uses the same set for the play's joint wait.
GROUP_FAILED_STATES = frozenset({"create-failed", "deleting"})
# CacheCluster.CacheClusterStatus: available, creating, deleted, deleting,
# incompatible-network, modifying, rebooting cluster nodes, restore-failed, snapshotting
# (API reference, CacheCluster). The member states waiting does not repair:
MEMBER_FAILED_STATES = frozenset({"incompatible-network", "restore-failed"})

# InvalidReplicationGroupState, "Cluster not in available state to perform tagging
# operations." answers AddTagsToResource, RemoveTagsFromResource and ListTagsForResource on
# a group that is not available (hashicorp/terraform-provider-aws #30444, #33859, PR #44811).
GROUP_STATE_ERROR = "InvalidReplicationGroupState"

# Redis AUTH tokens: 16-128 printable ASCII characters; the only non-alphanumeric characters
# allowed are ! & # $ ^ < > - (ElastiCache user guide, "Authenticating with the Valkey and
# Redis OSS AUTH command"; API reference, CreateReplicationGroup AuthToken: "The only
# permitted printable special characters are !, &, #, $, ^, <, >, and -"). The older
# ModifyReplicationGroup wording only forbids / " @ %; the stricter create-time list binds
# (research notes B, 5b). AWS refuses others with InvalidParameterValue "Invalid AuthToken
# provided."; moto accepts any token, so the module checks before sending.
AUTH_TOKEN_SPECIALS = "!&#$^<>-"
AUTH_TOKEN_ALPHABET = frozenset(string.ascii_letters + string.digits + AUTH_TOKEN_SPECIALS)
AUTH_TOKEN_MIN, AUTH_TOKEN_MAX = 16, 128

# The clock and the pause of the waits; tests replace them.
clock: Callable[[], float] = time.monotonic
sleep: Callable[[float], None] = time.sleep


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


def error_code(error: Exception) -> str:
    if isinstance(error, botocore.exceptions.ClientError):
        return error.response.get("Error", {}).get("Code", "")
    return ""


# --- tags -------------------------------------------------------------------------------


def get_tags(client, module, arn: str) -> dict[str, str]:
    with fail_on_aws_error(module, f"Couldn't read the tags of {arn}"):
        return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(aws_retry=True, ResourceName=arn)["TagList"])


def ensure_tags(client, module, arn: str, current: dict[str, str], tags: dict[str, str] | None, purge: bool) -> bool:
    with fail_on_aws_error(module, f"Couldn't update the tags of {arn}"):
        return retag(
            current, tags, purge, check_mode=module.check_mode,
            untag=lambda keys: client.remove_tags_from_resource(aws_retry=True, ResourceName=arn, TagKeys=keys),
            tag=lambda new: client.add_tags_to_resource(aws_retry=True, ResourceName=arn,
                                                        Tags=ansible_dict_to_boto3_tag_list(new)))


def group_tags_if_readable(client, module, group: dict) -> dict[str, str] | None:
    """The group's tags, or None while ElastiCache refuses to list them (group not available)."""
    if group.get("Status") != "available" or not group.get("ARN"):
        return None
    try:
        return boto3_tag_list_to_ansible_dict(
            client.list_tags_for_resource(aws_retry=True, ResourceName=group["ARN"])["TagList"])
    except is_boto3_error_code(GROUP_STATE_ERROR):
        # The group left `available` between the describe and this call (tagging itself
        # puts it into `modifying`: hashicorp/terraform-provider-aws PR #40320).
        return None
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't read the tags of {group['ARN']}")


# --- engine versions --------------------------------------------------------------------


def version_parts(version: str) -> tuple[int, ...]:
    """``"7.0.7"`` -> ``(7, 0, 7)``; stops at the first part that is not a number (``6.x``)."""
    parts = []
    for part in str(version).split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


def engine_version_change(observed: str | None, desired: str | None) -> tuple[str | None, str | None]:
    """What to send for ``desired`` when AWS runs ``observed``: (version to send, note).

    AWS reports the full patch version of the engine it runs (``7.0.7``) while Redis 7 is
    asked for as major.minor (``7.0``): the pulumi/terraform docs for engine_version say
    "If the version is 7 or higher, the major and minor version should be set, e.g., 7.2
    ... The actual engine version used is returned in the attribute engine_version_actual",
    and tf-aws compares only major.minor (internal/service/elasticache/engine_version.go).
    So ``7.0.7`` satisfies ``7.0``; only a newer version is sent; an older one is never sent
    (ElastiCache upgrades; it does not downgrade) and is reported instead.
    """
    if not desired or not observed:
        return None, None
    want, have = version_parts(desired), version_parts(observed)
    if not want or not have:
        return (None, None) if str(observed).startswith(str(desired)) else (desired, None)
    prefix = have[:len(want)]
    if prefix == want:
        return None, None
    if prefix > want:
        return None, (f"engine {observed} runs, newer than the {desired} asked for; ElastiCache does not "
                      f"downgrade, so it is kept (raise the asked version to silence this)")
    return desired, None


# --- AUTH tokens ------------------------------------------------------------------------


def auth_token_problem(token: Any) -> str | None:
    """Why ``token`` is not a valid Redis AUTH token for ElastiCache, or None. Never quotes it."""
    if not isinstance(token, str) or not token:
        return "it is empty or not a string"
    if not AUTH_TOKEN_MIN <= len(token) <= AUTH_TOKEN_MAX:
        return f"it has {len(token)} characters, ElastiCache takes {AUTH_TOKEN_MIN} to {AUTH_TOKEN_MAX}"
    if not set(token) <= AUTH_TOKEN_ALPHABET:
        return f"it contains characters other than letters, digits and {AUTH_TOKEN_SPECIALS}"
    return None


# --- replication group state and waits ----------------------------------------------------


def describe_group(client, module, group_id: str) -> dict | None:
    return describe_or_none(module, client.describe_replication_groups, "ReplicationGroupNotFoundFault",
                            f"Couldn't describe replication group {group_id}", first="ReplicationGroups",
                            ReplicationGroupId=group_id)


def group_info(client, module, group_id: str) -> dict:
    """The replication group as ``elasticache_replication_group_info`` returns it; ``found`` false when absent."""
    group = describe_group(client, module, group_id)
    if group is None:
        return {"found": False, "replication_group": {}, "primary_endpoint": {}, "ready": False,
                "unrecoverable": True, "state": "missing"}
    # No NodeGroups while the group is creating, hence no endpoint yet.
    endpoint = (group.get("NodeGroups") or [{}])[0].get("PrimaryEndpoint") or {}
    return {
        "found": True,
        "replication_group": camel_dict_to_snake_dict(group),
        "primary_endpoint": {"address": endpoint["Address"], "port": endpoint["Port"]} if endpoint else {},
        "ready": group.get("Status") == "available" and bool(endpoint),
        "unrecoverable": group.get("Status") in GROUP_FAILED_STATES,
        "state": group.get("Status", ""),
    }


def describe_member(client, module, cluster_id: str) -> dict | None:
    """A member cluster, or None when the endpoint does not know it (moto registers none)."""
    return describe_or_none(module, client.describe_cache_clusters, "CacheClusterNotFound",
                            f"Couldn't describe cache cluster {cluster_id}", first="CacheClusters",
                            CacheClusterId=cluster_id)


def member_states(client, module, group: dict) -> dict[str, str]:
    """Status of each member cluster the endpoint reports."""
    states = {}
    for cluster_id in group.get("MemberClusters") or []:
        member = describe_member(client, module, cluster_id)
        if member is not None:
            states[cluster_id] = member.get("CacheClusterStatus", "")
    return states


def group_is_ready(group: dict, members: dict[str, str]) -> bool:
    """Available, and so is every member cluster.

    After replica changes the group can report `available` while a member is still being
    created or deleted; the next ModifyReplicationGroup then fails with
    InvalidCacheClusterState (hashicorp/terraform-provider-aws #50096, PR #30493).
    """
    return group.get("Status") == "available" and all(state == "available" for state in members.values())


def describe_state(group: dict, members: dict[str, str]) -> str:
    busy = [f"{cluster} {state}" for cluster, state in sorted(members.items()) if state != "available"]
    return group.get("Status", "unknown") + (f" (members: {', '.join(busy)})" if busy else "")


def fail_for_state(module, group_id: str, group: dict, members: dict[str, str]) -> None:
    """Stop when the group (or a member) is in a state it will not leave by waiting."""
    status = group.get("Status")
    if status == "create-failed":
        module.fail_json(msg=(
            f"Replication group {group_id} is create-failed: ElastiCache does not repair it. Its events say why "
            f"(aws elasticache describe-events --source-type replication-group --source-identifier {group_id}); "
            f"delete it (teardown of the cache layer) and run again"))
    if status == "deleting":
        module.fail_json(msg=f"Replication group {group_id} is being deleted; run again once it is gone")
    broken = sorted(cluster for cluster, state in members.items() if state in MEMBER_FAILED_STATES)
    if broken:
        module.fail_json(msg=(f"Replication group {group_id} has member cluster(s) that waiting does not repair: "
                              + ", ".join(f"{c} {members[c]}" for c in broken)))


def wait_until_ready(client, module, group_id: str, timeout: int, delay: int) -> dict:
    """Poll until the group and its members are available; fail at once on a final state.

    botocore's replication_group_available waiter is not used: it only knows the state
    `deleted` as a failure (so a create-failed group is awaited for the whole timeout) and
    it ignores the member clusters.
    """
    deadline = clock() + timeout
    while True:
        group = describe_group(client, module, group_id)
        if group is None:
            module.fail_json(msg=f"Replication group {group_id} disappeared while waiting for it to be available")
        members = member_states(client, module, group)
        fail_for_state(module, group_id, group, members)
        if group_is_ready(group, members):
            return group
        if clock() >= deadline:
            module.fail_json(msg=(f"Timed out after {timeout}s waiting for replication group {group_id} to be "
                                  f"available; it is {describe_state(group, members)}"))
        sleep(max(1, delay))


def wait_until_deleted(client, module, group_id: str, timeout: int, delay: int) -> None:
    deadline = clock() + timeout
    while True:
        group = describe_group(client, module, group_id)
        if group is None:
            return
        if clock() >= deadline:
            module.fail_json(msg=(f"Timed out after {timeout}s waiting for replication group {group_id} to be "
                                  f"deleted; it is {group.get('Status')}"))
        sleep(max(1, delay))


def wait_until_settled(client, module, group_id: str, timeout: int, delay: int) -> dict | None:
    """Poll until the group leaves creating/modifying/snapshotting (or is gone): before a
    deletion, which AWS refuses in those states ("Replication group X has status modifying
    which is not valid for deletion.", aws-controllers-k8s/community #948)."""
    deadline = clock() + timeout
    while True:
        group = describe_group(client, module, group_id)
        if group is None or group.get("Status") not in GROUP_PENDING_STATES:
            return group
        if clock() >= deadline:
            module.fail_json(msg=(f"Timed out after {timeout}s waiting for replication group {group_id} to leave "
                                  f"{group.get('Status')} before deleting it"))
        sleep(max(1, delay))
