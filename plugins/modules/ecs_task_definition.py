#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_task_definition
short_description: Register an ECS task definition revision when its content changes
version_added: 0.1.0
description:
  - Compares the wanted task definition with the latest active revision of the family and
    registers a new revision only when they differ; tags of the latest revision are
    updated in place.
  - Unlike C(community.aws.ecs_taskdefinition) a change of task size, execution role or
    network mode registers a new revision, and the revision is tagged.
  - Older revisions are kept so that a deployment can roll back to them.
options:
  family:
    description: Family of the task definition.
    type: str
    required: true
  containers:
    description:
      - Container definitions as the ECS API spells them (C(name), C(image),
        C(portMappings), C(environment), C(secrets), C(logConfiguration), ...).
      - Keys left out are not compared, so defaults AWS adds do not count as changes.
      - Required when O(state=present).
    type: list
    elements: dict
  cpu:
    description: Task CPU units, as a string (C("256")).
    type: str
  memory:
    description: Task memory in MiB, as a string (C("512")).
    type: str
  network_mode:
    description: Docker networking mode; Fargate needs C(awsvpc).
    type: str
    choices: [awsvpc, bridge, host, none]
    default: awsvpc
  requires_compatibilities:
    description: Launch types the task must fit.
    type: list
    elements: str
    default: [FARGATE]
  execution_role_arn:
    description: Role ECS uses to pull the image, write logs and read secrets.
    type: str
  task_role_arn:
    description: Role the application runs as.
    type: str
  state:
    description: C(absent) deregisters every active revision of the family.
    type: str
    choices: [present, absent]
    default: present
notes:
  - In the diff, values of C(secrets) are references (ARNs), never secret values.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Application task, DATABASE_URL read from the secret at start
  credlink.infra.ecs_task_definition:
    family: credlink-production-app
    cpu: "256"
    memory: "512"
    execution_role_arn: "{{ execution_role_arn }}"
    task_role_arn: "{{ task_role_arn }}"
    containers:
      - name: app
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/credlink-production-sign-service:latest
        essential: true
        portMappings: [{containerPort: 3001, protocol: tcp}]
        environment: [{name: PORT, value: "3001"}]
        secrets: [{name: DATABASE_URL, valueFrom: "{{ secret_arn }}:url::"}]
    tags:
      Project: credlink
"""

RETURN = r"""
task_definition:
  description: The revision the family's latest active revision now is.
  returned: when state is present
  type: dict
  contains:
    task_definition_arn:
      description: ARN of the revision.
      type: str
    revision:
      description: Revision number (0 in check mode before the first registration).
      type: int
    containers:
      description: Container definitions as AWS stores them.
      type: list
      elements: dict
    tags:
      description: Tags of the revision.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import diff_for
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.ecs import ecs_tags_from_dict
from ansible_collections.credlink.infra.plugins.module_utils.ecs import ecs_tags_to_dict
from ansible_collections.credlink.infra.plugins.module_utils.ecs import replace_ecs_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import desired_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import tags_argument_spec

NAMED_LISTS = ("environment", "secrets")


def normalize_container(container, network_mode):
    """Fill in the defaults AWS adds, and order lists whose order has no meaning."""
    result = dict(container)
    result.setdefault("essential", True)
    for key in NAMED_LISTS:
        if key in result:
            result[key] = sorted(result[key] or [], key=lambda item: item["name"])
    if "portMappings" in result:
        mappings = []
        for mapping in result["portMappings"] or []:
            mapping = {"protocol": "tcp", **mapping}
            if network_mode == "awsvpc":
                mapping.setdefault("hostPort", mapping["containerPort"])
            mappings.append(mapping)
        result["portMappings"] = sorted(mappings, key=lambda m: (m["containerPort"], m["protocol"]))
    return result


def subset_matches(wanted, actual):
    """Whether every key given in ``wanted`` has the same value in ``actual``."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(subset_matches(v, actual.get(k)) for k, v in wanted.items())
    if isinstance(wanted, list):
        return (isinstance(actual, list) and len(wanted) == len(actual)
                and all(subset_matches(w, a) for w, a in zip(wanted, actual)))
    return wanted == actual or (wanted in (None, [], {}) and actual in (None, [], {}))


def latest_revision(client, module, family):
    try:
        definition = client.describe_task_definition(aws_retry=True, taskDefinition=family, include=["TAGS"])
    except is_boto3_error_code("ClientException"):
        return None
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't describe task definition family {family}")
    task = definition["taskDefinition"]
    if task.get("status") != "ACTIVE":
        return None
    return {
        "task_definition_arn": task["taskDefinitionArn"],
        "family": task["family"],
        "revision": task["revision"],
        "cpu": task.get("cpu"),
        "memory": task.get("memory"),
        "network_mode": task.get("networkMode"),
        "requires_compatibilities": sorted(task.get("requiresCompatibilities") or []),
        "execution_role_arn": task.get("executionRoleArn"),
        "task_role_arn": task.get("taskRoleArn"),
        "containers": [normalize_container(c, task.get("networkMode")) for c in task.get("containerDefinitions") or []],
        "tags": ecs_tags_to_dict(definition.get("tags")),
    }


def content_matches(wanted, current):
    scalar_keys = ("cpu", "memory", "network_mode", "requires_compatibilities", "execution_role_arn", "task_role_arn")
    if any(wanted[key] != current[key] for key in scalar_keys):
        return False
    by_name = {c["name"]: c for c in current["containers"]}
    return (len(wanted["containers"]) == len(current["containers"])
            and all(subset_matches(c, by_name.get(c["name"])) for c in wanted["containers"]))


def register(client, module, wanted):
    kwargs = {
        "family": wanted["family"],
        "containerDefinitions": module.params["containers"],
        "networkMode": wanted["network_mode"],
        "requiresCompatibilities": wanted["requires_compatibilities"],
    }
    for api_key, key in (("cpu", "cpu"), ("memory", "memory"), ("executionRoleArn", "execution_role_arn"),
                         ("taskRoleArn", "task_role_arn")):
        if wanted[key]:
            kwargs[api_key] = wanted[key]
    if wanted["tags"]:
        kwargs["tags"] = ecs_tags_from_dict(wanted["tags"])
    with fail_on_aws_error(module, f"Couldn't register task definition {wanted['family']}"):
        client.register_task_definition(aws_retry=True, **kwargs)


def deregister_family(client, module, family):
    with fail_on_aws_error(module, f"Couldn't deregister task definition family {family}"):
        paginator = client.get_paginator("list_task_definitions")
        arns = [arn for page in paginator.paginate(familyPrefix=family, status="ACTIVE") for arn in page["taskDefinitionArns"]]
        # familyPrefix matches by prefix: keep only this family's revisions.
        arns = [arn for arn in arns if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family]
        if not module.check_mode:
            for arn in arns:
                client.deregister_task_definition(aws_retry=True, taskDefinition=arn)
    return arns


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            family=dict(type="str", required=True),
            containers=dict(type="list", elements="dict"),
            cpu=dict(type="str"),
            memory=dict(type="str"),
            network_mode=dict(type="str", choices=["awsvpc", "bridge", "host", "none"], default="awsvpc"),
            requires_compatibilities=dict(type="list", elements="str", default=["FARGATE"]),
            execution_role_arn=dict(type="str"),
            task_role_arn=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **tags_argument_spec(),
        ),
        required_if=[("state", "present", ["containers"])],
        supports_check_mode=True,
    )
    p = module.params
    client = module.client("ecs", retry_decorator=RETRY)

    if p["state"] == "absent":
        arns = deregister_family(client, module, p["family"])
        module.exit_json(changed=bool(arns), deregistered=arns)

    for container in p["containers"]:
        if not container.get("name") or not container.get("image"):
            module.fail_json(msg="Every container needs a name and an image")
    current = latest_revision(client, module, p["family"])
    wanted = {
        "family": p["family"],
        "cpu": p["cpu"],
        "memory": p["memory"],
        "network_mode": p["network_mode"],
        "requires_compatibilities": sorted(p["requires_compatibilities"]),
        "execution_role_arn": p["execution_role_arn"],
        "task_role_arn": p["task_role_arn"],
        "containers": [normalize_container(c, p["network_mode"]) for c in p["containers"]],
        "tags": desired_tags((current or {}).get("tags", {}), p["tags"], p["purge_tags"]),
    }
    compared = ["cpu", "memory", "network_mode", "requires_compatibilities", "execution_role_arn",
                "task_role_arn", "containers", "tags"]

    if current is not None and content_matches(wanted, current):
        if current["tags"] == wanted["tags"]:
            module.exit_json(changed=False, task_definition=current)
        if not module.check_mode:
            with fail_on_aws_error(module, f"Couldn't update the tags of {current['task_definition_arn']}"):
                replace_ecs_tags(client, current["task_definition_arn"], current["tags"], wanted["tags"])
        after = {**current, "tags": wanted["tags"]}
        module.exit_json(changed=True, task_definition=after, diff=diff_for(current, after, ["tags"]))

    if module.check_mode:
        after = {**wanted, "revision": (current or {}).get("revision", 0) + 1, "task_definition_arn": ""}
    else:
        register(client, module, wanted)
        after = latest_revision(client, module, p["family"])
    module.exit_json(changed=True, task_definition=after, diff=diff_for(current, after, compared))


if __name__ == "__main__":
    main()
