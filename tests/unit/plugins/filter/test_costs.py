"""Monthly cost of a sizing, priced from playbooks/vars/monthly_prices.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.filter.costs import monthly_cost

PRICES = yaml.safe_load((Path(__file__).parents[4] / "playbooks" / "vars" / "monthly_prices.yml").read_text())
SEED_SIZING = {"nat_gateways": 2, "rds_instance_class": "db.t3.micro", "rds_multi_az": True,
               "redis_node_type": "cache.t3.micro", "redis_nodes": 2, "ecs_task_size": "256/512", "ecs_tasks": 2}


def test_the_plans_sizing_costs_what_their_table_says():
    cost = monthly_cost(SEED_SIZING, PRICES)
    assert cost["total"] == 165.40 and cost["unpriced"] == []
    assert {c["component"]: c["monthly"] for c in cost["components"]}["NAT gateways"] == 65.00


def test_production_and_dev_as_sized_in_the_inventories():
    production = monthly_cost({**SEED_SIZING, "rds_instance_class": "db.t3.small"}, PRICES)
    assert production["total"] == 189.64
    dev = monthly_cost({**SEED_SIZING, "nat_gateways": 1, "rds_multi_az": False, "redis_nodes": 1, "ecs_tasks": 1}, PRICES)
    assert dev["total"] == 98.40


def test_a_size_without_a_price_is_reported_not_guessed():
    cost = monthly_cost({**SEED_SIZING, "rds_instance_class": "db.r6g.xlarge"}, PRICES)
    assert cost["unpriced"] == ["rds_instance db.r6g.xlarge"]
    assert {c["component"]: c["monthly"] for c in cost["components"]}["RDS PostgreSQL"] == 0


def test_missing_sizing_is_named():
    with pytest.raises(AnsibleFilterError, match="ecs_tasks"):
        monthly_cost({k: v for k, v in SEED_SIZING.items() if k != "ecs_tasks"}, PRICES)
