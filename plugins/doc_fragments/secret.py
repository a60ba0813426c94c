# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the modules that keep a generated credential in Secrets Manager, and the secret they all return."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  name:
    description: Name of the secret.
    type: str
    required: true
  state:
    description: Whether the secret should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the secret; left alone when omitted.
    type: str
  kms_key_id:
    description:
      - KMS key encrypting the secret (key id, key ARN, C(alias/<name>) or alias ARN). When
        omitted, a new secret uses the AWS managed key C(aws/secretsmanager) and an existing
        secret keeps its key.
      - Compared with the secret's key by the key ARN both resolve to (C(kms:DescribeKey)),
        so the same key given in another form is not a change.
    type: str
  recovery_window_days:
    description:
      - Days a deleted secret can be restored (7 to 30). Used with O(state=absent).
      - C(0) deletes it at once, without any way back.
    type: int
    default: 7
"""

    RETURN = r"""
secret:
  description:
    - The secret's metadata (module_utils.credentials.secret_summary); never a value.
    - Empty when the secret does not exist, is scheduled for deletion, or was deleted by this task.
  returned: always
  type: dict
  contains:
    arn:
      description: Full ARN of the secret, random suffix included.
      type: str
      sample: arn:aws:secretsmanager:us-east-1:123456789012:secret:credlink-production-db-credentials-AbCdEf
    name:
      description: Name of the secret.
      type: str
    version_id:
      description: Version in stage AWSCURRENT.
      type: str
    key_names:
      description: Keys of the stored JSON document, never their values.
      type: list
      elements: str
      sample: [dbname, engine, host, password, port, url, username]
    host:
      description: The C(host) key of the document (not sensitive); empty when it has none.
      type: str
    kms_key_id:
      description:
        - KMS key of the secret as Secrets Manager reports it (key id, key ARN or alias
          ARN); empty for the AWS managed key C(aws/secretsmanager).
      type: str
    kms_key_arn:
      description:
        - ARN of the customer managed KMS key encrypting the secret, resolved with
          C(kms:DescribeKey) (IAM policies need the key's ARN); empty for the AWS managed key.
      returned: by M(credlink.infra.db_credentials_secret_info)
      type: str
    tags:
      description: Tags.
      type: dict
"""
