# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drawing the verification report on the controller: ``layout`` (the topology on a grid),
``diagram`` (SVG and PNG of that layout) and ``page`` (the self-contained HTML report).

Used by the ``stack_report`` action plugin; never shipped to a managed node.
"""
