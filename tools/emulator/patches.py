"""Documented fixes for moto bugs that would otherwise force us to weaken real settings.

Each fix is applied only inside the emulator process, never to anything that talks to AWS.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable


def fix_rds_touching_windows() -> None:
    """Let an RDS backup window end exactly when the maintenance window starts.

    moto 5.2.5 treats an overlap of 0 seconds as overlapping and rejects backup
    ``03:00-04:00`` with maintenance ``mon:04:00-mon:05:00``; AWS accepts touching
    windows (they are the stack's documented values). Only the zero case changes.
    """
    from moto.rds import utils

    original: Callable[..., int] = utils.get_overlap_between_two_date_ranges
    if getattr(original, "_credlink_fixed", False):
        return

    def overlap(
        start_1: datetime.datetime,
        end_1: datetime.datetime,
        start_2: datetime.datetime,
        end_2: datetime.datetime,
    ) -> int:
        seconds = original(start_1, end_1, start_2, end_2)
        return -1 if seconds == 0 else seconds

    overlap._credlink_fixed = True  # type: ignore[attr-defined]
    utils.get_overlap_between_two_date_ranges = overlap


def fix_ec2_tag_resource_types() -> None:
    """Report the resource types AWS uses in DescribeTags (and filters by).

    moto 5.2.5 calls NAT gateways ``nat-gateway`` and flow logs ``flow-logs`` where AWS
    says ``natgateway`` and ``vpc-flow-log``. amazon.aws filters tags by the AWS names,
    finds none on moto, and re-tags the resource on every run (``changed`` forever).
    """
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE

    # The dict is shared with moto.ec2.models.tags, so it is updated in place.
    EC2_PREFIX_TO_RESOURCE.update({"nat": "natgateway", "fl": "vpc-flow-log", "eipalloc": "elastic-ip"})


def fix_security_group_description_updates() -> None:
    """Answer UpdateSecurityGroupRuleDescriptions{Ingress,Egress} with ``Return``, as AWS does.

    moto 5.2.5 answers with an empty body; amazon.aws reads ``Return`` and fails with
    ``KeyError: 'Return'`` whenever a rule's description has to change (for example the
    default egress rule of a new security group).
    """
    from moto.core.responses import ActionResult
    from moto.ec2.responses.security_groups import SecurityGroups

    for name in ("update_security_group_rule_descriptions_ingress", "update_security_group_rule_descriptions_egress"):
        original = getattr(SecurityGroups, name)
        if getattr(original, "_credlink_fixed", False):
            continue

        def answer_return(self, _original=original):
            _original(self)
            return ActionResult({"Return": True})

        answer_return._credlink_fixed = True  # type: ignore[attr-defined]
        setattr(SecurityGroups, name, answer_return)


def apply_all() -> None:
    fix_rds_touching_windows()
    fix_ec2_tag_resource_types()
    fix_security_group_description_updates()
