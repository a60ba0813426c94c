"""IAM propagation: a role created seconds ago cannot yet be assumed by an AWS service.

IAM is eventually consistent: "Any changes that you make in IAM ... take time to become
visible from all possible endpoints" (IAM User Guide, "Changes that I make are not always
immediately visible", https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
AWS publishes no number; a new role is typically assumable after 10-20 s, and the AWS
Terraform provider retries for up to 2 minutes (``iamPropagationTimeout``). While the role
(or the policy attached to it) is younger than the ``iam`` delay, or when its trust policy
does not name the service:

- CreateFlowLogs with ``DeliverLogsPermissionArn`` answers ``InvalidParameter``
  "Unable to assume given IAM role: '<arn>'" (hashicorp/terraform-provider-aws#29323);
- CreateDBInstance / ModifyDBInstance with ``MonitoringRoleArn`` answer
  ``InvalidParameterValue`` "IAM role ARN value is invalid or does not include the required
  permissions for: ENHANCED_MONITORING" (hashicorp/terraform#5455,
  claranet/terraform-aws-aurora#23: the policy attached seconds ago counts too);
- ECS cannot start the tasks of a task definition whose execution or task role is that new
  (``deployments`` writes AWS's service event and retries until the role is usable).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from .clock import Context

FLOW_LOGS = "vpc-flow-logs.amazonaws.com"
ENHANCED_MONITORING = "monitoring.rds.amazonaws.com"
ECS_TASKS = "ecs-tasks.amazonaws.com"
FLOW_LOGS_MESSAGE = "Unable to assume given IAM role: '{arn}'"
MONITORING_MESSAGE = ("IAM role ARN value is invalid or does not include the required permissions for: "
                      "ENHANCED_MONITORING")
POLICIES = "_credlink_policies"


def find_role(arn: str):
    """The role an ARN names, or None (wrong account, deleted, never created)."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import PARTITION_NAMES

    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    account = parts[4]
    if account not in dict.keys(iam_backends):
        return None
    for partition in PARTITION_NAMES:
        backend = dict.get(iam_backends[account], partition)
        if backend is None:
            continue
        for role in backend.roles.values():
            if role.arn == arn:
                return role
    return None


def trusts(role, principal: str) -> bool:
    """The role's trust policy lets ``principal`` (a service) call sts:AssumeRole."""
    try:
        document = json.loads(role.assume_role_policy_document)
    except (TypeError, ValueError):
        return False
    statements = document.get("Statement", [])
    for statement in [statements] if isinstance(statements, dict) else statements:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        services = (statement.get("Principal") or {})
        services = services.get("Service", []) if isinstance(services, dict) else []
        services = [services] if isinstance(services, str) else services
        if (statement.get("Effect") == "Allow" and principal in services
                and any(action in ("sts:AssumeRole", "sts:*", "*") for action in actions)):
            return True
    return False


def policies_ready_at(role, context: Context) -> float | None:
    """When the role's oldest attached policy has propagated; None without any policy."""
    stamps = getattr(role, POLICIES, None)
    if stamps is None:  # attached before realism knew the role (or by moto itself)
        return context.now() if (role.managed_policies or role.policies) else None
    if not stamps:
        return None
    return min(stamps.values()) + context.delay("iam")


def ready_at(arn: str, principal: str, context: Context, need_policy: bool = False) -> float | None:
    """When the service ``principal`` can assume ``arn``; None if it never will as things stand."""
    role = find_role(arn)
    if role is None or not trusts(role, principal):
        return None
    ready = context.ready_at(role, "iam")
    if need_policy:
        policies = policies_ready_at(role, context)
        if policies is None:
            return None
        ready = max(ready, policies)
    return ready


def assumable(arn: str, principal: str, context: Context, need_policy: bool = False) -> bool:
    ready = ready_at(arn, principal, context, need_policy)
    return ready is not None and ready <= context.now()


def _stamp_roles(context: Context) -> None:
    from moto.iam.models import IAMBackend

    def stamped(method: Callable) -> Callable:
        def wrapper(self, *args, **kwargs):
            role = method(self, *args, **kwargs)
            context.stamp(role)
            setattr(role, POLICIES, {})
            return role
        return wrapper

    def policy_change(method: Callable, attach: bool, key: Callable) -> Callable:
        def wrapper(self, *args, **kwargs):
            result = method(self, *args, **kwargs)
            role_name, name = key(*args, **kwargs)
            role = self.get_role(role_name)
            stamps = getattr(role, POLICIES, None)
            if stamps is None:
                stamps = {}
                setattr(role, POLICIES, stamps)
            if attach:
                stamps[name] = context.now()
            else:
                stamps.pop(name, None)
            return result
        return wrapper

    IAMBackend.create_role = stamped(IAMBackend.create_role)
    IAMBackend.attach_role_policy = policy_change(
        IAMBackend.attach_role_policy, True, lambda policy_arn, role_name: (role_name, policy_arn))
    IAMBackend.detach_role_policy = policy_change(
        IAMBackend.detach_role_policy, False, lambda policy_arn, role_name: (role_name, policy_arn))
    IAMBackend.put_role_policy = policy_change(
        IAMBackend.put_role_policy, True, lambda role_name, policy_name, policy_json: (role_name, policy_name))
    IAMBackend.delete_role_policy = policy_change(
        IAMBackend.delete_role_policy, False, lambda role_name, policy_name: (role_name, policy_name))


def _check_flow_logs(context: Context) -> None:
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.flow_logs import FlowLogsBackend

    original = FlowLogsBackend.create_flow_logs

    def create_flow_logs(self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn,
                         log_destination_type, log_destination, log_group_name, log_format,
                         max_aggregation_interval):
        if deliver_logs_permission_arn and log_destination_type in (None, "cloud-watch-logs"):
            if not assumable(deliver_logs_permission_arn, FLOW_LOGS, context):
                raise EC2ClientError("InvalidParameter", FLOW_LOGS_MESSAGE.format(arn=deliver_logs_permission_arn))
        return original(self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn,
                        log_destination_type, log_destination, log_group_name, log_format, max_aggregation_interval)

    FlowLogsBackend.create_flow_logs = create_flow_logs


def _check_monitoring_role(context: Context) -> None:
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import RDSBackend

    def check(arn: str | None) -> None:
        if arn and not assumable(arn, ENHANCED_MONITORING, context, need_policy=True):
            raise RDSClientError("InvalidParameterValue", MONITORING_MESSAGE)

    original_create = RDSBackend.create_db_instance
    original_modify = RDSBackend.modify_db_instance

    def create_db_instance(self, db_kwargs):
        if int(db_kwargs.get("monitoring_interval") or 0) > 0:
            check(db_kwargs.get("monitoring_role_arn"))
        return original_create(self, db_kwargs)

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        if db_kwargs.get("monitoring_role_arn"):
            interval = db_kwargs.get("monitoring_interval")
            if interval is None:
                interval = self.describe_db_instances(db_instance_identifier)[0].monitoring_interval
            if int(interval or 0) > 0:
                check(db_kwargs.get("monitoring_role_arn"))
        return original_modify(self, db_instance_identifier, db_kwargs)

    RDSBackend.create_db_instance = create_db_instance
    RDSBackend.modify_db_instance = modify_db_instance


def install(context: Context) -> None:
    _stamp_roles(context)
    _check_flow_logs(context)
    _check_monitoring_role(context)
