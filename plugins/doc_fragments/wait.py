# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The polling interval of the modules that wait (module_utils/sync.wait_argument_spec).

``wait`` and ``wait_timeout`` stay in each module: what is awaited and how long it takes differ.
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  wait_delay:
    description: Seconds between two status checks while waiting.
    type: int
    default: 15
"""
