"""A subnet is served by one route table: AssociateRouteTable refuses a subnet another table holds.

moto answers AssociateRouteTable for a subnet that another table already serves with that
table's association id, as if the call had succeeded, and the subnet stays where it was. AWS
refuses it: "Resource.AlreadyAssociated: the specified association for route table rtb-...
conflicts with an existing association" (hashicorp/terraform-provider-aws#38960, #73). Moving
a subnet takes ReplaceRouteTableAssociation.
"""

from __future__ import annotations

from .clock import Context

MESSAGE = "the specified association for route table {id} conflicts with an existing association"


def refusing(original):
    """``RouteBackend.associate_route_table`` that refuses a subnet another table serves."""
    from moto.ec2.exceptions import EC2ClientError

    def associate_route_table(self, route_table_id, gateway_id=None, subnet_id=None):
        if subnet_id is not None:
            for table in self.route_tables.values():
                if table.id != route_table_id and subnet_id in table._associations.values():
                    raise EC2ClientError("Resource.AlreadyAssociated", MESSAGE.format(id=route_table_id))
        return original(self, route_table_id, gateway_id=gateway_id, subnet_id=subnet_id)

    return associate_route_table


def install(context: Context) -> None:
    from moto.ec2.models.route_tables import RouteBackend

    RouteBackend.associate_route_table = refusing(RouteBackend.associate_route_table)
