# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of credlink.infra.input_checks: every input check of a layer in one task.

``ansible.builtin.assert`` stops at the first false condition and has one message, so a
layer with six kinds of mistakes needed six tasks, and a user with two mistakes learnt of
the second on the next run. Here each check keeps its own message, every check runs, and
the task fails once with every message that applies.
"""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

CHECK_KEYS = frozenset(("that", "msg", "when"))


def listify(conditions: t.Any) -> list:
    """One condition or a list of them (a string is one condition, commas and all)."""
    return [conditions] if isinstance(conditions, (str, bool)) else list(conditions)


class ActionModule(ActionBase):
    _requires_connection = False
    _VALID_ARGS = frozenset(("checks",))
    TRANSFERS_FILES = False

    @classmethod
    def finalize_task_arg(cls, name: str, value: t.Any, templar: t.Any, context: t.Any) -> t.Any:
        # Like assert's `that`, the checks stay untemplated until run(): conditions are
        # evaluated as conditionals, and a message is rendered only when its check fails
        # (it may describe a value that only exists when the input is wrong).
        if name == "checks":
            return value
        return super().finalize_task_arg(name, value, templar, context)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp

        checks = self._task.args.get("checks")
        if not isinstance(checks, list) or not checks:
            raise AnsibleActionFail("checks must be a non-empty list of {that, msg[, when]}")
        problems = []
        for number, check in enumerate(checks, start=1):
            if not isinstance(check, dict) or not {"that", "msg"} <= check.keys() or check.keys() - CHECK_KEYS:
                raise AnsibleActionFail(f"check {number} must have 'that' and 'msg' (and optionally 'when'), "
                                        f"not {sorted(check) if isinstance(check, dict) else type(check).__name__}")
            if "when" in check and not all(self._holds(condition) for condition in listify(check["when"])):
                continue
            failed = next((condition for condition in listify(check["that"]) if not self._holds(condition)), None)
            if failed is not None:
                problems.append({"assertion": failed, "msg": str(self._templar.template(check["msg"])).strip()})

        result.update(changed=False, problems=problems, checked=len(checks))
        if problems:
            result["failed"] = True
            messages = [problem["msg"] for problem in problems]
            result["msg"] = messages[0] if len(messages) == 1 else " ".join(
                [f"{len(messages)} problems:"] + [f"({number}) {message}" for number, message in enumerate(messages, 1)])
        else:
            result["msg"] = f"all {len(checks)} checks passed"
        return result

    def _holds(self, condition: t.Any) -> bool:
        return bool(self._templar.evaluate_conditional(conditional=condition))
