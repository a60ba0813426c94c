"""Time passing: what months on AWS do to a stack, on demand.

``python -m tools.emulator advance`` (``POST /_credlink/advance``) applies, at once:

- RDS automatic minor version upgrade: every instance with ``AutoMinorVersionUpgrade`` (the
  CreateDBInstance default) moves to the newest orderable minor of its major (the
  ``versions`` table). AWS applies minor upgrades in the maintenance window, to the version it
  marks ``AutoUpgrade`` (RDS User Guide, "Automatically upgrading the minor engine version"),
  and forces them on deprecated minors even with the flag off (the 2026-05 notice quoted in
  ``data/engine_versions.yml``); after that a rerun that asks for the old minor gets "Cannot
  upgrade postgres from X to Y" (hashicorp/terraform#22462).
- The ElastiCache patch upgrade: every cache cluster moves to the newest patch of its
  engine minor. "Critical security updates will automatically be applied in these
  maintenance windows" (ElastiCache User Guide, "Service updates in ElastiCache").
  With the shipped table (one known patch per minor) this changes nothing; a table of your
  own (``CREDLINK_EMULATOR_VERSIONS_FILE``) with a newer patch shows it.
- RDS storage autoscaling: where ``MaxAllocatedStorage`` allows, allocated storage grows once
  by the greater of 10 GiB and 10 % of the current size, capped at the maximum (RDS User Guide,
  USER_PIOPS.Autoscaling: "whichever of the following is greater: 10 GiB; 10 percent of
  currently allocated storage; predicted storage growth ... in the next 7 hours"; the
  emulator assumes the database filled up and has no growth prediction). A rerun that asks for
  the old size then gets "Invalid storage size for engine name postgres and storage type gp3".

The answer lists every change, resource by resource.
"""

from __future__ import annotations

import math

from .. import patches
from . import cache_members, versions
from .clock import Context


def _backends(backends):
    for account, regions in list(dict.items(backends)):
        for region, backend in list(dict.items(regions)):
            yield account, region, backend


def _change(account: str, region: str, resource: str, setting: str, before, after) -> dict:
    return {"account": account, "region": region, "resource": resource, "setting": setting,
            "from": before, "to": after}


def grown(allocated: int, maximum: int | None) -> int:
    """Allocated storage after one storage-autoscaling step."""
    if not maximum or allocated >= maximum:
        return allocated
    return min(allocated + max(10, math.ceil(allocated * 0.1)), maximum)


def _rds(changes: list[dict]) -> None:
    from moto.rds.models import rds_backends

    table = versions.table()
    for account, region, backend in _backends(rds_backends):
        for db in list(backend.databases.values()):
            if getattr(db, "db_cluster_identifier", None):
                continue
            if db.auto_minor_version_upgrade and table.knows(db.engine) and table.major_of(db.engine, db.engine_version):
                newest = table.newest(db.engine, db.engine_version)
                if versions.key(newest) > versions.key(db.engine_version):
                    changes.append(_change(account, region, db.db_instance_identifier, "EngineVersion",
                                           db.engine_version, newest))
                    db.engine_version = newest
            size = grown(db.allocated_storage, db.max_allocated_storage)
            if size != db.allocated_storage:
                changes.append(_change(account, region, db.db_instance_identifier, "AllocatedStorage",
                                       db.allocated_storage, size))
                db.allocated_storage = size
                patches.gp3_baseline(db)


def _elasticache(changes: list[dict]) -> None:
    from moto.elasticache.models import elasticache_backends

    table = versions.table()
    for account, region, backend in _backends(elasticache_backends):
        for group in list(backend.replication_groups.values()):
            current = group.engine_version
            newest = table.newest_patch(group.engine, current) if current else current
            if current and versions.key(newest) > versions.key(current):
                changes.append(_change(account, region, group.replication_group_id, "EngineVersion", current, newest))
                cache_members.set_engine_version(backend, group, newest)
        for cluster in list(backend.cache_clusters.values()):
            if isinstance(cluster, cache_members.MemberCluster) or not cluster.engine_version:
                continue
            newest = table.newest_patch(cluster.engine, cluster.engine_version)
            if versions.key(newest) > versions.key(cluster.engine_version):
                changes.append(_change(account, region, cluster.cache_cluster_id, "EngineVersion",
                                       cluster.engine_version, newest))
                cluster.engine_version = newest


def advance(context: Context) -> dict:
    """Apply what months on AWS do; what changed, by service."""
    rds: list[dict] = []
    cache: list[dict] = []
    with context.lock:
        context.timeline.settle()
        _rds(rds)
        _elasticache(cache)
    return {"rds": rds, "elasticache": cache}
