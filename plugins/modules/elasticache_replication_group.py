#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_replication_group
short_description: Manage an ElastiCache Redis replication group (cluster mode disabled)
version_added: 0.1.0
description:
  - Creates, modifies or deletes a Redis replication group with one shard, made of a
    primary and O(num_cache_clusters) minus one replicas.
  - Compares every setting AWS reports and changes only what differs, with a diff of
    those settings. Settings AWS reports per member cluster (engine version, maintenance
    window, security groups, notification topic, parameter group) are compared when the
    endpoint returns the member clusters; an endpoint that does not (some emulators)
    leaves them uncompared.
  - Encryption at rest, in-transit encryption, engine, port and subnet group cannot be
    changed on an existing group; asking for a different value is an error.
author:
  - CredLink platform team (@credlink)
options:
  replication_group_id:
    description: Identifier of the replication group.
    type: str
    required: true
    aliases: [name]
  state:
    description: Whether the group should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the group.
    type: str
  engine_version:
    description: Redis version, for example V(7.0).
    type: str
  cache_node_type:
    description: Node type, for example V(cache.t3.micro).
    type: str
  num_cache_clusters:
    description: Nodes in the group, primary included (1 to 6).
    type: int
    default: 1
  automatic_failover:
    description: Promote a replica when the primary fails; needs at least 2 nodes.
    type: bool
    default: false
  multi_az:
    description: Keep the replica in another zone and fail over across zones; needs O(automatic_failover).
    type: bool
    default: false
  at_rest_encryption:
    description: Encrypt data at rest. Set at creation only.
    type: bool
    default: true
  transit_encryption:
    description: Require TLS between clients and nodes. Set at creation only.
    type: bool
    default: false
  port:
    description: Port of the nodes.
    type: int
    default: 6379
  cache_subnet_group:
    description: Cache subnet group the nodes are placed in. Set at creation only.
    type: str
  security_group_ids:
    description: VPC security groups of the nodes.
    type: list
    elements: str
  cache_parameter_group:
    description: Cache parameter group name.
    type: str
  snapshot_retention_limit:
    description: Days automatic snapshots are kept; 0 disables them.
    type: int
  snapshot_window:
    description: Daily snapshot window, C(hh24:mi-hh24:mi) UTC.
    type: str
  maintenance_window:
    description: Weekly maintenance window, C(ddd:hh24:mi-ddd:hh24:mi) UTC.
    type: str
  notification_topic_arn:
    description: SNS topic that receives the group's events.
    type: str
  apply_immediately:
    description: Apply modifications now rather than in the maintenance window.
    type: bool
    default: true
  wait:
    description: Wait with the boto3 waiter until the group is available (or deleted).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 1200
  wait_delay:
    description: Seconds between two status checks while waiting.
    type: int
    default: 15
notes:
  - Supports C(check_mode) and C(diff_mode).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - amazon.aws.tags
"""

EXAMPLES = r"""
- name: Production Redis, primary and replica across two zones (awaited later)
  credlink.infra.elasticache_replication_group:
    replication_group_id: credlink-production-redis
    description: CredLink production cache
    engine_version: "7.0"
    cache_node_type: cache.t3.micro
    num_cache_clusters: 2
    automatic_failover: true
    multi_az: true
    cache_subnet_group: credlink-production-redis
    security_group_ids: ["{{ redis_sg_id }}"]
    cache_parameter_group: credlink-production-redis7
    snapshot_retention_limit: 5
    snapshot_window: "03:00-05:00"
    maintenance_window: "mon:05:00-mon:07:00"
    wait: false
"""

RETURN = r"""
replication_group:
  description: The group as AWS describes it (snake case); empty after deletion.
  returned: always
  type: dict
  contains:
    replication_group_id:
      description: Identifier.
      type: str
    status:
      description: Status such as V(creating), V(modifying), V(available).
      type: str
    member_clusters:
      description: Member cluster ids.
      type: list
      elements: str
    automatic_failover:
      description: V(enabled) or V(disabled).
      type: str
    tags:
      description: Tags.
      type: dict
primary_endpoint:
  description: Address and port of the primary, once known.
  returned: when the group exists
  type: dict
  sample: {"address": "master.credlink-production-redis.abc123.use1.cache.amazonaws.com", "port": 6379}
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY, diff_for
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import desired_tags, ensure_tags, get_tags

IMMUTABLE = ("at_rest_encryption", "transit_encryption", "port", "cache_subnet_group")
MEMBER_SETTINGS = ("engine_version", "maintenance_window", "security_group_ids",
                   "notification_topic_arn", "cache_parameter_group")


def describe_group(client, module, group_id):
    try:
        groups = client.describe_replication_groups(aws_retry=True, ReplicationGroupId=group_id)["ReplicationGroups"]
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't describe replication group {group_id}")
    return groups[0] if groups else None


def describe_member(client, module, cluster_id):
    try:
        clusters = client.describe_cache_clusters(aws_retry=True, CacheClusterId=cluster_id)["CacheClusters"]
    except is_boto3_error_code("CacheClusterNotFound"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't describe cache cluster {cluster_id}")
    return clusters[0] if clusters else None


def observed_settings(client, module, group):
    """The group's settings in this module's terms; member settings only when readable."""
    first_member = group.get("MemberClusters", [None])[0]
    node_group = (group.get("NodeGroups") or [{}])[0]
    settings = {
        "description": group.get("Description"),
        "cache_node_type": group.get("CacheNodeType"),
        "num_cache_clusters": len(group.get("MemberClusters", [])),
        "automatic_failover": group.get("AutomaticFailover") in ("enabled", "enabling"),
        "multi_az": group.get("MultiAZ") == "enabled",
        "at_rest_encryption": group.get("AtRestEncryptionEnabled", False),
        "transit_encryption": group.get("TransitEncryptionEnabled", False),
        "port": (node_group.get("PrimaryEndpoint") or {}).get("Port"),
        "snapshot_retention_limit": group.get("SnapshotRetentionLimit"),
        "snapshot_window": group.get("SnapshotWindow"),
    }
    member = describe_member(client, module, first_member) if first_member else None
    if member:
        settings.update({
            "engine_version": member.get("EngineVersion"),
            "maintenance_window": member.get("PreferredMaintenanceWindow"),
            "security_group_ids": sorted(g["SecurityGroupId"] for g in member.get("SecurityGroups", [])),
            "notification_topic_arn": (member.get("NotificationConfiguration") or {}).get("TopicArn"),
            "cache_parameter_group": (member.get("CacheParameterGroup") or {}).get("CacheParameterGroupName"),
            "cache_subnet_group": member.get("CacheSubnetGroupName"),
        })
    return settings


def desired_settings(params):
    desired = {key: params[key] for key in (
        "description", "cache_node_type", "num_cache_clusters", "automatic_failover", "multi_az",
        "at_rest_encryption", "transit_encryption", "port", "snapshot_retention_limit", "snapshot_window",
        "engine_version", "maintenance_window", "notification_topic_arn", "cache_parameter_group",
        "cache_subnet_group")}
    desired["security_group_ids"] = sorted(params["security_group_ids"]) if params["security_group_ids"] is not None else None
    return {key: value for key, value in desired.items() if value is not None}


def differences(observed, desired):
    """Desired settings that differ from what the endpoint reports (unreported ones are skipped)."""
    return {key: value for key, value in desired.items() if key in observed and observed[key] != value}


def create_group(client, module):
    p = module.params
    request = {
        "ReplicationGroupId": p["replication_group_id"],
        "ReplicationGroupDescription": p["description"] or p["replication_group_id"],
        "Engine": "redis",
        "CacheNodeType": p["cache_node_type"],
        "NumNodeGroups": 1,
        "ReplicasPerNodeGroup": p["num_cache_clusters"] - 1,
        "AutomaticFailoverEnabled": p["automatic_failover"],
        "MultiAZEnabled": p["multi_az"],
        "AtRestEncryptionEnabled": p["at_rest_encryption"],
        "TransitEncryptionEnabled": p["transit_encryption"],
        "Port": p["port"],
    }
    optional = {
        "EngineVersion": p["engine_version"],
        "CacheSubnetGroupName": p["cache_subnet_group"],
        "SecurityGroupIds": p["security_group_ids"],
        "CacheParameterGroupName": p["cache_parameter_group"],
        "SnapshotRetentionLimit": p["snapshot_retention_limit"],
        "SnapshotWindow": p["snapshot_window"],
        "PreferredMaintenanceWindow": p["maintenance_window"],
        "NotificationTopicArn": p["notification_topic_arn"],
    }
    request.update({key: value for key, value in optional.items() if value is not None})
    if p["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(p["tags"])
    try:
        client.create_replication_group(aws_retry=True, **request)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Couldn't create replication group {p['replication_group_id']}")


MODIFY_KEYS = {
    "description": "ReplicationGroupDescription",
    "cache_node_type": "CacheNodeType",
    "automatic_failover": "AutomaticFailoverEnabled",
    "multi_az": "MultiAZEnabled",
    "snapshot_retention_limit": "SnapshotRetentionLimit",
    "snapshot_window": "SnapshotWindow",
    "engine_version": "EngineVersion",
    "maintenance_window": "PreferredMaintenanceWindow",
    "security_group_ids": "SecurityGroupIds",
    "notification_topic_arn": "NotificationTopicArn",
    "cache_parameter_group": "CacheParameterGroupName",
}


def modify_group(client, module, changes, observed):
    group_id = module.params["replication_group_id"]
    try:
        wanted = changes.get("num_cache_clusters")
        if wanted is not None and wanted > observed["num_cache_clusters"]:
            client.increase_replica_count(aws_retry=True, ReplicationGroupId=group_id,
                                          NewReplicaCount=wanted - 1, ApplyImmediately=True)
        request = {MODIFY_KEYS[key]: value for key, value in changes.items() if key in MODIFY_KEYS}
        if request:
            client.modify_replication_group(aws_retry=True, ReplicationGroupId=group_id,
                                            ApplyImmediately=module.params["apply_immediately"], **request)
        if wanted is not None and wanted < observed["num_cache_clusters"]:
            client.decrease_replica_count(aws_retry=True, ReplicationGroupId=group_id,
                                          NewReplicaCount=wanted - 1, ApplyImmediately=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Couldn't modify replication group {group_id} ({', '.join(sorted(changes))})")


def wait_for(client, module, waiter_name):
    p = module.params
    delay = max(1, p["wait_delay"])
    try:
        client.get_waiter(waiter_name).wait(
            ReplicationGroupId=p["replication_group_id"],
            WaiterConfig={"Delay": delay, "MaxAttempts": max(1, p["wait_timeout"] // delay)},
        )
    except botocore.exceptions.WaiterError as e:
        module.fail_json_aws(e, msg=f"Timed out after {p['wait_timeout']}s waiting for replication group "
                             f"{p['replication_group_id']} ({waiter_name.replace('_', ' ')})")


def validate(module):
    p = module.params
    if p["state"] != "present":
        return
    if not 1 <= p["num_cache_clusters"] <= 6:
        module.fail_json(msg=f"num_cache_clusters must be between 1 and 6, got {p['num_cache_clusters']}")
    if p["automatic_failover"] and p["num_cache_clusters"] < 2:
        module.fail_json(msg="automatic_failover needs num_cache_clusters >= 2 (a replica to promote)")
    if p["multi_az"] and not p["automatic_failover"]:
        module.fail_json(msg="multi_az needs automatic_failover=true")


def format_result(client, module, group):
    if not group:
        return {}, None
    result = camel_dict_to_snake_dict(group)
    result["tags"] = get_tags(client, module, group["ARN"]) if group.get("ARN") else {}
    endpoint = ((group.get("NodeGroups") or [{}])[0].get("PrimaryEndpoint")) or None
    return result, ({"address": endpoint["Address"], "port": endpoint["Port"]} if endpoint else None)


def ensure_present(client, module, group):
    p = module.params
    desired = desired_settings(p)
    if group is None:
        if not p["cache_node_type"]:
            module.fail_json(msg="cache_node_type is required to create a replication group")
        if not module.check_mode:
            create_group(client, module)
        return True, {}, desired
    observed = observed_settings(client, module, group)
    changes = differences(observed, desired)
    frozen = sorted(key for key in changes if key in IMMUTABLE)
    if frozen:
        module.fail_json(msg=f"Replication group {p['replication_group_id']} cannot change {', '.join(frozen)} "
                         f"in place ({', '.join(f'{k}: {observed[k]} -> {changes[k]}' for k in frozen)})")
    tags_before = get_tags(client, module, group["ARN"])
    tags_after = desired_tags(tags_before, p["tags"], p["purge_tags"])
    before = {**{k: observed[k] for k in changes}, "tags": tags_before}
    after = {**changes, "tags": tags_after}
    changed = bool(changes) or tags_before != tags_after
    if changed and not module.check_mode:
        if changes:
            modify_group(client, module, changes, observed)
        ensure_tags(client, module, group["ARN"], tags_before, p["tags"], p["purge_tags"])
    return changed, before, after


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            replication_group_id=dict(type="str", required=True, aliases=["name"]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            description=dict(type="str"),
            engine_version=dict(type="str"),
            cache_node_type=dict(type="str"),
            num_cache_clusters=dict(type="int", default=1),
            automatic_failover=dict(type="bool", default=False),
            multi_az=dict(type="bool", default=False),
            at_rest_encryption=dict(type="bool", default=True),
            transit_encryption=dict(type="bool", default=False),
            port=dict(type="int", default=6379),
            cache_subnet_group=dict(type="str"),
            security_group_ids=dict(type="list", elements="str"),
            cache_parameter_group=dict(type="str"),
            snapshot_retention_limit=dict(type="int"),
            snapshot_window=dict(type="str"),
            maintenance_window=dict(type="str"),
            notification_topic_arn=dict(type="str"),
            apply_immediately=dict(type="bool", default=True),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1200),
            wait_delay=dict(type="int", default=15),
        ),
        supports_check_mode=True,
    )
    validate(module)
    client = module.client("elasticache", retry_decorator=RETRY)
    group_id = module.params["replication_group_id"]
    group = describe_group(client, module, group_id)

    if module.params["state"] == "absent":
        changed = group is not None and group.get("Status") != "deleting"
        if changed and not module.check_mode:
            try:
                client.delete_replication_group(aws_retry=True, ReplicationGroupId=group_id)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                module.fail_json_aws(e, msg=f"Couldn't delete replication group {group_id}")
        if group and module.params["wait"] and not module.check_mode:
            wait_for(client, module, "replication_group_deleted")
        module.exit_json(changed=changed, replication_group={}, diff=diff_for({"replication_group_id": group_id} if changed else {}, {}))

    changed, before, after = ensure_present(client, module, group)
    if changed and module.params["wait"] and not module.check_mode:
        wait_for(client, module, "replication_group_available")
    result, endpoint = format_result(client, module, describe_group(client, module, group_id) if not module.check_mode else group)
    module.exit_json(changed=changed, replication_group=result, primary_endpoint=endpoint, diff=diff_for(before, after))


if __name__ == "__main__":
    main()
