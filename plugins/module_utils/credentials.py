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


def secret_summary(client, module, name: str) -> dict:
    """Metadata of the credentials secret and the names of its keys; never a value."""
    meta = describe_secret(client, module, name)
    if not meta or meta.get("DeletedDate"):
        return {}
    document, version = read_document(client, module, name)
    return {
        "arn": meta["ARN"],
        "name": meta["Name"],
        "version_id": version,
        "keys": sorted(document or {}),
        "host": (document or {}).get("host", ""),
        # Omitted by AWS for the AWS managed key aws/secretsmanager; otherwise the form the
        # key was given in (key id, key ARN or alias ARN): research A, 10.
        "kms_key_id": meta.get("KmsKeyId", ""),
        "tags": boto3_tag_list_to_ansible_dict(meta.get("Tags", [])),
    }
