# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An inventory's settings below the seeds' baseline of its environment (data/baseline.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.module_utils import baseline


def baseline_violations(values: dict, document: dict, environment: str) -> list[dict]:
    found = baseline.problems(document)
    if found:
        raise AnsibleFilterError(f"baseline_violations: the baseline document is not usable: {'; '.join(found)}")
    try:
        return baseline.violations(document, environment, values)
    except (TypeError, ValueError) as e:
        raise AnsibleFilterError(f"baseline_violations: a value cannot be compared with the baseline ({e})") from None


class FilterModule:
    def filters(self):
        return {"baseline_violations": baseline_violations}
