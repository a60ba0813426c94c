# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What RDS can create: orderable engine versions and instance class options.

Shared by ``rds_engine_version_info`` (the version the database layer sends) and
``account_readiness_info`` (whether an account and region can hold the database at all), so
both answer from the same two read-only calls and the same rules:

- ``DescribeDBEngineVersions`` with a major-only ``EngineVersion`` lists that major's minors
  (a prefix filter; research A 6, "EngineVersion 15 (major only)"); a minor whose ``Status``
  is not ``available`` can no longer be created. Creating one RDS does not offer fails with
  ``InvalidParameterCombination`` "Cannot find version 15.4 for postgres" (research A 6,
  "Errors": TIBCOSoftware/tp-helm-charts#51, RhinoSecurityLabs/cloudgoat#325).
- ``DescribeOrderableDBInstanceOptions`` lists, per engine version and storage type, whether
  an instance class can be created, in which availability zones (``AvailabilityZones[].Name``)
  and whether it can be Multi-AZ (``MultiAZCapable``). Field names: RDS API reference,
  OrderableDBInstanceOption (research A 13(d) notes they were not fetched there; boto3's
  service model carries the same names).
"""

from __future__ import annotations

from typing import Iterable

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY


def version_key(version: str) -> tuple[int, ...]:
    """15.10 sorts after 15.9: compare the numeric parts, not the text."""
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def major_of(version: str) -> str:
    return version.split(".")[0]


def is_pinned(version: str) -> bool:
    """Whether ``version`` names a minor (``15.8``) rather than a major (``15``)."""
    return "." in version


def _all_pages(client, method: str, key: str, **kwargs) -> list[dict]:
    """Every page of a describe call; throttling retried with the collection's policy."""
    def fetch():
        return client.get_paginator(method).paginate(**kwargs).build_full_result().get(key, [])

    return RETRY(fetch)()


def engine_versions(client, engine: str, major: str) -> list[str]:
    """Minor versions of ``major`` that RDS offers for new instances (Status available), oldest first."""
    found = {
        entry["EngineVersion"]
        for entry in _all_pages(client, "describe_db_engine_versions", "DBEngineVersions",
                                Engine=engine, EngineVersion=major)
        if entry.get("Status", "available") == "available" and major_of(entry["EngineVersion"]) == major
    }
    return sorted(found, key=version_key)


def orderable_options(client, engine: str, instance_class: str, version: str = "") -> list[dict]:
    """The VPC options RDS offers for ``instance_class`` with ``engine``: every version, or only ``version``."""
    narrow = {"EngineVersion": version} if version else {}
    return _all_pages(client, "describe_orderable_db_instance_options", "OrderableDBInstanceOptions",
                      Engine=engine, DBInstanceClass=instance_class, Vpc=True, **narrow)


def versions_for_class(versions: Iterable[str], options: Iterable[dict]) -> list[str]:
    """The ``versions`` the class is orderable with, in the same order."""
    offered = {option["EngineVersion"] for option in options}
    return [version for version in versions if version in offered]


def choose(version: str, versions: list[str], current: str) -> tuple[str, str]:
    """The version to create with, and the version to send to a running instance (or '')."""
    pinned = is_pinned(version)
    create = version if pinned or not versions else versions[-1]
    modify = version if pinned and current and version_key(version) > version_key(current) else ""
    return create, modify


def offers(options: Iterable[dict], version: str, storage_type: str) -> list[dict]:
    """The options for exactly ``version`` with ``storage_type``."""
    return [option for option in options
            if option["EngineVersion"] == version and option.get("StorageType", storage_type) == storage_type]


def offered_zones(options: Iterable[dict]) -> list[str]:
    return sorted({zone["Name"] for option in options for zone in option.get("AvailabilityZones", [])})


def multi_az_capable(options: Iterable[dict]) -> bool:
    return any(option.get("MultiAZCapable") for option in options)


def class_not_orderable(instance_class: str, engine: str, major: str) -> str:
    return f"{instance_class} is not orderable for {engine} {major} in this region: choose another instance class"


def version_not_orderable(engine: str, version: str, versions: list[str]) -> str:
    return (f"{engine} {version} cannot be created any more (AWS answers: Cannot find version {version} for "
            f"{engine}); orderable now: {', '.join(versions) or 'none'}. Pin one of those, or the major version "
            f"({major_of(version)}) to take the newest.")
