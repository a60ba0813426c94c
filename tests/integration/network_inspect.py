"""Read what the network layer built, straight from the emulator."""

from __future__ import annotations


def tags_of(resource: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def describe_network(emulator, env: str) -> dict:
    ec2 = emulator.client("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"credlink-{env}-vpc"]}])["Vpcs"]
    assert len(vpcs) == 1, f"expected one VPC credlink-{env}-vpc, found {len(vpcs)}"
    vpc = vpcs[0]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    subnets = ec2.describe_subnets(Filters=in_vpc)["Subnets"]
    return {
        "vpc": vpc,
        "dns_support": ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"],
        "dns_hostnames": ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"],
        "subnets": {tags_of(s)["Name"]: s for s in subnets},
        "igws": ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["InternetGateways"],
        "nats": [n for n in ec2.describe_nat_gateways(Filter=in_vpc)["NatGateways"] if n["State"] != "deleted"],
        "addresses": ec2.describe_addresses()["Addresses"],
        "route_tables": {tags_of(r).get("Name", r["RouteTableId"]): r for r in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]},
        "flow_logs": ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"],
    }


def default_route(table: dict) -> dict | None:
    return next((r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"), None)
