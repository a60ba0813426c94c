"""The baseline_violations filter: the preflight's judgement of an inventory against data/baseline.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.filter.baseline import baseline_violations

BASELINE = yaml.safe_load((Path(__file__).parents[4] / "data" / "baseline.yml").read_text())
ROLES = Path(__file__).parents[4] / "roles"


def inventory(name: str) -> dict:
    """The inventory's values of the baseline's variables, the roles' defaults underneath."""
    values = {}
    for layer in ("network", "database", "cache", "storage", "container_platform"):
        values.update(yaml.safe_load((ROLES / layer / "defaults/main.yml").read_text()))
    for path in sorted((Path(__file__).parents[4] / "inventories" / name / "group_vars/all").glob("*.yml")):
        values.update(yaml.safe_load(path.read_text()) or {})
    return {rule["variable"]: values[rule["variable"]] for rule in BASELINE["settings"].values() if rule["variable"]}


@pytest.mark.parametrize("name", ["production", "dev", "local"])
def test_the_shipped_inventories_meet_their_baselines(name):
    assert baseline_violations(inventory(name), BASELINE, name) == []


def test_production_below_its_baseline_is_named_setting_by_setting():
    values = {**inventory("production"), "database_backup_retention_days": 10, "database_multi_az": False,
              "storage_glacier_transition_days": 180}
    found = baseline_violations(values, BASELINE, "production")
    assert [v["message"] for v in found] == [
        "database_multi_az=False (the production baseline is at least True)",
        "database_backup_retention_days=10 (the production baseline is at least 30)",
        "storage_glacier_transition_days=180 (the production baseline is at most 90)"]


def test_values_given_as_strings_are_compared_as_the_baseline_type():
    found = baseline_violations({"database_backup_retention_days": "10", "database_multi_az": "no",
                                 "storage_glacier_transition_days": "30"}, BASELINE, "production")
    assert [v["variable"] for v in found] == ["database_multi_az", "database_backup_retention_days"]


def test_the_dev_inventory_is_below_the_production_baseline():
    assert len(baseline_violations(inventory("dev"), BASELINE, "production")) >= 8


def test_an_unlisted_environment_is_held_to_the_named_one():
    values = {**inventory("dev"), "cache_snapshot_retention_days": 0}
    [found] = baseline_violations(values, BASELINE, "dev-alice")
    assert found["environment"] == "dev" and found["variable"] == "cache_snapshot_retention_days"


def test_a_broken_document_is_reported_not_a_traceback():
    with pytest.raises(AnsibleFilterError, match="unlisted_environments must name"):
        baseline_violations({}, {**BASELINE, "unlisted_environments": "staging"}, "production")
    with pytest.raises(AnsibleFilterError, match="cannot be compared"):
        baseline_violations({"database_backup_retention_days": "ten"}, BASELINE, "production")
