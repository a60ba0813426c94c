# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an RDS PostgreSQL instance allows, for alarms that must fire before it refuses."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# Memory (GiB) of the burstable and general purpose sizes; memory optimised classes
# (r*, x*) have twice as much at the same size (RDS User Guide, DB instance classes).
SIZE_MEMORY_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32,
                   "4xlarge": 64, "8xlarge": 128, "12xlarge": 192, "16xlarge": 256, "24xlarge": 384}
MIB = 1048576
# RDS for PostgreSQL's default: LEAST({DBInstanceClassMemory/9531392}, 5000).
BYTES_PER_CONNECTION = 9531392
MAX_CONNECTIONS_CAP = 5000


def class_memory_mib(instance_class: str) -> int:
    parts = instance_class.split(".")
    if len(parts) != 3 or parts[2] not in SIZE_MEMORY_GIB:
        raise AnsibleFilterError(f"rds_max_connections: unknown instance class {instance_class!r}")
    return 1024 * SIZE_MEMORY_GIB[parts[2]] * (2 if parts[1][:1] in ("r", "x") else 1)


def rds_max_connections(instance_class: str, parameters: dict | None = None) -> int:
    """max_connections of an RDS PostgreSQL instance of ``instance_class``.

    The parameter group's value when it sets one. Otherwise RDS's default,
    LEAST(DBInstanceClassMemory/9531392, 5000), where DBInstanceClassMemory is the class's
    memory "less the memory used by the Amazon RDS processes that manage the instance"
    (RDS User Guide, DB parameter formula variables). AWS does not publish that amount.
    Reported defaults (about 87 connections on 1 GiB, 420 on 4 GiB, 1700 on 16 GiB, where
    nominal memory would give 112, 450 and 1802) fit the larger of 256 MiB and 6 % of the
    memory, which is assumed here: an estimate on the low side raises an alarm early rather
    than never.
    """
    value = (parameters or {}).get("max_connections")
    if value not in (None, ""):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise AnsibleFilterError(f"rds_max_connections: max_connections {value!r} is not a number") from None
    memory = class_memory_mib(instance_class)
    usable = memory - max(256, memory * 0.06)
    return min(int(usable * MIB / BYTES_PER_CONNECTION), MAX_CONNECTIONS_CAP)


class FilterModule:
    def filters(self):
        return {"rds_max_connections": rds_max_connections}
