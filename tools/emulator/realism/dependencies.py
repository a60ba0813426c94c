"""What keeps a security group or a subnet from being deleted.

moto deletes both whatever still uses them. AWS refuses with ``DependencyViolation``:

- DeleteSecurityGroup while a network interface uses the group (lingering service ENIs
  included, see ``enis``) or another group's rule references it: "resource sg-... has a
  dependent object" (terraform-aws-modules/terraform-aws-security-group#190,
  hashicorp/terraform-provider-aws#1671; references from other groups' rules:
  gruntwork-io/cloud-nuke#726);
- DeleteSubnet while a network interface is in it: "The subnet 'subnet-...' has dependencies
  and cannot be deleted." (chef-boneyard/chef-provisioning-aws#498,
  terraform-aws-modules/terraform-aws-vpc#1081; giantswarm/aws-operator#109: it works "by
  hand without problems afterwards", once the ENIs are gone).
"""

from __future__ import annotations

from .clock import Context
from . import enis

GROUP_IN_USE = "resource {id} has a dependent object"
SUBNET_IN_USE = "The subnet '{id}' has dependencies and cannot be deleted."


def group_users(ec2, group_id: str) -> list[str]:
    """Network interfaces and other groups that keep ``group_id`` from being deleted."""
    users = [eni.id for eni in ec2.enis.values() if any(g.id == group_id for g in eni._group_set)]
    for groups in ec2.groups.values():
        for group in groups.values():
            if group.id == group_id:
                continue
            for rule in [*group.ingress_rules, *group.egress_rules]:
                if (rule.source_group or {}).get("GroupId") == group_id:
                    users.append(group.id)
    return users


def subnet_users(ec2, subnet_id: str) -> list[str]:
    return [eni.id for eni in ec2.enis.values() if eni.subnet is not None and eni.subnet.id == subnet_id]


def _patch(context: Context) -> None:
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models.security_groups import SecurityGroupBackend
    from moto.ec2.models.subnets import SubnetBackend

    original_group = SecurityGroupBackend.delete_security_group
    original_subnet = SubnetBackend.delete_subnet

    def delete_security_group(self, name=None, group_id=None):
        enis.sync(context)
        group = self.get_security_group_by_name_or_id(group_id or name) if (group_id or name) else None
        if group is not None and group_users(self, group.id):
            raise DependencyViolationError(GROUP_IN_USE.format(id=group.id))
        return original_group(self, name=name, group_id=group_id)

    def delete_subnet(self, subnet_id):
        enis.sync(context)
        if subnet_users(self, subnet_id):
            raise DependencyViolationError(SUBNET_IN_USE.format(id=subnet_id))
        return original_subnet(self, subnet_id)

    SecurityGroupBackend.delete_security_group = delete_security_group
    SubnetBackend.delete_subnet = delete_subnet


def install(context: Context) -> None:
    _patch(context)
