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


def live_tagged_resources(emulator, env: str) -> list[str]:
    """ARNs tagged for the environment that still exist.

    The tagging API also lists what AWS keeps visible after deletion for a while: NAT
    gateways in state ``deleted`` and inactive ECS clusters, services and task definition
    revisions. Those are asked about and left out.
    """
    tagging = emulator.client("resourcegroupstaggingapi")
    pages = tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "Environment", "Values": [env]}, {"Key": "Project", "Values": ["credlink"]}])
    ecs, ec2 = emulator.client("ecs"), emulator.client("ec2")
    live = []
    for arn in sorted(r["ResourceARN"] for page in pages for r in page["ResourceTagMappingList"]):
        if ":natgateway/" in arn:
            [nat] = ec2.describe_nat_gateways(NatGatewayIds=[arn.rsplit("/", 1)[1]])["NatGateways"]
            if nat["State"] == "deleted":
                continue
        elif ":ecs:" in arn and ":cluster/" in arn:
            if all(c["status"] == "INACTIVE" for c in ecs.describe_clusters(clusters=[arn])["clusters"]):
                continue
        elif ":ecs:" in arn and ":service/" in arn:
            cluster = arn.split(":service/")[1].split("/")[0]
            if all(s["status"] == "INACTIVE" for s in ecs.describe_services(cluster=cluster, services=[arn])["services"]):
                continue
        elif ":ecs:" in arn and ":task-definition/" in arn:
            if ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["status"] == "INACTIVE":
                continue
        live.append(arn)
    return live


def push(emulator, env: str, tag: str) -> None:
    """What `docker push` leaves in the environment's repository: a manifest under the tag."""
    layer = {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1,
             "digest": "sha256:" + "0" * 64}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {**layer, "mediaType": "application/vnd.docker.container.image.v1+json"}, "layers": [layer]}
    emulator.client("ecr").put_image(repositoryName=f"credlink-{env}-sign-service",
                                     imageManifest=json.dumps(manifest), imageTag=tag)
