#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: redis_auth_secret
short_description: Keep a Redis AUTH token and its rediss URL in a Secrets Manager secret, never exposing them
version_added: 0.2.0
description:
  - "Ensures a Secrets Manager secret holds the JSON document C({token}) and, once the
    primary endpoint is known, C({token, url}), the URL being
    C(rediss://:<token>@<host>:<port>)."
  - The token is generated inside the module when the secret is created and kept by every
    later run. It obeys ElastiCache's AUTH token rules (16 to 128 printable characters, of
    which the only non-alphanumeric ones allowed are C(!&#$^<>-)); it is drawn from
    letters, digits and C(-) so that it needs no escaping in the URL.
  - Neither the token nor the URL ever appears in the result, the diff or a warning.
  - A host given once stays in the URL when later runs give none.
  - A secret scheduled for deletion (an interrupted teardown) is restored with its token,
    not replaced, since a replication group created with that token still uses it.
  - Rotating the token is not done here.
options:
  create:
    description:
      - Whether a missing secret may be created. With V(false) a missing secret is an
        error; used when recording the URL, where a new token would not be the group's.
    type: bool
    default: true
  token_length:
    description: Length of the generated token (16 to 128).
    type: int
    default: 64
  host:
    description: Primary endpoint address of the replication group. Omit to keep the stored URL.
    type: str
  port:
    description: Port of the replication group.
    type: int
    default: 6379
  owner_tags:
    description:
      - Tags an existing secret must carry to be used, changed or deleted (for example
        C(Project), C(Environment), C(ManagedBy)). A same-named secret without them stops
        the module with its name, instead of being adopted or deleted.
    type: dict
notes:
  - The diff lists the keys of the document with masked values.
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
- name: Create the token (the replication group does not exist yet)
  credlink.infra.redis_auth_secret:
    name: credlink-production-redis-auth
    description: Redis AUTH token of credlink-production
    tags:
      Project: credlink
      Environment: production
      ManagedBy: ansible
    owner_tags:
      Project: credlink
      Environment: production
      ManagedBy: ansible

- name: Record the rediss URL once the primary endpoint is known
  credlink.infra.redis_auth_secret:
    name: credlink-production-redis-auth
    create: false
    host: "{{ redis.primary_endpoint.address }}"
    port: "{{ redis.primary_endpoint.port }}"
"""

RETURN = r"""
extends_documentation_fragment:
  - credlink.infra.secret
"""

import string
from urllib.parse import quote

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY, diff_for
from ansible_collections.credlink.infra.plugins.module_utils.credentials import (
    create_secret,
    delete_secret,
    describe_secret,
    generate_secret,
    put_document,
    read_document,
    restore_secret,
    secret_summary,
    update_secret_settings,
)
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import auth_token_problem
from ansible_collections.credlink.infra.plugins.module_utils.credentials import secret_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.sync import missing_owner_tags

# A subset of what ElastiCache allows (letters, digits, !&#$^<>-): '-' is the only one of its
# specials that a URL's userinfo takes unescaped. 63 symbols over 64 characters is about 382 bits.
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-"
# AWS recommends at least three character types (AUTH guide, "Overview of AUTH").
TOKEN_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
MASK = "********"


def redis_url(token: str, host: str, port: int) -> str:
    """``rediss://[[<username>][:<password>]@]<host>[:<port>]`` (redis.io "Connection URLs";
    rediss is TLS). The token is percent-encoded, as a '#' would end the URL there; clients
    such as redis-py unquote it (research notes B, 5d)."""
    return f"rediss://:{quote(token, safe='')}@{host}:{port}"


def desired_document(params, current):
    current = current or {}
    token = current.get("token") or generate_secret(params["token_length"], TOKEN_ALPHABET, TOKEN_CLASSES)
    document = {"token": token}
    if params["host"]:
        document["url"] = redis_url(token, params["host"], params["port"])
    elif current.get("url"):
        document["url"] = current["url"]
    return document


def masked(document):
    """The document for --diff: the token masked, the URL's host and port kept."""
    shown = {}
    for key, value in (document or {}).items():
        if key == "url" and isinstance(value, str) and "@" in value:
            shown[key] = f"rediss://:{MASK}@{value.rsplit('@', 1)[1]}"
        else:
            shown[key] = MASK
    return shown


def check_owner(module, meta):
    missing = missing_owner_tags(meta.get("Tags"), module.params["owner_tags"])
    if missing:
        module.fail_json(msg=(
            f"Secret {module.params['name']} exists but lacks the tags {missing} that mark it as this stack's; it is "
            f"neither used nor changed nor deleted. Delete or rename it, or tag it if it is indeed this stack's"))


def protect(module, document):
    """Register every sensitive value so that Ansible masks it wherever it might surface."""
    for value in (document or {}).values():
        if isinstance(value, str) and value:
            module.no_log_values.add(value)


def ensure_present(client, module, meta):
    params = module.params
    name = params["name"]
    if meta is None and not params["create"]:
        module.fail_json(msg=(f"Secret {name} with the Redis AUTH token does not exist: the replication group's "
                              f"token cannot be recorded (build the secrets layer, or restore the secret)"))
    changed = False
    if meta and meta.get("DeletedDate"):
        module.warn(f"Secret {name} was scheduled for deletion; restoring it with its stored token")
        changed = True
        if not module.check_mode:
            restore_secret(client, module, name)
    current = None
    if meta and not (changed and module.check_mode):
        current, _ = read_document(client, module, name)
        protect(module, current)
        if current and current.get("token") is not None:
            problem = auth_token_problem(current["token"])
            if problem:
                module.fail_json(msg=f"Secret {name} holds a token ElastiCache would refuse ({problem}); "
                                 f"fix or delete it by hand")
    desired = desired_document(params, current)
    protect(module, desired)
    if meta is None:
        if not module.check_mode:
            create_secret(client, module, name, desired, params["description"], params["kms_key_id"], params["tags"])
        return True, None, desired
    if current != desired:
        changed = True
        if not module.check_mode:
            put_document(client, module, name, desired)
    changed |= update_secret_settings(client, module, name, meta, params["description"], params["kms_key_id"],
                                      params["tags"], params["purge_tags"])
    return changed, current, desired


def ensure_absent(client, module, meta):
    days = module.params["recovery_window_days"]
    if meta is None or (meta.get("DeletedDate") and days):
        return False
    if not module.check_mode:
        delete_secret(client, module, module.params["name"], days)
    return True


def main():
    module = AnsibleAWSModule(
        argument_spec=secret_argument_spec(
            create=dict(type="bool", default=True),
            token_length=dict(type="int", default=64, no_log=False),
            host=dict(type="str"),
            port=dict(type="int", default=6379),
            owner_tags=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not 16 <= params["token_length"] <= 128:
        module.fail_json(msg="token_length must be between 16 and 128 (ElastiCache AUTH token rules)")
    if not (7 <= params["recovery_window_days"] <= 30 or params["recovery_window_days"] == 0):
        module.fail_json(msg="recovery_window_days must be between 7 and 30, or 0 to delete at once")

    client = module.client("secretsmanager", retry_decorator=RETRY)
    meta = describe_secret(client, module, params["name"])
    if meta is not None:
        check_owner(module, meta)

    if params["state"] == "absent":
        changed = ensure_absent(client, module, meta)
        module.exit_json(changed=changed, secret={}, diff=diff_for({"name": params["name"]} if changed else {}, {}))

    changed, before, after = ensure_present(client, module, meta)
    result = secret_summary(client, module, params["name"]) if not module.check_mode or meta else {}
    module.exit_json(changed=changed, secret=result, diff=diff_for(masked(before), masked(after)))


if __name__ == "__main__":
    main()
