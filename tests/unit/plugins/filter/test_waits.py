"""The retries of every polled wait, and what a layer hands to the joint wait."""

import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.filter.waits import hand_over, poll_count


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


DB = [{"kind": "rds_instance", "id": "credlink-dev-db"}]


def test_hand_over_adds_the_layer_to_what_is_awaited():
    nat = [{"kind": "nat_gateway", "id": "nat-1"}]
    awaiting = hand_over({}, "network", nat, 900, "10", finish=False)
    awaiting = hand_over(awaiting, "database", DB, "2400", 30)
    assert awaiting == {
        "network": {"resources": nat, "timeout": 900, "poll": 10, "finish": False},
        "database": {"resources": DB, "timeout": 2400, "poll": 30, "finish": True},
    }
    # The order of the hand-overs is the order the layers finish in.
    assert list(awaiting) == ["network", "database"]


def test_a_layer_handing_over_again_replaces_its_entry_and_the_input_is_not_changed():
    first = hand_over(None, "database", DB, 60, 5)
    again = hand_over(first, "database", [{"kind": "rds_instance", "id": "other"}], 120, 5)
    assert again["database"]["resources"] == [{"kind": "rds_instance", "id": "other"}]
    assert first["database"]["resources"] == DB


@pytest.mark.parametrize("args, says", [
    (([], "database", DB, 60, 5), "must be a dict"),
    (({}, "", DB, 60, 5), "role name"),
    (({}, "database", [{"kind": "rds_instance"}], 60, 5), "list of {kind, id}"),
    (({}, "database", {"kind": "rds_instance", "id": "x"}, 60, 5), "list of {kind, id}"),
    (({}, "database", DB, "soon", 5), "database: timeout must be a number of seconds"),
    (({}, "database", DB, 60, -1), "database: poll must be a whole, non-negative"),
    (({}, "database", DB, 60.5, 5), "database: timeout must be a whole"),
    (({}, "database", DB, True, 5), "database: timeout must be a whole"),
])
def test_hand_over_refuses_wrong_arguments_naming_the_layer(args, says):
    with pytest.raises(AnsibleFilterError, match=re.escape(says)):
        hand_over(*args)


def test_hand_over_refuses_a_finish_that_is_not_a_boolean():
    with pytest.raises(AnsibleFilterError, match="finish must be true or false"):
        hand_over({}, "database", DB, 60, 5, finish="yes")
