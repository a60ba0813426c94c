"""rds_max_connections: the limit an alarm on database connections is a share of."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.filter.rds import rds_max_connections


@pytest.mark.parametrize("instance_class, expected, reported", [
    ("db.t3.micro", 84, 87),      # 1 GiB: reported about 87 (112 on nominal memory)
    ("db.t3.medium", 422, 420),   # 4 GiB: reported about 420 (450 nominal)
    ("db.r5.large", 1694, 1700),  # 16 GiB: reported about 1700 (1802 nominal)
])
def test_the_default_is_at_or_just_below_what_rds_reports(instance_class, expected, reported):
    value = rds_max_connections(instance_class)
    assert value == expected and value <= reported + 5


def test_large_classes_are_capped_at_5000():
    assert rds_max_connections("db.r5.8xlarge") == 5000


def test_the_parameter_group_value_wins():
    assert rds_max_connections("db.t3.small", {"max_connections": "150", "rds.force_ssl": "1"}) == 150
    assert rds_max_connections("db.t3.small", {"rds.force_ssl": "1"}) == 197


@pytest.mark.parametrize("instance_class", ["db.t3", "cache.t3.micro.x", "db.t3.huge"])
def test_an_unknown_class_is_refused(instance_class):
    with pytest.raises(AnsibleFilterError, match="unknown instance class"):
        rds_max_connections(instance_class)
