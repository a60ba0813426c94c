# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How many reads a wait makes: the one formula behind every ``retries:`` of the collection."""

from __future__ import annotations

import math

from ansible.errors import AnsibleFilterError


def poll_count(timeout, interval) -> int:
    """Reads that cover ``timeout`` seconds at one every ``interval`` seconds (at least one)."""
    try:
        timeout, interval = float(timeout), float(interval)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"poll_count: {timeout!r} and {interval!r} must be numbers of seconds") from None
    if timeout < 0 or interval < 0:
        raise AnsibleFilterError(f"poll_count: negative seconds ({timeout!r}, {interval!r})")
    return max(1, math.ceil(timeout / max(interval, 1)))


class FilterModule:
    def filters(self):
        return {"poll_count": poll_count}
