"""Eventual consistency of new ids: a NAT gateway or security group seconds old is unknown.

"If you run a command to modify or describe the resource that you just created, its ID might
not have propagated throughout the system, and you will get an error responding that the
resource does not exist" (Amazon EC2 API, "Eventual consistency",
https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html). For NAT gateways
CreateRoute answers ``InvalidNatGatewayID.NotFound`` "The natGateway ID 'nat-...' does not
exist" and the retry seconds later works (boto/boto3#779). AWS recommends backing off from
"a couple of seconds ... up to a few minutes". CreateRoute and ReplaceRoute with a NAT
gateway younger than the ``ids`` delay fail that way.

Security groups the same: a group created moments ago is answered ``InvalidGroup.NotFound``
"The security group 'sg-...' does not exist" when it is described by id or its rules are
changed (ansible/ansible#7850 "ec2_group occasionally fails with InvalidGroup.NotFound";
SUSE-Enceladus/ec2imgutils#77, AuthorizeSecurityGroupIngress right after
CreateSecurityGroup, with that message). DescribeSecurityGroups with ``GroupIds`` and
Authorize/RevokeSecurityGroupIngress/Egress on a group younger than the ``ids`` delay fail
that way, and a filtered DescribeSecurityGroups leaves it out: "can't query security groups
when security groups is under creating", so creating it again answers ``InvalidGroup.Duplicate``
(skypilot-org/skypilot#4584). Only the API answers change: moto's own lookups (ECS, ELB, tags,
the duplicate check) see the group, as nothing documents what those services answer for a
group seconds old. A VPC's default group, which AWS creates with the VPC, is not held back.
"""

from __future__ import annotations

import inspect

from .clock import Context

MESSAGE = "The natGateway ID '{id}' does not exist"
GROUP_MESSAGE = "The security group '{id}' does not exist"


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


def _stamp_security_groups(context: Context) -> None:
    from moto.ec2.models.security_groups import SecurityGroupBackend

    original = SecurityGroupBackend.create_security_group

    def create_security_group(self, *args, **kwargs):
        group = original(self, *args, **kwargs)
        if not group.is_default:
            context.stamp(group)
        return group

    SecurityGroupBackend.create_security_group = create_security_group


def _check_security_group_calls(context: Context) -> None:
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.responses.security_groups import SecurityGroups

    def check(response, group_ids) -> None:
        for group_id in group_ids:
            group = response.ec2_backend.get_security_group_from_id(group_id) if group_id else None
            if group is not None and context.young(group, "ids"):
                raise EC2ClientError("InvalidGroup.NotFound", GROUP_MESSAGE.format(id=group_id))

    describe = SecurityGroups.describe_security_groups

    def describe_security_groups(self):
        group_ids = self._get_param("GroupIds", [])
        check(self, group_ids)
        answer = describe(self)
        if not group_ids:
            groups = answer.result["SecurityGroups"]
            answer.result["SecurityGroups"] = [group for group in groups if not context.young(group, "ids")]
        return answer

    SecurityGroups.describe_security_groups = describe_security_groups
    for name in ("authorize_security_group_ingress", "authorize_security_group_egress",
                 "revoke_security_group_ingress", "revoke_security_group_egress"):
        original = getattr(SecurityGroups, name)

        def checked(self, _original=original):
            check(self, [self._get_param("GroupId")])
            return _original(self)

        setattr(SecurityGroups, name, checked)


def install(context: Context) -> None:
    _stamp_nat_gateways(context)
    _check_routes(context)
    _stamp_security_groups(context)
    _check_security_group_calls(context)
