"""Monthly cost of a sizing and the saving of the seeds' cost options, priced from data/prices.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.filter.costs import monthly_cost

PRICES = yaml.safe_load((Path(__file__).parents[4] / "data" / "prices.yml").read_text())
SEED_SIZING = {"nat_gateways": 2, "rds_instance_class": "db.t3.micro", "rds_multi_az": True,
               "redis_node_type": "cache.t3.micro", "redis_nodes": 2, "ecs_task_size": "256/512", "ecs_tasks": 2}


def test_the_plans_sizing_costs_what_their_table_says():
    cost = monthly_cost(SEED_SIZING, PRICES)
    assert cost["total"] == 165.40 and cost["unpriced"] == []
    assert {c["component"]: c["monthly"] for c in cost["components"]}["NAT gateways"] == 65.00


def test_production_and_dev_as_sized_in_the_inventories():
    production = monthly_cost({**SEED_SIZING, "rds_instance_class": "db.t3.small"}, PRICES)
    assert production["total"] == 192.56
    dev = monthly_cost({**SEED_SIZING, "nat_gateways": 1, "rds_multi_az": False, "redis_nodes": 1, "ecs_tasks": 1}, PRICES)
    assert dev["total"] == 98.40


def test_a_size_without_a_price_is_reported_not_guessed():
    cost = monthly_cost({**SEED_SIZING, "rds_instance_class": "db.r6g.xlarge"}, PRICES)
    assert cost["unpriced"] == ["rds_instance db.r6g.xlarge",
                                "RDS reserved instance, 1 year, no upfront for db.r6g.xlarge x 2 (Multi-AZ), instance hours"]
    assert {c["component"]: c["monthly"] for c in cost["components"]}["RDS PostgreSQL"] == 0
    assert [o["option"] for o in cost["options"] if o["priced"]] == [
        "ElastiCache reserved nodes, 1 year, no upfront", "S3 Intelligent-Tiering"]


def test_missing_sizing_is_named():
    with pytest.raises(AnsibleFilterError, match="ecs_tasks"):
        monthly_cost({k: v for k, v in SEED_SIZING.items() if k != "ecs_tasks"}, PRICES)


def test_reserved_instances_save_on_instance_hours_of_every_copy_next_to_on_demand():
    production = {**SEED_SIZING, "rds_instance_class": "db.t3.small"}
    options = {o["component"]: o for o in monthly_cost(production, PRICES)["options"]}
    rds, redis = options["RDS PostgreSQL"], options["ElastiCache Redis"]
    # Multi-AZ: the reservation covers primary and standby, 730 hours each.
    assert rds["on_demand"] == round(2 * 730 * 0.036, 2) == 52.56
    assert rds["with_option"] == round(2 * 730 * 0.0252, 2) and rds["saving"] == round(52.56 - 36.79, 2)
    assert redis["on_demand"] == round(2 * 730 * 0.017, 2) and redis["saving"] > 0
    # The price file says the reserved rates are estimates, and the report says so too.
    assert rds["evidence"] == redis["evidence"] == "UNCONFIRMED"
    single = {o["component"]: o for o in monthly_cost({**production, "rds_multi_az": False}, PRICES)["options"]}
    assert single["RDS PostgreSQL"]["on_demand"] == round(730 * 0.036, 2)


def test_intelligent_tiering_saves_little_on_ten_gigabytes_of_proofs():
    [tiering] = [o for o in monthly_cost(SEED_SIZING, PRICES)["options"] if o["component"] == "S3"]
    # 10 GB in Standard: 0.23; tiered: a third frequent, two thirds infrequent, plus 20,000 monitored objects.
    assert tiering["on_demand"] == 0.23
    assert tiering["with_option"] == round(10 * 0.33 * 0.023 + 10 * 0.67 * 0.0125 + 20 * 0.0025, 2) == 0.21
    assert tiering["saving"] == 0.02


def test_the_total_with_every_option_subtracts_each_saving():
    cost = monthly_cost({**SEED_SIZING, "rds_instance_class": "db.t3.small"}, PRICES)
    assert cost["total_with_options"] == round(cost["total"] - sum(o["saving"] for o in cost["options"]), 2)
    assert cost["total_with_options"] < cost["total"]


def test_a_price_table_without_options_prices_none():
    plain = {k: v for k, v in PRICES.items() if k not in ("reserved_1yr_no_upfront", "s3_intelligent_tiering")}
    cost = monthly_cost(SEED_SIZING, plain)
    assert cost["options"] == [] and cost["total_with_options"] == cost["total"] == 165.40
