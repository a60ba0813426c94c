#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_customer_policy
short_description: Manage a customer managed IAM policy, read by its ARN
version_added: 0.2.0
description:
  - Creates, updates or deletes a customer managed IAM policy.
  - The policy is read by its ARN, built from the caller's account and partition, the
    path and the name. M(amazon.aws.iam_managed_policy) finds a policy by listing every
    policy of the account, AWS managed ones included. That is more than a thousand
    policies, paged 100 at a time, on every run.
  - A changed document becomes a new default version. IAM keeps at most five versions of a
    policy, so the oldest version that is not the default is deleted first when five exist.
  - A policy of the same name under another path or in other letter case is not adopted;
    IAM names are unique in an account, so the module fails and names the ARN it manages.
  - With O(state=absent) the policy is detached from every user, group and role, its other
    versions are deleted, and then the policy. DeletePolicy requires that order.
options:
  name:
    description:
      - Name of the policy. IAM policy names are unique in an account, whatever their path
        and letter case.
    type: str
    required: true
  path:
    description:
      - Path of the policy. A policy's path cannot be changed after it is created.
    type: str
    default: /
  description:
    description:
      - Description set when the policy is created. IAM does not let it change afterwards, so a
        different value on an existing policy only produces a warning.
    type: str
  policy:
    description:
      - The policy document, as a JSON string or a dict. Required with O(state=present).
    type: json
  state:
    description: Whether the policy should exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The diff shows the document and the tags.
  - Needs C(sts:GetCallerIdentity), C(iam:GetPolicy), C(iam:GetPolicyVersion) and
    C(iam:ListPolicyTags) to read. Changes need C(iam:CreatePolicy),
    C(iam:CreatePolicyVersion), C(iam:ListPolicyVersions), C(iam:DeletePolicyVersion),
    C(iam:TagPolicy) and C(iam:UntagPolicy). Deletion also needs
    C(iam:ListEntitiesForPolicy), C(iam:Detach*Policy) and C(iam:DeletePolicy).
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Policy that reads one secret
  credlink.infra.iam_customer_policy:
    name: credlink-production-db-credentials-read
    description: Read the credlink-production database credentials secret and nothing else
    policy: "{{ lookup('ansible.builtin.template', 'read_secret_policy.json.j2') }}"
    tags:
      Project: credlink

- name: Delete it, detaching it from its roles first
  credlink.infra.iam_customer_policy:
    name: credlink-production-db-credentials-read
    state: absent
"""

RETURN = r"""
policy:
  description: The policy as settled by this run; empty when absent. In check mode, the prediction.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the policy.
      type: str
      sample: arn:aws:iam::123456789012:policy/credlink-production-db-credentials-read
    name:
      description: Name of the policy.
      type: str
    path:
      description: Path of the policy.
      type: str
    description:
      description: Description of the policy.
      type: str
    default_version_id:
      description: The default version; absent in check mode before the policy exists.
      type: str
    document:
      description: The document of the default version.
      type: dict
    tags:
      description: Tags of the policy.
      type: dict
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import diff_for
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.sync import create_once
from ansible_collections.credlink.infra.plugins.module_utils.sync import describe_or_none
from ansible_collections.credlink.infra.plugins.module_utils.sync import desired_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import resource_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.sync import retag

# "A managed policy can have up to five versions. If you need to make changes to a customer
# managed policy beyond five versions, you must first delete one or more existing versions"
# (IAM User Guide, "Versioning IAM policies"; CreatePolicyVersion answers LimitExceeded).
MAX_VERSIONS = 5
# ListEntitiesForPolicy's lists, with the call that detaches each kind and the key naming it.
DETACH = {"PolicyRoles": ("detach_role_policy", "RoleName"),
          "PolicyUsers": ("detach_user_policy", "UserName"),
          "PolicyGroups": ("detach_group_policy", "GroupName")}


def policy_arn(module, name, path):
    with fail_on_aws_error(module, "Couldn't read the caller's account"):
        identity = module.client("sts", retry_decorator=RETRY).get_caller_identity(aws_retry=True)
    partition = identity["Arn"].split(":")[1]
    return f"arn:{partition}:iam::{identity['Account']}:policy{path}{name}"


def describe(client, module, arn):
    policy = describe_or_none(module, client.get_policy, "NoSuchEntity", f"Couldn't read IAM policy {arn}", PolicyArn=arn)
    if policy is None:
        return None
    policy = policy["Policy"]
    version = describe_or_none(module, client.get_policy_version, "NoSuchEntity",
                               f"Couldn't read the default version of IAM policy {arn}",
                               PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    tags = describe_or_none(module, client.list_policy_tags, "NoSuchEntity", f"Couldn't read the tags of IAM policy {arn}",
                            PolicyArn=arn)
    if version is None or tags is None:
        return None  # deleted while we read it
    document = version["PolicyVersion"]["Document"]
    return {
        "arn": arn, "name": policy["PolicyName"], "path": policy["Path"], "description": policy.get("Description"),
        "default_version_id": policy["DefaultVersionId"],
        "document": json.loads(document) if isinstance(document, str) else document,
        "tags": boto3_tag_list_to_ansible_dict(tags.get("Tags", [])),
    }


def new_default_version(client, module, arn, document):
    with fail_on_aws_error(module, f"Couldn't set a new document on IAM policy {arn}"):
        versions = client.list_policy_versions(aws_retry=True, PolicyArn=arn)["Versions"]
        if len(versions) >= MAX_VERSIONS:
            oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
            client.delete_policy_version(aws_retry=True, PolicyArn=arn, VersionId=oldest["VersionId"])
        return client.create_policy_version(aws_retry=True, PolicyArn=arn, PolicyDocument=json.dumps(document),
                                            SetAsDefault=True)["PolicyVersion"]["VersionId"]


def update_tags(client, module, current, tags, purge):
    with fail_on_aws_error(module, f"Couldn't update the tags of IAM policy {current['arn']}"):
        retag(current["tags"], tags, purge, check_mode=module.check_mode,
              untag=lambda keys: client.untag_policy(aws_retry=True, PolicyArn=current["arn"], TagKeys=keys),
              tag=lambda new: client.tag_policy(aws_retry=True, PolicyArn=current["arn"],
                                                Tags=ansible_dict_to_boto3_tag_list(new)))


def delete(client, module, current):
    arn = current["arn"]
    try:
        for page in client.get_paginator("list_entities_for_policy").paginate(PolicyArn=arn):
            for key, (method, name) in DETACH.items():
                for entity in page.get(key, []):
                    getattr(client, method)(aws_retry=True, PolicyArn=arn, **{name: entity[name]})
        for version in client.list_policy_versions(aws_retry=True, PolicyArn=arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                client.delete_policy_version(aws_retry=True, PolicyArn=arn, VersionId=version["VersionId"])
        client.delete_policy(aws_retry=True, PolicyArn=arn)
    except is_boto3_error_code("NoSuchEntity"):
        pass  # gone meanwhile
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't delete IAM policy {arn}")


def main():
    module = AnsibleAWSModule(
        argument_spec=resource_argument_spec(
            path=dict(type="str", default="/"),
            description=dict(type="str"),
            policy=dict(type="json"),
        ),
        required_if=[("state", "present", ["policy"])],
        supports_check_mode=True,
    )
    p = module.params
    if not (p["path"].startswith("/") and p["path"].endswith("/")):
        module.fail_json(msg=f"path must begin and end with '/', not {p['path']!r}")
    client = module.client("iam", retry_decorator=RETRY)
    arn = policy_arn(module, p["name"], p["path"])
    current = describe(client, module, arn)
    shown = ("document", "tags")

    if p["state"] == "absent":
        if current is None:
            module.exit_json(changed=False, policy={})
        if not module.check_mode:
            delete(client, module, current)
        module.exit_json(changed=True, policy={}, diff=diff_for(current, None, shown))

    try:
        document = json.loads(p["policy"])
    except ValueError as e:
        module.fail_json(msg=f"policy is not a JSON document: {e}")
    if current is None:
        wanted = {"arn": arn, "name": p["name"], "path": p["path"], "description": p["description"],
                  "document": document, "tags": p["tags"] or {}}
        if not module.check_mode:
            request = {"PolicyName": p["name"], "Path": p["path"], "PolicyDocument": json.dumps(document)}
            if p["description"]:
                request["Description"] = p["description"]
            if p["tags"]:
                request["Tags"] = ansible_dict_to_boto3_tag_list(p["tags"])
            created = create_once(module, lambda: client.create_policy(aws_retry=True, **request),
                                  "EntityAlreadyExists", f"IAM policy {p['name']}")
            if created:
                wanted["default_version_id"] = created["Policy"]["DefaultVersionId"]
            else:
                # Already there: a retried call whose answer was lost (the rerun settles the
                # rest), or the name is taken elsewhere: IAM policy names are unique in an
                # account whatever the path and letter case (CreatePolicy, PolicyName).
                wanted = describe(client, module, arn)
                if wanted is None:
                    module.fail_json(msg=f"IAM policy name {p['name']} is taken by a policy other than {arn} "
                                         "(another path or letter case); this module does not adopt it")
        module.exit_json(changed=True, policy=wanted, diff=diff_for(None, wanted, shown))

    if p["description"] is not None and p["description"] != (current["description"] or ""):
        module.warn(f"IAM policy {p['name']} keeps its description: IAM cannot change it after creation")
    after = dict(current, tags=desired_tags(current["tags"], p["tags"], p["purge_tags"]))
    if compare_policies(current["document"], document):
        after["document"] = document
        if not module.check_mode:
            after["default_version_id"] = new_default_version(client, module, arn, document)
    if after["tags"] != current["tags"]:
        update_tags(client, module, current, p["tags"], p["purge_tags"])
    changed = after != current
    module.exit_json(changed=changed, policy=after, diff=diff_for(current, after, shown) if changed else {})


if __name__ == "__main__":
    main()
