#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: db_credentials_secret_info
short_description: Find the database credentials secret without revealing it
version_added: 0.1.0
description:
  - Returns the ARN, current version, key names and tags of a database credentials secret
    managed by M(credlink.infra.db_credentials_secret). Values are never returned.
  - Layers that reference the secret (task definitions, IAM policies) use it to get the
    full ARN, which includes a random suffix.
  - When the secret is encrypted with a customer managed KMS key, the key is resolved to
    its key ARN (C(kms:DescribeKey)), the only form an IAM policy grants C(kms:Decrypt) on.
options:
  name:
    description: Name or ARN of the secret.
    type: str
    required: true
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the credentials secret
  credlink.infra.db_credentials_secret_info:
    name: credlink-production-db-credentials
  register: credentials

- name: Refer to its url key from a task definition
  ansible.builtin.debug:
    msg: "{{ credentials.secret.arn }}:url::"
  when: credentials.found
"""

RETURN = r"""
found:
  description: Whether the secret exists (a secret scheduled for deletion counts as missing).
  returned: always
  type: bool
extends_documentation_fragment:
  - credlink.infra.secret
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.credentials import secret_summary


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(name=dict(type="str", required=True)),
        supports_check_mode=True,
    )
    client = module.client("secretsmanager", retry_decorator=RETRY)
    secret = secret_summary(client, module, module.params["name"], kms=module.client("kms", retry_decorator=RETRY))
    module.exit_json(changed=False, found=bool(secret), secret=secret)


if __name__ == "__main__":
    main()
