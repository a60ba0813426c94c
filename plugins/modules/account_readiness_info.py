#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: account_readiness_info
short_description: Tell whether an AWS account and region can hold a CredLink environment, before anything is built
version_added: 0.1.0
description:
  - Answers "can this account hold this environment?" with read-only calls only, and returns
    one row per check with its status (C(ok), C(warning) or C(blocking)), what was observed,
    what the environment needs and, where something must change, the fix in words.
  - "Checks: the account of the credentials; each chosen availability zone; Fargate in those
    zones; the database instance class (orderable with the engine version, the storage type
    and Multi-AZ, in both zones) and the PostgreSQL minor version a new database gets; the
    cache node type in the region; the quotas for Elastic IP addresses, VPCs, NAT gateways
    per zone and security groups against what the environment still needs; the
    service-linked roles of ECS, RDS, ElastiCache and Elastic Load Balancing; whether the
    bucket name is free, this environment's, or taken."
  - What the environment already has (its VPC, NAT gateways and their addresses, found by
    the ownership tags) does not need room in a quota again.
  - A check the endpoint cannot answer (an action it does not implement, or a permission
    the credentials lack) becomes a C(warning) row that says what was not checked.
options:
  expected_account_id:
    description: The 12-digit account the environment belongs to; empty reports a warning.
    type: str
    default: ""
  zones:
    description: The availability zones (names) the environment uses.
    type: list
    elements: str
    required: true
  nat_gateway_count:
    description: NAT gateways of the environment, one in each of the first I(nat_gateway_count) zones.
    type: int
    required: true
  db_engine:
    description: The RDS engine.
    type: str
    default: postgres
  db_engine_version:
    description:
      - A major version (C(15)), whose newest orderable minor a new database gets, or a
        pinned minor (C(15.8)).
    type: str
    default: "15"
  db_instance_class:
    description: The DB instance class.
    type: str
    required: true
  db_multi_az:
    description: Whether the database is Multi-AZ.
    type: bool
    default: false
  db_storage_type:
    description: The database's storage type.
    type: str
    default: gp3
  cache_node_type:
    description: The ElastiCache node type.
    type: str
    required: true
  cache_num_nodes:
    description: The number of cache nodes (shown in the row; capacity per zone is known only at creation).
    type: int
    default: 1
  bucket:
    description: The name of the environment's S3 bucket.
    type: str
    required: true
  ownership_tags:
    description:
      - The tags that mark a resource as this environment's (C(Project), C(Environment),
        C(ManagedBy)). A resource counts as the environment's when it carries all of them.
    type: dict
    required: true
notes:
  - "Permissions used (all read-only): C(sts:GetCallerIdentity);
    C(ec2:DescribeAvailabilityZones), C(ec2:DescribeAddresses), C(ec2:DescribeVpcs),
    C(ec2:DescribeNatGateways), C(ec2:DescribeSubnets), C(ec2:DescribeSecurityGroups);
    C(rds:DescribeDBEngineVersions), C(rds:DescribeOrderableDBInstanceOptions);
    C(elasticache:DescribeReservedCacheNodesOfferings); C(servicequotas:GetServiceQuota),
    C(servicequotas:GetAWSDefaultServiceQuota); C(iam:GetRole); C(s3:ListBucket) (HeadBucket),
    C(s3:GetBucketTagging), C(s3:ListAllMyBuckets)."
  - ElastiCache has no API that tells whether a zone has capacity for a node type; a zone
    without it is refused only at creation (C(InsufficientCacheClusterCapacity)).
  - Fargate's zone restrictions come from a table in this module (AWS documents them per
    region); a region the table does not name has no documented restriction.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check that the account can hold the dev environment
  credlink.infra.account_readiness_info:
    region: us-east-1
    expected_account_id: "123456789012"
    zones: [us-east-1a, us-east-1b]
    nat_gateway_count: 1
    db_instance_class: db.t3.micro
    db_multi_az: false
    cache_node_type: cache.t3.micro
    cache_num_nodes: 1
    bucket: credlink-dev-proofs-123456789012
    ownership_tags: {Project: credlink, Environment: dev, ManagedBy: ansible}
  register: readiness

- name: Stop on a blocking row
  ansible.builtin.assert:
    that: readiness.summary.blocking == 0
    fail_msg: "{{ readiness.rows | selectattr('status', 'eq', 'blocking') | map(attribute='fix') | join('; ') }}"
"""

RETURN = r"""
rows:
  description: One row per check, in a fixed order.
  returned: always
  type: list
  elements: dict
  contains:
    check:
      description: What was checked.
      type: str
      sample: "quota: VPCs"
    status:
      description: C(ok), C(warning) (works, but look) or C(blocking) (the build would fail).
      type: str
      sample: ok
    observed:
      description: What the account shows.
      type: str
      sample: "1 in use of 5 (applied quota)"
    needed:
      description: What the environment needs.
      type: str
      sample: "1 more (this environment's VPC)"
    fix:
      description: What to do, in words; empty when nothing is to be done.
      type: str
summary:
  description: The number of rows per status.
  returned: always
  type: dict
  sample: {ok: 14, warning: 2, blocking: 0}
account_id:
  description: The account of the credentials in use.
  returned: always
  type: str
  sample: "123456789012"
db_create_version:
  description: The PostgreSQL version a new database would be created with; empty when it could not be read.
  returned: always
  type: str
  sample: "15.17"
api_calls:
  description: The AWS API calls made, by C(service.Operation), with how often each was made.
  returned: always
  type: dict
  sample: {"ec2.DescribeVpcs": 1, "sts.GetCallerIdentity": 1}
"""

from contextlib import contextmanager
from dataclasses import dataclass

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import Clients
from ansible_collections.credlink.infra.plugins.module_utils.common import ENDPOINT_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import endpoint_lacks_action
from ansible_collections.credlink.infra.plugins.module_utils.rds import class_not_orderable
from ansible_collections.credlink.infra.plugins.module_utils.rds import engine_versions
from ansible_collections.credlink.infra.plugins.module_utils.rds import is_pinned
from ansible_collections.credlink.infra.plugins.module_utils.rds import major_of
from ansible_collections.credlink.infra.plugins.module_utils.rds import multi_az_capable
from ansible_collections.credlink.infra.plugins.module_utils.rds import offered_zones
from ansible_collections.credlink.infra.plugins.module_utils.rds import offers
from ansible_collections.credlink.infra.plugins.module_utils.rds import orderable_options
from ansible_collections.credlink.infra.plugins.module_utils.rds import version_not_orderable
from ansible_collections.credlink.infra.plugins.module_utils.rds import versions_for_class
from ansible_collections.credlink.infra.plugins.module_utils.sync import owned

OK = "ok"
WARNING = "warning"
BLOCKING = "blocking"
SEVERITY = {OK: 0, WARNING: 1, BLOCKING: 2}
DENIED_CODES = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError")

# Zones where AWS runs Fargate tasks, for the regions where AWS restricts it; any other region
# has no documented restriction. Source: the ECS Developer Guide, "Supported Regions for Amazon
# ECS on AWS Fargate", Linux containers (AWS_Fargate-Regions; research A 13(d)), as read on
# 2026-12-01: "us-west-1 (usw1-az1 & usw1-az3 only)", "ap-northeast-1 (apne1-az1, apne1-az2, &
# apne1-az4 only)". The cn-north-1 entry was cut short where it was read there; its zones come
# from the same table in the archived guide (awsdocs amazon-ecs-developer-guide,
# launch_types.md: "cn-north-1 (cnn1-az1 & cnn1-az2 only)"). Zone ids, not names: names map
# to different physical zones in each account.
FARGATE_ZONE_IDS_AS_OF = "2026-12-01"
FARGATE_ZONE_IDS = {
    "us-west-1": ("usw1-az1", "usw1-az3"),
    "ap-northeast-1": ("apne1-az1", "apne1-az2", "apne1-az4"),
    "cn-north-1": ("cnn1-az1", "cnn1-az2"),
}

# DescribeAvailabilityZones State: available | information | impaired | unavailable |
# constrained (SDK enum; the API reference text names available, unavailable, constrained;
# research A 13(d)). Only "unavailable" stops a build; the others are worth a look.
ZONE_UNUSABLE = ("unavailable",)


@dataclass(frozen=True)
class Quota:
    """A Service Quotas quota with AWS's documented default.

    Codes and defaults: the Amazon VPC User Guide, "Amazon VPC quotas" (archived
    awsdocs/amazon-vpc-user-guide amazon-vpc-limits.md, with its Service Quotas links),
    cross-checked in tedilabs/terraform-aws-account service-quota-requests (research A 13(e)).
    """

    label: str
    service: str
    code: str
    name: str
    default: int


EIPS = Quota("Elastic IPs", "ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", 5)
VPCS = Quota("VPCs", "vpc", "L-F678F1CE", "VPCs per Region", 5)
NATS = Quota("NAT gateways per zone", "vpc", "L-FE5A380F", "NAT gateways per Availability Zone", 5)
SECURITY_GROUPS = Quota("security groups", "vpc", "L-E79EC296", "VPC security groups per Region", 2500)

# NAT gateways "only count toward your quota in the pending, active, and deleting states"
# (Amazon VPC quotas; research A 13(e)); "active" is the API's "available".
NAT_COUNTED_STATES = ["pending", "available", "deleting"]
NAT_LIVE_STATES = ("pending", "available")
# The stack's security groups (alb, ecs, rds, redis), plus the default group AWS creates
# with every VPC, which counts toward the per-Region quota as any other group (INFERRED: the
# quota page counts the groups of a Region without exempting default groups).
STACK_SECURITY_GROUPS = 4

# Service-linked roles the stack's services use. ECS's is created by the container platform
# layer before the cluster (a fresh account has none: CreateCluster with capacity providers
# fails "Unable to assume the service linked role", research A 2); the others are created by
# their service on first use, which needs iam:CreateServiceLinkedRole.
SERVICE_LINKED_ROLES = (
    ("AWSServiceRoleForECS", "the container platform layer creates it before the ECS cluster"),
    ("AWSServiceRoleForRDS", "RDS creates it with the first DB instance"),
    ("AWSServiceRoleForElastiCache", "ElastiCache creates it with the first replication group"),
    ("AWSServiceRoleForElasticLoadBalancing", "Elastic Load Balancing creates it with the first load balancer"),
)


def row(check: str, status: str, observed: str, needed: str, fix: str = "") -> dict:
    return {"check": check, "status": status, "observed": observed, "needed": needed, "fix": fix}


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return response.get("Error", {}).get("Code", "")


def room_status(value: float, in_use: int, new: int) -> str:
    """blocking when the need does not fit, warning when the build leaves at most one free."""
    room = value - (in_use + new)
    if room < 0:
        return BLOCKING
    return WARNING if room <= 1 else OK


def worst(statuses) -> str:
    return max(statuses, key=SEVERITY.get, default=OK)


class CountingClients(Clients):
    """The shared clients, each counting the API calls it makes (botocore's ``before-call``
    event), so the result says exactly which actions were called: the proof that the check
    only reads.
    """

    def __init__(self, module: AnsibleAWSModule):
        super().__init__(module)
        self.calls: dict[str, int] = {}

    def created(self, client):
        events = getattr(getattr(client, "meta", None), "events", None)
        if events is not None:
            events.register("before-call", self._count)
        return client

    def _count(self, model, **kwargs):
        name = f"{model.service_model.service_name}.{model.name}"
        self.calls[name] = self.calls.get(name, 0) + 1


def all_pages(client, method: str, key: str, **kwargs) -> list[dict]:
    def fetch():
        return client.get_paginator(method).paginate(**kwargs).build_full_result().get(key, [])

    return RETRY(fetch)()


class Readiness:
    """The checks, in the order the table shows them; each appends its rows to ``rows``."""

    def __init__(self, module: AnsibleAWSModule, clients: CountingClients):
        self.module, self.clients, self.p = module, clients, module.params
        self.region = module.region
        self.rows = []
        self.account_id = ""
        self.zone_info = None  # zone name -> DescribeAvailabilityZones entry, once read
        self.db_create_version = ""
        self._cache = {}
        self._quotas = {}

    # -- guard ---------------------------------------------------------------------------

    @contextmanager
    def checking(self, actions: str, permission: str, *expected: tuple[str, str]):
        """Run reads; when the endpoint cannot answer them, each ``(check, needed)`` becomes a warning row.

        An action the endpoint does not implement (emulators) or a permission the credentials
        lack makes the rows say what was not checked; any other AWS error fails the module.
        """
        try:
            yield
        except ENDPOINT_ERRORS as e:
            if endpoint_lacks_action(e):
                observed, fix = (f"not checked: this endpoint does not implement {actions}",
                                 f"check by hand on the real account ({actions})")
            elif error_code(e) in DENIED_CODES:
                observed, fix = (f"not checked: {error_code(e)} on {actions}",
                                 f"grant the credentials {permission} (read-only), then run the check again")
            else:
                self.module.fail_json_aws(e, msg=f"Couldn't check {', '.join(c for c, _ in expected)} ({actions})")
            self.rows.extend(row(check, WARNING, observed, needed, fix) for check, needed in expected)

    def cached(self, key: str, read):
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    # -- account and zones ---------------------------------------------------------------

    def account(self):
        """STS GetCallerIdentity: whose credentials these are (needs no permission)."""
        expected = self.p["expected_account_id"]
        needed = expected or "the account the inventory names (credlink_expected_account_id)"
        with self.checking("GetCallerIdentity", "sts:GetCallerIdentity", ("account", needed)):
            identity = self.clients("sts").get_caller_identity(aws_retry=True)
            self.account_id = identity["Account"]
            observed = f"{identity['Account']} ({identity['Arn']})"
            if not expected:
                self.rows.append(row("account", WARNING, observed, needed,
                                     "set credlink_expected_account_id to this account's 12-digit id"))
            elif expected != identity["Account"]:
                self.rows.append(row("account", BLOCKING, observed, expected,
                                     f"use credentials of account {expected}, or correct credlink_expected_account_id"))
            else:
                self.rows.append(row("account", OK, observed, expected))

    def zones(self):
        """DescribeAvailabilityZones: each chosen zone is offered to this account and usable.

        Without AllAvailabilityZones the answer holds the Region's availability zones and the
        Local/Wavelength zones the account opted into; a zone missing from it cannot be used.
        State values: research A 13(d).
        """
        needed = "an available zone"
        with self.checking("DescribeAvailabilityZones", "ec2:DescribeAvailabilityZones",
                           *((f"zone {name}", needed) for name in self.p["zones"])):
            listed = self.clients("ec2").describe_availability_zones(aws_retry=True)["AvailabilityZones"]
            self.zone_info = {zone["ZoneName"]: zone for zone in listed}
            usable = sorted(name for name, zone in self.zone_info.items()
                            if zone.get("ZoneType", "availability-zone") == "availability-zone"
                            and zone.get("State") == "available")
            for name in self.p["zones"]:
                self.rows.append(self.zone_row(name, usable))

    def zone_row(self, name: str, usable: list[str]) -> dict:
        check = f"zone {name}"
        pick = f"pin credlink_availability_zones to two of {', '.join(usable)} (or leave it empty to take the first two)"
        zone = self.zone_info.get(name)
        if zone is None:
            return row(check, BLOCKING, f"not offered to this account in {self.region}", "an available zone", pick)
        observed = f"{zone.get('State')} ({zone.get('ZoneId', 'no zone id')})"
        messages = "; ".join(m.get("Message", "") for m in zone.get("Messages", []) if m.get("Message"))
        if messages:
            observed += f": {messages}"
        if zone.get("State") in ZONE_UNUSABLE:
            return row(check, BLOCKING, observed, "an available zone", pick)
        if zone.get("State") != "available":
            return row(check, WARNING, observed, "an available zone",
                       f"AWS reports the zone {zone.get('State')}; consider: {pick}")
        return row(check, OK, observed, "an available zone")

    def fargate(self):
        """Fargate runs in every zone of a region unless AWS's table restricts it (FARGATE_ZONE_IDS)."""
        check = "Fargate in the zones"
        allowed = FARGATE_ZONE_IDS.get(self.region)
        source = f"AWS's Fargate Region table as of {FARGATE_ZONE_IDS_AS_OF}"
        if allowed is None:
            self.rows.append(row(check, OK, f"no zone restriction documented for {self.region} ({source})",
                                 "Fargate in every zone used"))
            return
        needed = f"zones with ids {', '.join(allowed)} ({source})"
        if self.zone_info is None:
            self.rows.append(row(check, WARNING, "not checked: the zone ids could not be read", needed,
                                 f"make sure the zones' ids are among {', '.join(allowed)}"))
            return
        ids = {name: self.zone_info.get(name, {}).get("ZoneId", "") for name in self.p["zones"]}
        outside = [f"{name} ({zone_id})" for name, zone_id in ids.items() if zone_id and zone_id not in allowed]
        observed = ", ".join(f"{name} ({zone_id or 'unknown'})" for name, zone_id in ids.items())
        if outside:
            names = sorted(name for name, zone in self.zone_info.items() if zone.get("ZoneId") in allowed)
            self.rows.append(row(check, BLOCKING, observed, needed,
                                 f"Fargate does not run in {', '.join(outside)}: pin credlink_availability_zones to "
                                 f"two of {', '.join(names)} (their ids in this account are {', '.join(allowed)})"))
        else:
            self.rows.append(row(check, OK, observed, needed))

    # -- database ------------------------------------------------------------------------

    def database(self):
        """The newest orderable minor (or the pinned one) and the class's options with it.

        The same decision as rds_engine_version_info, which the database layer uses: the
        newest minor of the major that the class is orderable with. The options are first
        read for that minor only, and for every version only when the class lacks it.
        """
        p = self.p
        engine, version, cls = p["db_engine"], p["db_engine_version"], p["db_instance_class"]
        major, pinned = major_of(version), is_pinned(version)
        needed_version = f"{version} (pinned)" if pinned else f"the newest minor of {engine} {major} orderable for {cls}"
        needed_class = (f"{cls} with {engine} {major}, {p['db_storage_type']}"
                        f"{', Multi-AZ' if p['db_multi_az'] else ''}, in {', '.join(p['zones'])}")
        actions = "DescribeDBEngineVersions, DescribeOrderableDBInstanceOptions"
        permission = "rds:DescribeDBEngineVersions and rds:DescribeOrderableDBInstanceOptions"
        with self.checking(actions, permission, ("database version", needed_version), ("database class", needed_class)):
            rds = self.clients("rds")
            versions = engine_versions(rds, engine, major)
            create = version if pinned else (versions[-1] if versions else "")
            options = orderable_options(rds, engine, cls, version=create) if create else []
            if versions and not pinned and not any(o["EngineVersion"] == create for o in options):
                options = orderable_options(rds, engine, cls)
                create = (versions_for_class(versions, options) or versions)[-1]
            self.rows.append(self.version_row(engine, version, versions, create, needed_version))
            self.rows.append(self.class_row(engine, major, create, versions, options, needed_class))

    def version_row(self, engine: str, version: str, versions: list[str], create: str, needed: str) -> dict:
        check = "database version"
        major = major_of(version)
        if not versions:
            return row(check, BLOCKING, f"RDS offers no {engine} {major} minor in {self.region}", needed,
                       f"choose a region where RDS offers {engine} {major}")
        if is_pinned(version) and version not in versions:
            return row(check, BLOCKING, f"{version} not orderable", needed, version_not_orderable(engine, version, versions))
        self.db_create_version = create
        return row(check, OK, f"{create} (orderable: {', '.join(versions)})", needed,
                   "" if is_pinned(version) else "nothing to do: AWS upgrades the minor later, reruns never downgrade")

    def class_row(self, engine, major, create, versions, options, needed) -> dict:
        p, check = self.p, "database class"
        cls, storage = p["db_instance_class"], p["db_storage_type"]
        if not versions:
            return row(check, BLOCKING, "not checked: no orderable version", needed,
                       f"choose a region where RDS offers {engine} {major}")
        for_version = [o for o in options if o["EngineVersion"] == create]
        chosen = offers(options, create, storage)
        if not for_version:
            return row(check, BLOCKING, f"{cls} not orderable with {engine} {create}", needed,
                       class_not_orderable(cls, engine, major) + " (database_instance_class)")
        if not chosen:
            types = sorted({o.get("StorageType", "") for o in for_version} - {""})
            return row(check, BLOCKING, f"{cls} with {engine} {create} offers storage {', '.join(types)}", needed,
                       f"set database_storage_type to one of {', '.join(types)}, or choose another class")
        zones = offered_zones(chosen)
        observed = (f"{cls}, {engine} {create}, {storage}: Multi-AZ {'capable' if multi_az_capable(chosen) else 'not offered'}"
                    f"; zones {', '.join(zones) or 'none listed'}")
        if p["db_multi_az"] and not multi_az_capable(chosen):
            return row(check, BLOCKING, observed, needed,
                       "choose a class that can be Multi-AZ (database_instance_class), or set database_multi_az: false")
        missing = [zone for zone in p["zones"] if zone not in zones]
        if missing:
            where = f"pin credlink_availability_zones to two of {', '.join(zones)}, or choose another class"
            if p["db_multi_az"]:
                return row(check, BLOCKING, observed, needed, f"Multi-AZ needs the class in both zones: {where}")
            return row(check, WARNING, observed, needed,
                       f"RDS can place the instance only in {', '.join(z for z in p['zones'] if z in zones) or 'neither zone'}: {where}")
        return row(check, OK, observed, needed)

    # -- cache ---------------------------------------------------------------------------

    def cache(self):
        """Whether the region offers the node type for Redis at all.

        There is no per-zone API: DescribeReservedCacheNodesOfferings, filtered by node type
        and product description, lists the region's offerings, and a zone without capacity is
        refused only by the creation ("InsufficientCacheClusterCapacity: cache.t4g.small (VPC)
        is not currently supported in the availability zone us-east-1e. Retry the launch with
        no availability zone or target: ...", winglang/wing#4126; research A 13(d)). That no
        offering means no node type is INFERRED: reserved offerings are listed per node type the
        region sells (alantech/iasql#1195 picks node types from this list).
        """
        node_type, count, check = self.p["cache_node_type"], self.p["cache_num_nodes"], "cache node type"
        needed = f"{count} x {node_type} (redis) in {self.region}"
        capacity = ("ElastiCache says whether a zone has capacity only when the group is created "
                    "(InsufficientCacheClusterCapacity ... not currently supported in the availability zone ...); "
                    "if that happens, pin credlink_availability_zones to other zones or choose another cache_node_type")
        with self.checking("DescribeReservedCacheNodesOfferings", "elasticache:DescribeReservedCacheNodesOfferings",
                           (check, needed)):
            offerings = self.clients("elasticache").describe_reserved_cache_nodes_offerings(
                aws_retry=True, CacheNodeType=node_type, ProductDescription="redis", MaxRecords=20,
            )["ReservedCacheNodesOfferings"]
            if offerings:
                self.rows.append(row(check, OK, f"{node_type} offered in {self.region}", needed, capacity))
            else:
                self.rows.append(row(check, BLOCKING, f"{node_type} not offered for redis in {self.region}", needed,
                                     "choose a node type the region offers (cache_node_type); if you know it is "
                                     "sold on demand only, run with -e check_account_fail_on_blocking=false"))

    # -- quotas --------------------------------------------------------------------------

    def quota_value(self, quota: Quota) -> tuple[float, str, bool]:
        """(value, where it comes from, whether it is certain) of a quota.

        GetServiceQuota gives the applied value; "If the applied quota value is not available
        for a quota, the quota is not retrieved" (NoSuchResourceException), and then the AWS
        default applies (GetAWSDefaultServiceQuota: "The default value does not reflect any
        quota increases"; Service Quotas API reference). An endpoint without Service Quotas,
        or credentials without its permissions, leave the documented default, which is then
        uncertain: new accounts can have lower applied values.
        """
        if quota.code in self._quotas:
            return self._quotas[quota.code]
        client, ids = self.clients("service-quotas"), {"ServiceCode": quota.service, "QuotaCode": quota.code}
        try:
            answer = (client.get_service_quota(aws_retry=True, **ids)["Quota"]["Value"], "applied quota", True)
        except ENDPOINT_ERRORS as applied_error:
            try:
                value = client.get_aws_default_service_quota(aws_retry=True, **ids)["Quota"]["Value"]
            except ENDPOINT_ERRORS as default_error:
                answer = (quota.default, f"documented default; Service Quotas did not answer: "
                                         f"{self.why(default_error)}", False)
            else:
                certain = error_code(applied_error) == "NoSuchResourceException"
                answer = (value, "AWS default" if certain else
                          f"AWS default; the applied value could not be read: {self.why(applied_error)}", certain)
        self._quotas[quota.code] = answer
        return answer

    @staticmethod
    def why(error: Exception) -> str:
        if endpoint_lacks_action(error):
            return "the endpoint does not implement it"
        code = error_code(error)
        # A bare status code: the answer had no AWS error in it (an emulator's error page).
        return f"HTTP {code}" if code.isdigit() else (code or type(error).__name__)

    def quota_row(self, quota: Quota, in_use: int, new: int, needed: str, free: str, per_zone: str = "") -> dict:
        value, source, certain = self.quota_value(quota)
        status = room_status(value, in_use, new)
        observed = f"{in_use} in use{per_zone} of {value:g} ({source})"
        where = f"Service Quotas, {quota.service}: '{quota.name}' ({quota.code})"
        if status == BLOCKING:
            fix = f"{free}, or ask AWS for a higher quota ({where})"
        elif status == WARNING:
            fix = f"the build leaves at most one free: {free} or ask for a higher quota ({where})"
        else:
            fix = ""
        if not certain:
            status = worst([status, WARNING])
            fix = fix or f"check the applied value of {where} on the real account"
        return row(f"quota: {quota.label}", status, observed, needed, fix)

    def vpcs(self) -> list[dict]:
        return self.cached("vpcs", lambda: all_pages(self.clients("ec2"), "describe_vpcs", "Vpcs"))

    def own_vpc_ids(self) -> set[str]:
        return {vpc["VpcId"] for vpc in self.vpcs() if owned(vpc.get("Tags"), self.p["ownership_tags"])}

    def quota_vpcs(self):
        needed = "1 more (this environment's VPC)"
        with self.checking("DescribeVpcs", "ec2:DescribeVpcs", (f"quota: {VPCS.label}", needed)):
            own = sorted(self.own_vpc_ids())
            new = 0 if own else 1
            if own:
                needed = f"none more (this environment's VPC {', '.join(own)} exists)"
            self.rows.append(self.quota_row(VPCS, len(self.vpcs()), new, needed,
                                            "delete a VPC that is no longer used (not the default VPC if anything uses it)"))

    def quota_addresses(self):
        wanted = self.p["nat_gateway_count"]
        needed = f"{wanted} (one per NAT gateway)"
        with self.checking("DescribeAddresses", "ec2:DescribeAddresses", (f"quota: {EIPS.label}", needed)):
            addresses = self.clients("ec2").describe_addresses(aws_retry=True)["Addresses"]
            own = [a for a in addresses if owned(a.get("Tags"), self.p["ownership_tags"])]
            new = max(0, wanted - len(own))
            needed = f"{new} more (one per NAT gateway; {len(own)} of this environment's exist)"
            self.rows.append(self.quota_row(EIPS, len(addresses), new, needed,
                                            "release Elastic IP addresses that nothing uses"))

    def quota_nat_gateways(self):
        zones = self.p["zones"][:self.p["nat_gateway_count"]]
        needed = f"1 in each of {', '.join(zones) or 'no zone'}"
        with self.checking("DescribeNatGateways, DescribeSubnets", "ec2:DescribeNatGateways and ec2:DescribeSubnets",
                           (f"quota: {NATS.label}", needed)):
            ec2 = self.clients("ec2")
            gateways = all_pages(ec2, "describe_nat_gateways", "NatGateways",
                                 Filter=[{"Name": "state", "Values": NAT_COUNTED_STATES}])
            subnet_ids = sorted({g["SubnetId"] for g in gateways if g.get("SubnetId")})
            subnets = all_pages(ec2, "describe_subnets", "Subnets",
                                Filters=[{"Name": "subnet-id", "Values": subnet_ids}]) if subnet_ids else []
            zone_of = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}
            rows = []
            for zone in zones:
                here = [g for g in gateways if zone_of.get(g.get("SubnetId")) == zone]
                ours = [g for g in here if g["State"] in NAT_LIVE_STATES and owned(g.get("Tags"), self.p["ownership_tags"])]
                rows.append((zone, len(here), 0 if ours else 1))
            self.rows.append(self.nat_row(rows, needed))

    def nat_row(self, per_zone: list[tuple[str, int, int]], needed: str) -> dict:
        if not per_zone:
            return row(f"quota: {NATS.label}", OK, "no NAT gateway in this environment", "none")
        value, _, _ = self.quota_value(NATS)
        tightest = min(per_zone, key=lambda z: value - z[1] - z[2])
        zone, in_use, new = tightest
        result = self.quota_row(NATS, in_use, new, needed, f"delete NAT gateways that are no longer used in {zone}",
                                per_zone=f" in {zone}")
        others = [f"{z}: {used} in use, {more} more" for z, used, more in per_zone if z != zone]
        if others:
            result["observed"] += "; " + "; ".join(others)
        return result

    def quota_security_groups(self):
        stack = STACK_SECURITY_GROUPS + 1
        needed = f"{stack} more (the stack's {STACK_SECURITY_GROUPS} and the new VPC's default group)"
        with self.checking("DescribeSecurityGroups, DescribeVpcs", "ec2:DescribeSecurityGroups and ec2:DescribeVpcs",
                           (f"quota: {SECURITY_GROUPS.label}", needed)):
            groups = all_pages(self.clients("ec2"), "describe_security_groups", "SecurityGroups")
            own_vpcs = self.own_vpc_ids()
            own = [g for g in groups if g.get("VpcId") in own_vpcs]
            new = max(0, stack - len(own)) if own_vpcs else stack
            if own_vpcs:
                needed = f"{new} more ({len(own)} of this environment's {stack} exist)"
            self.rows.append(self.quota_row(SECURITY_GROUPS, len(groups), new, needed,
                                            "delete security groups that are no longer used"))

    # -- roles and bucket ----------------------------------------------------------------

    def service_linked_roles(self):
        """iam:GetRole on each service-linked role; absent ones are created, never blocking."""
        iam = self.clients("iam")
        for name, creator in SERVICE_LINKED_ROLES:
            check = f"role: {name}"
            needed = f"present, or created: {creator}"
            with self.checking("GetRole", "iam:GetRole", (check, needed)):
                try:
                    iam.get_role(aws_retry=True, RoleName=name)
                except AWS_ERRORS as e:
                    if error_code(e) != "NoSuchEntity":
                        raise
                    self.rows.append(row(check, OK, "absent (will be created)", needed,
                                         "nothing to do if the credentials may iam:CreateServiceLinkedRole"))
                else:
                    self.rows.append(row(check, OK, "present", needed))

    def bucket(self):
        """HeadBucket: 404 free, 200 exists here (ours when it carries our tags), 403 taken.

        "If the bucket does not exist or you do not have permission to access it, the HEAD
        request returns a generic 404 Not Found or 403 Forbidden code" (S3 HeadBucket; research
        A 13(f)). S3 bucket names are global: a 403 is another account's bucket, unless the
        name is among this account's own buckets (ListBuckets) and only s3:ListBucket is
        missing.
        """
        name, check = self.p["bucket"], "bucket name"
        needed = f"{name} free, or this environment's"
        with self.checking("HeadBucket, GetBucketTagging", "s3:ListBucket and s3:GetBucketTagging", (check, needed)):
            s3 = self.clients("s3")
            try:
                head = s3.head_bucket(aws_retry=True, Bucket=name)
            except AWS_ERRORS as e:
                code = error_code(e)
                if code in ("404", "NoSuchBucket"):
                    self.rows.append(row(check, OK, "free", needed))
                elif code in ("403", "AccessDenied"):
                    self.rows.append(self.forbidden_bucket_row(s3, name, needed))
                else:
                    raise
                return
            self.rows.append(self.existing_bucket_row(s3, name, head, needed))

    def existing_bucket_row(self, s3, name: str, head: dict, needed: str) -> dict:
        check = "bucket name"
        region = head.get("BucketRegion") or head.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region", "")
        try:
            tags = s3.get_bucket_tagging(aws_retry=True, Bucket=name)["TagSet"]
        except AWS_ERRORS as e:
            if error_code(e) != "NoSuchTagSet":
                raise
            tags = []
        if not owned(tags, self.p["ownership_tags"]):
            return row(check, BLOCKING, f"exists in this account{f' ({region})' if region else ''} without this "
                                        "environment's tags", needed,
                       f"the bucket {name} is not this stack's: find out what it holds and who uses it; the stack "
                       "does not adopt a bucket it did not create (rename or empty and delete it, or use another credlink_env)")
        if region and region != self.region:
            return row(check, BLOCKING, f"this environment's bucket, in {region}", f"{needed} in {self.region}",
                       f"the environment's bucket lives in {region}: set credlink_region to {region}")
        return row(check, OK, "exists: this environment's bucket", needed)

    def forbidden_bucket_row(self, s3, name: str, needed: str) -> dict:
        check = "bucket name"
        try:
            mine = [b["Name"] for b in s3.list_buckets(aws_retry=True, Prefix=name).get("Buckets", [])]
        except AWS_ERRORS:
            mine = None
        if mine is not None and name in mine:
            return row(check, WARNING, "exists in this account, but HeadBucket is denied", needed,
                       "grant the credentials s3:ListBucket on the bucket, then run the check again")
        return row(check, BLOCKING, "taken by another AWS account (HeadBucket: 403 Forbidden)", needed,
                   "S3 bucket names are global and another account holds this one: set a different credlink_env "
                   "(the name is credlink-<env>-proofs-<account id>); a bucket named after your account id in "
                   "another account is worth reporting to AWS")


def summarize(rows: list[dict]) -> dict:
    return {status: sum(1 for r in rows if r["status"] == status) for status in (OK, WARNING, BLOCKING)}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            expected_account_id=dict(type="str", default=""),
            zones=dict(type="list", elements="str", required=True),
            nat_gateway_count=dict(type="int", required=True),
            db_engine=dict(type="str", default="postgres"),
            db_engine_version=dict(type="str", default="15"),
            db_instance_class=dict(type="str", required=True),
            db_multi_az=dict(type="bool", default=False),
            db_storage_type=dict(type="str", default="gp3"),
            cache_node_type=dict(type="str", required=True),
            cache_num_nodes=dict(type="int", default=1),
            bucket=dict(type="str", required=True),
            ownership_tags=dict(type="dict", required=True),
        ),
        supports_check_mode=True,
    )
    if not module.params["ownership_tags"]:
        module.fail_json(msg="ownership_tags must name at least one tag (Project, Environment, ManagedBy): without "
                             "them every resource of the account would count as this environment's")
    clients = CountingClients(module)
    check = Readiness(module, clients)
    check.account()
    check.zones()
    check.fargate()
    check.database()
    check.cache()
    check.quota_addresses()
    check.quota_vpcs()
    check.quota_nat_gateways()
    check.quota_security_groups()
    check.service_linked_roles()
    check.bucket()
    module.exit_json(
        changed=False,
        rows=check.rows,
        summary=summarize(check.rows),
        account_id=check.account_id,
        db_create_version=check.db_create_version,
        api_calls=dict(sorted(clients.calls.items())),
    )


if __name__ == "__main__":
    main()
