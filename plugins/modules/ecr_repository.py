#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_repository
short_description: Manage an ECR repository with scanning, tag mutability, lifecycle policy and tags
version_added: 0.1.0
description:
  - Creates, updates or deletes a private ECR repository.
  - C(community.aws.ecs_ecr) cannot tag a repository, which every resource of the stack must be.
options:
  name:
    description: Name of the repository.
    type: str
    required: true
  state:
    description: Whether the repository should exist.
    type: str
    choices: [present, absent]
    default: present
  scan_on_push:
    description:
      - Scan each pushed image for vulnerabilities, through a rule of the registry's
        scanning configuration whose repository filter is this repository's name.
      - The repository-level C(scanOnPush) setting is not used, because AWS is deprecating
        C(PutImageScanningConfiguration) in favour of the registry-level configuration.
      - The registry's other rules and filters (other repositories, other stacks) and its
        scan type are kept; only this repository's filter is added or removed.
      - With O(state=absent) this repository's filter is removed as well.
    type: bool
    default: true
  image_tag_mutability:
    description: Whether a tag can be moved to another image.
    type: str
    choices: [MUTABLE, IMMUTABLE]
    default: MUTABLE
  lifecycle_policy:
    description:
      - Lifecycle policy document (the JSON AWS expects, as a dict).
      - No change when not given; an empty dict removes the policy.
    type: dict
  encryption:
    description: Encryption at rest, set at creation only.
    type: str
    choices: [AES256, KMS]
    default: AES256
  force_delete:
    description: Delete the repository even if it holds images.
    type: bool
    default: false
notes:
  - The registry scanning configuration is one document per registry and region, read and
    written whole (C(ecr:GetRegistryScanningConfiguration),
    C(ecr:PutRegistryScanningConfiguration)); two runs changing it at the same moment can
    overwrite each other's filter, which the next run restores.
  - When the registry uses enhanced scanning (Amazon Inspector), writing its
    configuration also needs the Amazon Inspector permissions listed in the ECR user guide
    ("IAM permissions required for enhanced scanning").
  - An endpoint that does not implement the registry scanning API gets a warning and
    O(scan_on_push) is reported as C(null); the rest of the repository is managed.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Image repository keeping the last 10 images
  credlink.infra.ecr_repository:
    name: credlink-production-sign-service
    scan_on_push: true
    lifecycle_policy:
      rules:
        - rulePriority: 1
          description: Keep the last 10 images
          selection: {tagStatus: any, countType: imageCountMoreThan, countNumber: 10}
          action: {type: expire}
    tags:
      Project: credlink
"""

RETURN = r"""
repository:
  description: The repository as settled by this run; empty when absent.
  returned: always
  type: dict
  contains:
    repository_arn:
      description: ARN of the repository.
      type: str
    repository_uri:
      description: URI to push and pull images with.
      type: str
      sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/credlink-production-sign-service
    scan_on_push:
      description:
        - Whether a scan-on-push (or continuous) rule of the registry names this repository;
          C(null) when the endpoint has no registry scanning API.
      type: bool
    scan_filter:
      description: The registry scanning rule's repository filter that stands for this repository.
      type: dict
      sample: {"filter": "credlink-production-sign-service", "filterType": "WILDCARD"}
    image_tag_mutability:
      description: Tag mutability.
      type: str
    lifecycle_policy:
      description: Lifecycle policy document.
      type: dict
    tags:
      description: Tags.
      type: dict
    image_tags:
      description: Tags of the images in the repository.
      type: list
      elements: str
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import endpoint_lacks_action
from ansible_collections.credlink.infra.plugins.module_utils.sync import describe_or_none
from ansible_collections.credlink.infra.plugins.module_utils.sync import desired_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import resource_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.sync import retag
from ansible_collections.credlink.infra.plugins.module_utils.sync import sync

COMPARED = ["scan_on_push", "image_tag_mutability", "lifecycle_policy", "tags"]

# Registry-level scanning replaces repository-level scanOnPush: "The
# PutImageScanningConfiguration API is being deprecated, in favor of specifying the image
# scanning configuration at the registry level" (API reference; research A, 13b).
# RegistryScanningRule (API reference): scanFrequency SCAN_ON_PUSH for BASIC, SCAN_ON_PUSH
# or CONTINUOUS_SCAN for ENHANCED (both scan on push); at most 2 rules and 100
# repositoryFilters per rule; filterType WILDCARD, where a name without "*" matches that
# repository only. PUT replaces the whole configuration: read, merge, write (research B, 13).
PUSH_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
MAX_RULES = 2
MAX_FILTERS = 100


def own_filter(name):
    return {"filter": name, "filterType": "WILDCARD"}


def read_scanning(client, module):
    """The registry scanning configuration; None when the endpoint lacks the API."""
    try:
        config = client.get_registry_scanning_configuration(aws_retry=True)["scanningConfiguration"]
    except AWS_ERRORS as e:
        if endpoint_lacks_action(e):
            module.warn("The endpoint does not implement ECR registry scanning configuration: "
                        "scan on push is not managed there")
            return None
        module.fail_json_aws(e, msg="Couldn't read the registry scanning configuration")
    return {"scanType": config.get("scanType") or "BASIC", "rules": config.get("rules") or []}


def scans_on_push(config, name):
    if config is None:
        return None
    return any(rule.get("scanFrequency") in PUSH_FREQUENCIES and own_filter(name) in rule.get("repositoryFilters", [])
               for rule in config["rules"])


def with_own_filter(module, config, name):
    """The configuration with this repository's filter in the scan-on-push rule, others kept."""
    rules = [dict(rule, repositoryFilters=list(rule.get("repositoryFilters", []))) for rule in config["rules"]]
    rule = next((r for r in rules if r.get("scanFrequency") == "SCAN_ON_PUSH"), None)
    if rule is None:
        if len(rules) >= MAX_RULES:
            module.fail_json(msg=f"The registry already has {MAX_RULES} scanning rules, the most AWS allows, and none "
                                 f"scans on push: add {name} to one of them or make room for a scan-on-push rule")
        rule = {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": []}
        rules.append(rule)
    if len(rule["repositoryFilters"]) >= MAX_FILTERS:
        module.fail_json(msg=f"The registry's scan-on-push rule already has {MAX_FILTERS} repository filters, "
                             f"the most AWS allows: add a wildcard filter that covers {name} or remove unused ones")
    rule["repositoryFilters"].append(own_filter(name))
    return {"scanType": config["scanType"], "rules": rules}


def without_own_filter(config, name):
    """The configuration without this repository's exact filter; rules only it held go too."""
    rules = []
    for rule in config["rules"]:
        filters = [f for f in rule.get("repositoryFilters", []) if f != own_filter(name)]
        if filters or not rule.get("repositoryFilters"):
            rules.append(dict(rule, repositoryFilters=filters))
    return {"scanType": config["scanType"], "rules": rules}


def write_scanning(client, module, config):
    with fail_on_aws_error(module, "Couldn't update the registry scanning configuration"):
        client.put_registry_scanning_configuration(aws_retry=True, scanType=config["scanType"], rules=config["rules"])


def ensure_scanning(client, module, config, name, wanted):
    """Add or remove this repository's filter; True when the configuration changes."""
    if config is None or wanted is None or scans_on_push(config, name) == wanted:
        return False
    if wanted:
        updated = with_own_filter(module, config, name)
    else:
        updated = without_own_filter(config, name)
        if updated == config:
            return False
    if not module.check_mode:
        write_scanning(client, module, updated)
    return True


def describe(client, module, name, scanning):
    repo = describe_or_none(module, client.describe_repositories, "RepositoryNotFoundException",
                            f"Couldn't describe ECR repository {name}", first="repositories", repositoryNames=[name])
    if repo is None:
        return None
    policy = describe_or_none(module, client.get_lifecycle_policy, "LifecyclePolicyNotFoundException",
                              f"Couldn't read the lifecycle policy of {name}", repositoryName=name)
    policy = json.loads(policy["lifecyclePolicyText"]) if policy else {}
    with fail_on_aws_error(module, f"Couldn't read the tags and images of {name}"):
        tags = client.list_tags_for_resource(aws_retry=True, resourceArn=repo["repositoryArn"])["tags"]
        pages = client.get_paginator("list_images").paginate(repositoryName=name, filter={"tagStatus": "TAGGED"})
        image_tags = sorted(i["imageTag"] for page in pages for i in page["imageIds"] if i.get("imageTag"))
    return {
        "repository_arn": repo["repositoryArn"],
        "repository_uri": repo["repositoryUri"],
        "registry_id": repo.get("registryId"),
        "scan_on_push": scans_on_push(scanning, name),
        "scan_filter": own_filter(name),
        "image_tag_mutability": repo.get("imageTagMutability", "MUTABLE"),
        "encryption": (repo.get("encryptionConfiguration") or {}).get("encryptionType", "AES256"),
        "lifecycle_policy": policy,
        "tags": boto3_tag_list_to_ansible_dict(tags),
        "image_tags": image_tags,
    }


def apply_changes(client, module, current, changes):
    name = module.params["name"]
    with fail_on_aws_error(module, f"Couldn't update ECR repository {name}"):
        if "image_tag_mutability" in changes:
            client.put_image_tag_mutability(
                aws_retry=True, repositoryName=name, imageTagMutability=changes["image_tag_mutability"],
            )
        if "lifecycle_policy" in changes:
            if changes["lifecycle_policy"]:
                client.put_lifecycle_policy(
                    aws_retry=True, repositoryName=name, lifecyclePolicyText=json.dumps(changes["lifecycle_policy"]),
                )
            else:
                client.delete_lifecycle_policy(aws_retry=True, repositoryName=name)
        if "tags" in changes and current:
            arn = current["repository_arn"]
            retag(current["tags"], changes["tags"], purge=True,
                  untag=lambda keys: client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=keys),
                  tag=lambda new: client.tag_resource(aws_retry=True, resourceArn=arn,
                                                      tags=ansible_dict_to_boto3_tag_list(new)))


def create(client, module, desired):
    p = module.params
    with fail_on_aws_error(module, f"Couldn't create ECR repository {p['name']}"):
        client.create_repository(
            aws_retry=True, repositoryName=p["name"], imageTagMutability=p["image_tag_mutability"],
            encryptionConfiguration={"encryptionType": p["encryption"]},
            tags=ansible_dict_to_boto3_tag_list(desired["tags"] or {}),
        )
    if p["lifecycle_policy"]:
        apply_changes(client, module, None, {"lifecycle_policy": p["lifecycle_policy"]})


def delete(client, module):
    p = module.params
    with fail_on_aws_error(module, f"Couldn't delete ECR repository {p['name']}"):
        client.delete_repository(aws_retry=True, repositoryName=p["name"], force=p["force_delete"])


def main():
    module = AnsibleAWSModule(
        argument_spec=resource_argument_spec(
            scan_on_push=dict(type="bool", default=True),
            image_tag_mutability=dict(type="str", choices=["MUTABLE", "IMMUTABLE"], default="MUTABLE"),
            lifecycle_policy=dict(type="dict"),
            encryption=dict(type="str", choices=["AES256", "KMS"], default="AES256"),
            force_delete=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    client = module.client("ecr", retry_decorator=RETRY)
    scanning = read_scanning(client, module)
    current = describe(client, module, p["name"], scanning)

    if p["state"] == "present" and current and current["encryption"] != p["encryption"]:
        module.warn(f"Encryption of {p['name']} is {current['encryption']}; it can only be chosen at creation")
    desired = {
        "scan_on_push": p["scan_on_push"] if scanning is not None else None,
        "image_tag_mutability": p["image_tag_mutability"],
        "lifecycle_policy": p["lifecycle_policy"],
        "tags": None if p["tags"] is None else desired_tags((current or {}).get("tags", {}), p["tags"], p["purge_tags"]),
    }
    # The registry's scanning rules name the repository by a filter, which may stand before
    # the repository does; only this repository's filter is added or removed.
    scanning_changed = ensure_scanning(client, module, scanning, p["name"],
                                       desired["scan_on_push"] if p["state"] == "present" else False)
    outcome = sync(
        module, current, desired, state=p["state"],
        describe=lambda: describe(client, module, p["name"], read_scanning(client, module)),
        create=lambda desired: create(client, module, desired),
        update=lambda current, changes: apply_changes(client, module, current, changes),
        delete=lambda current: delete(client, module),
        diff_keys=COMPARED,
    )
    module.exit_json(changed=outcome.changed or scanning_changed, repository=outcome.result or {}, diff=outcome.diff)


if __name__ == "__main__":
    main()
