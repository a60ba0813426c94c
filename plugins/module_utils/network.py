# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Looking up the network layer of an environment by its tags.

Shared by ``stack_network_info`` (which every layer role uses), ``stack_layers_info`` and the
checklist's stack snapshot, so all find the VPC, its tiers and its NAT gateways the same way.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error

TIERS = ("public", "private", "database")
LIVE_NAT_STATES = ("pending", "available")


@RETRY
def all_pages(client, method: str, **kwargs) -> dict:
    """Every page of a paginated call, the whole walk retried on throttling."""
    return client.get_paginator(method).paginate(**kwargs).build_full_result()


def describe_all(client, module, method: str, key: str, **kwargs) -> list:
    """Every page of an EC2 describe call (DescribeSecurityGroups, DescribeNatGateways... are paginated)."""
    with fail_on_aws_error(module, f"Couldn't look up the network ({method})"):
        return all_pages(client, method, **kwargs)[key]


def find_vpc(client, module, name: str) -> dict | None:
    vpcs = describe_all(client, module, "describe_vpcs", "Vpcs", Filters=[{"Name": "tag:Name", "Values": [name]}])
    if len(vpcs) > 1:
        ids = ", ".join(sorted(v["VpcId"] for v in vpcs))
        module.fail_json(msg=f"More than one VPC is named {name} ({ids}); remove the stray one before continuing")
    return vpcs[0] if vpcs else None


def network_info(client, module, name: str) -> dict:
    """The VPC named ``name``, its subnets by tier and its live NAT gateways; ``found`` false when absent."""
    vpc = find_vpc(client, module, name)
    if vpc is None:
        return {"found": False, "vpc": {}, "subnets": {t: [] for t in TIERS}, "nat_gateways": []}
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    raw_subnets = describe_all(client, module, "describe_subnets", "Subnets", Filters=vpc_filter)
    raw_gateways = describe_all(client, module, "describe_nat_gateways", "NatGateways", Filter=vpc_filter)
    zones = {s["SubnetId"]: s["AvailabilityZone"] for s in raw_subnets}
    return {
        "found": True,
        "vpc": {"id": vpc["VpcId"], "cidr_block": vpc["CidrBlock"], "tags": boto3_tag_list_to_ansible_dict(vpc.get("Tags", []))},
        "subnets": group_subnets(raw_subnets),
        "nat_gateways": live_nat_gateways(raw_gateways, zones),
    }


def group_subnets(raw_subnets: list[dict]) -> dict[str, list[dict]]:
    """Subnets by their Tier tag, each sorted by zone; subnets of no known tier are left out."""
    grouped: dict[str, list[dict]] = {tier: [] for tier in TIERS}
    for raw in raw_subnets:
        tags = boto3_tag_list_to_ansible_dict(raw.get("Tags", []))
        tier = tags.get("Tier")
        if tier in grouped:
            grouped[tier].append({
                "id": raw["SubnetId"],
                "availability_zone": raw["AvailabilityZone"],
                "cidr_block": raw["CidrBlock"],
                "name": tags.get("Name", ""),
                "tags": tags,
                "map_public_ip_on_launch": raw.get("MapPublicIpOnLaunch", False),
                "assign_ipv6_address_on_creation": raw.get("AssignIpv6AddressOnCreation", False),
                "ipv6_cidr_blocks": [
                    block["Ipv6CidrBlock"] for block in raw.get("Ipv6CidrBlockAssociationSet", [])
                    if block.get("Ipv6CidrBlockState", {}).get("State") in ("associating", "associated")
                ],
            })
    for subnets in grouped.values():
        subnets.sort(key=lambda s: (s["availability_zone"], s["cidr_block"]))
    return grouped


def live_nat_gateways(raw_gateways: list[dict], subnet_zones: dict[str, str]) -> list[dict]:
    gateways = [
        {
            "id": raw["NatGatewayId"],
            "state": raw["State"],
            "subnet_id": raw["SubnetId"],
            "availability_zone": subnet_zones.get(raw["SubnetId"], ""),
            "tags": boto3_tag_list_to_ansible_dict(raw.get("Tags") or []),
        }
        for raw in raw_gateways
        if raw["State"] in LIVE_NAT_STATES
    ]
    return sorted(gateways, key=lambda g: (g["availability_zone"], g["id"]))
