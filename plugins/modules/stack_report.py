#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_report
short_description: Write the topology picture and the HTML verification report of a CredLink environment
version_added: 0.1.0
description:
  - Draws the stack that M(credlink.infra.deployment_checklist) found - VPC, zones, subnets
    per tier, NAT gateways, ALB, ECS service, RDS primary and standby, Redis primary and
    replicas, bucket, secret, image repository - with each resource coloured by the status of
    its checklist items, and writes it as C(<environment>-topology.svg) and
    C(<environment>-topology.png).
  - Writes C(<environment>-report.html), one self-contained page (inline styles and SVG)
    with the picture, the checklist, the outputs and the monthly cost.
  - Every file is private to the user (mode 0600). Sensitive outputs (endpoints) are
    masked in the page unless O(show_sensitive).
  - Runs on the controller (delegated to C(localhost)); the PNG needs Pillow, without it
    the module warns and writes the SVG and the page only.
author:
  - CredLink platform team (@credlink)
options:
  environment:
    description: Environment name (C(credlink_env)); it names the files.
    type: str
    required: true
  region:
    description: AWS region, shown in the picture and the page.
    type: str
    required: true
  dest:
    description: Directory to write the files into; it must exist.
    type: path
    required: true
  checklist:
    description: The result of M(credlink.infra.deployment_checklist) (its C(items), C(summary) and C(topology)).
    type: dict
    required: true
  outputs:
    description: The checklist's C(outputs) (each with C(value) and C(sensitive)).
    type: dict
    default: {}
  monthly_cost:
    description: The result of the C(credlink.infra.monthly_cost) filter.
    type: dict
    default: {}
  show_sensitive:
    description: Show sensitive outputs in the page instead of masking them.
    type: bool
    default: false
notes:
  - Supports C(check_mode) (reports what would change, writes nothing). C(verify.yml) turns
    check mode off for it because reports are results of the run, not managed state.
"""

EXAMPLES = r"""
- name: Run the checklist
  credlink.infra.deployment_checklist:
    environment: production
    expected: "{{ sizing }}"
  register: checklist

- name: Write the topology picture and the HTML report
  credlink.infra.stack_report:
    environment: production
    region: us-east-1
    dest: "{{ playbook_dir }}/../reports"
    checklist: "{{ checklist }}"
    outputs: "{{ checklist.outputs }}"
  delegate_to: localhost
"""

RETURN = r"""
files:
  description: Paths written, by kind; C(png) is null when Pillow is missing.
  returned: always
  type: dict
  sample: {"svg": "reports/production-topology.svg", "png": "reports/production-topology.png",
           "html": "reports/production-report.html"}
"""

import os
import tempfile
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.credlink.infra.plugins.module_utils import diagram
from ansible_collections.credlink.infra.plugins.module_utils import report
from ansible_collections.credlink.infra.plugins.module_utils import topology


def up_to_date(path, content):
    try:
        with open(path, "rb") as current:
            return current.read() == content and (os.stat(path).st_mode & 0o777) == 0o600
    except OSError:
        return False


def write_private(path, content):
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


def contents(p, generated):
    """Bytes of each file to write, by kind."""
    checklist = p["checklist"]
    picture = topology.layout(checklist["topology"])
    svg = diagram.to_svg(picture, f"credlink-{p['environment']} topology")
    html = report.render(p["environment"], p["region"], generated, checklist, p["outputs"], p["monthly_cost"], svg,
                         p["show_sensitive"])
    files = {"svg": svg.encode(), "html": html.encode()}
    if diagram.png_supported():
        files["png"] = diagram.to_png(picture)
    return files


def main():
    module = AnsibleModule(
        argument_spec=dict(
            environment=dict(type="str", required=True),
            region=dict(type="str", required=True),
            dest=dict(type="path", required=True),
            checklist=dict(type="dict", required=True),
            outputs=dict(type="dict", default={}),
            monthly_cost=dict(type="dict", default={}),
            show_sensitive=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not os.path.isdir(p["dest"]):
        module.fail_json(msg=f"Report directory {p['dest']} does not exist")
    missing = [key for key in ("items", "summary", "topology") if key not in p["checklist"]]
    if missing:
        module.fail_json(msg=f"checklist lacks {', '.join(missing)}: pass the registered result of deployment_checklist")
    if not diagram.png_supported():
        module.warn("Pillow is not installed: the topology PNG is not written (the SVG and the HTML report are)")

    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    names = {"svg": "topology.svg", "png": "topology.png", "html": "report.html"}
    paths = {kind: os.path.join(p["dest"], f"{p['environment']}-{name}") for kind, name in names.items()}
    changed = False
    for kind, content in contents(p, generated).items():
        if up_to_date(paths[kind], content):
            continue
        changed = True
        if not module.check_mode:
            write_private(paths[kind], content)
    module.exit_json(changed=changed, files={kind: path if kind != "png" or diagram.png_supported() else None
                                             for kind, path in paths.items()})


if __name__ == "__main__":
    main()
