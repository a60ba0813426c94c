"""The network filters: subnet_layout, subnet_layout_problems, subnets_in_place."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.filter.network import subnet_layout, subnet_layout_problems, subnets_in_place

ZONES = ["us-east-1a", "us-east-1b"]


def test_carves_the_documented_layout_from_a_16():
    layout = subnet_layout("10.0.0.0/16", ZONES)
    assert [(s["tier"], s["zone"], s["cidr"]) for s in layout] == [
        ("public", "us-east-1a", "10.0.1.0/24"),
        ("public", "us-east-1b", "10.0.2.0/24"),
        ("private", "us-east-1a", "10.0.11.0/24"),
        ("private", "us-east-1b", "10.0.12.0/24"),
        ("database", "us-east-1a", "10.0.21.0/24"),
        ("database", "us-east-1b", "10.0.22.0/24"),
    ]


def test_explicit_cidrs_override_one_tier():
    layout = subnet_layout("10.1.0.0/16", ZONES, 24, {"database": ["10.1.100.0/24", "10.1.101.0/24"]})
    assert [s["cidr"] for s in layout if s["tier"] == "database"] == ["10.1.100.0/24", "10.1.101.0/24"]
    assert [s["cidr"] for s in layout if s["tier"] == "public"] == ["10.1.1.0/24", "10.1.2.0/24"]


@pytest.mark.parametrize(
    ("vpc", "prefix", "cidrs", "expected"),
    [
        ("10.0.0.0/33", 24, None, "network_vpc_cidr '10.0.0.0/33' is not a valid IPv4 network"),
        ("10.0.0.1/16", 24, None, "has host bits set"),
        ("banana", 24, None, "network_vpc_cidr 'banana' is not a valid IPv4 network"),
        ("10.0.0.0/8", 24, None, "must have a prefix between /16 and /24"),
        ("10.0.0.0/20", 24, None, "holds only 16 /24 subnets"),
        ("10.0.0.0/16", 16, None, "must be longer than the VPC's /16"),
        ("10.0.0.0/16", 24, {"db": ["10.0.9.0/24", "10.0.8.0/24"]}, "unknown tier(s) db"),
        ("10.0.0.0/16", 24, {"public": ["10.0.9.0/24"]}, "network_subnet_cidrs.public needs 2 CIDRs"),
        ("10.0.0.0/16", 24, {"public": ["10.9.1.0/24", "10.0.2.0/24"]}, "is outside network_vpc_cidr"),
        ("10.0.0.0/16", 24, {"public": ["10.0.11.0/24", "10.0.2.0/24"]}, "subnets overlap: 10.0.11.0/24 (public"),
        ("10.0.0.0/16", 24, {"private": ["10.0.1.0/25", "10.0.12.0/24"]}, "subnets overlap: 10.0.1.0/24"),
    ],
)
def test_invalid_plans_are_explained(vpc, prefix, cidrs, expected):
    [problem] = subnet_layout_problems(vpc, ZONES, prefix, cidrs)
    assert expected in problem
    with pytest.raises(AnsibleFilterError, match="."):
        subnet_layout(vpc, ZONES, prefix, cidrs)


def test_valid_plan_has_no_problems():
    assert subnet_layout_problems("10.1.0.0/16", ZONES) == []


NAMES = {f"{tier}_subnet_prefix": f"credlink-dev-{tier}-" for tier in ("public", "private", "database")}
TAGS = {"Project": "credlink", "Environment": "dev", "ManagedBy": "ansible"}


def _existing(layout, **changes):
    """stack_network_info's subnets for a network built exactly as ``layout`` says."""
    existing = {"public": [], "private": [], "database": []}
    for index, item in enumerate(layout):
        existing[item["tier"]].append({
            "id": f"subnet-{index}", "availability_zone": item["zone"], "cidr_block": item["cidr"],
            "tags": {**TAGS, "Name": NAMES[f"{item['tier']}_subnet_prefix"] + item["zone"], "Tier": item["tier"]},
            "map_public_ip_on_launch": False, "assign_ipv6_address_on_creation": False, "ipv6_cidr_blocks": [],
            **(changes if index == 0 else {}),
        })
    return existing


def test_a_converged_network_has_every_subnet_in_place():
    layout = subnet_layout("10.0.0.0/16", ZONES)
    plan = subnets_in_place(layout, _existing(layout), TAGS, NAMES)
    assert [item["id"] for item in plan] == [f"subnet-{i}" for i in range(6)]
    assert plan[0]["tags"] == {**TAGS, "Name": "credlink-dev-public-us-east-1a", "Tier": "public"}


def test_a_new_vpc_has_no_subnet_in_place():
    layout = subnet_layout("10.0.0.0/16", ZONES)
    assert [item["id"] for item in subnets_in_place(layout, {}, TAGS, NAMES)] == [""] * 6


@pytest.mark.parametrize("changes", [
    {"tags": {**TAGS, "Name": "credlink-dev-public-us-east-1a", "Tier": "public", "Owner": "someone"}},  # extra tag: purged
    {"tags": {"Name": "credlink-dev-public-us-east-1a", "Tier": "public"}},  # stack tags missing
    {"map_public_ip_on_launch": True},
    {"assign_ipv6_address_on_creation": True},
    {"ipv6_cidr_blocks": ["2001:db8::/64"]},
    {"availability_zone": "us-east-1c"},
])
def test_a_subnet_that_differs_in_anything_the_module_sets_is_sent_to_it(changes):
    layout = subnet_layout("10.0.0.0/16", ZONES)
    plan = subnets_in_place(layout, _existing(layout, **changes), TAGS, NAMES)
    assert plan[0]["id"] == "" and [item["id"] for item in plan[1:]] == [f"subnet-{i}" for i in range(1, 6)]


def test_a_changed_cidr_is_not_in_place():
    layout = subnet_layout("10.0.0.0/16", ZONES)
    moved = subnet_layout("10.0.0.0/16", ZONES, 24, {"public": ["10.0.5.0/24", "10.0.6.0/24"]})
    plan = subnets_in_place(moved, _existing(layout), TAGS, NAMES)
    assert [item["id"] for item in plan[:2]] == ["", ""]
