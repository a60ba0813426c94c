"""ec2_route_table_set: moto in-process, with the emulator's refusal of a subnet another table serves."""

from __future__ import annotations

import pytest

from ansible_collections.credlink.infra.plugins.modules import ec2_route_table_set as module
from tests.unit.in_process import call_main
from tools.emulator.realism import associations

TAGS = {"Project": "credlink", "Environment": "test"}


@pytest.fixture
def vpc(moto, monkeypatch):
    from moto.ec2.models.route_tables import RouteBackend

    # As AWS: AssociateRouteTable refuses a subnet another table serves (moto accepts it).
    monkeypatch.setattr(RouteBackend, "associate_route_table", associations.refusing(RouteBackend.associate_route_table))
    ec2 = moto("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.7.{i}.0/24")["Subnet"]["SubnetId"] for i in range(4)]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    return {"ec2": ec2, "id": vpc_id, "subnets": subnets, "igw": igw, "nat": nat}


def tables(vpc, public=None, private=None, **overrides):
    return {
        "vpc_id": vpc["id"],
        "route_tables": [
            {"name": "test-public", "subnets": public if public is not None else vpc["subnets"][:2],
             "routes": [{"dest": "0.0.0.0/0", "gateway_id": vpc["igw"]}], "tags": {**TAGS, "Tier": "public"}},
            {"name": "test-private", "subnets": private if private is not None else [vpc["subnets"][2]],
             "routes": [{"dest": "0.0.0.0/0", "nat_gateway_id": vpc["nat"]}], "tags": {**TAGS, "Tier": "private"}},
            {"name": "test-database", "subnets": [vpc["subnets"][3]], "tags": {**TAGS, "Tier": "database"}},
        ],
        **overrides,
    }


def described(vpc):
    """The VPC's named tables as AWS reports them: name -> (subnets, IPv4 routes besides local, tags)."""
    found = {}
    for table in vpc["ec2"].describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["id"]]}])["RouteTables"]:
        tags = {t["Key"]: t["Value"] for t in table.get("Tags", [])}
        if "Name" not in tags:
            continue
        routes = {r["DestinationCidrBlock"]: r.get("NatGatewayId") or r.get("GatewayId")
                  for r in table["Routes"] if r.get("Origin") == "CreateRoute"}
        found[tags["Name"]] = (sorted(a["SubnetId"] for a in table.get("Associations", []) if a.get("SubnetId")),
                               routes, tags)
    return found


def test_creates_every_table_with_routes_subnets_and_tags(vpc, capsys):
    result, code = call_main(module, tables(vpc), capsys)
    assert code == 0 and result["changed"] is True
    state = described(vpc)
    assert state["test-public"] == (sorted(vpc["subnets"][:2]), {"0.0.0.0/0": vpc["igw"]},
                                    {**TAGS, "Tier": "public", "Name": "test-public"})
    assert state["test-private"][:2] == ([vpc["subnets"][2]], {"0.0.0.0/0": vpc["nat"]})
    assert state["test-database"][:2] == ([vpc["subnets"][3]], {})
    assert [t["name"] for t in result["route_tables"]] == ["test-public", "test-private", "test-database"]
    assert all(t["id"].startswith("rtb-") for t in result["route_tables"])
    assert result["diff"]["before"] == {"test-public": {}, "test-private": {}, "test-database": {}}


def test_second_run_changes_nothing_and_reports_the_tables(vpc, capsys):
    first, _ = call_main(module, tables(vpc), capsys)
    again, _ = call_main(module, tables(vpc), capsys)
    assert again["changed"] is False
    assert again["route_tables"] == first["route_tables"]
    assert again["diff"] == {"before": {}, "after": {}}


def test_check_mode_predicts_without_creating(vpc, capsys):
    result, _ = call_main(module, tables(vpc), capsys, check_mode=True)
    assert result["changed"] is True and described(vpc) == {}
    assert [t["id"] for t in result["route_tables"]] == ["", "", ""]
    assert result["route_tables"][1]["routes"] == [{"dest": "0.0.0.0/0", "nat_gateway_id": vpc["nat"]}]


def test_changed_tag_updates_the_table_instead_of_creating_another(vpc, capsys):
    call_main(module, tables(vpc), capsys)
    args = tables(vpc)
    args["route_tables"][0]["tags"] = {**TAGS, "Tier": "public", "CostCentre": "42"}
    result, _ = call_main(module, args, capsys)
    assert result["changed"] is True
    assert result["diff"]["after"]["test-public"]["tags"]["CostCentre"] == "42"
    assert set(result["diff"]["after"]) == {"test-public"}
    assert described(vpc)["test-public"][2]["CostCentre"] == "42"
    assert len(described(vpc)) == 3


def test_strays_are_put_back_routes_subnets_and_tags(vpc, capsys):
    first, _ = call_main(module, tables(vpc), capsys)
    ec2, public = vpc["ec2"], first["route_tables"][0]["id"]
    ec2.replace_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=vpc["nat"])
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="192.168.0.0/16", GatewayId=vpc["igw"])
    ec2.create_tags(Resources=[public], Tags=[{"Key": "Stray", "Value": "x"}])
    association = next(a for a in ec2.describe_route_tables(RouteTableIds=[public])["RouteTables"][0]["Associations"]
                       if a.get("SubnetId") == vpc["subnets"][0])
    ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])

    result, _ = call_main(module, tables(vpc), capsys)
    assert result["changed"] is True
    assert described(vpc)["test-public"] == (sorted(vpc["subnets"][:2]), {"0.0.0.0/0": vpc["igw"]},
                                             {**TAGS, "Tier": "public", "Name": "test-public"})
    assert set(result["diff"]["before"]) == {"test-public"}


def test_a_subnet_another_table_serves_moves_across(vpc, capsys):
    call_main(module, tables(vpc), capsys)
    # The second public subnet becomes private: AssociateRouteTable alone would be refused.
    result, code = call_main(module, tables(vpc, public=vpc["subnets"][:1], private=vpc["subnets"][1:3]), capsys)
    assert code == 0 and result["changed"] is True
    state = described(vpc)
    assert state["test-public"][0] == vpc["subnets"][:1]
    assert state["test-private"][0] == sorted(vpc["subnets"][1:3])


def test_subnets_swap_between_two_listed_tables(vpc, capsys):
    call_main(module, tables(vpc), capsys)
    public, private = vpc["subnets"][:2], [vpc["subnets"][2]]
    swapped = [private[0], public[1]], [public[0]]
    result, code = call_main(module, tables(vpc, public=swapped[0], private=swapped[1]), capsys)
    assert code == 0, result
    state = described(vpc)
    assert state["test-public"][0] == sorted(swapped[0]) and state["test-private"][0] == swapped[1]


def test_a_route_to_a_nat_gateway_not_yet_known_is_retried(vpc, capsys, monkeypatch):
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.route_tables import RouteBackend

    original, refusals = RouteBackend.create_route, []

    def create_route(self, *args, **kwargs):
        if kwargs.get("nat_gateway_id") and not refusals:
            refusals.append(kwargs["nat_gateway_id"])
            raise EC2ClientError("InvalidNatGatewayID.NotFound", f"The natGateway ID '{kwargs['nat_gateway_id']}' does not exist")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RouteBackend, "create_route", create_route)
    monkeypatch.setattr(module, "retry_while", lambda call, code, fragment, timeout: _once_more(call, code))
    result, code = call_main(module, tables(vpc), capsys)
    assert code == 0 and refusals == [vpc["nat"]]
    assert described(vpc)["test-private"][1] == {"0.0.0.0/0": vpc["nat"]}


def test_a_new_table_not_yet_known_is_retried(vpc, capsys, monkeypatch):
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.route_tables import RouteBackend

    original, refusals = RouteBackend.associate_route_table, []

    def associate_route_table(self, route_table_id, *args, **kwargs):
        if not refusals:
            refusals.append(route_table_id)
            raise EC2ClientError("InvalidRouteTableID.NotFound", f"The routeTable ID '{route_table_id}' does not exist")
        return original(self, route_table_id, *args, **kwargs)

    monkeypatch.setattr(RouteBackend, "associate_route_table", associate_route_table)
    monkeypatch.setattr(module, "retry_while", lambda call, code, fragment, timeout: _once_more(call, code))
    result, code = call_main(module, tables(vpc), capsys)
    assert code == 0 and refusals == [result["route_tables"][0]["id"]]
    assert described(vpc)["test-public"][0] == sorted(vpc["subnets"][:2])


def _once_more(call, code):
    """retry_while without its 5 s sleep: one retry of ``code``."""
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - re-raised unless it is the awaited code
        if getattr(error, "response", {}).get("Error", {}).get("Code") != code:
            raise
        return call()


def test_other_errors_fail_naming_the_table(vpc, capsys):
    args = tables(vpc)
    args["route_tables"][1]["routes"] = [{"dest": "10.7.0.0/99", "nat_gateway_id": vpc["nat"]}]
    result, code = call_main(module, args, capsys)
    assert code == 1 and "route 10.7.0.0/99 in route table test-private" in result["msg"]
    assert "InvalidParameterValue" in result["msg"]


@pytest.mark.parametrize("change, message", [
    (lambda a: a["route_tables"][0]["routes"].append({"dest": "0.0.0.0/0", "gateway_id": "igw-1"}),
     "two routes for 0.0.0.0/0"),
    (lambda a: a["route_tables"][0]["routes"].append({"dest": "10.8.0.0/16"}), "exactly one of"),
    (lambda a: a["route_tables"][0]["routes"].append({"dest": "10.8.0.0/16", "gateway_id": "igw-1",
                                                     "nat_gateway_id": "nat-1"}), "exactly one of"),
    # In the last table: nothing of the tables before it may have been created.
    (lambda a: a["route_tables"][2].setdefault("routes", []).append({"dest": "10.8.0.0/16"}), "exactly one of"),
    (lambda a: a["route_tables"][1].update(name="test-public"), "names must be unique"),
    (lambda a: a["route_tables"][1]["subnets"].append(a["route_tables"][0]["subnets"][0]), "listed twice"),
])
def test_wrong_input_is_refused_before_any_change(vpc, capsys, change, message):
    args = tables(vpc)
    change(args)
    result, code = call_main(module, args, capsys)
    assert code == 1 and message in result["msg"]
    assert described(vpc) == {}


def test_two_tables_of_one_name_are_refused(vpc, capsys):
    ec2 = vpc["ec2"]
    for _ in range(2):
        ec2.create_route_table(VpcId=vpc["id"], TagSpecifications=[
            {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "test-public"}]}])
    result, code = call_main(module, tables(vpc), capsys)
    assert code == 1 and "Two route tables of the VPC are named test-public" in result["msg"]


def test_tables_not_listed_and_the_main_table_are_left_alone(vpc, capsys):
    ec2 = vpc["ec2"]
    other = ec2.create_route_table(VpcId=vpc["id"], TagSpecifications=[
        {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "someone-else"}]}])["RouteTable"]
    ec2.create_route(RouteTableId=other["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=vpc["igw"])
    call_main(module, tables(vpc), capsys)
    assert described(vpc)["someone-else"][1] == {"0.0.0.0/0": vpc["igw"]}
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["id"]]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    assert len(main) == 1 and [r["Origin"] for r in main[0]["Routes"]] == ["CreateRouteTable"]


def test_a_listed_table_without_the_owner_tags_is_not_adopted(vpc, capsys):
    ec2 = vpc["ec2"]
    stranger = ec2.create_route_table(VpcId=vpc["id"], TagSpecifications=[
        {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "test-private"},
                                                 {"Key": "Project", "Value": "credlink"},
                                                 {"Key": "Environment", "Value": "other"}]}])["RouteTable"]
    result, code = call_main(module, tables(vpc, owner_tags=TAGS), capsys)
    assert code == 1
    assert (f"Route table test-private ({stranger['RouteTableId']}) lacks the tags {{'Environment': 'test'}}"
            in result["msg"])
    # Refused before any change: not even the tables listed before it were created.
    assert set(described(vpc)) == {"test-private"}
    untouched = {"Name": "test-private", "Project": "credlink", "Environment": "other"}
    assert described(vpc)["test-private"] == ([], {}, untouched)


def test_tables_of_the_stack_are_adopted_with_owner_tags(vpc, capsys):
    assert call_main(module, tables(vpc), capsys)[1] == 0
    result, code = call_main(module, tables(vpc, owner_tags=TAGS), capsys)
    assert code == 0 and result["changed"] is False
