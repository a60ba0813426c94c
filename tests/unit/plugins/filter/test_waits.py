"""The retries of every polled wait."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.filter.waits import poll_count


@pytest.mark.parametrize("timeout, interval, expected", [
    (900, 10, 90), (2400, 30, 80), (1800, 15, 120), (100, 30, 4), ("60", "15", 4),
    (5, 0, 5),      # a zero interval reads once a second, as delay: 0 would
    (0, 10, 1),     # a zero timeout still reads once
])
def test_poll_count(timeout, interval, expected):
    assert poll_count(timeout, interval) == expected


@pytest.mark.parametrize("timeout, interval", [("soon", 10), (60, None), (-1, 10)])
def test_poll_count_refuses_what_is_not_seconds(timeout, interval):
    with pytest.raises(AnsibleFilterError):
        poll_count(timeout, interval)
