#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_report
short_description: Write the verification reports of a CredLink environment (JSON, topology picture, HTML page)
version_added: 0.1.0
description:
  - Draws the stack that M(credlink.infra.deployment_checklist) found - VPC, zones, subnets
    per tier, NAT gateways, ALB, ECS service, RDS primary and standby, Redis primary and
    replicas, bucket, secret, image repository - with each resource coloured by the status of
    its checklist items, and writes it as C(<environment>-topology.svg) and
    C(<environment>-topology.png).
  - Writes C(<environment>-report.html), one self-contained page (inline styles and SVG)
    with the picture, the checklist, the outputs and the monthly cost.
  - Writes C(<environment>-checklist.json) (environment, region, summary, items and monthly
    cost) and C(<environment>-outputs.json) (the outputs, endpoints included, unmasked).
  - Every file is private to the user (mode 0600), and a directory it creates too (0700). Sensitive outputs (endpoints) are
    masked in the page unless O(show_sensitive).
  - Runs on the controller (an action plugin), whatever host the task targets; the PNG
    needs Pillow there, without it the module warns and writes the SVG and the page only.
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
    description: Directory to write the files into; created (mode 0700) when missing.
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
  - C(verify.yml) turns check mode off for it because reports are results of the run, not
    managed state.
attributes:
  action:
    description: Runs entirely on the controller; the drawing code is never sent to a host.
    support: full
  check_mode:
    description: Reports what would change and writes nothing.
    support: full
  diff_mode:
    description: Not supported; the files are regenerated as a whole.
    support: none
  platform:
    description: Writes to the controller's file system.
    support: full
    platforms: posix
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
"""

RETURN = r"""
files:
  description: Paths written, by kind; C(png) is null when Pillow is missing.
  returned: always
  type: dict
  sample: {"checklist": "reports/production-checklist.json", "outputs": "reports/production-outputs.json",
           "svg": "reports/production-topology.svg", "png": "reports/production-topology.png",
           "html": "reports/production-report.html"}
"""
