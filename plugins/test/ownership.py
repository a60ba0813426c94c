# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a resource is the stack's: its tags, not its name, decide."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def carries(tags, required) -> bool:
    """Whether ``tags`` (a dict) holds every key of ``required`` with exactly its value."""
    if not isinstance(required, dict) or not required:
        raise AnsibleFilterError("carries needs the required tags as a non-empty dict")
    return all((tags or {}).get(key) == value for key, value in required.items())


class TestModule:
    def tests(self):
        return {"carries": carries}
