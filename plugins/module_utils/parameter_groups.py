# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compare step shared by the RDS and ElastiCache parameter group modules."""

from __future__ import annotations

from typing import Mapping


def plan_parameters(current: Mapping[str, str | None], desired: Mapping[str, str],
                    purge: bool) -> tuple[dict[str, str], list[str]]:
    """Return (parameters to set, parameter names to reset to the default).

    Values are compared as strings, as both APIs return them.
    """
    to_set = {key: value for key, value in desired.items() if current.get(key) != value}
    to_reset = sorted(key for key in current if key not in desired) if purge else []
    return to_set, to_reset
