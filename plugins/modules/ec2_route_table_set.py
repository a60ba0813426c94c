#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_route_table_set
short_description: Keep a VPC's named route tables, their routes, subnets and tags as listed, in one call
version_added: 0.1.0
description:
  - Reads every route table of the VPC once, then creates each listed table that is missing
    and brings its IPv4 routes, its subnet associations and its tags in line with the list.
  - A table is found by its C(Name) tag alone, so changing another tag updates the table
    instead of creating a second one (unlike M(amazon.aws.ec2_vpc_route_table) with
    C(lookup=tag), which matches on all the tags given).
  - One call for all the tables, without the 5 second pause
    M(amazon.aws.ec2_vpc_route_table) makes after each change.
  - Tables of the VPC that are not listed are left alone.
options:
  vpc_id:
    description: The VPC of the tables.
    type: str
    required: true
  route_tables:
    description: The tables, each named by its C(Name) tag.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Value of the table's C(Name) tag; unique among the VPC's tables.
        type: str
        required: true
      subnets:
        description:
          - Ids of the subnets the table serves. A subnet another table serves is moved to
            this one (ReplaceRouteTableAssociation); subnets this table serves that are not
            listed go back to the VPC's main table.
        type: list
        elements: str
        default: []
      routes:
        description:
          - The table's IPv4 routes besides the local one. Each has C(dest) (a CIDR block) and
            exactly one of C(gateway_id) or C(nat_gateway_id).
          - Routes to other IPv4 destinations that were added by CreateRoute are removed.
            The local route, propagated routes, IPv6 routes and prefix-list routes
            (gateway VPC endpoints) are left alone.
        type: list
        elements: dict
        default: []
      tags:
        description: Tags of the table; C(Name) is set from O(route_tables[].name).
        type: dict
        default: {}
  purge_tags:
    description: Remove the tags that are not in O(route_tables[].tags). Tags starting with C(aws:) are never removed.
    type: bool
    default: true
  owner_tags:
    description:
      - The tags that make a table this set's (for the stack, C(Project), C(Environment) and
        C(ManagedBy)). A listed table that exists without all of them, with these values, is
        not adopted; the module then fails before changing any table, naming each.
      - Empty (the default) adopts every table of a listed name.
    type: dict
    default: {}
  consistency_timeout:
    description:
      - For how many seconds to keep trying a route to a NAT gateway EC2 does not know yet.
      - A NAT gateway created seconds earlier can be unknown to CreateRoute
        (C(InvalidNatGatewayID.NotFound)) while its id propagates.
    type: int
    default: 120
notes:
  - In check mode a table that would be created has an empty C(id).
  - A route whose target is gone (state C(blackhole)) is replaced when the list names another
    target for its destination.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Public table to the internet gateway, private table to the NAT gateway, isolated database table
  credlink.infra.ec2_route_table_set:
    vpc_id: vpc-0123456789abcdef0
    route_tables:
      - name: credlink-production-public-rt
        subnets: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
        routes: [{dest: 0.0.0.0/0, gateway_id: igw-0123456789abcdef0}]
        tags: {Project: credlink, Tier: public}
      - name: credlink-production-private-rt-us-east-1a
        subnets: [subnet-0123456789abcdef2]
        routes: [{dest: 0.0.0.0/0, nat_gateway_id: nat-0123456789abcdef0}]
        tags: {Project: credlink, Tier: private}
      - name: credlink-production-database-rt
        subnets: [subnet-0123456789abcdef3]
        tags: {Project: credlink, Tier: database}
"""

RETURN = r"""
route_tables:
  description: The listed tables as this run left them (in check mode, as it would leave them), in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The C(Name) tag.
      type: str
    id:
      description: Route table id; empty in check mode for a table that would be created.
      type: str
      sample: rtb-0123456789abcdef0
    subnets:
      description: Ids of the subnets associated with the table, sorted.
      type: list
      elements: str
    routes:
      description: The managed IPv4 routes, sorted by destination.
      type: list
      elements: dict
      sample: [{dest: 0.0.0.0/0, nat_gateway_id: nat-0123456789abcdef0}]
    tags:
      description: Tags.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY, fail_on_aws_error, retry_while
from ansible_collections.credlink.infra.plugins.module_utils.network import describe_all
from ansible_collections.credlink.infra.plugins.module_utils.sync import desired_tags, missing_owner_tags, retag

TARGETS = ("gateway_id", "nat_gateway_id")
DESCRIBED_TARGETS = (("NatGatewayId", "nat_gateway_id"), ("GatewayId", "gateway_id"),
                     *((key, "target") for key in ("TransitGatewayId", "VpcPeeringConnectionId", "NetworkInterfaceId",
                                                   "InstanceId", "LocalGatewayId", "CarrierGatewayId",
                                                   "EgressOnlyInternetGatewayId", "CoreNetworkArn")))
# CreateRoute to a NAT gateway seconds old: "InvalidNatGatewayID.NotFound: The natGateway ID
# 'nat-...' does not exist" until the id propagates (boto/boto3#779; EC2 developer guide,
# "Eventual consistency").
NAT_UNSEEN = ("InvalidNatGatewayID.NotFound", "does not exist")
# Routes and associations of a table created a moment ago can answer "InvalidRouteTableID.NotFound:
# The routeTable ID 'rtb-...' does not exist", intermittently (hashicorp/terraform#7104, retried
# since hashicorp/terraform#7156).
TABLE_UNSEEN = ("InvalidRouteTableID.NotFound", "does not exist")


def managed(route):
    """Whether a described route is one this module owns: an IPv4 route added by CreateRoute.

    LocalStack reports routes without ``Origin``; there the local route is told by its target.
    """
    return ("DestinationCidrBlock" in route and route.get("GatewayId") != "local"
            and route.get("Origin", "CreateRoute") == "CreateRoute")


def route_of(route):
    """A described route in the module's terms: its destination and its one target.

    A target the module does not set (peering, transit gateway...) is kept as ``target``, so
    that the route is replaced or removed like any other that is not listed.
    """
    for key, option in DESCRIBED_TARGETS:
        if route.get(key):
            return {"dest": route["DestinationCidrBlock"], option: route[key]}
    return {"dest": route["DestinationCidrBlock"], "target": None}


def current_state(table):
    return {
        "id": table["RouteTableId"],
        "subnets": sorted(a["SubnetId"] for a in table.get("Associations", []) if a.get("SubnetId")),
        "routes": sorted((route_of(r) for r in table.get("Routes", []) if managed(r)), key=lambda r: r["dest"]),
        "tags": boto3_tag_list_to_ansible_dict(table.get("Tags", [])),
    }


def check_routes(module, name, routes):
    dests = set()
    for route in routes:
        targets = [key for key in TARGETS if route.get(key)]
        if not route.get("dest") or len(targets) != 1 or set(route) - {"dest", *TARGETS}:
            module.fail_json(msg=f"Route table {name}: each route needs dest and exactly one of "
                                 f"{' or '.join(TARGETS)}, got {route}")
        if route["dest"] in dests:
            module.fail_json(msg=f"Route table {name}: two routes for {route['dest']}")
        dests.add(route["dest"])
    return sorted(({"dest": r["dest"], **{k: r[k] for k in TARGETS if r.get(k)}} for r in routes),
                  key=lambda r: r["dest"])


def index_tables(module, tables):
    """The VPC's tables by Name tag; two tables of one name make every later run ambiguous."""
    by_name = {}
    for table in tables:
        name = boto3_tag_list_to_ansible_dict(table.get("Tags", [])).get("Name")
        if name is None:
            continue
        if name in by_name:
            module.fail_json(msg=f"Two route tables of the VPC are named {name} ({by_name[name]['RouteTableId']}, "
                                 f"{table['RouteTableId']}); delete the stray one before continuing")
        by_name[name] = table
    return by_name


def associations_by_subnet(tables):
    """Subnet id -> (association id, route table id) of every explicit subnet association."""
    return {a["SubnetId"]: (a["RouteTableAssociationId"], a["RouteTableId"])
            for table in tables for a in table.get("Associations", []) if a.get("SubnetId")}


class RouteTables:
    def __init__(self, module):
        self.module = module
        self.client = module.client("ec2", retry_decorator=RETRY)

    def call(self, what, method, unseen=TABLE_UNSEEN, timeout=None, **params):
        """One EC2 call, retried while the ids it names have not propagated yet."""
        timeout = self.module.params["consistency_timeout"] if timeout is None else timeout
        with fail_on_aws_error(self.module, f"Couldn't {what}"):
            return retry_while(lambda: getattr(self.client, method)(aws_retry=True, **params), *unseen, timeout)

    def create(self, name, tags):
        spec = [{"ResourceType": "route-table", "Tags": ansible_dict_to_boto3_tag_list(tags)}]
        answer = self.call(f"create route table {name}", "create_route_table",
                           VpcId=self.module.params["vpc_id"], TagSpecifications=spec)
        return answer["RouteTable"]["RouteTableId"]

    def apply_routes(self, table_id, name, current, desired):
        have = {r["dest"]: r for r in current}
        want = {r["dest"]: r for r in desired}
        for dest, route in want.items():
            if have.get(dest) == route:
                continue
            method = "replace_route" if dest in have else "create_route"
            targets = {"GatewayId": route.get("gateway_id"), "NatGatewayId": route.get("nat_gateway_id")}
            unseen = NAT_UNSEEN if route.get("nat_gateway_id") else TABLE_UNSEEN
            self.call(f"route {dest} in route table {name}", method, unseen=unseen, RouteTableId=table_id,
                      DestinationCidrBlock=dest, **{k: v for k, v in targets.items() if v})
        for dest in have.keys() - want.keys():
            self.call(f"delete route {dest} from route table {name}", "delete_route",
                      RouteTableId=table_id, DestinationCidrBlock=dest)

    def apply_subnets(self, table_id, name, current, desired, held):
        """Associate the ``desired`` subnets; ``held`` (subnet -> (association, table)) is kept current."""
        for subnet in sorted(set(desired) - set(current)):
            if subnet in held:
                # AssociateRouteTable refuses a subnet another table serves: "Resource.AlreadyAssociated:
                # the specified association for route table rtb-... conflicts with an existing
                # association" (hashicorp/terraform-provider-aws#38960). The association moves instead.
                answer = self.call(f"move subnet {subnet} to route table {name}", "replace_route_table_association",
                                   AssociationId=held[subnet][0], RouteTableId=table_id)
                held[subnet] = (answer["NewAssociationId"], table_id)
            else:
                answer = self.call(f"associate subnet {subnet} with route table {name}", "associate_route_table",
                                   RouteTableId=table_id, SubnetId=subnet)
                held[subnet] = (answer["AssociationId"], table_id)
        for subnet in sorted(set(current) - set(desired)):
            # Moved to a table listed earlier in this run: nothing left here to undo.
            if held.get(subnet, (None, None))[1] == table_id:
                self.call(f"disassociate subnet {subnet} from route table {name}", "disassociate_route_table",
                          AssociationId=held.pop(subnet)[0])

    def apply_tags(self, table_id, name, current, wanted):
        retag(current, wanted, self.module.params["purge_tags"],
              untag=lambda keys: self.call(f"untag route table {name}", "delete_tags", Resources=[table_id],
                                           Tags=[{"Key": key} for key in keys]),
              tag=lambda new: self.call(f"tag route table {name}", "create_tags", Resources=[table_id],
                                        Tags=ansible_dict_to_boto3_tag_list(new)))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            vpc_id=dict(type="str", required=True),
            route_tables=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                subnets=dict(type="list", elements="str", default=[]),
                routes=dict(type="list", elements="dict", default=[]),
                tags=dict(type="dict", default={}),
            )),
            purge_tags=dict(type="bool", default=True),
            owner_tags=dict(type="dict", default={}),
            consistency_timeout=dict(type="int", default=120),
        ),
        supports_check_mode=True,
    )
    params = module.params
    names = [table["name"] for table in params["route_tables"]]
    if len(set(names)) != len(names):
        module.fail_json(msg=f"Route table names must be unique, got {names}")
    wanted_subnets = [s for table in params["route_tables"] for s in table["subnets"]]
    if len(set(wanted_subnets)) != len(wanted_subnets):
        module.fail_json(msg="A subnet can be associated with one route table only; "
                             f"{sorted({s for s in wanted_subnets if wanted_subnets.count(s) > 1})} are listed twice")
    # Every table's routes are checked before the first table is changed.
    routes = {table["name"]: check_routes(module, table["name"], table["routes"]) for table in params["route_tables"]}

    aws = RouteTables(module)
    tables = describe_all(aws.client, module, "describe_route_tables", "RouteTables",
                          Filters=[{"Name": "vpc-id", "Values": [params["vpc_id"]]}])
    existing = index_tables(module, tables)
    foreign = {name: missing_owner_tags(existing[name].get("Tags"), params["owner_tags"])
               for name in names if name in existing}
    foreign = {name: missing for name, missing in foreign.items() if missing}
    if foreign:
        module.fail_json(msg="; ".join(
            f"Route table {name} ({existing[name]['RouteTableId']}) lacks the tags {missing} that mark it as this "
            f"stack's; it is neither used nor changed. Delete or rename it, or tag it if it is indeed this stack's"
            for name, missing in sorted(foreign.items())))
    held = associations_by_subnet(tables)

    changed, before, after, results = False, {}, {}, []
    for table in params["route_tables"]:
        name = table["name"]
        found = existing.get(name)
        current = current_state(found) if found else None
        desired = {
            "subnets": sorted(table["subnets"]),
            "routes": routes[name],
            "tags": desired_tags(current["tags"] if current else {}, {**table["tags"], "Name": name},
                                 params["purge_tags"]),
        }
        # compare_aws_tags never removes aws: tags, so neither does the prediction.
        if current:
            desired["tags"].update({k: v for k, v in current["tags"].items() if k.startswith("aws:")})
        shown = {key: current[key] for key in desired} if current else {}
        if shown == desired:
            results.append({"name": name, "id": current["id"], **desired})
            continue

        changed = True
        before[name], after[name] = shown, desired
        table_id = current["id"] if current else ""
        if not module.check_mode:
            if current is None:
                table_id = aws.create(name, desired["tags"])
            else:
                aws.apply_tags(table_id, name, current["tags"], desired["tags"])
            aws.apply_routes(table_id, name, current["routes"] if current else [], desired["routes"])
            aws.apply_subnets(table_id, name, current["subnets"] if current else [], desired["subnets"], held)
        results.append({"name": name, "id": table_id, **desired})

    module.exit_json(changed=changed, route_tables=results, diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
