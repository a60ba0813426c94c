"""Read what the container platform and monitoring layers built, straight from the emulator."""

from __future__ import annotations

import json


def group(emulator, name: str) -> dict:
    [found] = emulator.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    return found


def task_definition(emulator, env: str) -> dict:
    ecs = emulator.client("ecs")
    service = service_of(emulator, env)
    return ecs.describe_task_definition(taskDefinition=service["taskDefinition"], include=["TAGS"])


def service_of(emulator, env: str) -> dict:
    [service] = emulator.client("ecs").describe_services(
        cluster=f"credlink-{env}-cluster", services=[f"credlink-{env}-service"], include=["TAGS"])["services"]
    return service


def scalable_target(emulator, env: str) -> dict:
    [target] = emulator.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/credlink-{env}-cluster/credlink-{env}-service"])["ScalableTargets"]
    return target


def alarms(emulator, env: str) -> dict[str, dict]:
    found = emulator.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"credlink-{env}-")["MetricAlarms"]
    return {a["AlarmName"]: a for a in found}


def role_policy(emulator, role: str) -> dict:
    iam = emulator.client("iam")
    [name] = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    return json.loads(document) if isinstance(document, str) else document
