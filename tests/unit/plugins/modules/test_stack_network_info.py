"""stack_network_info against moto's in-process EC2 mock."""

from __future__ import annotations

import json

import pytest

from ansible_collections.credlink.infra.plugins.modules import stack_network_info
from tests.unit.in_process import call_main


@pytest.fixture
def ec2(moto):
    return moto("ec2")


def tag(name, **extra):
    tags = [{"Key": "Name", "Value": name}] + [{"Key": k, "Value": v} for k, v in extra.items()]
    return tags


def make_network(ec2, env="test"):
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=tag(f"credlink-{env}-vpc"))
    subnets = {}
    for index, (tier, zone) in enumerate(
        [("public", "us-east-1b"), ("public", "us-east-1a"), ("database", "us-east-1a"), ("private", "us-east-1a")]
    ):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{index}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        ec2.create_tags(Resources=[subnet], Tags=tag(f"credlink-{env}-{tier}-{zone}", Tier=tier))
        subnets[(tier, zone)] = subnet
    return vpc, subnets


def test_groups_subnets_by_tier_sorted_by_zone(ec2, capsys):
    vpc, subnets = make_network(ec2)
    result, code = call_main(stack_network_info, {"environment": "test"}, capsys)
    assert code == 0 and result["changed"] is False and result["found"] is True
    assert result["vpc"]["id"] == vpc and result["vpc"]["cidr_block"] == "10.7.0.0/16"
    assert [s["id"] for s in result["subnets"]["public"]] == [
        subnets[("public", "us-east-1a")], subnets[("public", "us-east-1b")]]
    assert [s["availability_zone"] for s in result["subnets"]["database"]] == ["us-east-1a"]
    assert len(result["subnets"]["private"]) == 1


def test_lists_live_nat_gateways_with_their_zone(ec2, capsys):
    _, subnets = make_network(ec2)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[("public", "us-east-1b")], AllocationId=eip)["NatGateway"]
    result, _ = call_main(stack_network_info, {"environment": "test"}, capsys)
    assert [(g["id"], g["availability_zone"]) for g in result["nat_gateways"]] == [(nat["NatGatewayId"], "us-east-1b")]


def test_missing_network_names_the_layer(ec2, capsys):
    result, code = call_main(stack_network_info, {"environment": "nowhere"}, capsys)
    assert code == 1
    assert "network layer of environment 'nowhere' was not found" in result["msg"]
    assert "--tags network" in result["msg"]


def test_missing_network_is_not_an_error_when_not_required(ec2, capsys):
    result, code = call_main(stack_network_info, {"environment": "nowhere", "required": False}, capsys)
    assert code == 0 and result["found"] is False and result["subnets"]["public"] == []


def test_missing_network_only_warns_in_check_mode(ec2, capsys):
    result, code = call_main(stack_network_info, {"environment": "nowhere"}, capsys, check_mode=True)
    assert code == 0 and result["found"] is False
    # ansible-core reports warnings as structured summaries
    assert "No VPC named credlink-nowhere-vpc" in json.dumps(result.get("warnings", []))


def test_two_vpcs_with_one_name_is_an_error(ec2, capsys):
    make_network(ec2)
    extra = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[extra], Tags=tag("credlink-test-vpc"))
    result, code = call_main(stack_network_info, {"environment": "test"}, capsys)
    assert code == 1 and "More than one VPC is named credlink-test-vpc" in result["msg"]
