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
    those settings. A setting AWS does not report yet (the port while the group is
    C(creating), which has no node groups then) is not compared. Settings AWS reports per
    member cluster (engine version, maintenance window, security groups, notification
    topic, parameter group) are compared when the endpoint returns the member clusters; an
    endpoint that does not (some emulators) leaves them uncompared.
  - The engine version is compared as AWS reports it, with its patch level; V(7.0.7)
    satisfies V(7.0). Only a newer version is ever sent; a running version newer than the
    one asked for is kept and reported as a warning (ElastiCache does not downgrade).
  - ElastiCache refuses tag calls (even reading tags) and modifications while a group is
    not C(available). A group found C(creating), C(modifying) or C(snapshotting) is awaited
    first when O(wait=true); with O(wait=false) (or in check mode) nothing is read or
    changed and RV(pending) says what is left to do once it is available. Tags are given
    at creation.
  - Changes that take several calls (tags, replica count, settings, in-transit
    encryption) are made one after the other, waiting in between until the group and
    its member clusters are C(available) again.
  - Encryption at rest, port and subnet group cannot be changed on an existing group;
    asking for a different value is an error. In-transit encryption is turned on in place
    in AWS's two steps (O(transit_encryption_mode=preferred), then V(required)). An AUTH
    token is set at creation only.
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
    description:
      - Redis version, for example V(7.0). A running patch release of it (V(7.0.7))
        satisfies it; a newer running version is kept.
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
    description:
      - Encrypt traffic between clients and nodes (TLS).
      - On an existing group without it, AWS turns it on in two steps (Redis 7.0.5 or
        later) - first O(transit_encryption_mode=preferred), which accepts TLS and plain
        clients, then, once every client uses TLS, V(required). Asking for V(required)
        directly on such a group is refused with these instructions.
      - Turning it off in place is refused.
    type: bool
    default: false
  transit_encryption_mode:
    description: With O(transit_encryption), whether plain connections are still accepted (V(preferred)) or not (V(required)).
    type: str
    choices: [preferred, required]
    default: required
  auth_token_secret:
    description:
      - Name or ARN of a Secrets Manager secret holding a JSON document whose key C(token)
        is the Redis AUTH token (see M(credlink.infra.redis_auth_secret)). Read only when
        the group is created, and passed as its AUTH token; never returned or logged.
      - Needs O(transit_encryption). An existing group without an AUTH token is not given
        one (refused with instructions); nor is one removed. Rotation is not done here.
    type: str
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
    description:
      - Apply node type and engine version changes now rather than in the maintenance
        window. Changes waiting for the window are reported in RV(pending) and not sent again.
      - Replica count changes are always immediate (AWS supports nothing else).
    type: bool
    default: false
  wait:
    description:
      - Wait until the group (and its member clusters) is available after the last change,
        or deleted.
      - Also wait for a group found in a transitional state before comparing it.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait, for each wait.
    type: int
    default: 1200
  wait_delay:
    description: Seconds between two status checks while waiting.
    type: int
    default: 15
notes:
  - Deleting a group that is C(creating), C(modifying) or C(snapshotting) first waits for it
    (AWS refuses to delete it then), whatever O(wait) says.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Production Redis, primary and replica across two zones, TLS and AUTH (awaited later)
  credlink.infra.elasticache_replication_group:
    replication_group_id: credlink-production-redis
    description: CredLink production cache
    engine_version: "7.0"
    cache_node_type: cache.t3.micro
    num_cache_clusters: 2
    automatic_failover: true
    multi_az: true
    transit_encryption: true
    auth_token_secret: credlink-production-redis-auth
    cache_subnet_group: credlink-production-redis
    security_group_ids: ["{{ redis_sg_id }}"]
    cache_parameter_group: credlink-production-redis7
    snapshot_retention_limit: 5
    snapshot_window: "03:00-05:00"
    maintenance_window: "mon:05:00-mon:07:00"
    tags:
      Project: credlink
    wait: false
  register: redis

- name: Finish what could not be done while the group was being created
  credlink.infra.elasticache_replication_group:
    replication_group_id: credlink-production-redis
    cache_node_type: cache.t3.micro
    num_cache_clusters: 2
    automatic_failover: true
    multi_az: true
    transit_encryption: true
    tags:
      Project: credlink
  when: not redis.compared
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
    transit_encryption_enabled:
      description: Whether in-transit encryption is on.
      type: bool
    auth_token_enabled:
      description: Whether the group requires an AUTH token.
      type: bool
    tags:
      description: Tags; absent while the group is not available (AWS does not list them then).
      type: dict
primary_endpoint:
  description: Address and port of the primary, once known.
  returned: when the group exists
  type: dict
  sample: {"address": "master.credlink-production-redis.abc123.use1.cache.amazonaws.com", "port": 6379}
pending:
  description:
    - What this run could not do or check yet - the group was busy, or a change waits for
      the maintenance window. Empty when the group matches what was asked.
  returned: always
  type: list
  elements: str
  sample: ["replication group is creating: settings and tags are compared once it is available"]
compared:
  description:
    - Whether the group was compared with what was asked (and changed where needed).
      V(false) when it was busy and not awaited (O(wait=false) or check mode); run the
      module again once it is available.
  returned: always
  type: bool
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY, diff_for
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.credentials import read_document
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import (
    GROUP_PENDING_STATES,
    auth_token_problem,
    describe_group,
    describe_member,
    describe_state,
    engine_version_change,
    ensure_tags,
    fail_for_state,
    group_is_ready,
    group_tags_if_readable,
    member_states,
    version_parts,
    wait_until_deleted,
    wait_until_ready,
    wait_until_settled,
)
from ansible_collections.credlink.infra.plugins.module_utils.sync import create_once
from ansible_collections.credlink.infra.plugins.module_utils.sync import desired_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import tags_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.sync import wait_argument_spec

IMMUTABLE = ("at_rest_encryption", "port", "cache_subnet_group")
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
# Applied in the maintenance window unless apply_immediately (ModifyReplicationGroup
# ApplyImmediately; AWS then lists them in the member clusters' PendingModifiedValues).
DEFERRABLE = ("cache_node_type", "engine_version")


def present_keys(source: dict, mapping: dict) -> dict:
    """Only what the response holds: a key AWS does not report is not observed."""
    return {key: source[field] for key, field in mapping.items() if source.get(field) is not None}


def observed_settings(client, module, group):
    """The group's settings in this module's terms, each only once AWS reports it.

    While a group is creating it has no NodeGroups, so no primary endpoint and no port
    (hashicorp/terraform PR #2945; research notes A, section 5): the port is then absent
    here rather than None, and is not compared.
    """
    settings = present_keys(group, {
        "description": "Description", "cache_node_type": "CacheNodeType",
        "at_rest_encryption": "AtRestEncryptionEnabled", "transit_encryption": "TransitEncryptionEnabled",
        "auth_token": "AuthTokenEnabled", "snapshot_retention_limit": "SnapshotRetentionLimit",
        "snapshot_window": "SnapshotWindow",
    })
    if group.get("MemberClusters"):
        settings["num_cache_clusters"] = len(group["MemberClusters"])
    if group.get("AutomaticFailover"):
        settings["automatic_failover"] = group["AutomaticFailover"] in ("enabled", "enabling")
    if group.get("MultiAZ"):
        settings["multi_az"] = group["MultiAZ"] == "enabled"
    if settings.get("transit_encryption"):
        # Groups created before TransitEncryptionMode existed report none; they require TLS.
        settings["transit_encryption_mode"] = group.get("TransitEncryptionMode") or "required"
    endpoint = ((group.get("NodeGroups") or [{}])[0].get("PrimaryEndpoint")) or {}
    if endpoint.get("Port") is not None:
        settings["port"] = endpoint["Port"]
    member_ids = group.get("MemberClusters") or []
    member = describe_member(client, module, member_ids[0]) if member_ids else None
    if member:
        settings.update(present_keys(member, {
            "engine_version": "EngineVersion", "maintenance_window": "PreferredMaintenanceWindow",
            "cache_subnet_group": "CacheSubnetGroupName",
        }))
        if member.get("SecurityGroups") is not None:
            settings["security_group_ids"] = sorted(g["SecurityGroupId"] for g in member["SecurityGroups"])
        if (member.get("NotificationConfiguration") or {}).get("TopicArn"):
            settings["notification_topic_arn"] = member["NotificationConfiguration"]["TopicArn"]
        if (member.get("CacheParameterGroup") or {}).get("CacheParameterGroupName"):
            settings["cache_parameter_group"] = member["CacheParameterGroup"]["CacheParameterGroupName"]
    return settings, pending_values(group, member)


def pending_values(group, member):
    """Modifications AWS has accepted but not applied yet, in this module's terms."""
    pending = present_keys(group.get("PendingModifiedValues") or {}, {
        "transit_encryption": "TransitEncryptionEnabled", "transit_encryption_mode": "TransitEncryptionMode",
    })
    pending.update(present_keys((member or {}).get("PendingModifiedValues") or {}, {
        "engine_version": "EngineVersion", "cache_node_type": "CacheNodeType",
        "transit_encryption": "TransitEncryptionEnabled", "transit_encryption_mode": "TransitEncryptionMode",
    }))
    return pending


def desired_settings(params):
    desired = {key: params[key] for key in (
        "description", "cache_node_type", "num_cache_clusters", "automatic_failover", "multi_az",
        "at_rest_encryption", "transit_encryption", "port", "snapshot_retention_limit", "snapshot_window",
        "engine_version", "maintenance_window", "notification_topic_arn", "cache_parameter_group",
        "cache_subnet_group")}
    desired["security_group_ids"] = sorted(params["security_group_ids"]) if params["security_group_ids"] is not None else None
    if params["transit_encryption"]:
        desired["transit_encryption_mode"] = params["transit_encryption_mode"]
    desired["auth_token"] = params["auth_token_secret"] is not None
    return {key: value for key, value in desired.items() if value is not None}


def differences(observed, desired, pending):
    """(changes to send, warnings, changes waiting for the maintenance window).

    A setting AWS does not report yet is skipped; an engine version is compared as AWS
    reports it (engine_version_change); a change AWS already holds pending is not sent again.
    """
    changes, warnings, deferred = {}, [], []
    for key, want in desired.items():
        if key not in observed:
            continue
        if key == "engine_version":
            want, warning = engine_version_change(observed[key], want)
            if warning:
                warnings.append(warning)
            if want is None:
                continue
        elif observed[key] == want:
            continue
        waiting = pending.get(key)
        if waiting is not None and (waiting == want or (key == "engine_version"
                                                        and engine_version_change(waiting, want)[0] is None)):
            when = "at the next maintenance window" if key in DEFERRABLE else "being applied by AWS"
            deferred.append(f"{key}: {observed[key]} -> {want} {when}")
            continue
        changes[key] = want
    return changes, warnings, deferred


def transit_request(module, group_id, observed, changes):
    """The ModifyReplicationGroup arguments for an in-transit encryption change, or {}.

    AWS: "Enabling encryption in transit, is a two-step process, you must first set the
    transit encryption mode to preferred ... After you migrate all your ... clients to use
    encrypted connections, you can then modify your cluster configuration to set the
    transit encryption mode to required" (ElastiCache user guide, "Enabling in-transit
    encryption"); ModifyReplicationGroup TransitEncryptionEnabled: "If you are enabling
    in-transit encryption for an existing cluster, you must also set TransitEncryptionMode
    to preferred." Modifying it is "supported on replication groups running Redis version 7
    and later" (user guide, "In-transit encryption conditions"; research notes B, 5e), and
    AWS answers a lower engine with "Transit encryption mode is not supported for engine
    version 6.2.6. Please use engine version 7.0.5 or higher." (InvalidParameterCombination,
    quoted in cloudposse/terraform-aws-elasticache-redis PR #231), hence 7.0.5 here.
    """
    wanted_on = changes.pop("transit_encryption", None)
    wanted_mode = changes.pop("transit_encryption_mode", None)
    if wanted_on is None and wanted_mode is None:
        return {}
    if wanted_on is False:
        module.fail_json(msg=(
            f"Replication group {group_id} uses in-transit encryption; turning it off is not done in place. "
            f"Keep transit_encryption on, or delete the group deliberately (teardown of the cache layer) and "
            f"run again to recreate it without"))
    if wanted_on:
        engine = observed.get("engine_version")
        if engine and version_parts(engine) < (7, 0, 5):
            module.fail_json(msg=(
                f"Replication group {group_id} runs Redis {engine}: ElastiCache turns in-transit encryption on "
                f"in place only from Redis 7.0.5; upgrade the engine first, or recreate the group"))
        if module.params["transit_encryption_mode"] != "preferred":
            module.fail_json(msg=(
                f"Replication group {group_id} has no in-transit encryption. ElastiCache turns it on in place in "
                f"two steps: run with transit_encryption_mode=preferred (cache_transit_encryption_mode: preferred), "
                f"which accepts TLS and plain clients; move every client to TLS (rediss://; site.yml does it for "
                f"the service); then run with required. The group is never replaced for this"))
        return {"TransitEncryptionEnabled": True, "TransitEncryptionMode": "preferred"}
    return {"TransitEncryptionMode": wanted_mode}


def check_auth(module, group_id, changes):
    """An AUTH token is set at creation only.

    ElastiCache can add one to a TLS group in place (ModifyReplicationGroup AuthToken with
    AuthTokenUpdateStrategy ROTATE, which keeps unauthenticated connections working until a
    SET; research notes B, 5c) and removes one only when moving to RBAC (DELETE). Token
    changes are rotation, which this collection leaves to the operator.
    """
    wanted = changes.pop("auth_token", None)
    if wanted is True:
        module.fail_json(msg=(
            f"Replication group {group_id} has no AUTH token, and this module sets one only at creation "
            f"(token rotation is not automated). Either add the token from the secret by hand "
            f"(ModifyReplicationGroup AuthToken with AuthTokenUpdateStrategy ROTATE, then SET, as the ElastiCache "
            f"guide 'Modifying the AUTH token on an existing cluster' describes) and run again, or delete the "
            f"group deliberately (teardown of the cache layer) and run again to recreate it with the token"))
    if wanted is False:
        module.fail_json(msg=(
            f"Replication group {group_id} requires an AUTH token; ElastiCache removes one only when moving to "
            f"RBAC (AuthTokenUpdateStrategy DELETE). Keep the AUTH token on"))


def read_auth_token(module, secret_id):
    """The token from the secret's JSON key `token`, registered as a value never to be logged."""
    client = module.client("secretsmanager", retry_decorator=RETRY)
    document, _ = read_document(client, module, secret_id)
    if document is None:
        module.fail_json(msg=(f"Secret {secret_id} with the Redis AUTH token does not exist: build the secrets "
                              f"layer first (site.yml --tags secrets)"))
    token = document.get("token")
    if isinstance(token, str) and token:
        module.no_log_values.add(token)
    problem = auth_token_problem(token)
    if problem:
        module.fail_json(msg=f"The token in secret {secret_id} is not a valid ElastiCache AUTH token: {problem}")
    return token


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
    if p["transit_encryption"] and p["transit_encryption_mode"] == "preferred":
        request["TransitEncryptionMode"] = "preferred"
    if p["auth_token_secret"]:
        request["AuthToken"] = read_auth_token(module, p["auth_token_secret"])
    # Tags go with the creation: the group refuses tag calls until it is available.
    if p["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(p["tags"])
    create_once(module, lambda: client.create_replication_group(aws_retry=True, **request),
                "ReplicationGroupAlreadyExists", f"replication group {p['replication_group_id']}")


def plan_steps(module, group, observed, changes, tags_before, tags_after):
    """The calls to make, in order; each one must find the group available.

    Tags first (tagging itself puts the group into `modifying`: hashicorp/terraform-provider-aws
    PR #40320), then more replicas, then the settings (failover can be turned on only with a
    replica, and must be off before the last replica goes), in-transit encryption, fewer replicas.
    Increase/DecreaseReplicaCount take only ApplyImmediately=True ("ApplyImmediately=False is
    not currently supported", API reference).
    """
    p = module.params
    group_id = p["replication_group_id"]
    steps = []
    if tags_before is not None and tags_before != tags_after:
        steps.append(("tags", lambda c: ensure_tags(c, module, group["ARN"], tags_before, p["tags"], p["purge_tags"])))
    wanted = changes.get("num_cache_clusters")
    if wanted is not None and wanted > observed["num_cache_clusters"]:
        steps.append(("replicas", lambda c: c.increase_replica_count(
            aws_retry=True, ReplicationGroupId=group_id, NewReplicaCount=wanted - 1, ApplyImmediately=True)))
    request = {MODIFY_KEYS[key]: value for key, value in changes.items() if key in MODIFY_KEYS}
    if request:
        steps.append(("settings", lambda c: c.modify_replication_group(
            aws_retry=True, ReplicationGroupId=group_id, ApplyImmediately=p["apply_immediately"], **request)))
    transit = transit_request(module, group_id, observed, changes)
    if transit:
        # The mode change applies online and is not held for the maintenance window.
        steps.append(("in-transit encryption", lambda c: c.modify_replication_group(
            aws_retry=True, ReplicationGroupId=group_id, ApplyImmediately=True, **transit)))
    if wanted is not None and wanted < observed["num_cache_clusters"]:
        steps.append(("replicas", lambda c: c.decrease_replica_count(
            aws_retry=True, ReplicationGroupId=group_id, NewReplicaCount=wanted - 1, ApplyImmediately=True)))
    return steps


def run_steps(client, module, steps):
    p = module.params
    group_id = p["replication_group_id"]
    for index, (what, call) in enumerate(steps):
        if index:
            wait_until_ready(client, module, group_id, p["wait_timeout"], p["wait_delay"])
        with fail_on_aws_error(module, f"Couldn't modify replication group {group_id} ({what})"):
            call(client)


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
    # "AUTH can only be enabled for encryption in-transit enabled ... clusters" (AUTH guide).
    if p["auth_token_secret"] and not p["transit_encryption"]:
        module.fail_json(msg="auth_token_secret needs transit_encryption=true (ElastiCache AUTH requires TLS)")


def format_result(client, module, group, tags=None):
    if not group:
        return {}, None
    result = camel_dict_to_snake_dict(group)
    read = group_tags_if_readable(client, module, group)
    if read is not None or tags is not None:
        result["tags"] = read if read is not None else tags
    endpoint = ((group.get("NodeGroups") or [{}])[0].get("PrimaryEndpoint")) or None
    return result, ({"address": endpoint["Address"], "port": endpoint["Port"]} if endpoint else None)


def report_busy(client, module, group, members):
    """A group that is not available: what can be seen now, nothing read or changed that AWS refuses."""
    observed, pending = observed_settings(client, module, group)
    changes, _, deferred = differences(observed, desired_settings(module.params), pending)
    busy = describe_state(group, members)
    items = [f"replication group is {busy}: settings and tags are compared once it is available"]
    items += [f"{key}: {observed[key]} -> {value}" for key, value in sorted(changes.items())]
    return items + deferred


def ensure_present(client, module, group):
    """(changed, before, after, pending, tags after, compared)."""
    p = module.params
    group_id = p["replication_group_id"]
    desired = desired_settings(p)
    if group is None:
        if not p["cache_node_type"]:
            module.fail_json(msg="cache_node_type is required to create a replication group")
        if not module.check_mode:
            create_group(client, module)
        return True, {}, desired, [], p["tags"], True

    members = member_states(client, module, group)
    fail_for_state(module, group_id, group, members)
    if not group_is_ready(group, members):
        if not p["wait"] or module.check_mode:
            return False, {}, {}, report_busy(client, module, group, members), None, False
        group = wait_until_ready(client, module, group_id, p["wait_timeout"], p["wait_delay"])

    observed, pending = observed_settings(client, module, group)
    changes, warnings, deferred = differences(observed, desired, pending)
    frozen = sorted(key for key in changes if key in IMMUTABLE)
    if frozen:
        module.fail_json(msg=f"Replication group {group_id} cannot change {', '.join(frozen)} "
                         f"in place ({', '.join(f'{k}: {observed[k]} -> {changes[k]}' for k in frozen)})")
    check_auth(module, group_id, changes)
    for warning in warnings:
        module.warn(f"Replication group {group_id}: {warning}")
    tags_before = group_tags_if_readable(client, module, group)
    tags_after = desired_tags(tags_before or {}, p["tags"], p["purge_tags"])
    planned = dict(changes)
    steps = plan_steps(module, group, observed, changes, tags_before, tags_after)
    before = {**{k: observed[k] for k in planned}, "tags": tags_before}
    after = {**planned, "tags": tags_after}
    if steps and not module.check_mode:
        run_steps(client, module, steps)
    return bool(steps), before, after, deferred, tags_after, True


def ensure_absent(client, module, group):
    p = module.params
    group_id = p["replication_group_id"]
    if group is None:
        return False
    if group.get("Status") == "deleting":
        if p["wait"] and not module.check_mode:
            wait_until_deleted(client, module, group_id, p["wait_timeout"], p["wait_delay"])
        return False
    if module.check_mode:
        return True
    if group.get("Status") in GROUP_PENDING_STATES:
        # "Replication group X has status modifying which is not valid for deletion."
        # (aws-controllers-k8s/community #948): wait until it settles.
        group = wait_until_settled(client, module, group_id, p["wait_timeout"], p["wait_delay"])
        if group is None:
            return False
    try:
        client.delete_replication_group(aws_retry=True, ReplicationGroupId=group_id)
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return False
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't delete replication group {group_id}")
    if p["wait"]:
        wait_until_deleted(client, module, group_id, p["wait_timeout"], p["wait_delay"])
    return True


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
            transit_encryption_mode=dict(type="str", choices=["preferred", "required"], default="required"),
            auth_token_secret=dict(type="str", no_log=False),
            port=dict(type="int", default=6379),
            cache_subnet_group=dict(type="str"),
            security_group_ids=dict(type="list", elements="str"),
            cache_parameter_group=dict(type="str"),
            snapshot_retention_limit=dict(type="int"),
            snapshot_window=dict(type="str"),
            maintenance_window=dict(type="str"),
            notification_topic_arn=dict(type="str"),
            apply_immediately=dict(type="bool", default=False),
            **tags_argument_spec(),
            **wait_argument_spec(1200, wait=True),
        ),
        supports_check_mode=True,
    )
    validate(module)
    client = module.client("elasticache", retry_decorator=RETRY)
    p = module.params
    group_id = p["replication_group_id"]
    group = describe_group(client, module, group_id)

    if p["state"] == "absent":
        changed = ensure_absent(client, module, group)
        module.exit_json(changed=changed, replication_group={}, pending=[], compared=True,
                         diff=diff_for({"replication_group_id": group_id} if changed else {}, {}))

    changed, before, after, pending, tags, compared = ensure_present(client, module, group)
    if changed and p["wait"] and not module.check_mode:
        group = wait_until_ready(client, module, group_id, p["wait_timeout"], p["wait_delay"])
    elif not module.check_mode:
        group = describe_group(client, module, group_id)
    result, endpoint = format_result(client, module, group, tags)
    module.exit_json(changed=changed, replication_group=result, primary_endpoint=endpoint, pending=pending,
                     compared=compared, diff=diff_for(before, after))


if __name__ == "__main__":
    main()
