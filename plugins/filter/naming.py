# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The naming contract for the roles: the preflight role publishes it as ``credlink_names``."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.module_utils import naming


def stack_names(environment, account_id=naming.ACCOUNT_STAND_IN) -> dict:
    """Every name the stack builds for ``environment`` in ``account_id``, by key."""
    if not isinstance(environment, str) or not environment:
        raise AnsibleFilterError(f"stack_names: the environment must be a non-empty string, not {environment!r}")
    return naming.names(environment, str(account_id or naming.ACCOUNT_STAND_IN))


def stack_name_prefix(environment) -> str:
    return naming.prefix(environment)


class FilterModule:
    def filters(self):
        return {"stack_names": stack_names, "stack_name_prefix": stack_name_prefix}
