"""Replication group members as AWS reports them, and changes to their number.

On AWS every member of a replication group is a cache cluster of its own (``<group>-001``,
``<group>-002``...) that DescribeCacheClusters reports with the settings AWS keeps per member:
engine version (the full patch version, see ``versions``), maintenance window, security
groups, notification topic, parameter group, subnet group (ElastiCache API reference,
CacheCluster). moto never registers them, so nothing of that can be read back. Here they
exist, follow their group's state (``creating`` with it, ``modifying`` with it), and
ModifyReplicationGroup changes what moto ignores (engine version, maintenance window,
security groups, notification topic, parameter group, snapshot window, auto minor version
upgrade).

IncreaseReplicaCount and DecreaseReplicaCount (missing in moto) change the number of
members: the group is ``modifying`` for the ``states`` delay while the new members are
``creating`` (or the removed ones ``deleting``); AWS takes minutes per replica. They accept
only ``ApplyImmediately=true`` ("ApplyImmediately=False is not currently supported", API
reference), answer ``NoOperationFault`` "Requested new replica count already matches current
number of replicas." for the current count (aws-controllers-k8s/community#377), and
``InvalidReplicationGroupState`` unless the group is ``available`` (message UNCONFIRMED, the
ModifyReplicationGroup one is used). At most 5 replicas per node group (ElastiCache User
Guide, "Adding a read replica"); with automatic failover at least one must stay (messages
for both are the emulator's own, UNCONFIRMED).
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow

from . import transitions, versions
from .clock import Context

MAX_REPLICAS = 5
NO_OPERATION = "Requested new replica count already matches current number of replicas."
APPLY_IMMEDIATELY = "ApplyImmediately=False is not currently supported."
DOWNGRADE = "The engine version of {group} cannot be downgraded from {current} to {requested}."


class MemberCluster(BaseModel):
    """A member of a replication group, read from its group except for its own version and state."""

    def __init__(self, group, cluster_id: str, node: dict, account_id: str, region: str, status: str | None = None):
        self.group = group
        self.cache_cluster_id = cluster_id
        self.node = node
        self.engine_version = group.engine_version
        self.own_status = status
        self.cache_cluster_create_time = utcnow()
        self.arn = f"arn:aws:elasticache:{region}:{account_id}:cluster:{cluster_id}"
        self.num_cache_nodes = 1

    def __getattr__(self, name: str) -> Any:
        # Settings AWS reports per member but keeps the same across the group.
        if name in ("cache_node_type", "engine", "preferred_maintenance_window", "snapshot_retention_limit",
                    "snapshot_window", "auto_minor_version_upgrade", "auth_token_enabled",
                    "transit_encryption_enabled", "at_rest_encryption_enabled", "network_type", "ip_discovery",
                    "transit_encryption_mode", "cache_subnet_group_name", "port"):
            return getattr(self.__dict__["group"], name)
        raise AttributeError(name)

    @property
    def replication_group_id(self) -> str:
        return self.group.replication_group_id

    @property
    def cache_cluster_status(self) -> str:
        if self.own_status:
            return self.own_status
        return {"creating": "creating", "modifying": "modifying"}.get(self.group.status, "available")

    @property
    def preferred_availability_zone(self) -> str | None:
        return self.node.get("preferred_availability_zone")

    @property
    def security_groups(self) -> list[dict[str, str]]:
        return [{"SecurityGroupId": sg, "Status": "active"} for sg in self.group.security_group_ids or []]

    @property
    def notification_configuration(self) -> dict[str, str] | None:
        topic = self.group.notification_topic_arn
        return {"TopicArn": topic, "TopicStatus": getattr(self.group, "notification_topic_status", "active")} \
            if topic else None

    @property
    def cache_parameter_group(self) -> dict[str, Any]:
        name = self.group.cache_parameter_group_name or default_parameter_group(self.engine, self.engine_version)
        return {"CacheParameterGroupName": name, "ParameterApplyStatus": "in-sync", "CacheNodeIdsToReboot": []}

    @property
    def cache_nodes(self) -> list[dict[str, Any]]:
        node: dict[str, Any] = {"CacheNodeId": "0001", "CacheNodeStatus": self.cache_cluster_status,
                                "CacheNodeCreateTime": self.cache_cluster_create_time,
                                "ParameterGroupStatus": "in-sync",
                                "CustomerAvailabilityZone": self.preferred_availability_zone}
        endpoint = self.node.get("read_endpoint")
        if endpoint and self.cache_cluster_status != "creating":
            node["Endpoint"] = {"Address": endpoint["address"], "Port": endpoint["port"]}
        return [node]

    @property
    def replication_group_log_delivery_enabled(self) -> bool:
        return bool(self.group.log_delivery_configurations)


def default_parameter_group(engine: str, version: str | None) -> str:
    entry = versions.table().minor_entry(engine, version)
    family = entry["family"] if entry else f"{engine}{(version or '7').split('.')[0]}"
    return f"default.{family}"


def node_group(group) -> dict:
    return group._credlink_node_groups[0]


def register(backend, group, status: str | None = None) -> None:
    """Register every member of ``group`` the backend does not know yet as a cache cluster."""
    if group.cluster_mode == "enabled":
        return
    for node in node_group(group)["node_group_members"]:
        cluster_id = node["cache_cluster_id"]
        if cluster_id not in backend.cache_clusters:
            backend.cache_clusters[cluster_id] = MemberCluster(group, cluster_id, node, backend.account_id,
                                                               backend.region_name, status)


def members(backend, group) -> list[MemberCluster]:
    return [backend.cache_clusters[m] for m in group.member_clusters
            if isinstance(backend.cache_clusters.get(m), MemberCluster)]


def set_engine_version(backend, group, version: str) -> None:
    group.engine_version = version
    for member in members(backend, group):
        member.engine_version = version


def _patch_backend(context: Context) -> None:
    from moto.elasticache.models import ElastiCacheBackend

    original_create = ElastiCacheBackend.create_replication_group
    original_delete = ElastiCacheBackend.delete_replication_group

    def create_replication_group(self, *args, **kwargs):
        group = original_create(self, *args, **kwargs)
        register(self, group)
        return group

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = self.replication_groups.get(replication_group_id)
        ids = list(group.member_clusters) if group is not None else []
        result = original_delete(self, replication_group_id, retain_primary_cluster)
        for cluster_id in ids:
            if isinstance(self.cache_clusters.get(cluster_id), MemberCluster):
                del self.cache_clusters[cluster_id]
        return result

    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.delete_replication_group = delete_replication_group


def _modify(context: Context):
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import InvalidParameterValueException, ReplicationGroupNotFound
    from moto.elasticache.responses import ElastiCacheResponse

    original = ElastiCacheResponse.modify_replication_group
    settings = (("PreferredMaintenanceWindow", "preferred_maintenance_window"),
                ("NotificationTopicArn", "notification_topic_arn"),
                ("NotificationTopicStatus", "notification_topic_status"),
                ("CacheParameterGroupName", "cache_parameter_group_name"),
                ("SnapshotWindow", "snapshot_window"))
    watched = ("description", "cache_node_type", "automatic_failover", "multi_az", "snapshot_retention_limit",
               "engine_version", "security_group_ids", "auto_minor_version_upgrade") + tuple(a for _, a in settings)

    def modify_replication_group(self):
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        group = backend.replication_groups.get(group_id)
        if group is None:
            raise ReplicationGroupNotFound(group_id)
        transitions.require_available(group, transitions.GROUP_BUSY)
        before = {name: repr(getattr(group, name, None)) for name in watched}
        requested = self._get_param("EngineVersion")
        if requested:
            target = versions.table().cache_version(group.engine, requested)
            wanted, running = versions.key(target)[:2], versions.key(group.engine_version)[:2]
            if wanted < running:
                raise InvalidParameterValueException(DOWNGRADE.format(
                    group=group_id, current=group.engine_version, requested=requested))
            if wanted > running:
                set_engine_version(backend, group, target)
        original(self)
        for param, attribute in settings:
            value = self._get_param(param)
            if value is not None:
                setattr(group, attribute, value.lower() if param == "PreferredMaintenanceWindow" else value)
        security_groups = self._get_param("SecurityGroupIds")
        if security_groups is not None:
            group.security_group_ids = list(security_groups)
        auto_upgrade = self._get_bool_param("AutoMinorVersionUpgrade")
        if auto_upgrade is not None:
            group.auto_minor_version_upgrade = auto_upgrade
        after = {name: repr(getattr(group, name, None)) for name in watched}
        if after != before and self._get_bool_param("ApplyImmediately"):
            transitions.hold(context, group, "modifying")
        return ActionResult({"ReplicationGroup": group})

    ElastiCacheResponse.modify_replication_group = modify_replication_group


def _replica_count(context: Context):
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import (ElastiCacheException, InvalidParameterCombinationException,
                                             InvalidParameterValueException, ReplicationGroupNotFound)
    from moto.elasticache.responses import ElastiCacheResponse

    def change(self, increase: bool):
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        group = backend.replication_groups.get(group_id)
        if group is None:
            raise ReplicationGroupNotFound(group_id)
        if not self._get_bool_param("ApplyImmediately"):
            raise InvalidParameterValueException(APPLY_IMMEDIATELY)
        transitions.require_available(group, transitions.GROUP_BUSY)
        replicas = len(group.member_clusters) - 1
        wanted = self._get_int_param("NewReplicaCount")
        to_remove = self._get_param("ReplicasToRemove") or []
        if wanted is None and not increase and to_remove:
            wanted = replicas - len(to_remove)
        if wanted is None:
            raise InvalidParameterValueException("NewReplicaCount must be provided.")
        if wanted == replicas:
            raise ElastiCacheException("NoOperationFault", NO_OPERATION)
        if increase and not replicas < wanted <= MAX_REPLICAS:
            raise InvalidParameterValueException(
                f"NewReplicaCount {wanted} must be more than the current {replicas} and at most {MAX_REPLICAS}.")
        if not increase and not 0 <= wanted < replicas:
            raise InvalidParameterValueException(
                f"NewReplicaCount {wanted} must be less than the current {replicas} and at least 0.")
        if not increase and wanted == 0 and group.automatic_failover == "enabled":
            raise InvalidParameterCombinationException(
                "Automatic failover must be disabled before the last replica is removed.")
        transitions.hold(context, group, "modifying")
        nodes = node_group(group)["node_group_members"]
        if increase:
            _add_replicas(context, backend, group, nodes, wanted - replicas)
        else:
            _remove_replicas(context, backend, group, nodes, replicas - wanted, to_remove)
        return ActionResult({"ReplicationGroup": group})

    ElastiCacheResponse.increase_replica_count = lambda self: change(self, True)
    ElastiCacheResponse.decrease_replica_count = lambda self: change(self, False)


def _add_replicas(context: Context, backend, group, nodes: list[dict], count: int) -> None:
    domain = nodes[0]["read_endpoint"]["address"].split(".", 1)[1]
    zones = sorted({node.get("preferred_availability_zone") for node in nodes if node.get("preferred_availability_zone")})
    taken = {int(node["cache_cluster_id"].rsplit("-", 1)[1]) for node in nodes}
    added = []
    for index in range(count):
        number = next(n for n in range(1, 1000) if n not in taken)
        taken.add(number)
        cluster_id = f"{group.replication_group_id}-{number:03d}"
        node = {"cache_cluster_id": cluster_id, "cache_node_id": node_group(group)["node_group_id"],
                "read_endpoint": {"address": f"{cluster_id}.{domain}", "port": group.port},
                "preferred_availability_zone": zones[(len(nodes) + index) % len(zones)] if zones else None,
                "current_role": "replica"}
        nodes.append(node)
        group.member_clusters.append(cluster_id)
        backend.cache_clusters[cluster_id] = MemberCluster(group, cluster_id, node, backend.account_id,
                                                           backend.region_name, status="creating")
        added.append(backend.cache_clusters[cluster_id])

    def created() -> None:
        for member in added:
            member.own_status = None

    context.timeline.after(context.delay("states"), created)


def _remove_replicas(context: Context, backend, group, nodes: list[dict], count: int, chosen: list[str]) -> None:
    replicas = [node["cache_cluster_id"] for node in nodes if node.get("current_role") != "primary"]
    removed = [c for c in chosen if c in replicas] or sorted(replicas)[-count:]
    for cluster_id in removed:
        member = backend.cache_clusters.get(cluster_id)
        if isinstance(member, MemberCluster):
            member.own_status = "deleting"

    def deleted() -> None:
        nodes[:] = [node for node in nodes if node["cache_cluster_id"] not in removed]
        group.member_clusters[:] = [c for c in group.member_clusters if c not in removed]
        for cluster_id in removed:
            backend.cache_clusters.pop(cluster_id, None)

    context.timeline.after(context.delay("states"), deleted)


def install(context: Context) -> None:
    _patch_backend(context)
    _modify(context)
    _replica_count(context)
