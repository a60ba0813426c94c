# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the database credentials secret, shared by the secret modules."""

from __future__ import annotations

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict


def describe_secret(client, module, name):
    try:
        return client.describe_secret(aws_retry=True, SecretId=name)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't describe secret {name}")


def read_document(client, module, name):
    try:
        value = client.get_secret_value(aws_retry=True, SecretId=name)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None, None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't read secret {name}")
    try:
        document = json.loads(value.get("SecretString") or "{}")
    except ValueError:
        module.fail_json(msg=f"Secret {name} does not hold a JSON document; refusing to overwrite it")
    if not isinstance(document, dict):
        module.fail_json(msg=f"Secret {name} does not hold a JSON object; refusing to overwrite it")
    return document, value.get("VersionId")


def kms_key_arn(kms, module, key_id: str | None) -> str:
    """The ARN of the KMS key ``key_id`` names (key id, key ARN, ``alias/<name>`` or alias ARN).

    Empty for none: the secret then uses the AWS managed key ``aws/secretsmanager``, and
    DescribeSecret omits KmsKeyId. Otherwise DescribeSecret gives the key in the form it was
    given (a key id or an alias ARN, Secrets Manager API reference, DescribeSecret), so
    keys are compared, and granted in IAM policies (which do not take aliases), by the ARN
    kms:DescribeKey resolves.
    """
    if not key_id:
        return ""
    try:
        return kms.describe_key(aws_retry=True, KeyId=key_id)["KeyMetadata"]["Arn"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Couldn't find KMS key {key_id}")


def secret_summary(client, module, name: str, kms=None) -> dict:
    """Metadata of the credentials secret and the names of its keys; never a value.

    With a KMS client, also the ARN of the key encrypting it (empty for the AWS managed key).
    """
    meta = describe_secret(client, module, name)
    if not meta or meta.get("DeletedDate"):
        return {}
    document, version = read_document(client, module, name)
    summary = {
        "arn": meta["ARN"],
        "name": meta["Name"],
        "version_id": version,
        "keys": sorted(document or {}),
        "host": (document or {}).get("host", ""),
        "tags": boto3_tag_list_to_ansible_dict(meta.get("Tags", [])),
    }
    if kms is not None:
        summary["kms_key_arn"] = kms_key_arn(kms, module, meta.get("KmsKeyId"))
    return summary
