# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS helpers shared by the cluster and service modules."""

from __future__ import annotations


def ecs_tags_to_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """ECS spells its tag keys in lower case (``key``/``value``), unlike most services."""
    return {tag["key"]: tag["value"] for tag in tags or []}


def ecs_tags_from_dict(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in sorted((tags or {}).items())]
