#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: input_checks
short_description: Run every input check, of one list or of whole layers, and report all that fail, each with its own message
version_added: 0.1.0
description:
  - Evaluates a list of checks, each a list of conditions (as in P(ansible.builtin.assert#module)'s
    C(that)) with the message to show when one of them is false.
  - Every check runs; the task fails once, with the message of every check that failed, so a user
    with two wrong inputs learns of both in one run.
  - A message is rendered only when its check fails, so it may describe values that only exist
    when the input is wrong.
  - With O(layers), it validates whole layers of this collection instead, the way the
    C(credlink.infra.preflight) role runs it. For each layer, the role's variables are taken
    with the role's C(defaults/main.yml) underneath the inventory and extra variables (as
    P(ansible.builtin.include_role#module) would have them), validated against the role's
    C(main) argument spec, then run through the checks of C(roles/<layer>/meta/input_checks.yml)
    (keys C(checks) and optional C(vars), helper expressions), with the values as the spec typed
    them. A layer whose argument spec fails skips its own checks. Every problem of every layer
    is reported in one failure.
author:
  - CredLink platform team (@credlink)
options:
  checks:
    description:
      - The checks, in the order their messages are reported.
      - Exactly one of O(checks) and O(layers) is required.
    type: list
    elements: dict
    suboptions:
      that:
        description: Conditions (bare Jinja expressions, as in C(when)) that must all be true.
        type: list
        elements: str
        required: true
      msg:
        description: What is wrong and how to fix it, shown when a condition of O(checks[].that) is false.
        type: str
        required: true
      when:
        description: Conditions under which the check applies at all; it is skipped when one is false.
        type: list
        elements: str
  layers:
    description:
      - Roles of this collection whose inputs are validated, in the order their problems are reported.
      - Exactly one of O(checks) and O(layers) is required.
    type: list
    elements: str
notes:
  - The checks are evaluated on the controller, like P(ansible.builtin.assert#module).
attributes:
  action:
    description: Runs entirely on the controller.
    support: full
  check_mode:
    description: Evaluates the checks; nothing is changed either way.
    support: full
  diff_mode:
    description: Nothing is changed, so there is no diff.
    support: none
  platform:
    description: Runs on the controller.
    support: full
    platforms: all
seealso:
  - module: ansible.builtin.assert
  - module: ansible.builtin.validate_argument_spec
"""

EXAMPLES = r"""
- name: Check the cache inputs
  credlink.infra.input_checks:
    checks:
      - that:
          - cache_num_nodes >= 1 and cache_num_nodes <= 6
        msg: cache_num_nodes must be 1-6 ({{ cache_num_nodes }})
      - that:
          - not cache_auth_token or cache_transit_encryption
        msg: cache_auth_token needs cache_transit_encryption=true
      - when:
          - credlink_env == 'production'
        that:
          - cache_transit_encryption
        msg: production requires cache_transit_encryption=true

- name: Validate the inputs of the database and cache layers
  credlink.infra.input_checks:
    layers: [database, cache]
  register: layer_inputs
"""

RETURN = r"""
problems:
  description: The failed checks, in order, each with the first false condition and its message.
  returned: always
  type: list
  elements: dict
  sample: [{"assertion": "cache_num_nodes >= 1 and cache_num_nodes <= 6", "msg": "cache_num_nodes must be 1-6 (0)"}]
checked:
  description: How many checks were given; with O(layers), one argument spec per layer plus the layers' checks.
  returned: always
  type: int
  sample: 4
msg:
  description: The message of the failed check, or C(N problems:) and each message numbered; or that all passed.
  returned: always
  type: str
  sample: "2 problems: (1) cache_num_nodes must be 1-6 (0) (2) cache_auth_token needs cache_transit_encryption=true"
inputs:
  description: Every validated variable of the O(layers), as the argument specs typed them, the role defaults included.
  returned: with O(layers), when nothing failed
  type: dict
  sample: {"cache_num_nodes": 2, "database_multi_az": true}
"""
