# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets Manager helpers shared by the secret modules (database credentials, Redis AUTH)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Callable, Iterable

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.sync import describe_or_none
from ansible_collections.credlink.infra.plugins.module_utils.sync import resource_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.sync import retag


def describe_secret(client, module, name):
    return describe_or_none(module, client.describe_secret, "ResourceNotFoundException",
                            f"Couldn't describe secret {name}", SecretId=name)


def read_document(client, module, name):
    value = describe_or_none(module, client.get_secret_value, "ResourceNotFoundException",
                             f"Couldn't read secret {name}", SecretId=name)
    if value is None:
        return None, None
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
    with fail_on_aws_error(module, f"Couldn't find KMS key {key_id}"):
        return kms.describe_key(aws_retry=True, KeyId=key_id)["KeyMetadata"]["Arn"]


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
        # Not "keys": secret.keys would be the dict's method in a Jinja expression.
        "key_names": sorted(document or {}),
        "host": (document or {}).get("host", ""),
        # Omitted by AWS for the AWS managed key aws/secretsmanager; otherwise the form the
        # key was given in (key id, key ARN or alias ARN): research A, 10.
        "kms_key_id": meta.get("KmsKeyId", ""),
        "tags": boto3_tag_list_to_ansible_dict(meta.get("Tags", [])),
    }
    if kms is not None:
        summary["kms_key_arn"] = kms_key_arn(kms, module, meta.get("KmsKeyId"))
    return summary


# --- Generated secrets -------------------------------------------------------------------
# Shared by db_credentials_secret (database password) and redis_auth_secret (Redis AUTH
# token): a value generated once inside the module, kept by every later run, never returned.

def generate_secret(length: int, alphabet: str, required: Iterable[str] = ()) -> str:
    """A random string of ``length`` characters from ``alphabet`` (``secrets`` module, a CSPRNG)
    holding at least one character of each string in ``required``."""
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in cls for c in value) for cls in required):
            return value


# CreateSecret right after DeleteSecret with ForceDeleteWithoutRecovery fails while AWS
# finishes the deletion: InvalidRequestException "You can't create this secret because a
# secret with this name is already scheduled for deletion." The API reference says to
# "use appropriate back off and retry logic" (DeleteSecret); terraform-provider-aws retries
# it for two minutes (PR #5583, issue #10259). Retried here for that long, for that message only.
SCHEDULED_FOR_DELETION = "already scheduled for deletion"
RECREATE_TIMEOUT = 120
RECREATE_DELAY = 5
sleep: Callable[[float], None] = time.sleep
clock: Callable[[], float] = time.monotonic


def create_secret(client, module, name: str, document: dict, description: str | None = None,
                  kms_key_id: str | None = None, tags: dict | None = None) -> None:
    request = {"Name": name, "SecretString": json.dumps(document)}
    if description:
        request["Description"] = description
    if kms_key_id:
        request["KmsKeyId"] = kms_key_id
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    deadline = clock() + RECREATE_TIMEOUT
    while True:
        try:
            client.create_secret(aws_retry=True, **request)
            return
        except is_boto3_error_code("ResourceExistsException"):
            # Described as absent just before: a retried call that AWS had processed already.
            return
        except is_boto3_error_code("InvalidRequestException") as e:  # pylint: disable=duplicate-except
            if SCHEDULED_FOR_DELETION not in str(e) or clock() >= deadline:
                module.fail_json_aws(e, msg=f"Couldn't create secret {name}")
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg=f"Couldn't create secret {name}")
        sleep(RECREATE_DELAY)


def put_document(client, module, name: str, document: dict) -> None:
    with fail_on_aws_error(module, f"Couldn't update secret {name}"):
        client.put_secret_value(aws_retry=True, SecretId=name, SecretString=json.dumps(document))


def restore_secret(client, module, name: str) -> None:
    with fail_on_aws_error(module, f"Couldn't restore secret {name}"):
        client.restore_secret(aws_retry=True, SecretId=name)


def delete_secret(client, module, name: str, recovery_days: int) -> None:
    """Schedule the deletion (7-30 days), or delete at once with 0."""
    with fail_on_aws_error(module, f"Couldn't delete secret {name}"):
        if recovery_days:
            client.delete_secret(aws_retry=True, SecretId=name, RecoveryWindowInDays=recovery_days)
        else:
            client.delete_secret(aws_retry=True, SecretId=name, ForceDeleteWithoutRecovery=True)


def same_kms_key(module, current: str | None, wanted: str) -> bool:
    """DescribeSecret reports KmsKeyId in the form it was given (key id, key ARN or alias
    ARN) and omits it for the aws/secretsmanager key (API reference, DescribeSecret), so
    two spellings of one key are compared by the key ARN they resolve to."""
    if not current:
        return False
    if current == wanted:
        return True
    kms = module.client("kms", retry_decorator=RETRY)
    return kms_key_arn(kms, module, current) == kms_key_arn(kms, module, wanted)


def update_secret_settings(client, module, name: str, meta: dict, description: str | None,
                           kms_key_id: str | None, tags: dict | None, purge_tags: bool) -> bool:
    """Description, KMS key and tags of an existing secret; None leaves a setting alone."""
    update = {}
    if description is not None and meta.get("Description", "") != description:
        update["Description"] = description
    if kms_key_id and not same_kms_key(module, meta.get("KmsKeyId"), kms_key_id):
        update["KmsKeyId"] = kms_key_id
    with fail_on_aws_error(module, f"Couldn't update the settings of secret {name}"):
        if update and not module.check_mode:
            client.update_secret(aws_retry=True, SecretId=name, **update)
        retagged = retag(
            boto3_tag_list_to_ansible_dict(meta.get("Tags", [])), tags, purge_tags, check_mode=module.check_mode,
            untag=lambda keys: client.untag_resource(aws_retry=True, SecretId=name, TagKeys=keys),
            tag=lambda new: client.tag_resource(aws_retry=True, SecretId=name, Tags=ansible_dict_to_boto3_tag_list(new)))
    return bool(update) or retagged


def secret_argument_spec(**options: dict) -> dict[str, dict]:
    """The options of the ``credlink.infra.secret`` fragment and tags, plus the module's ``options``."""
    return resource_argument_spec(
        description={"type": "str"},
        kms_key_id={"type": "str"},
        recovery_window_days={"type": "int", "default": 7},
        **options,
    )
