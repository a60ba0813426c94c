"""site.yml --tags network against the emulator, inspected with boto3."""

from __future__ import annotations

import pytest

from tests.integration.network_inspect import default_route, describe_network, tags_of

pytestmark = pytest.mark.integration

ZONES = ("us-east-1a", "us-east-1b")
TIERS = ("public", "private", "database")


def assert_common_layout(net: dict, env: str, cidr: str) -> None:
    assert net["vpc"]["CidrBlock"] == cidr
    assert net["dns_support"] and net["dns_hostnames"]
    assert tags_of(net["vpc"]).items() >= {"Project": "credlink", "Environment": env, "ManagedBy": "ansible"}.items()
    expected = {f"credlink-{env}-{tier}-{zone}" for tier in TIERS for zone in ZONES}
    assert set(net["subnets"]) == expected
    for name, subnet in net["subnets"].items():
        tier = name.split("-")[2]
        assert tags_of(subnet)["Tier"] == tier
        assert subnet["AvailabilityZone"] == name.split(f"-{tier}-")[1]
        assert tags_of(subnet)["Environment"] == env
        assert not subnet["MapPublicIpOnLaunch"]
    assert len(net["igws"]) == 1
    assert tags_of(net["igws"][0])["Name"] == f"credlink-{env}-igw"

    public = net["route_tables"][f"credlink-{env}-public"]
    assert default_route(public)["GatewayId"] == net["igws"][0]["InternetGatewayId"]
    database = net["route_tables"][f"credlink-{env}-database"]
    assert default_route(database) is None, "database subnets must have no route out of the VPC"
    assert {a["SubnetId"] for a in database["Associations"] if "SubnetId" in a} == {
        net["subnets"][f"credlink-{env}-database-{zone}"]["SubnetId"] for zone in ZONES}

    [flow_log] = net["flow_logs"]
    assert flow_log["LogGroupName"] == f"/aws/vpc/credlink-{env}-flow-logs"
    assert flow_log["DeliverLogsPermissionArn"].endswith(f":role/credlink-{env}-flow-logs")
    assert flow_log["TrafficType"] == "ALL"


def nat_by_zone(net: dict, env: str) -> dict[str, str]:
    zone_of = {s["SubnetId"]: s["AvailabilityZone"] for s in net["subnets"].values()}
    return {zone_of[n["SubnetId"]]: n["NatGatewayId"] for n in net["nats"]}


def private_route_targets(net: dict, env: str) -> dict[str, str]:
    return {zone: default_route(net["route_tables"][f"credlink-{env}-private-{zone}"])["NatGatewayId"] for zone in ZONES}


def test_production_network_converges_and_reruns_clean(playbook, clean_emulator):
    first = playbook("site.yml", "production", "--tags", "network")
    assert first.returncode == 0, first.stdout[-4000:]
    assert first.recap["changed"] > 0

    net = describe_network(clean_emulator, "production")
    assert_common_layout(net, "production", "10.0.0.0/16")
    assert len(net["nats"]) == 2 and all(n["State"] == "available" for n in net["nats"])
    assert len(net["addresses"]) == 2
    nats = nat_by_zone(net, "production")
    assert set(nats) == set(ZONES), "one NAT gateway in each zone's public subnet"
    assert all(net["subnets"][f"credlink-production-public-{z}"]["SubnetId"] ==
               next(n["SubnetId"] for n in net["nats"] if n["NatGatewayId"] == nats[z]) for z in ZONES)
    assert private_route_targets(net, "production") == nats, "each private subnet uses its own zone's NAT"
    logs = clean_emulator.client("logs").describe_log_groups(logGroupNamePrefix="/aws/vpc/credlink-production")
    assert logs["logGroups"][0]["retentionInDays"] == 30

    second = playbook("site.yml", "production", "--tags", "network")
    assert second.returncode == 0 and second.recap["changed"] == 0, second.stdout[-4000:]
    checked = playbook("site.yml", "production", "--tags", "network", "--check", "--diff")
    assert checked.returncode == 0 and checked.recap["changed"] == 0, checked.stdout[-4000:]

    after = describe_network(clean_emulator, "production")
    assert len(after["nats"]) == 2 and len(after["addresses"]) == 2 and len(after["subnets"]) == 6
    assert len(after["route_tables"]) == len(net["route_tables"])


def test_dev_network_has_one_nat_shared_by_both_private_subnets(playbook, clean_emulator):
    run = playbook("site.yml", "dev", "--tags", "network")
    assert run.returncode == 0, run.stdout[-4000:]
    net = describe_network(clean_emulator, "dev")
    assert_common_layout(net, "dev", "10.1.0.0/16")
    assert len(net["nats"]) == 1
    [nat] = net["nats"]
    assert tags_of(nat)["Name"] == "credlink-dev-nat-us-east-1a"
    assert set(private_route_targets(net, "dev").values()) == {nat["NatGatewayId"]}
    logs = clean_emulator.client("logs").describe_log_groups(logGroupNamePrefix="/aws/vpc/credlink-dev")
    assert logs["logGroups"][0]["retentionInDays"] == 14


def test_a_rerun_sends_only_the_drifted_subnet_and_puts_it_back(playbook, clean_emulator):
    assert playbook("site.yml", "dev", "--tags", "network").returncode == 0
    ec2 = clean_emulator.client("ec2")
    subnet = describe_network(clean_emulator, "dev")["subnets"]["credlink-dev-private-us-east-1b"]
    # Someone made it public and tagged it (the ownership tags stay: without them preflight
    # refuses to touch the subnet at all).
    ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})
    ec2.create_tags(Resources=[subnet["SubnetId"]], Tags=[{"Key": "Owner", "Value": "someone"}])

    rerun = playbook("site.yml", "dev", "--tags", "network", "-v")
    assert rerun.returncode == 0 and rerun.recap["changed"] == 1, rerun.stdout[-4000:]
    # Only the drifted subnet went to ec2_vpc_subnet; the five others were left alone.
    assert rerun.stdout.count("(item=private us-east-1b 10.1.12.0/24)") == 1
    assert "(item=public us-east-1a" not in rerun.stdout
    after = describe_network(clean_emulator, "dev")["subnets"]["credlink-dev-private-us-east-1b"]
    assert after["SubnetId"] == subnet["SubnetId"] and not after["MapPublicIpOnLaunch"]
    assert tags_of(after)["Environment"] == "dev" and "Owner" not in tags_of(after)

    settled = playbook("site.yml", "dev", "--tags", "network", "-v")
    assert settled.returncode == 0 and settled.recap["changed"] == 0
    assert "(item=" not in settled.stdout.split("Ensure the subnets exist")[1].split("TASK [")[0]


def test_check_mode_on_an_empty_account_plans_without_creating(playbook, clean_emulator):
    run = playbook("site.yml", "dev", "--check", "--diff")
    assert run.returncode == 0, run.stdout[-4000:]
    assert run.recap["changed"] >= 1
    assert "credlink-dev-vpc 10.1.0.0/16" in run.stdout
    assert clean_emulator.client("ec2").describe_vpcs(
        Filters=[{"Name": "tag:Name", "Values": ["credlink-dev-vpc"]}])["Vpcs"] == []


def test_a_later_layer_alone_names_the_missing_network(playbook):
    run = playbook("site.yml", "dev", "--tags", "database")
    assert run.returncode != 0
    assert "network layer of environment 'dev' was not found" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_changed_vpc_cidr_is_refused_not_duplicated(playbook, clean_emulator):
    assert playbook("site.yml", "dev", "--tags", "network").returncode == 0
    run = playbook("site.yml", "dev", "--tags", "network", extra_vars={"network_vpc_cidr": "10.2.0.0/16"})
    assert run.returncode != 0
    assert "exists with CIDR 10.1.0.0/16 but network_vpc_cidr is 10.2.0.0/16" in run.stdout
    vpcs = clean_emulator.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["credlink-dev-vpc"]}])
    assert len(vpcs["Vpcs"]) == 1
    # Other zones (a region whose list of zones changed, or a new pin) do not move it either.
    moved = playbook("site.yml", "dev", "--tags", "network",
                     extra_vars={"credlink_availability_zones": ["us-east-1c", "us-east-1d"]})
    assert moved.returncode != 0
    assert ("has subnets in us-east-1a, us-east-1b, but this run chose us-east-1c, us-east-1d; pin them with "
            "credlink_availability_zones: [us-east-1a, us-east-1b]") in " ".join(moved.stdout.split())
    # Both at once: both reasons in one run.
    both = playbook("site.yml", "dev", "--tags", "network",
                    extra_vars={"network_vpc_cidr": "10.2.0.0/16", "credlink_availability_zones": ["us-east-1c", "us-east-1d"]})
    both_out = " ".join(both.stdout.split())
    assert both.returncode != 0 and "2 problems: (1) VPC credlink-dev-vpc" in both_out
    assert "(2) The network of credlink-dev has subnets in us-east-1a, us-east-1b" in both_out
    subnets = clean_emulator.client("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpcs["Vpcs"][0]["VpcId"]]}])
    assert {s["AvailabilityZone"] for s in subnets["Subnets"]} == {"us-east-1a", "us-east-1b"}
