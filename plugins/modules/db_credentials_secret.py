#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: db_credentials_secret
short_description: Keep database credentials in a Secrets Manager secret without ever exposing the password
version_added: 0.1.0
description:
  - Ensures a Secrets Manager secret holds the JSON document
    C({username, password, engine, host, port, dbname}) and, once the host is known,
    C(url) (C(postgresql://user:password@host:port/dbname?sslmode=...)).
  - The password is generated inside the module when the secret is created and is never
    changed afterwards; reruns keep the stored value. It never appears in the module's
    result, its diff or its warnings.
  - A host given once stays in the secret when later runs give none (the secrets layer
    runs before the database exists; the database layer fills the host in).
  - A secret scheduled for deletion (for example by an interrupted teardown) is restored,
    keeping its password, instead of failing.
options:
  username:
    description: Database user.
    type: str
    default: credlink_admin
  engine:
    description: Database engine.
    type: str
    default: postgres
  host:
    description: Database host. Omit to keep the stored host.
    type: str
  port:
    description: Database port.
    type: int
    default: 5432
  dbname:
    description: Database name.
    type: str
    default: credlink
  ssl_mode:
    description: C(sslmode) written into C(url).
    type: str
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
    default: require
  password_length:
    description: Length of the generated password.
    type: int
    default: 32
  deletion_timeout:
    description:
      - Seconds to wait until a secret deleted with O(recovery_window_days=0) is gone, and
        during which a creation refused because a deletion of that name is still being
        finished (C(InvalidRequestException), "already scheduled for deletion") is retried.
        Secrets Manager deletes secrets in the background.
    type: int
    default: 120
notes:
  - The diff lists the keys of the document and masks the password and URL.
  - The generated password uses letters, digits and C(-_.~), which RDS accepts and which
    need no escaping in a URL.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - credlink.infra.secret
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the credentials (host still unknown)
  credlink.infra.db_credentials_secret:
    name: credlink-production-db-credentials
    tags:
      Project: credlink

- name: Record the RDS endpoint once it exists
  credlink.infra.db_credentials_secret:
    name: credlink-production-db-credentials
    host: "{{ rds.endpoint.address }}"
"""

RETURN = r"""
extends_documentation_fragment:
  - credlink.infra.secret
"""

import json
import string
import time
from urllib.parse import quote

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import diff_for
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.common import retry_while
from ansible_collections.credlink.infra.plugins.module_utils.credentials import delete_secret
from ansible_collections.credlink.infra.plugins.module_utils.credentials import describe_secret
from ansible_collections.credlink.infra.plugins.module_utils.credentials import generate_secret
from ansible_collections.credlink.infra.plugins.module_utils.credentials import put_document
from ansible_collections.credlink.infra.plugins.module_utils.credentials import read_document
from ansible_collections.credlink.infra.plugins.module_utils.credentials import restore_secret
from ansible_collections.credlink.infra.plugins.module_utils.credentials import secret_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.credentials import secret_summary
from ansible_collections.credlink.infra.plugins.module_utils.credentials import update_secret_settings

# URL-unreserved characters only: the password goes into `url` unchanged, and RDS
# accepts all of them. 66 symbols over 32 characters is about 193 bits.
PASSWORD_SYMBOLS = "-_.~"
PASSWORD_ALPHABET = string.ascii_letters + string.digits + PASSWORD_SYMBOLS
MASK = "********"
SENSITIVE_KEYS = ("password", "url")


def generate_password(length):
    # At least one of each class, as RDS and most password policies expect.
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, PASSWORD_SYMBOLS)
    return generate_secret(length, PASSWORD_ALPHABET, classes)


def desired_document(params, current):
    current = current or {}
    document = {
        "username": params["username"],
        "password": current.get("password") or generate_password(params["password_length"]),
        "engine": params["engine"],
        "host": params["host"] if params["host"] is not None else current.get("host", ""),
        "port": params["port"],
        "dbname": params["dbname"],
    }
    if document["host"]:
        document["url"] = (
            f"postgresql://{quote(document['username'], safe='')}:{quote(document['password'], safe='')}"
            f"@{document['host']}:{document['port']}/{quote(document['dbname'], safe='')}?sslmode={params['ssl_mode']}"
        )
    return document


def masked(document):
    if document is None:
        return {}
    return {key: (MASK if key in SENSITIVE_KEYS else value) for key, value in document.items()}


def create_secret(client, module, document):
    params = module.params
    request = {"Name": params["name"], "SecretString": json.dumps(document)}
    if params["description"]:
        request["Description"] = params["description"]
    if params["kms_key_id"]:
        request["KmsKeyId"] = params["kms_key_id"]
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
    # Right after a forced deletion of the same name, Secrets Manager is still deleting it
    # in the background: "You can't create this secret because a secret with this name is
    # already scheduled for deletion." (DeleteSecret API reference: "use appropriate back
    # off and retry logic").
    with fail_on_aws_error(module, f"Couldn't create secret {params['name']}"):
        retry_while(lambda: client.create_secret(aws_retry=True, **request), "InvalidRequestException",
                    "already scheduled for deletion", params["deletion_timeout"])


def restore_if_deleted(client, module, meta):
    if not meta or not meta.get("DeletedDate"):
        return False
    module.warn(f"Secret {module.params['name']} was scheduled for deletion; restoring it with its stored password")
    if not module.check_mode:
        restore_secret(client, module, module.params["name"])
    return True


def wait_until_gone(client, module):
    """A forced deletion finishes in the background: wait until the name is free again."""
    name, timeout = module.params["name"], module.params["deletion_timeout"]
    deadline = time.monotonic() + timeout
    while describe_secret(client, module, name) is not None:
        if time.monotonic() >= deadline:
            module.fail_json(msg=f"Secret {name} was deleted but still exists after {timeout}s; try again later")
        time.sleep(2)


def ensure_absent(client, module, meta):
    days = module.params["recovery_window_days"]
    if meta is None or (meta.get("DeletedDate") and days):
        return False
    if not module.check_mode:
        delete_secret(client, module, module.params["name"], days)
        if not days:
            wait_until_gone(client, module)
    return True


def ensure_present(client, module, meta):
    name = module.params["name"]
    changed = restore_if_deleted(client, module, meta)
    current = None
    if meta and not (changed and module.check_mode):
        current, _ = read_document(client, module, name)
    desired = desired_document(module.params, current)
    if meta is None:
        if not module.check_mode:
            create_secret(client, module, desired)
        return True, None, desired
    if current != desired:
        changed = True
        if not module.check_mode:
            put_document(client, module, name, desired)
    params = module.params
    changed |= update_secret_settings(client, module, name, meta, params["description"], params["kms_key_id"],
                                      params["tags"], params["purge_tags"])
    return changed, current, desired


def main():
    module = AnsibleAWSModule(
        argument_spec=secret_argument_spec(
            username=dict(type="str", default="credlink_admin"),
            engine=dict(type="str", default="postgres"),
            host=dict(type="str"),
            port=dict(type="int", default=5432),
            dbname=dict(type="str", default="credlink"),
            ssl_mode=dict(type="str", default="require",
                          choices=["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]),
            password_length=dict(type="int", default=32, no_log=False),
            deletion_timeout=dict(type="int", default=120),
        ),
        supports_check_mode=True,
    )
    if not 16 <= module.params["password_length"] <= 128:
        module.fail_json(msg="password_length must be between 16 and 128")
    if not (7 <= module.params["recovery_window_days"] <= 30 or module.params["recovery_window_days"] == 0):
        module.fail_json(msg="recovery_window_days must be between 7 and 30, or 0 to delete at once")

    client = module.client("secretsmanager", retry_decorator=RETRY)
    meta = describe_secret(client, module, module.params["name"])

    if module.params["state"] == "absent":
        changed = ensure_absent(client, module, meta)
        module.exit_json(changed=changed, secret={}, diff=diff_for({"name": module.params["name"]} if changed else {}, {}))

    changed, before, after = ensure_present(client, module, meta)
    result = secret_summary(client, module, module.params["name"]) if not module.check_mode or meta else {}
    module.exit_json(changed=changed, secret=result, diff=diff_for(masked(before), masked(after)))


if __name__ == "__main__":
    main()
