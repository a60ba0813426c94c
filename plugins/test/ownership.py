# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a resource is the stack's: its tags, not its name, decide."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.module_utils.sync import owned


def carries(tags, required) -> bool:
    """Whether ``tags`` (a dict) holds every key of ``required`` with exactly its value."""
    if not isinstance(required, dict) or not required:
        raise AnsibleFilterError("carries needs the required tags as a non-empty dict")
    return owned(tags, required)


class TestModule:
    def tests(self):
        return {"carries": carries}
