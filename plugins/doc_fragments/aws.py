# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the AWS modules of the collection have in common.

Every module takes DOCUMENTATION (authors, action group) and one of CHANGES (a module that
changes AWS) or READ_ONLY (one that only reads) for its check and diff mode.
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
author:
  - CredLink platform team (@credlink)
attributes:
  action_group:
    description: Use C(group/credlink.infra.aws) in C(module_defaults) to set the AWS connection
      (region, endpoint, profile) once for this module and the amazon.aws and community.aws modules.
    support: full
    membership:
      - credlink.infra.aws
"""

    CHANGES = r"""
attributes:
  check_mode:
    description: Reports what would change and changes nothing.
    support: full
  diff_mode:
    description: Returns the settings before and after the change.
    support: full
"""

    READ_ONLY = r"""
attributes:
  check_mode:
    description: Read-only; it runs and returns the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no difference to show.
    support: N/A
"""
