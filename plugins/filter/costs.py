# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monthly cost of an environment as sized in its inventory."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

SIZING_KEYS = ("nat_gateways", "rds_instance_class", "rds_multi_az", "redis_node_type", "redis_nodes",
               "ecs_task_size", "ecs_tasks")


def monthly_cost(sizing: dict, prices: dict) -> dict:
    missing = [key for key in SIZING_KEYS if key not in sizing]
    if missing:
        raise AnsibleFilterError(f"monthly_cost needs sizing keys {', '.join(missing)}")
    unpriced = []

    def price(table: str, key: str) -> float:
        value = prices[table].get(key)
        if value is None:
            unpriced.append(f"{table} {key}")
            return 0.0
        return float(value)

    rds_copies = 2 if sizing["rds_multi_az"] else 1
    lines = [
        ("NAT gateways", f"{sizing['nat_gateways']} x 24/7", sizing["nat_gateways"] * float(prices["nat_gateway"])),
        ("VPC flow logs", "CloudWatch Logs", float(prices["vpc_flow_logs"])),
        ("RDS PostgreSQL", f"{sizing['rds_instance_class']}, {'Multi-AZ' if sizing['rds_multi_az'] else 'single-AZ'}",
         rds_copies * price("rds_instance", sizing["rds_instance_class"])),
        ("ElastiCache Redis", f"{sizing['redis_node_type']} x {sizing['redis_nodes']}",
         sizing["redis_nodes"] * price("redis_node", sizing["redis_node_type"])),
        ("S3", "proofs bucket, 10 GB + requests", float(prices["s3"])),
        ("Secrets Manager", "1 secret", float(prices["secret"])),
        ("ALB", "+ data transfer", float(prices["alb"])),
        ("ECS Fargate", f"{sizing['ecs_tasks']} task(s) of {sizing['ecs_task_size']} CPU/MiB",
         sizing["ecs_tasks"] * price("fargate_task", sizing["ecs_task_size"])),
        ("CloudWatch Logs", "RDS + ECS", float(prices["cloudwatch_logs"])),
    ]
    return {
        "currency": "USD",
        "components": [{"component": c, "configuration": conf, "monthly": round(cost, 2)} for c, conf, cost in lines],
        "total": round(sum(cost for _, _, cost in lines), 2),
        "unpriced": unpriced,
        "source": prices.get("source", ""),
    }


class FilterModule:
    def filters(self):
        return {"monthly_cost": monthly_cost}
