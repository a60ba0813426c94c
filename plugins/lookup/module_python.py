# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: module_python
short_description: Interpreter for localhost modules; the warm module runner when it is switched on
description:
  - Returns the Python to use as C(ansible_python_interpreter) for C(localhost).
  - By default that is the controller Python itself, C(ansible_playbook_python), the Python
    the inventories named before this lookup existed.
  - When the warm module runner is switched on, it returns the path of a small launcher that
    hands each module run to a per-user server which has already imported
    C(ansible.module_utils), the amazon.aws and community.aws module_utils and boto3, and
    parsed the botocore service models, so a module costs a fork instead of a new Python.
    The launcher is written once per controller Python under C($XDG_CACHE_HOME/credlink-infra)
    (C(~/.cache/credlink-infra) by default) and rewritten when this collection changes it.
  - The runner is switched on by the inventory variable C(credlink_module_runner=true) or the
    environment variable C(CREDLINK_MODULE_RUNNER=on). The environment variable, when set,
    decides, so C(CREDLINK_MODULE_RUNNER=off) always switches it off.
  - It is used only on Linux with the ansible-core versions it was tested with (2.21);
    elsewhere the lookup returns the controller Python and prints one warning.
  - Only meaningful with C(ansible_connection=local); the launcher runs the controller's Python.
author:
  - CredLink platform team (@credlink)
options: {}
notes:
  - The server for a Python exits after C(CREDLINK_MODULE_RUNNER_IDLE) seconds (default 600) without work.
  - Its socket and log are in C($XDG_RUNTIME_DIR/credlink-module-runner-UID), or
    C(/tmp/credlink-module-runner-UID); C(CREDLINK_MODULE_RUNNER_DIR) moves them.
  - "C(python plugins/plugin_utils/module_runner.py stop) (in the collection) stops this user's servers."
  - Its safety rules are in the collection's README, section "The warm module runner".
"""

EXAMPLES = r"""
# inventories/*/hosts.yml
all:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: "{{ lookup('credlink.infra.module_python') }}"
      # opt in (or run with CREDLINK_MODULE_RUNNER=on)
      credlink_module_runner: true
"""

RETURN = r"""
_raw:
  description: Path of the launcher when the runner is on, else the controller Python.
  type: list
  elements: str
"""

import hashlib
import os
import sys

from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.lookup import LookupBase
from ansible.release import __version__ as ansible_version
from ansible.utils.display import Display

from ansible_collections.credlink.infra.plugins.plugin_utils import module_runner

display = Display()

LAUNCHER = """#!{python} -IS
# Written by the credlink.infra.module_python lookup; see plugins/plugin_utils/module_runner.py.
import sys
sys.path.insert(0, {directory!r})
import module_runner
module_runner.client_main(sys.argv[1:], {python!r})
"""


def launcher_text(python: str) -> str:
    return LAUNCHER.format(python=python, directory=os.path.dirname(os.path.abspath(module_runner.__file__)))


def launcher_path(python: str, environ=os.environ) -> str:
    cache = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    key = hashlib.sha256(python.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return os.path.join(cache, "credlink-infra", "module-python", "python-" + key)


def ensure_launcher(python: str, environ=os.environ) -> str:
    """Write the launcher if it is missing or different; return its path."""
    path = launcher_path(python, environ)
    text = launcher_text(python)
    try:
        with open(path, encoding="utf-8") as current:
            if current.read() == text and os.access(path, os.X_OK):
                return path
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    partial = "%s.%d.tmp" % (path, os.getpid())
    with open(partial, "w", encoding="utf-8") as launcher:
        launcher.write(text)
    os.chmod(partial, 0o700)
    os.replace(partial, path)
    return path


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError("credlink.infra.module_python takes no terms")
        python = sys.executable
        try:
            wanted = module_runner.requested(os.environ, self._inventory_switch(variables or {}))
        except ValueError as exc:
            raise AnsibleLookupError("%s: set it to on or off, or unset it to follow the inventory's %s"
                                     % (exc, module_runner.INVENTORY_VARIABLE))
        if not wanted:
            return [python]
        reason = module_runner.unsupported(sys.platform, ansible_version)
        if reason:
            # Display prints a repeated warning once per run, however many tasks look this up.
            display.warning("the warm module runner is not used: %s; modules run with %s" % (reason, python))
            return [python]
        try:
            return [ensure_launcher(python)]
        except OSError as exc:
            display.warning("module runner launcher not written (%s); running modules with %s" % (exc, python))
            return [python]

    def _inventory_switch(self, variables) -> bool:
        value = variables.get(module_runner.INVENTORY_VARIABLE, False)
        if isinstance(value, str) and self._templar.is_possibly_template(value):
            value = self._templar.template(value)
        try:
            return boolean(value, strict=True)
        except TypeError:
            raise AnsibleLookupError("%s must be true or false, not %r" % (module_runner.INVENTORY_VARIABLE, value))
