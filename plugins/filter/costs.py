# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monthly cost of an environment as sized in its inventory, and the saving of the seeds' cost options."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

SIZING_KEYS = ("nat_gateways", "rds_instance_class", "rds_multi_az", "redis_node_type", "redis_nodes",
               "ecs_task_size", "ecs_tasks")


def reserved_option(name: str, component: str, units: int, rates: dict | None, hours: float, evidence: str) -> dict:
    """On-demand and reserved instance hours of ``units`` instances; None-rates leave the option unpriced."""
    if not rates:
        return {"option": name, "component": component, "priced": False, "evidence": evidence}
    on_demand = units * hours * float(rates["on_demand"])
    reserved = units * hours * float(rates["reserved"])
    return {"option": name, "component": component, "priced": True, "evidence": evidence,
            "on_demand": round(on_demand, 2), "with_option": round(reserved, 2), "saving": round(on_demand - reserved, 2)}


def intelligent_tiering(it: dict) -> dict:
    """Storage of the proofs in S3 Standard against Intelligent-Tiering (idle objects in its Infrequent tier)."""
    gb, idle = float(it["stored_gb"]), float(it["idle_share"])
    standard = gb * float(it["standard_gb_month"])
    tiered = (gb * (1 - idle) * float(it["frequent_gb_month"]) + gb * idle * float(it["infrequent_gb_month"])
              + float(it["monitored_objects"]) / 1000 * float(it["monitoring_per_1000_objects"]))
    return {"option": "S3 Intelligent-Tiering", "component": "S3", "priced": True, "evidence": it.get("evidence", ""),
            "configuration": f"{gb:g} GB of proofs, {idle:.0%} idle after 30 days, {int(it['monitored_objects'])} objects",
            "on_demand": round(standard, 2), "with_option": round(tiered, 2), "saving": round(standard - tiered, 2)}


def cost_options(sizing: dict, prices: dict) -> list[dict]:
    """The seeds' cost options (reserved instances 1 year no upfront, S3 Intelligent-Tiering), next to on-demand."""
    hours = float(prices.get("hours_per_month", 730))
    reserved = prices.get("reserved_1yr_no_upfront") or {}
    evidence = reserved.get("evidence", "")
    options = []
    if reserved:
        rds_copies = 2 if sizing["rds_multi_az"] else 1
        rds = reserved_option("RDS reserved instance, 1 year, no upfront", "RDS PostgreSQL", rds_copies,
                              (reserved.get("rds_instance_hourly") or {}).get(sizing["rds_instance_class"]), hours, evidence)
        rds["configuration"] = (f"{sizing['rds_instance_class']} x {rds_copies} "
                                f"({'Multi-AZ' if sizing['rds_multi_az'] else 'single-AZ'}), instance hours")
        redis = reserved_option("ElastiCache reserved nodes, 1 year, no upfront", "ElastiCache Redis", sizing["redis_nodes"],
                                (reserved.get("redis_node_hourly") or {}).get(sizing["redis_node_type"]), hours, evidence)
        redis["configuration"] = f"{sizing['redis_node_type']} x {sizing['redis_nodes']}, node hours"
        options += [rds, redis]
    if prices.get("s3_intelligent_tiering"):
        options.append(intelligent_tiering(prices["s3_intelligent_tiering"]))
    return options


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
    total = round(sum(cost for _, _, cost in lines), 2)
    options = cost_options(sizing, prices)
    unpriced += [f"{o['option']} for {o['configuration']}" for o in options if not o["priced"]]
    return {
        "currency": "USD",
        "components": [{"component": c, "configuration": conf, "monthly": round(cost, 2)} for c, conf, cost in lines],
        "total": total,
        "options": options,
        "total_with_options": round(total - sum(o["saving"] for o in options if o["priced"]), 2),
        "unpriced": unpriced,
        "source": prices.get("source", ""),
    }


class FilterModule:
    def filters(self):
        return {"monthly_cost": monthly_cost}
