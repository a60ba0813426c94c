"""naming: the one naming contract, for modules and (through the stack_names filter) for roles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.filter.naming import stack_name_prefix, stack_names
from ansible_collections.credlink.infra.plugins.module_utils import naming

ROOT = Path(__file__).resolve().parents[4]


def test_names_of_an_environment():
    names = naming.names("dev", "123456789012")
    assert names["db_instance"] == "credlink-dev-db"
    assert names["secret"] == "credlink-dev-db-credentials"
    assert names["bucket"] == "credlink-dev-proofs-123456789012"
    assert names["load_balancer"] == "credlink-dev-alb"
    assert all(value.startswith(("credlink-dev-", "/aws/vpc/credlink-dev-", "/aws/rds/instance/credlink-dev-",
                                 "/ecs/credlink-dev")) for value in names.values())


def test_the_filter_is_the_modules_contract():
    assert stack_names("production", "123456789012") == naming.names("production", "123456789012")
    assert stack_name_prefix("staging") == naming.prefix("staging") == "credlink-staging"


def test_before_the_account_is_known_the_bucket_has_the_stand_in():
    assert stack_names("dev", "")["bucket"] == f"credlink-dev-proofs-{naming.ACCOUNT_STAND_IN}"
    assert len(naming.ACCOUNT_STAND_IN) == 12


@pytest.mark.parametrize("environment", ["", None, 3])
def test_the_filter_refuses_what_is_not_an_environment(environment):
    with pytest.raises(AnsibleFilterError):
        stack_names(environment)


def test_preflight_publishes_the_filters_names():
    preflight = yaml.safe_load((ROOT / "roles/preflight/vars/main.yml").read_text())
    assert "credlink.infra.stack_names(" in preflight["__preflight_names"]
    assert "credlink.infra.stack_name_prefix" in preflight["__preflight_p"]


# `{{ credlink_name_prefix }}-db`, `credlink_name_prefix ~ '-redis7'`, `credlink-{{ credlink_env }}-alb`.
SPELLED = re.compile(r"credlink_name_prefix\s*(\}\}|~\s*['\"])-|credlink-\{\{\s*credlink_env\s*\}\}-")


def test_no_role_or_playbook_spells_a_resource_name():
    spelled = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
               for base in ("roles", "playbooks") for path in sorted((ROOT / base).rglob("*"))
               if path.suffix in (".yml", ".j2") and path.is_file()
               for number, line in enumerate(path.read_text().splitlines(), 1) if SPELLED.search(line)]
    assert not spelled, "names to take from credlink_names:\n" + "\n".join(spelled)
