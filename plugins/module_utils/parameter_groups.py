# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compare step shared by the RDS and ElastiCache parameter group modules."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ansible_collections.credlink.infra.plugins.module_utils.sync import desired_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import differing
from ansible_collections.credlink.infra.plugins.module_utils.sync import resource_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.sync import sync


def plan_parameters(current: Mapping[str, str | None], desired: Mapping[str, str],
                    purge: bool) -> tuple[dict[str, str], list[str]]:
    """Return (parameters to set, parameter names to reset to the default).

    Values are compared as strings, as both APIs return them.
    """
    to_set = {key: value for key, value in desired.items() if current.get(key) != value}
    to_reset = sorted(key for key in current if key not in desired) if purge else []
    return to_set, to_reset


def check_family(module, kind: str, group_family: str | None, exists: bool) -> None:
    """Fail when the family is missing for a creation or differs from the group's.

    AWS cannot change the family of a parameter group; the user has to pick a new name.
    """
    params = module.params
    if exists and params["family"] and group_family != params["family"]:
        module.fail_json(msg=f"{kind} {params['name']} has family {group_family}, not {params['family']}; "
                         f"the family cannot change, use a new name")
    if not exists and not params["family"]:
        module.fail_json(msg=f"family is required to create {kind} {params['name']}")


def desired_group(current: Mapping[str, Any] | None, params: Mapping[str, Any]) -> dict[str, Any]:
    """The group's user-set parameters and tags once the module has run."""
    current = current or {"parameters": {}, "tags": {}}
    to_set, to_reset = planned(current, params)
    return {
        "parameters": {k: v for k, v in {**current["parameters"], **to_set}.items() if k not in to_reset},
        "tags": desired_tags(current["tags"], params["tags"], params["purge_tags"]),
    }


def planned(current: Mapping[str, Any] | None, params: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """``plan_parameters`` for the module's parameters against ``current`` (None: a new group)."""
    desired = {key: str(value) for key, value in params["parameters"].items()}
    return plan_parameters((current or {}).get("parameters", {}), desired, params["purge_parameters"])


def sync_group(module, kind: str, family: str | None, read_current: Callable[[], dict] | None,
               create: Callable, update: Callable):
    """Check the family, then sync the group's user-set parameters and tags.

    ``read_current`` reads the existing group's parameters and tags (None: no group yet).
    Returns the ``sync`` outcome and the names of the parameters set or reset."""
    check_family(module, kind, family, read_current is not None)
    current = read_current() if read_current else None
    to_set, to_reset = planned(current, module.params)
    outcome = sync(module, current, desired_group(current, module.params), create=create, update=update,
                   compare=differing)
    return outcome, sorted([*to_set, *to_reset])


def parameter_group_argument_spec() -> dict[str, dict[str, Any]]:
    """The options of the ``credlink.infra.parameter_group`` fragment, tags included."""
    return resource_argument_spec(
        family={"type": "str"},
        description={"type": "str"},
        parameters={"type": "dict", "default": {}},
        purge_parameters={"type": "bool", "default": False},
    )
