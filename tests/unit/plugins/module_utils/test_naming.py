"""naming: the modules' naming contract is the one the preflight role publishes."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
import yaml

from ansible_collections.credlink.infra.plugins.module_utils import naming

ROOT = Path(__file__).resolve().parents[4]
PREFLIGHT_VARS = yaml.safe_load((ROOT / "roles/preflight/vars/main.yml").read_text())


def preflight_names(env: str, account: str) -> dict[str, str]:
    """__preflight_names rendered as the preflight role renders it once it knows the account."""
    render = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string
    context = {"credlink_env": env, "__preflight_account": account}
    context["__preflight_p"] = render(PREFLIGHT_VARS["__preflight_p"]).render(context)
    return {key: render(value).render(context) for key, value in PREFLIGHT_VARS["__preflight_names"].items()}


@pytest.mark.parametrize("env", ["dev", "production", "dev-alice"])
def test_the_names_are_the_ones_preflight_publishes(env):
    assert naming.names(env, "123456789012") == preflight_names(env, "123456789012")


def test_before_the_account_is_known_the_bucket_has_the_stand_in():
    assert naming.names("dev")["bucket"] == preflight_names("dev", naming.ACCOUNT_STAND_IN)["bucket"]
    assert PREFLIGHT_VARS["__preflight_account"].endswith(f"default('{naming.ACCOUNT_STAND_IN}') }}}}")


def test_the_prefix_is_credlink_name_prefix():
    context = {"credlink_env": "staging"}
    assert naming.prefix("staging") == jinja2.Template(PREFLIGHT_VARS["__preflight_p"]).render(context)
    assert naming.names("staging")["alarm_prefix"] == naming.prefix("staging") + "-"
