# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS helpers shared by the cluster and service modules."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags


def ecs_tags_to_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """ECS spells its tag keys in lower case (``key``/``value``), unlike most services."""
    return {tag["key"]: tag["value"] for tag in tags or []}


def ecs_tags_from_dict(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in sorted((tags or {}).items())]


def replace_ecs_tags(client, arn: str, current: dict[str, str], wanted: dict[str, str]) -> None:
    """Make the resource's tags exactly ``wanted`` (callers catch the AWS errors)."""
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=True)
    if to_unset:
        client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=to_unset)
    if to_set:
        client.tag_resource(aws_retry=True, resourceArn=arn, tags=ecs_tags_from_dict(to_set))
