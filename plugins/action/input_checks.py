# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of credlink.infra.input_checks: every input check in one task.

``ansible.builtin.assert`` stops at the first false condition and has one message, so a
layer with six kinds of mistakes needed six tasks, and a user with two mistakes learnt of
the second on the next run. Here each check keeps its own message, every check runs, and
the task fails once with every message that applies.

With ``layers``, the same goes for whole layers: each layer's inputs are validated against
its role's argument spec and then its own checks (``roles/<layer>/meta/input_checks.yml``),
with the role's defaults under the inventory as ``include_role`` would have them. A user
with a wrong database size and a wrong cache size learns of both in one run, and the
preflight of eight layers is one task instead of two per layer.
"""

from __future__ import annotations

import os
import typing as t

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.utils.vars import combine_vars

CHECK_KEYS = frozenset(("that", "msg", "when"))
CHECK_FILE_KEYS = frozenset(("vars", "checks"))
# plugins/action/ -> the collection's roles/
ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")


def listify(conditions: t.Any) -> list:
    """One condition or a list of them (a string is one condition, commas and all)."""
    return [conditions] if isinstance(conditions, (str, bool)) else list(conditions)


class ActionModule(ActionBase):
    _requires_connection = False
    _VALID_ARGS = frozenset(("checks", "layers"))
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

        checks, layers = self._task.args.get("checks"), self._task.args.get("layers")
        if (checks is None) == (layers is None):
            raise AnsibleActionFail("give either checks or layers")
        if layers is not None:
            if not isinstance(layers, list) or not layers or not all(isinstance(layer, str) for layer in layers):
                raise AnsibleActionFail("layers must be a non-empty list of role names")
            problems, inputs, checked = self._check_layers(layers, task_vars or {})
            if not problems:
                result["inputs"] = inputs
        else:
            problems, checked = self._check(checks, self._templar), len(checks)

        result.update(changed=False, problems=problems, checked=checked)
        if problems:
            result["failed"] = True
            messages = [problem["msg"] for problem in problems]
            result["msg"] = messages[0] if len(messages) == 1 else " ".join(
                [f"{len(messages)} problems:"] + [f"({number}) {message}" for number, message in enumerate(messages, 1)])
        else:
            result["msg"] = f"all {checked} checks passed"
        return result

    def _check(self, checks: t.Any, templar: t.Any) -> list[dict]:
        if not isinstance(checks, list) or not checks:
            raise AnsibleActionFail("checks must be a non-empty list of {that, msg[, when]}")
        problems = []
        for number, check in enumerate(checks, start=1):
            if not isinstance(check, dict) or not {"that", "msg"} <= check.keys() or check.keys() - CHECK_KEYS:
                raise AnsibleActionFail(f"check {number} must have 'that' and 'msg' (and optionally 'when'), "
                                        f"not {sorted(check) if isinstance(check, dict) else type(check).__name__}")
            if "when" in check and not all(self._holds(templar, condition) for condition in listify(check["when"])):
                continue
            failed = next((condition for condition in listify(check["that"]) if not self._holds(templar, condition)), None)
            if failed is not None:
                problems.append({"assertion": failed, "msg": str(templar.template(check["msg"])).strip()})
        return problems

    def _check_layers(self, layers: list[str], task_vars: dict) -> tuple[list[dict], dict, int]:
        """Each layer's argument spec, then its checks; a layer whose spec fails skips its checks."""
        problems: list[dict] = []
        inputs: dict = {}
        checked = 0
        unknown = [layer for layer in layers if not os.path.isdir(os.path.join(ROLES_DIR, layer))]
        if unknown:
            raise AnsibleActionFail(f"layer {unknown[0]!r} is not a role of this collection ({ROLES_DIR})")
        for layer in layers:
            role = os.path.join(ROLES_DIR, layer)
            spec = self._load(role, "meta/argument_specs.yml").get("argument_specs", {}).get("main", {}).get("options", {})
            # Role defaults under everything else; role vars (the role's __ constants) on top,
            # as they are when the role runs.
            variables = combine_vars(combine_vars(self._load(role, "defaults/main.yml"), task_vars),
                                     {**self._load(role, "vars/main.yml"), "role_path": role})
            templar = self._templar.copy_with_new_env(available_variables=variables)
            provided = templar.template({name: variables[name] for name in spec if name in variables})
            validation = ArgumentSpecValidator(spec).validate(provided, validate_role_argument_spec=True)
            checked += 1
            if validation.error_messages:
                problems.extend({"assertion": f"argument spec of {layer}", "msg": message}
                                for message in validation.error_messages)
                continue
            # The checks see the values as the spec typed them: -e cache_num_nodes=2 is a number.
            validated = {name: value for name, value in validation.validated_parameters.items() if name in provided}
            inputs.update(validated)
            own = self._load(role, "meta/input_checks.yml")
            if not own:
                continue
            if not isinstance(own, dict) or own.keys() - CHECK_FILE_KEYS or "checks" not in own:
                raise AnsibleActionFail(f"{role}/meta/input_checks.yml must hold 'checks' (and optionally 'vars')")
            templar = self._templar.copy_with_new_env(
                available_variables=combine_vars(combine_vars(variables, validated), own.get("vars") or {}))
            problems.extend(self._check(own["checks"], templar))
            checked += len(own["checks"])
        return problems, inputs, checked

    def _load(self, role: str, relative: str) -> t.Any:
        path = os.path.join(role, relative)
        if not os.path.exists(path):
            return {}
        # The collection's own role files: their templates are trusted, as Ansible trusts a
        # role's defaults and vars when it loads the role.
        return self._loader.load_from_file(path, trusted_as_template=True) or {}

    @staticmethod
    def _holds(templar: t.Any, condition: t.Any) -> bool:
        return bool(templar.evaluate_conditional(conditional=condition))
