# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of credlink.infra.stack_report: draws and writes the report on the controller.

The drawing code lives in ``plugins/plugin_utils/render``, which Ansible never ships to a
managed node, so the whole module runs here; ``plugins/modules/stack_report.py`` only
documents it.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.credlink.infra.plugins.plugin_utils.render import diagram
from ansible_collections.credlink.infra.plugins.plugin_utils.render import layout
from ansible_collections.credlink.infra.plugins.plugin_utils.render import page

display = Display()

ARGUMENT_SPEC = dict(
    environment=dict(type="str", required=True),
    region=dict(type="str", required=True),
    dest=dict(type="path", required=True),
    checklist=dict(type="dict", required=True),
    outputs=dict(type="dict", default={}),
    monthly_cost=dict(type="dict", default={}),
    show_sensitive=dict(type="bool", default=False),
)
FILE_NAMES = {"checklist": "checklist.json", "outputs": "outputs.json",
              "svg": "topology.svg", "png": "topology.png", "html": "report.html"}


def up_to_date(path: str, content: bytes) -> bool:
    try:
        with open(path, "rb") as current:
            return current.read() == content and (os.stat(path).st_mode & 0o777) == 0o600
    except OSError:
        return False


def write_private(path: str, content: bytes) -> None:
    """Replace the file atomically; it is created 0600 so it is never readable by others."""
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".stack_report-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def as_json(data) -> bytes:
    return (json.dumps(data, indent=4, sort_keys=True, default=str) + "\n").encode()


def contents(args: dict, generated: str) -> dict[str, bytes]:
    """Bytes of each file to write, by kind."""
    checklist = args["checklist"]
    picture = layout.layout(checklist["topology"])
    svg = diagram.to_svg(picture, f"credlink-{args['environment']} topology")
    html = page.render(args["environment"], args["region"], generated, checklist, args["outputs"], args["monthly_cost"],
                       svg, args["show_sensitive"])
    report = {"environment": args["environment"], "region": args["region"], "summary": checklist["summary"],
              "items": checklist["items"], "monthly_cost": args["monthly_cost"]}
    files = {"checklist": as_json(report), "outputs": as_json(args["outputs"]), "svg": svg.encode(), "html": html.encode()}
    if diagram.png_supported():
        files["png"] = diagram.to_png(picture)
    return files


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        dest = os.path.expanduser(args["dest"])
        missing = [key for key in ("items", "summary", "topology") if key not in args["checklist"]]
        if missing:
            raise AnsibleActionFail(f"checklist lacks {', '.join(missing)}: pass the registered result of deployment_checklist")
        if not diagram.png_supported():
            display.warning("Pillow is not installed on the controller: the topology PNG is not written "
                            "(the SVG and the HTML report are)")

        generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        paths = {kind: os.path.join(dest, f"{args['environment']}-{name}") for kind, name in FILE_NAMES.items()}
        changed = False
        if not os.path.isdir(dest):
            changed = True
            if not self._task.check_mode:
                # Endpoints are in the outputs: the directory is the user's alone.
                os.makedirs(dest, mode=0o700)
        for kind, content in contents(args, generated).items():
            if up_to_date(paths[kind], content):
                continue
            changed = True
            if not self._task.check_mode:
                write_private(paths[kind], content)
        result.update(changed=changed, files={kind: path if kind != "png" or diagram.png_supported() else None
                                              for kind, path in paths.items()})
        return result
