# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Subnet planning for the network layer: one validated layout, used by preflight and the role."""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError


TIER_OFFSETS = {"public": 0, "private": 10, "database": 20}


def _network(value, what):
    try:
        return ipaddress.IPv4Network(str(value), strict=True)
    except ValueError as exc:
        raise ValueError(f"{what} '{value}' is not a valid IPv4 network in CIDR notation ({exc})") from None


def _plan(vpc_cidr, zones, prefix_length=24, cidrs=None):
    cidrs = cidrs or {}
    vpc = _network(vpc_cidr, "network_vpc_cidr")
    if not 16 <= vpc.prefixlen <= 24:
        raise ValueError(f"network_vpc_cidr '{vpc_cidr}' must have a prefix between /16 and /24 (AWS VPC limits)")
    unknown = sorted(set(cidrs) - set(TIER_OFFSETS))
    if unknown:
        raise ValueError(f"network_subnet_cidrs has unknown tier(s) {', '.join(unknown)}; tiers are public, private, database")
    layout = []
    for tier, offset in TIER_OFFSETS.items():
        explicit = cidrs.get(tier)
        if explicit is not None and len(explicit) != len(zones):
            raise ValueError(f"network_subnet_cidrs.{tier} needs {len(zones)} CIDRs, one per availability zone, got {len(explicit)}")
        for index, zone in enumerate(zones):
            if explicit is not None:
                subnet = _network(explicit[index], f"network_subnet_cidrs.{tier}[{index}]")
            else:
                subnet = _carve(vpc, prefix_length, offset + index + 1)
            if not subnet.subnet_of(vpc):
                raise ValueError(f"subnet {subnet} ({tier}, {zone}) is outside network_vpc_cidr {vpc}")
            if not 16 <= subnet.prefixlen <= 28:
                raise ValueError(f"subnet {subnet} ({tier}, {zone}) must have a prefix between /16 and /28")
            layout.append({"tier": tier, "zone": zone, "cidr": str(subnet)})
    _check_overlaps(layout)
    return layout


def _carve(vpc, prefix_length, index):
    if not vpc.prefixlen < prefix_length <= 28:
        raise ValueError(f"network_subnet_prefix_length /{prefix_length} must be longer than the VPC's /{vpc.prefixlen} and at most /28")
    count = 2 ** (prefix_length - vpc.prefixlen)
    if index >= count:
        raise ValueError(
            f"network_vpc_cidr {vpc} holds only {count} /{prefix_length} subnets; the layout needs index {index}. "
            "Use a larger VPC, a longer network_subnet_prefix_length, or network_subnet_cidrs"
        )
    return ipaddress.IPv4Network((int(vpc.network_address) + index * 2 ** (32 - prefix_length), prefix_length))


def _check_overlaps(layout):
    for i, first in enumerate(layout):
        for second in layout[i + 1:]:
            if ipaddress.IPv4Network(first["cidr"]).overlaps(ipaddress.IPv4Network(second["cidr"])):
                raise ValueError(
                    f"subnets overlap: {first['cidr']} ({first['tier']}, {first['zone']}) and "
                    f"{second['cidr']} ({second['tier']}, {second['zone']})"
                )


def subnet_layout(vpc_cidr, zones, prefix_length=24, cidrs=None):
    try:
        return _plan(vpc_cidr, zones, int(prefix_length), cidrs)
    except (ValueError, TypeError) as exc:
        raise AnsibleFilterError(str(exc)) from None


def subnet_layout_problems(vpc_cidr, zones, prefix_length=24, cidrs=None):
    try:
        _plan(vpc_cidr, zones, int(prefix_length), cidrs)
    except (ValueError, TypeError) as exc:
        return [str(exc)]
    return []


def subnets_in_place(layout, existing, tags, names):
    """``layout`` with each subnet's tags and the id of the existing subnet that is already
    exactly as ec2_vpc_subnet would leave it, else ''.

    ``existing`` is stack_network_info's ``subnets`` (by tier). In place means: the same
    tier, CIDR and zone, exactly these tags, no public IPv4 addresses on launch, no IPv6 CIDR
    and no IPv6 addresses on creation: everything ec2_vpc_subnet with the network layer's
    options would otherwise set, so sending it the subnet again would change nothing.
    """
    found = {(tier, subnet.get("cidr_block")): subnet for tier, subnets in (existing or {}).items() for subnet in subnets}
    plan = []
    for item in layout:
        wanted = {**tags, "Name": names[f"{item['tier']}_subnet_prefix"] + item["zone"], "Tier": item["tier"]}
        current = found.get((item["tier"], item["cidr"]), {})
        in_place = (
            current.get("availability_zone") == item["zone"]
            and current.get("tags") == wanted
            and current.get("map_public_ip_on_launch") is False
            and current.get("assign_ipv6_address_on_creation") is False
            and not current.get("ipv6_cidr_blocks")
        )
        plan.append({**item, "tags": wanted, "id": current["id"] if in_place else ""})
    return plan


class FilterModule:
    def filters(self):
        return {
            "subnet_layout": subnet_layout,
            "subnet_layout_problems": subnet_layout_problems,
            "subnets_in_place": subnets_in_place,
        }
