"""Call an Ansible module's main() in this test process and return what it reported (not the warm
module runner of plugins/plugin_utils, which serves playbook runs)."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common import warnings


def call_main(module, args: dict, capsys, check_mode: bool = False) -> tuple[dict, int]:
    payload = dict(args)
    payload["_ansible_check_mode"] = check_mode
    payload.setdefault("region", "us-east-1")
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": payload}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    # A module process starts with no warnings; here an earlier test's would be reported again.
    warnings._global_warnings.clear()
    warnings._global_deprecations.clear()
    try:
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    finally:
        basic._ANSIBLE_ARGS = None
        basic._ANSIBLE_PROFILE = None
    out = capsys.readouterr().out
    return json.loads(out), exit_info.value.code
