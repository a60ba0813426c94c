# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The naming contract, for modules: the names the preflight role publishes as ``credlink_names``.

``roles/preflight/vars/main.yml`` (``__preflight_names``) spells the contract for the
roles; this is the same contract for the modules that look resources up by name without
being given them. tests/unit/plugins/module_utils/test_naming.py fails when the two differ.
"""

from __future__ import annotations

# The bucket name holds the account id; until it is known, a 12-digit stand-in gives the
# names their real length (as preflight does before it discovers the account).
ACCOUNT_STAND_IN = "000000000000"


def prefix(environment: str) -> str:
    """What every name of the environment starts with (the fact ``credlink_name_prefix``)."""
    return f"credlink-{environment}"


def names(environment: str, account_id: str = ACCOUNT_STAND_IN) -> dict[str, str]:
    """Every name the stack builds for ``environment`` in account ``account_id``, by key."""
    p = prefix(environment)
    return {
        "vpc": f"{p}-vpc",
        "internet_gateway": f"{p}-igw",
        "public_subnet_prefix": f"{p}-public-",
        "private_subnet_prefix": f"{p}-private-",
        "database_subnet_prefix": f"{p}-database-",
        "public_route_table": f"{p}-public",
        "private_route_table_prefix": f"{p}-private-",
        "database_route_table": f"{p}-database",
        "nat_gateway_prefix": f"{p}-nat-",
        "flow_logs": f"{p}-flow-logs",
        "flow_log_group": f"/aws/vpc/{p}-flow-logs",
        "flow_logs_delivery_policy": f"{p}-flow-logs-delivery",
        "secret": f"{p}-db-credentials",
        "secret_read_policy": f"{p}-db-credentials-read",
        "redis_auth_secret": f"{p}-redis-auth",
        "db_security_group": f"{p}-rds",
        "db_instance": f"{p}-db",
        "db_subnet_group": f"{p}-db",
        "db_parameter_group": f"{p}-postgres15",
        "db_monitoring_role": f"{p}-rds-monitoring",
        "db_log_group_prefix": f"/aws/rds/instance/{p}-db",
        "db_final_snapshot_prefix": f"{p}-db-final-",
        "redis_security_group": f"{p}-redis",
        "replication_group": f"{p}-redis",
        "cache_subnet_group": f"{p}-redis",
        "cache_parameter_group": f"{p}-redis7",
        "cache_topic": f"{p}-redis-events",
        "bucket": f"{p}-proofs-{account_id}",
        "repository": f"{p}-sign-service",
        "cluster": f"{p}-cluster",
        "service": f"{p}-service",
        "task_family": f"{p}-app",
        "app_log_group": f"/ecs/{p}",
        "execution_role": f"{p}-ecs-execution",
        "task_role": f"{p}-ecs-task",
        "cpu_scaling_policy": f"{p}-cpu",
        "memory_scaling_policy": f"{p}-memory",
        "ecs_security_group": f"{p}-ecs",
        "load_balancer": f"{p}-alb",
        "alb_security_group": f"{p}-alb",
        "target_group": f"{p}-tg",
        "certificate": f"{p}-certificate",
        "alarm_prefix": f"{p}-",
        "alarm_topic": f"{p}-alarms",
    }
