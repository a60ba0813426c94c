"""Engine versions as AWS offers and reports them.

RDS accepts only orderable versions. The table (``tools/emulator/data/engine_versions.yml``,
dated; ``CREDLINK_EMULATOR_VERSIONS_FILE`` replaces it) holds the PostgreSQL minors AWS offers,
and is also what DescribeDBEngineVersions and DescribeOrderableDBInstanceOptions answer
(moto has no DescribeDBEngineVersions and answers the other with nothing for postgres):

- CreateDBInstance with a version AWS no longer offers answers ``InvalidParameterCombination``
  "Cannot find version 15.4 for postgres" (TIBCOSoftware/tp-helm-charts#51,
  RhinoSecurityLabs/cloudgoat#325, tryretool/terraform-retool-modules#70);
- a major only ("15") gets "a recent release of the major version" (RDS User Guide,
  PostgreSQL.Concepts.General.DBVersions): the table's default minor, which lags the newest;
- no version at all gets the default minor of the table's default major (moto: 9.3.3);
- ModifyDBInstance to a lower version answers ``InvalidParameterCombination`` "Cannot upgrade
  postgres from 15.17 to 15.15" (ministryofjustice/cloud-platform-environments#4420, #8659;
  hashicorp/terraform#22462, after an automatic minor upgrade). A major-only version of the
  major the instance runs changes nothing (UNCONFIRMED: AWS's answer was not found).

ElastiCache is asked "<major>.<minor>" for Redis 7 and runs, and reports on each cache
cluster, a full patch version: "7.0" reports 7.0.7, "7.1" reports 7.1.0 (INFERRED from the AWS
Terraform provider's engine_version_actual and pulumi/pulumi#13044). DescribeCacheEngineVersions
(missing in moto) lists the table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from .clock import Context

VERSIONS_ENV = "CREDLINK_EMULATOR_VERSIONS_FILE"
TABLE_FILE = Path(__file__).resolve().parents[1] / "data" / "engine_versions.yml"
NOT_FOUND = "Cannot find version {version} for {engine}"
DOWNGRADE = "Cannot upgrade {engine} from {current} to {target}"
# Instance classes offered for every PostgreSQL version in DescribeOrderableDBInstanceOptions.
INSTANCE_CLASSES = ("db.t3.micro", "db.t3.small", "db.t3.medium", "db.t3.large", "db.t4g.micro", "db.t4g.small",
                    "db.t4g.medium", "db.t4g.large", "db.m5.large", "db.m6g.large", "db.m6i.large", "db.m7g.large",
                    "db.r5.large", "db.r6g.large", "db.r6i.large", "db.r7g.large")


def key(version: str) -> tuple[int, ...]:
    """Sortable form of a dotted version ("15.10" after "15.9")."""
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


@dataclass(frozen=True)
class Table:
    as_of: str
    rds: dict
    elasticache: dict

    # --- RDS -------------------------------------------------------------------------
    def majors(self, engine: str) -> dict:
        return (self.rds.get(engine) or {}).get("majors") or {}

    def knows(self, engine: str) -> bool:
        return bool(self.majors(engine))

    def orderable(self, engine: str) -> list[str]:
        return sorted((v for major in self.majors(engine).values() for v in major["orderable"]), key=key)

    def major_of(self, engine: str, version: str) -> str | None:
        head = version.split(".")[0]
        return head if head in self.majors(engine) else None

    def default(self, engine: str, major: str | None = None) -> str:
        major = major or str(self.rds[engine]["default_major"])
        return self.majors(engine)[major]["default"]

    def newest(self, engine: str, version: str) -> str:
        """The newest orderable minor of ``version``'s major."""
        return max(self.majors(engine)[self.major_of(engine, version)]["orderable"], key=key)

    def family(self, engine: str, version: str) -> str:
        return self.majors(engine)[self.major_of(engine, version)]["family"]

    # --- ElastiCache -----------------------------------------------------------------
    def minor_entry(self, engine: str, version: str | None) -> dict | None:
        if not version:
            return None
        minor = ".".join(version.split(".")[:2])
        return (self.elasticache.get(engine) or {}).get(minor)

    def cache_version(self, engine: str, requested: str | None) -> str | None:
        """The full patch version a cache cluster asked ``requested`` runs."""
        entry = self.minor_entry(engine, requested)
        if entry is None:
            return requested
        return requested if requested in entry["patches"] else entry["default"]

    def newest_patch(self, engine: str, version: str) -> str:
        entry = self.minor_entry(engine, version)
        return max(entry["patches"], key=key) if entry else version


def load(path: str | Path | None = None) -> Table:
    """The versions table (``CREDLINK_EMULATOR_VERSIONS_FILE`` or the shipped one)."""
    path = Path(path or os.environ.get(VERSIONS_ENV) or TABLE_FILE)
    try:
        raw = yaml.safe_load(path.read_text())
        table = Table(str(raw["as_of"]), raw.get("rds") or {}, raw.get("elasticache") or {})
        for engine in table.rds:
            table.default(engine)
            for major, entry in table.majors(engine).items():
                if entry["default"] not in entry["orderable"] or "family" not in entry:
                    raise KeyError(f"{engine} {major}: default must be orderable and a family given")
        for engine, minors in table.elasticache.items():
            for minor, entry in minors.items():
                if entry["default"] not in entry["patches"] or "family" not in entry:
                    raise KeyError(f"{engine} {minor}: default must be among the patches and a family given")
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"engine versions table {path}: {exc}") from None
    return table


_table: Table | None = None


def table() -> Table:
    global _table
    if _table is None:
        _table = load()
    return _table


def resolve_create(engine: str, requested: str | None) -> str:
    """The version CreateDBInstance runs, or AWS's error for one it does not offer."""
    from moto.rds.exceptions import RDSClientError

    versions = table()
    if requested is None or requested == "":
        return versions.default(engine)
    major = versions.major_of(engine, requested)
    if major == requested:
        return versions.default(engine, major)
    if requested not in versions.orderable(engine):
        raise RDSClientError("InvalidParameterCombination", NOT_FOUND.format(version=requested, engine=engine))
    return requested


def resolve_modify(engine: str, current: str, requested: str) -> str | None:
    """The version ModifyDBInstance moves to (None: no change), or AWS's error."""
    from moto.rds.exceptions import RDSClientError

    versions = table()
    if requested == current or requested == current.split(".")[0]:
        return None
    target = resolve_create(engine, requested) if versions.major_of(engine, requested) == requested else requested
    if key(target) < key(current):
        raise RDSClientError("InvalidParameterCombination",
                             DOWNGRADE.format(engine=engine, current=current, target=target))
    if target not in versions.orderable(engine):
        raise RDSClientError("InvalidParameterCombination", NOT_FOUND.format(version=target, engine=engine))
    return target


def engine_version_entries(engine: str, version: str | None, family: str | None, default_only: bool) -> list[dict]:
    """DescribeDBEngineVersions entries for the table's engines."""
    versions = table()
    if not versions.knows(engine):
        return []
    listed = versions.orderable(engine)
    if version:
        listed = [v for v in listed if v == version or v.split(".")[0] == version]
    if family:
        listed = [v for v in listed if versions.family(engine, v) == family]
    if default_only:
        majors = {versions.major_of(engine, v) for v in listed} if version or family else {None}
        defaults = {versions.default(engine, major) for major in majors}
        listed = [v for v in listed if v in defaults]
    return [_engine_version(engine, v) for v in listed]


def _engine_version(engine: str, version: str) -> dict:
    versions = table()
    major = versions.major_of(engine, version)
    newest = versions.newest(engine, version)
    targets = [{"Engine": engine, "EngineVersion": v, "Description": f"PostgreSQL {v}-R1",
                "AutoUpgrade": v == newest, "IsMajorVersionUpgrade": False}
               for v in versions.majors(engine)[major]["orderable"] if key(v) > key(version)]
    targets += [{"Engine": engine, "EngineVersion": versions.default(engine, other), "Description":
                 f"PostgreSQL {versions.default(engine, other)}-R1", "AutoUpgrade": False, "IsMajorVersionUpgrade": True}
                for other in versions.majors(engine) if key(other) > key(major)]
    return {
        "Engine": engine, "EngineVersion": version, "MajorEngineVersion": major,
        "DBParameterGroupFamily": versions.family(engine, version), "DBEngineDescription": "PostgreSQL",
        "DBEngineVersionDescription": f"PostgreSQL {version}-R1", "ValidUpgradeTarget": targets,
        "ExportableLogTypes": ["postgresql", "upgrade"], "SupportsLogExportsToCloudwatchLogs": True,
        "SupportsReadReplica": True, "SupportedEngineModes": ["provisioned"], "Status": "available",
        "SupportsParallelQuery": False, "SupportsGlobalDatabases": False, "SupportsBabelfish": False,
        "SupportsCertificateRotationWithoutRestart": True, "SupportsLimitlessDatabase": False,
    }


def orderable_options(engine: str, version: str | None, instance_class: str | None, region: str) -> list[dict]:
    """DescribeOrderableDBInstanceOptions entries (shape INFERRED from the API reference)."""
    versions = table()
    listed = [v for v in versions.orderable(engine) if not version or v == version]
    classes = [c for c in INSTANCE_CLASSES if not instance_class or c == instance_class]
    zones = [{"Name": f"{region}{zone}"} for zone in "abcdef"]
    options = []
    for v in listed:
        for cls in classes:
            for storage, iops, throughput in (("gp2", False, False), ("gp3", True, True), ("io1", True, False)):
                options.append({
                    "Engine": engine, "EngineVersion": v, "DBInstanceClass": cls, "LicenseModel": "postgresql-license",
                    "AvailabilityZones": zones, "MultiAZCapable": True, "ReadReplicaCapable": True, "Vpc": True,
                    "SupportsStorageEncryption": True, "StorageType": storage, "SupportsIops": iops,
                    "SupportsStorageThroughput": throughput, "SupportsEnhancedMonitoring": True,
                    "SupportsIAMDatabaseAuthentication": True, "SupportsPerformanceInsights": True,
                    "MinStorageSize": 100 if storage == "io1" else 20, "MaxStorageSize": 65536,
                    "SupportsStorageAutoscaling": True, "SupportedEngineModes": ["provisioned"],
                    "SupportedNetworkTypes": ["IPV4", "DUAL"], "SupportsKerberosAuthentication": True,
                    "OutpostCapable": False, "SupportsGlobalDatabases": False, "SupportsClusters": False,
                })
    return options


def _patch_rds(context: Context) -> None:
    from moto.core.responses import ActionResult, PaginatedResult
    from moto.rds.models import RDSBackend
    from moto.rds.responses import RDSResponse

    original_create = RDSBackend.create_db_instance
    original_modify = RDSBackend.modify_db_instance
    original_orderable = RDSResponse.describe_orderable_db_instance_options

    def create_db_instance(self, db_kwargs):
        engine = db_kwargs.get("engine")
        if table().knows(engine) and not db_kwargs.get("db_cluster_identifier"):
            db_kwargs["engine_version"] = resolve_create(engine, db_kwargs.get("engine_version"))
        return original_create(self, db_kwargs)

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        requested = db_kwargs.get("engine_version")
        if requested:
            database = self.describe_db_instances(db_instance_identifier)[0]
            if table().knows(database.engine):
                db_kwargs["engine_version"] = resolve_modify(database.engine, database.engine_version, requested)
        return original_modify(self, db_instance_identifier, db_kwargs)

    def describe_db_engine_versions(self):
        entries = engine_version_entries(self.params.get("Engine") or "postgres", self.params.get("EngineVersion"),
                                         self.params.get("DBParameterGroupFamily"),
                                         bool(self.params.get("DefaultOnly")))
        return ActionResult({"DBEngineVersions": entries})

    def describe_orderable_db_instance_options(self):
        engine = self.params.get("Engine")
        if not table().knows(engine):
            return original_orderable(self)
        options = orderable_options(engine, self.params.get("EngineVersion"), self.params.get("DBInstanceClass"),
                                    self.region)
        return PaginatedResult({"OrderableDBInstanceOptions": options})

    RDSBackend.create_db_instance = create_db_instance
    RDSBackend.modify_db_instance = modify_db_instance
    RDSResponse.describe_db_engine_versions = describe_db_engine_versions
    RDSResponse.describe_orderable_db_instance_options = describe_orderable_db_instance_options


def _patch_elasticache(context: Context) -> None:
    from moto.core.responses import ActionResult
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    original_group = ElastiCacheBackend.create_replication_group
    original_cluster = ElastiCacheBackend.create_cache_cluster

    def create_replication_group(self, *args, **kwargs):
        group = original_group(self, *args, **kwargs)
        group.engine_version = table().cache_version(group.engine, group.engine_version)
        return group

    def create_cache_cluster(self, *args, **kwargs):
        cluster = original_cluster(self, *args, **kwargs)
        cluster.engine_version = table().cache_version(cluster.engine, cluster.engine_version)
        return cluster

    def describe_cache_engine_versions(self):
        engine = self._get_param("Engine")
        wanted = self._get_param("EngineVersion")
        entries = [{"Engine": name, "EngineVersion": minor, "CacheParameterGroupFamily": entry["family"],
                    "CacheEngineDescription": name.capitalize(),
                    "CacheEngineVersionDescription": f"{name.capitalize()} {entry['default']}"}
                   for name, minors in table().elasticache.items() if not engine or name == engine
                   for minor, entry in minors.items() if not wanted or wanted == minor]
        return ActionResult({"CacheEngineVersions": entries})

    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.create_cache_cluster = create_cache_cluster
    ElastiCacheResponse.describe_cache_engine_versions = describe_cache_engine_versions


def install(context: Context) -> None:
    global _table
    _table = load()
    _patch_rds(context)
    _patch_elasticache(context)
