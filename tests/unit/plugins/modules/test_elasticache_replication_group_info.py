"""elasticache_replication_group_info: ready / unrecoverable as the module and readiness_info see them."""

from __future__ import annotations

import pytest

from ansible_collections.credlink.infra.plugins.module_utils.elasticache import GROUP_FAILED_STATES
from ansible_collections.credlink.infra.plugins.modules import elasticache_replication_group_info as info
from ansible_collections.credlink.infra.plugins.modules import readiness_info
from tests.unit.in_process import call_main
from tests.unit.plugins.modules.test_elasticache_replication_group import GROUP, fake  # noqa: F401  (fixture)


def test_available_group_is_ready_with_its_endpoint(fake, capsys):  # noqa: F811
    fake.put(GROUP)
    result, code = call_main(info, {"replication_group_id": GROUP}, capsys)
    assert code == 0 and result["ready"] is True and result["unrecoverable"] is False
    assert result["primary_endpoint"]["port"] == 6379 and result["state"] == "available"


def test_creating_group_has_no_endpoint_and_is_not_ready(fake, capsys):  # noqa: F811
    fake.put(GROUP, status="creating")
    result, _ = call_main(info, {"replication_group_id": GROUP}, capsys)
    assert result["ready"] is False and result["unrecoverable"] is False and result["primary_endpoint"] == {}


@pytest.mark.parametrize("status", ["create-failed", "deleting"])
def test_final_states_are_unrecoverable(fake, capsys, status):  # noqa: F811
    fake.put(GROUP, status=status)
    result, _ = call_main(info, {"replication_group_id": GROUP}, capsys)
    assert result["ready"] is False and result["unrecoverable"] is True and result["state"] == status


def test_missing_group_is_unrecoverable(fake, capsys):  # noqa: F811
    result, _ = call_main(info, {"replication_group_id": GROUP}, capsys)
    assert result["found"] is False and result["unrecoverable"] is True and result["state"] == "missing"


def test_the_joint_wait_stops_on_the_same_states():
    assert readiness_info.FAILED_STATES["replication_group"] == set(GROUP_FAILED_STATES) == {"create-failed", "deleting"}
