# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seeds' baseline (data/baseline.yml): the weakest stack an environment may run.

Shared by the preflight (through the ``baseline_violations`` filter: an inventory below
the baseline is refused) and the checklist (a stack below it fails, or is ``waived`` when
the inventory was deliberately allowed below it).
"""

from __future__ import annotations

from typing import Any

from ansible.module_utils.parsing.convert_bool import boolean

COMPARISONS = ("at_least", "at_most", "exactly")


def problems(document: Any) -> list[str]:
    """What is wrong with a baseline document; empty when it can be used."""
    if not isinstance(document, dict):
        return ["the baseline is not a mapping"]
    settings, environments = document.get("settings"), document.get("environments")
    if not isinstance(settings, dict) or not isinstance(environments, dict) or not environments:
        return ["the baseline needs the mappings settings and environments"]
    found = [f"setting {key}: compare must be one of {', '.join(COMPARISONS)}"
             for key, rule in settings.items() if not isinstance(rule, dict) or rule.get("compare") not in COMPARISONS]
    for name, values in environments.items():
        unknown = sorted(set(values or {}) - set(settings))
        if unknown:
            found.append(f"environment {name}: unknown setting(s) {', '.join(unknown)}")
    if document.get("unlisted_environments") not in environments:
        found.append("unlisted_environments must name one of the environments")
    return found


def for_environment(document: dict, environment: str) -> dict:
    """The baseline an environment is held to: ``{"environment", "settings": {key: {value, compare, variable}}}``."""
    name = environment if environment in document["environments"] else document["unlisted_environments"]
    values = document["environments"][name] or {}
    return {
        "environment": name,
        "settings": {key: {"value": value, "compare": document["settings"][key]["compare"],
                           "variable": document["settings"][key].get("variable")}
                     for key, value in values.items()},
    }


def coerce(value: Any, like: Any) -> Any:
    """``value`` as the type of the baseline's ``like``: inventory and -e values may be strings."""
    if value is None:
        return None
    if isinstance(like, bool):
        return boolean(value, strict=False)
    if isinstance(like, int):
        return int(value)
    return str(value)


def weaker(compare: str, value: Any, baseline: Any) -> bool:
    """Whether ``value`` is weaker than the baseline (a missing value is)."""
    value = coerce(value, baseline)
    if value is None:
        return True
    if compare == "at_least":
        return value < baseline
    if compare == "at_most":
        return value > baseline
    return value != baseline


def describe(compare: str, baseline: Any) -> str:
    words = {"at_least": "at least", "at_most": "at most", "exactly": "exactly"}
    return f"{words[compare]} {baseline}"


def violations(document: dict, environment: str, values: dict) -> list[dict]:
    """The inventory's settings below the environment's baseline; ``values`` by inventory variable name."""
    held = for_environment(document, environment)
    found = []
    for key, rule in held["settings"].items():
        if not rule["variable"] or rule["variable"] not in values:
            continue
        value = values[rule["variable"]]
        if weaker(rule["compare"], value, rule["value"]):
            found.append({"setting": key, "variable": rule["variable"], "value": value, "baseline": rule["value"],
                          "compare": rule["compare"], "environment": held["environment"],
                          "message": f"{rule['variable']}={value} (the {held['environment']} baseline is "
                                     f"{describe(rule['compare'], rule['value'])})"})
    return found
