"""Eventual consistency of new ids: a NAT gateway seconds old is unknown to CreateRoute.

"If you run a command to modify or describe the resource that you just created, its ID might
not have propagated throughout the system, and you will get an error responding that the
resource does not exist" (Amazon EC2 API, "Eventual consistency",
https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html). For NAT gateways
CreateRoute answers ``InvalidNatGatewayID.NotFound`` "The natGateway ID 'nat-...' does not
exist" and the retry seconds later works (boto/boto3#779). AWS recommends backing off from
"a couple of seconds ... up to a few minutes". CreateRoute and ReplaceRoute with a NAT
gateway younger than the ``ids`` delay fail that way.
"""

from __future__ import annotations

import inspect

from .clock import Context

MESSAGE = "The natGateway ID '{id}' does not exist"


def _stamp_nat_gateways(context: Context) -> None:
    from moto.ec2.models.nat_gateways import NatGatewayBackend

    original = NatGatewayBackend.create_nat_gateway

    def create_nat_gateway(self, *args, **kwargs):
        gateway = original(self, *args, **kwargs)
        context.stamp(gateway)
        return gateway

    NatGatewayBackend.create_nat_gateway = create_nat_gateway


def _check_routes(context: Context) -> None:
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.route_tables import RouteBackend

    def check(backend, nat_gateway_id: str | None) -> None:
        gateway = backend.nat_gateways.get(nat_gateway_id) if nat_gateway_id else None
        if gateway is not None and context.young(gateway, "ids"):
            raise EC2ClientError("InvalidNatGatewayID.NotFound", MESSAGE.format(id=nat_gateway_id))

    for name in ("create_route", "replace_route"):
        original = getattr(RouteBackend, name)
        signature = inspect.signature(original)

        def checked(self, *args, _original=original, _signature=signature, **kwargs):
            check(self, _signature.bind(self, *args, **kwargs).arguments.get("nat_gateway_id"))
            return _original(self, *args, **kwargs)

        setattr(RouteBackend, name, checked)


def install(context: Context) -> None:
    _stamp_nat_gateways(context)
    _check_routes(context)
