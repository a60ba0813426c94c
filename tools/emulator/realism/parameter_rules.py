"""Parameter rules AWS enforces and moto does not.

- RDS PostgreSQL on gp3 below 400 GiB: explicit IOPS or storage throughput answer
  ``InvalidParameterCombination`` "You can't specify IOPS or storage throughput for engine
  postgres and a storage size less than 400." (cloud-gov/terraform-provision#1556,
  cloudtools/troposphere#2141; gp3 baseline performance applies below that size, RDS User
  Guide, "gp3 storage").
- Allocated storage never shrinks (and never goes below the engine's minimum): a lower
  ``AllocatedStorage`` answers ``InvalidParameterCombination`` "Invalid storage size for
  engine name postgres and storage type gp3: 50" (the requested size; Turbot Guardrails
  runbook after storage autoscaling, aws-cloudformation-resource-providers-rds#598).
- Load balancer and target group names are at most 32 characters: ``ValidationError``
  "The load balancer name '...' cannot be longer than '32' characters"
  (aws-cloudformation/cfn-lint#3259); moto already refuses long target group names with
  AWS's text "Target group name '...' cannot be longer than '32' characters"
  (hashicorp/terraform#11699).
- Performance Insights retention is 7, 731, or 31 x months (1-23) days (CreateDBInstance API
  reference, PerformanceInsightsRetentionPeriod: "If you specify a retention period such as
  94, which isn't a valid value, RDS issues an error."). The code is ``InvalidParameterValue``;
  the message here is the emulator's own (UNCONFIRMED: AWS's text was not found).
"""

from __future__ import annotations

from ..patches import GP3_BASELINE_FROM_GIB
from .clock import Context

# The size from which gp3 has its higher baseline and takes IOPS and throughput of its own.
GP3_LIMIT_GIB = GP3_BASELINE_FROM_GIB
IOPS_BELOW_400 = "You can't specify IOPS or storage throughput for engine {engine} and a storage size less than 400."
STORAGE_SIZE = "Invalid storage size for engine name {engine} and storage type {storage_type}: {size}"
LOAD_BALANCER_NAME = "The load balancer name '{name}' cannot be longer than '32' characters"
PI_RETENTION = ("Invalid Performance Insights retention period: {days}. Valid values are 7, 731, "
                "or a multiple of 31 from 31 to 713.")
PI_RETENTION_DAYS = frozenset({7, 731} | {31 * month for month in range(1, 24)})
# Smallest allocated storage per storage type for PostgreSQL (RDS User Guide, "Amazon RDS DB instance storage").
MIN_STORAGE_GIB = {"gp2": 20, "gp3": 20, "io1": 100, "io2": 100, "standard": 5}
ENGINES_WITH_GP3_RULE = ("postgres",)


def _invalid(code: str, message: str) -> Exception:
    from moto.rds.exceptions import RDSClientError

    return RDSClientError(code, message)


def check_storage(engine: str, storage_type: str | None, size: int | None, current: int | None,
                  iops, throughput) -> None:
    """The storage rules, for a create (``current`` None) or a modify."""
    storage_type = storage_type or "gp2"
    if size is not None:
        too_small = size < MIN_STORAGE_GIB.get(storage_type, 0)
        if too_small or (current is not None and size < current):
            raise _invalid("InvalidParameterCombination",
                           STORAGE_SIZE.format(engine=engine, storage_type=storage_type, size=size))
    effective = size if size is not None else current
    if (engine in ENGINES_WITH_GP3_RULE and storage_type == "gp3" and (iops or throughput)
            and effective is not None and effective < GP3_LIMIT_GIB):
        raise _invalid("InvalidParameterCombination", IOPS_BELOW_400.format(engine=engine))


def check_retention(days) -> None:
    if days is not None and int(days) not in PI_RETENTION_DAYS:
        raise _invalid("InvalidParameterValue", PI_RETENTION.format(days=days))


def _patch_rds(context: Context) -> None:
    from moto.rds.models import RDSBackend

    original_create = RDSBackend.create_db_instance
    original_modify = RDSBackend.modify_db_instance

    def create_db_instance(self, db_kwargs):
        if not db_kwargs.get("db_cluster_identifier"):
            check_storage(db_kwargs.get("engine"), db_kwargs.get("storage_type"), db_kwargs.get("allocated_storage"),
                          None, db_kwargs.get("iops"), db_kwargs.get("storage_throughput"))
        check_retention(db_kwargs.get("performance_insights_retention_period"))
        return original_create(self, db_kwargs)

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        database = self.describe_db_instances(db_instance_identifier)[0]
        if database.db_cluster_identifier is None:
            size = db_kwargs.get("allocated_storage")
            check_storage(database.engine, db_kwargs.get("storage_type") or database.storage_type,
                          int(size) if size is not None else None, database.allocated_storage,
                          db_kwargs.get("iops"), db_kwargs.get("storage_throughput"))
        check_retention(db_kwargs.get("performance_insights_retention_period"))
        return original_modify(self, db_instance_identifier, db_kwargs)

    RDSBackend.create_db_instance = create_db_instance
    RDSBackend.modify_db_instance = modify_db_instance


def _patch_elbv2(context: Context) -> None:
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.create_load_balancer

    def create_load_balancer(self, name, *args, **kwargs):
        if len(name) > 32:
            raise ELBClientError("ValidationError", LOAD_BALANCER_NAME.format(name=name))
        return original(self, name, *args, **kwargs)

    ELBv2Backend.create_load_balancer = create_load_balancer


def install(context: Context) -> None:
    _patch_rds(context)
    _patch_elbv2(context)
