"""Transitional shapes and states: no endpoint while creating, no changes while busy.

Under realism every slow resource is created in its transitional state for at least the
``states`` delay (``latency.Schedule`` with a floor; AWS takes minutes: see
``data/wait_durations.yml``), and then:

- while an RDS instance is ``creating``, DescribeDBInstances has no ``Endpoint``
  (boto/boto3#805, aws/aws-cli#4165: the key is absent until provisioning is far enough);
- ModifyDBInstance on an instance that is not ``available`` answers ``InvalidDBInstanceState``
  "Database instance is not in available state." (CloudTrail record in
  hashicorp/terraform-provider-aws#31594, right after the create);
- a modification applied immediately runs asynchronously ("asynchronously applied as soon as
  possible", ModifyDBInstance API reference): the instance stays ``available`` with the
  change in ``PendingModifiedValues`` for the ``modify`` delay (a waiter started right after
  the call returns at once: aws/aws-sdk-js#1505, ansible/ansible#19751,
  hashicorp/terraform-provider-aws#1761; "it can take a few minutes for RDS to apply that
  change", hashicorp/terraform#2595), then ``modifying`` for the ``states`` delay, then
  ``available`` with nothing pending (INFERRED: which settings make it ``modifying`` was not
  found; the emulator does it for every setting that changes but windows, tags-like flags and
  deletion protection). Kinder than AWS: the describe shows the new values at once;
- while a replication group is ``creating``, DescribeReplicationGroups has no ``NodeGroups``
  and so no primary endpoint (hashicorp/terraform#2945);
- tag calls on a replication group that is not ``available`` (ListTagsForResource included)
  answer ``InvalidReplicationGroupState`` "Cluster not in available state to perform tagging
  operations." (hashicorp/terraform-provider-aws#30444, #33859, #44811), and a tag change
  puts the group in ``modifying`` (hashicorp/terraform-provider-aws#40320: "Modifying ->
  Available");
- ModifyReplicationGroup, IncreaseReplicaCount and DecreaseReplicaCount on a group that is not
  ``available`` answer ``InvalidReplicationGroupState`` "Replication group must be in available
  state to modify." (umotif-public/terraform-aws-elasticache-redis#54; the text for the replica
  calls is UNCONFIRMED, the same code is assumed) -- see ``cache_members``.
"""

from __future__ import annotations

from typing import Callable

from .clock import Context

NOT_AVAILABLE = "Database instance is not in available state."
TAGGING = "Cluster not in available state to perform tagging operations."
GROUP_BUSY = "Replication group must be in available state to modify."
# DBInstance attributes whose change, applied immediately, puts the instance in "modifying".
MODIFYING_ATTRIBUTES = ("db_instance_class", "allocated_storage", "storage_type", "iops", "storage_throughput",
                        "engine_version", "multi_az", "db_parameter_group_name", "vpc_security_group_ids",
                        "monitoring_interval", "monitoring_role_arn", "max_allocated_storage",
                        "enabled_cloudwatch_logs_exports", "backup_retention_period",
                        "performance_insights_retention_period", "ca_certificate_identifier")


# The DBInstance attributes that PendingModifiedValues names (API reference, PendingModifiedValues).
PENDING_NAMES = {"db_instance_class": "DBInstanceClass", "allocated_storage": "AllocatedStorage",
                 "storage_type": "StorageType", "iops": "Iops", "storage_throughput": "StorageThroughput",
                 "engine_version": "EngineVersion", "multi_az": "MultiAZ",
                 "backup_retention_period": "BackupRetentionPeriod",
                 "ca_certificate_identifier": "CACertificateIdentifier"}


def hold(context: Context, resource: object, status: str, attribute: str = "status",
         then: str = "available", released: Callable[[], None] | None = None) -> None:
    """Put ``resource`` in ``status`` for the ``states`` delay, then back to ``then``."""
    setattr(resource, attribute, status)
    token = object()
    resource._credlink_hold = token  # a later hold replaces this one

    def release() -> None:
        if getattr(resource, "_credlink_hold", None) is token and getattr(resource, attribute) == status:
            setattr(resource, attribute, then)
            if released is not None:
                released()

    context.timeline.after(context.delay("states"), release)


def apply_later(context: Context, database, pending: dict) -> None:
    """List ``pending`` for the ``modify`` delay, then hold ``modifying`` and clear the list."""
    if pending:
        database.pending_modified_values = {**(getattr(database, "pending_modified_values", None) or {}), **pending}
    token = object()
    database._credlink_hold = token

    def start() -> None:
        if getattr(database, "_credlink_hold", None) is token and database.status == "available":
            hold(context, database, "modifying", released=lambda: setattr(database, "pending_modified_values", None))

    context.timeline.after(context.delay("modify"), start)


def _snapshot(database) -> dict:
    return {name: repr(getattr(database, name, None)) for name in MODIFYING_ATTRIBUTES}


def _patch_rds(context: Context) -> None:
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import DBInstance, RDSBackend

    endpoint = DBInstance.endpoint

    def endpoint_unless_creating(self):
        return None if self.status == "creating" else endpoint.fget(self)

    DBInstance.endpoint = property(endpoint_unless_creating)
    original_modify = RDSBackend.modify_db_instance

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        database = self.describe_db_instances(db_instance_identifier)[0]
        if database.status != "available":
            raise RDSClientError("InvalidDBInstanceState", NOT_AVAILABLE)
        before = _snapshot(database)
        database = original_modify(self, db_instance_identifier, db_kwargs)
        after = _snapshot(database)
        if db_kwargs.get("apply_immediately") and after != before:
            changed = [name for name in MODIFYING_ATTRIBUTES if after[name] != before[name]]
            apply_later(context, database, {PENDING_NAMES[name]: getattr(database, name)
                                            for name in changed if name in PENDING_NAMES
                                            and getattr(database, name) is not None})
        return database

    RDSBackend.modify_db_instance = modify_db_instance


def group_of_arn(backend, arn: str):
    """The replication group an ElastiCache ARN names, if it names one."""
    if ":replicationgroup:" not in (arn or ""):
        return None
    return backend.replication_groups.get(arn.rsplit(":", 1)[1])


def require_available(group, message: str) -> None:
    from moto.elasticache.exceptions import ElastiCacheException

    if group.status != "available":
        raise ElastiCacheException("InvalidReplicationGroupState", message)


def _patch_elasticache(context: Context) -> None:
    from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup

    def node_groups_get(self):
        return None if self.status == "creating" else self._credlink_node_groups

    def node_groups_set(self, value):
        self._credlink_node_groups = value

    def endpoint_get(self):
        return None if self.status == "creating" else getattr(self, "_credlink_configuration_endpoint", None)

    def endpoint_set(self, value):
        self._credlink_configuration_endpoint = value

    ReplicationGroup.node_groups = property(node_groups_get, node_groups_set)
    ReplicationGroup.configuration_endpoint = property(endpoint_get, endpoint_set)

    for name, changes in (("add_tags_to_resource", True), ("remove_tags_from_resource", True),
                          ("list_tags_for_resource", False)):
        original = getattr(ElastiCacheBackend, name)

        def tagging(self, arn, *args, _original=original, _changes=changes, **kwargs):
            group = group_of_arn(self, arn)
            if group is not None:
                require_available(group, TAGGING)
            result = _original(self, arn, *args, **kwargs)
            if group is not None and _changes:
                hold(context, group, "modifying")
            return result

        setattr(ElastiCacheBackend, name, tagging)


def install(context: Context) -> None:
    _patch_rds(context)
    _patch_elasticache(context)
