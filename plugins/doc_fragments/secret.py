# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the modules that keep a generated credential in Secrets Manager."""


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
