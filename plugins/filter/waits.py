# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The joint wait's two formulas: how many reads a wait makes, and what a hand-over records."""

from __future__ import annotations

import math
from collections.abc import Mapping

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


def _seconds(layer: str, name: str, value) -> int:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"hand_over: {layer}: {name} must be a number of seconds, not {value!r}") from None
    if seconds < 0 or str(seconds) != str(value).strip():
        raise AnsibleFilterError(f"hand_over: {layer}: {name} must be a whole, non-negative number of seconds, not {value!r}")
    return seconds


def hand_over(awaiting, layer, resources, timeout, poll, finish=True) -> dict:
    """``awaiting`` with ``layer``'s started resources added, as the joint wait's ``await`` reads them.

    A layer handing over again (a second run of it in one play) replaces its earlier entry.
    """
    if awaiting is None:
        awaiting = {}
    if not isinstance(awaiting, Mapping):
        raise AnsibleFilterError(f"hand_over: what is awaited must be a dict, not {type(awaiting).__name__}")
    if not isinstance(layer, str) or not layer:
        raise AnsibleFilterError(f"hand_over: the layer must be a role name, not {layer!r}")
    if not isinstance(resources, list) or not all(
        isinstance(r, Mapping) and r.get("kind") and r.get("id") for r in resources
    ):
        raise AnsibleFilterError(
            f"hand_over: {layer}: resources must be a list of {{kind, id}}, as readiness_info takes them, not {resources!r}"
        )
    if not isinstance(finish, bool):
        raise AnsibleFilterError(f"hand_over: {layer}: finish must be true or false, not {finish!r}")
    entry = {
        "resources": [dict(r) for r in resources],
        "timeout": _seconds(layer, "timeout", timeout),
        "poll": _seconds(layer, "poll", poll),
        "finish": finish,
    }
    return {**{k: v for k, v in awaiting.items() if k != layer}, layer: entry}


class FilterModule:
    def filters(self):
        return {"poll_count": poll_count, "hand_over": hand_over}
