"""Service-linked roles: a fresh account has no ``AWSServiceRoleForECS``.

AWS creates the ECS service-linked role on the first CreateCluster ("Amazon ECS attempts to
create the Amazon ECS service-linked role for your account", ECS API reference, CreateCluster,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html), but the
new role is not usable at once: in a fresh account CreateCluster with capacity providers
answers ``InvalidParameterException`` "Unable to assume the service linked role. Please
verify that the ECS service linked role exists." and the same call succeeds on a later
attempt (aws-samples/baseline-environment-on-aws#238,
aws-cloudformation/cloudformation-coverage-roadmap#818: "Recreating the stack succeeds").
CreateService answers the same while the role is missing or new
(aws-samples/aws-modern-application-workshop#69).

``iam:CreateServiceLinkedRole`` creates the role under AWS's name (``AWSServiceRoleForECS``;
moto names it ``AWSServiceRoleForecs``) and, when it exists, answers ``InvalidInput``
"Service role name AWSServiceRoleForECS has been taken in this account, please try a
different suffix." (Rayraegah/terraform-aws-hasura#17). A role created either way is usable
after the ``slr`` delay (IAM propagation: seconds, no published figure).
"""

from __future__ import annotations

import json

from .clock import Context

ECS = "ecs.amazonaws.com"
ECS_ROLE = "AWSServiceRoleForECS"
# AWS's names where moto's generic naming differs (IAM User Guide, "AWS services that work with IAM").
ROLE_NAMES = {ECS: ECS_ROLE}
UNUSABLE = "Unable to assume the service linked role. Please verify that the ECS service linked role exists."
TAKEN = "Service role name {name} has been taken in this account, please try a different suffix."


def _iam(account_id: str, region: str):
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    return iam_backends[account_id][get_partition(region)]


def find(iam, name: str):
    return next((role for role in iam.roles.values() if role.name == name), None)


def _create_service_linked_role(context: Context) -> None:
    from moto.iam.exceptions import InvalidInput
    from moto.iam.models import IAMBackend

    original = IAMBackend.create_service_linked_role

    def create_service_linked_role(self, service_name, description, suffix):
        name = ROLE_NAMES.get(service_name)
        if name is None:
            role = original(self, service_name, description, suffix)
            name = role.name
            return role
        if suffix:
            name = f"{name}_{suffix}"
        if find(self, name) is not None:
            raise InvalidInput(TAKEN.format(name=name))
        trust = {"Version": "2012-10-17", "Statement": [
            {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": [service_name]}}]}
        return self.create_role(name, json.dumps(trust), f"/aws-service-role/{service_name}/",
                                permissions_boundary=None, description=description or "", tags=[],
                                max_session_duration="3600", linked_service=service_name)

    IAMBackend.create_service_linked_role = create_service_linked_role


def ensure_usable(account_id: str, region: str, context: Context) -> None:
    """Raise ECS's error unless the ECS service-linked role exists and has propagated.

    As on AWS, a missing role is created now, in the background: a retry after the delay works.
    """
    from moto.ecs.exceptions import InvalidParameterException

    iam = _iam(account_id, region)
    role = find(iam, ECS_ROLE)
    if role is None:
        iam.create_service_linked_role(ECS, "Role to enable Amazon ECS to manage your cluster.", "")
        raise InvalidParameterException(UNUSABLE)
    if context.young(role, "slr"):
        raise InvalidParameterException(UNUSABLE)


def _check_ecs(context: Context) -> None:
    from moto.ecs.models import EC2ContainerServiceBackend

    original_cluster = EC2ContainerServiceBackend.create_cluster
    original_service = EC2ContainerServiceBackend.create_service

    def create_cluster(self, cluster_name, tags=None, cluster_settings=None, configuration=None,
                       capacity_providers=None, default_capacity_provider_strategy=None,
                       service_connect_defaults=None):
        if capacity_providers:
            ensure_usable(self.account_id, self.region_name, context)
        elif find(_iam(self.account_id, self.region_name), ECS_ROLE) is None:
            _iam(self.account_id, self.region_name).create_service_linked_role(ECS, "", "")
        return original_cluster(self, cluster_name, tags, cluster_settings, configuration, capacity_providers,
                                default_capacity_provider_strategy,
                                service_connect_defaults=service_connect_defaults)

    def create_service(self, cluster_str, service_name, *args, **kwargs):
        self._get_cluster(cluster_str)  # ClusterNotFoundException first, as on AWS
        ensure_usable(self.account_id, self.region_name, context)
        return original_service(self, cluster_str, service_name, *args, **kwargs)

    EC2ContainerServiceBackend.create_cluster = create_cluster
    EC2ContainerServiceBackend.create_service = create_service


def install(context: Context) -> None:
    _create_service_linked_role(context)
    _check_ecs(context)
