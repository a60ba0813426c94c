# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the RDS and ElastiCache parameter group modules."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  name:
    description: Name of the parameter group.
    type: str
    required: true
  state:
    description: Whether the parameter group should exist.
    type: str
    choices: [present, absent]
    default: present
  family:
    description:
      - Parameter group family, for example V(postgres15) or V(redis7). Required to create
        the group; the family of an existing group cannot change.
    type: str
  description:
    description: Description, set at creation (AWS cannot change it later).
    type: str
  parameters:
    description: Parameters to set, name to value. Values are compared as strings.
    type: dict
    default: {}
  purge_parameters:
    description: Reset user-set parameters that are not listed in O(parameters) to their defaults.
    type: bool
    default: false
notes:
  - Supports C(check_mode) and C(diff_mode).
"""
