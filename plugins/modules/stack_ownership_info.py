#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_ownership_info
short_description: Tell which resources named like a CredLink stack's are that stack's, by their tags
version_added: 0.1.0
description:
  - Finds every resource whose name is one the naming contract gives the stack (I(names), the
    fact C(credlink_names)), reads its tags and classifies it as C(owned) (it carries every
    tag of I(owner_tags) with exactly that value; other tags may exist), C(foreign) (it
    does not; another environment's, another team's, or left over) or C(unknown) (its tags
    cannot be read now).
  - The playbooks read it once per run and stop before they adopt or delete anything that is
    not C(owned). Nothing is deleted, released or adopted by its name or a prefix alone.
  - Names are matched exactly, never as prefixes, so environment C(dev) never reports (or
    deletes) the resources of an environment C(dev-alice) or C(dev-nat).
  - "What is looked up, per key of I(names):
    C(vpc) the VPCs whose C(Name) tag is that name, and in those VPCs the subnets
    (C(<p>-public|private|database-<zone>)) and route tables (C(<p>-public), C(<p>-database),
    C(<p>-private-<zone>)) named by the contract, where C(<p>) is the VPC name without C(-vpc)
    and C(<zone>) an availability zone of the region;
    C(internet_gateway) internet gateways by C(Name) tag;
    C(nat_gateway_prefix) NAT gateways (pending or available) and Elastic IPs whose C(Name) tag
    is the prefix followed by an availability zone of the region;
    C(db_security_group), C(redis_security_group), C(ecs_security_group), C(alb_security_group)
    security groups by group name, in any VPC;
    C(flow_logs), C(db_monitoring_role), C(execution_role), C(task_role) IAM roles;
    C(secret_read_policy) the customer managed IAM policy of that name;
    C(secret), C(redis_auth_secret) Secrets Manager secrets (one scheduled for deletion still
    exists and holds its name);
    C(repository) the ECR repository;
    C(flow_log_group), C(app_log_group) log groups, and C(db_log_group_prefix) the log groups
    C(<prefix>/postgresql) and C(<prefix>/upgrade);
    C(bucket) the S3 bucket;
    C(cache_topic), C(alarm_topic) SNS topics;
    C(db_instance), C(db_subnet_group), C(db_parameter_group) the RDS instance and groups;
    C(replication_group), C(cache_subnet_group), C(cache_parameter_group) the ElastiCache
    replication group and groups;
    C(cluster) the ECS cluster (an C(INACTIVE) one is deleted);
    C(load_balancer), C(target_group) the ALB and its target group."
  - Other keys of I(names) (C(service), C(task_family), C(alarm_prefix), ...) are ignored, and a
    missing key means that kind is not checked. CloudWatch alarms are not checked here;
    M(credlink.infra.cloudwatch_alarm_set) decides on its own alarms by their tags.
  - Every kind checked can carry tags, so ownership is always decided by tags. What cannot be
    tagged (routes, route table associations, the internet gateway attachment, inline role
    policies, bucket sub-configurations, log streams) belongs to the resource that holds it,
    and is this stack's exactly when that resource is.
  - An S3 bucket name is global. A bucket of that name that this account does not own (HeadBucket
    answers 403, or the bucket is not among ListBuckets of this account) is C(foreign) with the
    reason that another AWS account holds the name.
  - One client per service, created when a kind of that service is checked; every call retried
    with backoff. An endpoint that does not implement an action (some emulators) makes that
    kind C(unknown) with the reason instead of failing the task.
options:
  names:
    description:
      - The stack's names by key, as the C(preflight) role publishes them in C(credlink_names).
    type: dict
    required: true
  owner_tags:
    description:
      - The tags that make a resource this stack's - C(Project), C(Environment) and C(ManagedBy).
        Must not be empty.
      - Give only these, not the whole of C(credlink_tags) - that also holds
        C(credlink_extra_tags), and changing an extra tag must not make the stack a stranger to itself.
    type: dict
    required: true
  fail_on_foreign:
    description:
      - Fail, listing every reason, when a resource is C(foreign) (the results are returned with
        the failure too). Resources in state C(unknown) never fail the task.
    type: bool
    default: false
notes:
  - "Permissions: ec2:DescribeVpcs, DescribeSubnets, DescribeRouteTables, DescribeInternetGateways,
    DescribeNatGateways, DescribeAddresses, DescribeSecurityGroups; iam:GetRole, ListPolicies,
    ListPolicyTags; secretsmanager:DescribeSecret; ecr:DescribeRepositories, ListTagsForResource;
    logs:DescribeLogGroups, ListTagsForResource; s3:ListBucket (HeadBucket), ListAllMyBuckets,
    GetBucketTagging; sns:ListTopics, ListTagsForResource; rds:DescribeDBInstances,
    DescribeDBSubnetGroups, DescribeDBParameterGroups, ListTagsForResource;
    elasticache:DescribeReplicationGroups, DescribeCacheSubnetGroups, DescribeCacheParameterGroups,
    ListTagsForResource; ecs:DescribeClusters; elasticloadbalancing:DescribeLoadBalancers,
    DescribeTargetGroups, DescribeTags."
  - ElastiCache refuses to list the tags of a replication group that is not C(available)
    (C(InvalidReplicationGroupState)); such a group is C(unknown) until it is available again.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Stop before touching anything named like ours that is not ours
  credlink.infra.stack_ownership_info:
    names: "{{ credlink_names }}"
    owner_tags:
      Project: credlink
      Environment: "{{ credlink_env }}"
      ManagedBy: ansible
    fail_on_foreign: true
  register: ownership

- name: Delete only what is this stack's
  ansible.builtin.debug:
    msg: "would delete {{ item.kind }} {{ item.name }} ({{ item.id }})"
  loop: "{{ ownership.owned }}"
"""

RETURN = r"""
resources:
  description: Every resource found under one of the stack's names, owned or not.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description:
        - What it is - C(vpc), C(subnet), C(route_table), C(internet_gateway), C(nat_gateway),
          C(elastic_ip), C(security_group), C(iam_role), C(iam_policy), C(secret),
          C(ecr_repository), C(log_group), C(s3_bucket), C(sns_topic), C(db_instance),
          C(db_subnet_group), C(db_parameter_group), C(replication_group), C(cache_subnet_group),
          C(cache_parameter_group), C(ecs_cluster), C(load_balancer), C(target_group).
      type: str
    key:
      description: The key of I(names) that names it.
      type: str
      sample: db_security_group
    name:
      description: Its name (for EC2 resources other than security groups, its C(Name) tag).
      type: str
      sample: credlink-dev-rds
    id:
      description: Its AWS id (EC2) or ARN; empty for an C(unknown) kind whose lookup the endpoint lacks.
      type: str
      sample: sg-0123456789abcdef0
    owned:
      description: Whether it carries every tag of I(owner_tags) with that value.
      type: bool
    state:
      description: C(owned), C(foreign) or C(unknown).
      type: str
    reason:
      description: For C(foreign) and C(unknown), what is wrong and how to resolve it; empty when owned.
      type: str
    tags:
      description: Its tags (empty when they could not be read).
      type: dict
owned:
  description: The C(owned) entries of RV(resources), same shape; what a teardown may delete.
  returned: always
  type: list
  elements: dict
foreign:
  description: The C(foreign) resources.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: As in RV(resources).
      type: str
    name:
      description: As in RV(resources).
      type: str
    id:
      description: As in RV(resources).
      type: str
    reason:
      description: What is wrong and how to resolve it, in a user's words.
      type: str
      sample: >-
        security group credlink-dev-rds (sg-0123, in vpc-0456) carries none of this stack's tags, so it is
        not this stack's. If it is someone else's, leave it: use another environment name, or have its owner
        remove or rename it; if it is this stack's, tag it Project=credlink, Environment=dev,
        ManagedBy=ansible and run again
unknown:
  description: The resources (or kinds) whose ownership cannot be read now, same shape as RV(foreign).
  returned: always
  type: list
  elements: dict
summary:
  description: Counts of RV(resources) by state, and the AWS requests this check made.
  returned: always
  type: dict
  sample: {"resources": 44, "owned": 44, "foreign": 0, "unknown": 0, "api_calls": 48}
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, NamedTuple, Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import ENDPOINT_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import endpoint_lacks_action
from ansible_collections.credlink.infra.plugins.module_utils.sync import owned

# Lookups in flight at once: few enough to stay far below the APIs' request rates (the
# retries absorb a throttle), enough to overlap the round trips.
LOOKUP_THREADS = 8

Found = dict[str, Any]

LABELS = {
    "vpc": "VPC", "subnet": "subnet", "route_table": "route table", "internet_gateway": "internet gateway",
    "nat_gateway": "NAT gateway", "elastic_ip": "Elastic IP", "security_group": "security group",
    "iam_role": "IAM role", "iam_policy": "IAM policy", "secret": "secret", "ecr_repository": "ECR repository",
    "log_group": "log group", "s3_bucket": "S3 bucket", "sns_topic": "SNS topic", "db_instance": "DB instance",
    "db_subnet_group": "DB subnet group", "db_parameter_group": "DB parameter group",
    "replication_group": "replication group", "cache_subnet_group": "cache subnet group",
    "cache_parameter_group": "cache parameter group", "ecs_cluster": "ECS cluster",
    "load_balancer": "load balancer", "target_group": "target group",
}
# HeadBucket answers without a body, so only the status tells (S3 API reference, HeadBucket:
# "a generic 404 Not Found or 403 Forbidden code").
BUCKET_MISSING = ("404", "NoSuchBucket", "NotFound")
BUCKET_FORBIDDEN = ("403", "Forbidden", "AccessDenied")


class Unsupported(Exception):
    """The endpoint does not implement an action this check needs (emulators only: AWS has them all)."""


class Aws:
    """One client per service, made on first use; every read retried, counted and remembered.

    Used from several threads (find_all): botocore clients are thread-safe once made, the
    session that makes them is not, hence the lock."""

    def __init__(self, module: AnsibleAWSModule):
        self.module = module
        self.region = module.region
        self.clients: dict[str, Any] = {}
        self.answers: dict[str, Any] = {}
        self.requests = 0
        self._lock = threading.Lock()
        self._reading: dict[str, threading.Lock] = {}

    def client(self, service: str):
        with self._lock:
            if service not in self.clients:
                client = self.module.client(service, retry_decorator=RETRY)
                client.meta.events.register("before-call", self._count)
                self.clients[service] = client
            return self.clients[service]

    def _count(self, **_kwargs) -> None:
        with self._lock:
            self.requests += 1

    def read(self, service: str, action: str, missing: tuple = (), **params) -> Optional[dict]:
        """The whole answer (every page), or None when AWS answers with an error code of ``missing``.

        The same read is made once per run: a VPC or a topic list several kinds need is asked for once.
        """
        memo = f"{service} {action} {sorted(params.items())!r}"
        with self._lock:
            reading = self._reading.setdefault(memo, threading.Lock())
        with reading:  # a second thread asking for the same read waits for the first's answer
            if memo not in self.answers:
                self.answers[memo] = self._read(service, action, missing, params)
        return self.answers[memo]

    def _read(self, service: str, action: str, missing: tuple, params: dict) -> Optional[dict]:
        client = self.client(service)
        try:
            if client.can_paginate(action):
                return paginated_query_with_retries(client, action, retry_decorator=RETRY, **params)
            return getattr(client, action)(aws_retry=True, **params)
        except ENDPOINT_ERRORS as e:
            if error_code(e) in missing:
                return None
            if endpoint_lacks_action(e):
                raise Unsupported(client.meta.method_to_api_mapping.get(action, action)) from e
            raise

    @property
    def partition(self) -> str:
        """The ARN partition of the region (aws, aws-cn, aws-us-gov), as botocore resolves it."""
        return self.client("s3").meta.partition


def error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def tag_dict(tags: Any) -> dict[str, str]:
    """Tags as a plain dict, from a dict or a list of Key/Value (or key/value) pairs."""
    return dict(tags) if isinstance(tags, dict) else boto3_tag_list_to_ansible_dict(tags or [])


def found(kind: str, name: str, rid: str, tags: Any, detail: str = "", verdict: tuple = ()) -> Found:
    """A resource found: ``tags`` None when they can't be read; ``verdict`` (state, reason) decides it outright."""
    return {"kind": kind, "name": name, "id": rid, "tags": None if tags is None else tag_dict(tags),
            "detail": detail, "verdict": verdict}


def name_tag(item: dict) -> str:
    return tag_dict(item.get("Tags")).get("Name", "")


def in_vpc(item: dict) -> str:
    return f"in {item['VpcId']}" if item.get("VpcId") else ""


# Kinds read by one describe call with the name. service, action, list in the answer (None: the
# answer itself), id field, request for a name, error codes for "no such resource", tags field
# of each item (None: read with TAGS_OF[service]), item filter, detail for messages.
class Lookup(NamedTuple):
    service: str
    action: str
    result: Optional[str]
    ident: str
    request: Callable[[str], dict]
    missing: tuple = ()
    tags: Optional[str] = None
    keep: Callable[[dict, str], bool] = lambda item, name: True
    detail: Callable[[dict], str] = lambda item: ""


def by_name_tag(name: str) -> dict:
    return {"Filters": [{"Name": "tag:Name", "Values": [name]}]}


LOOKUPS = {
    "vpc": Lookup("ec2", "describe_vpcs", "Vpcs", "VpcId", by_name_tag, tags="Tags"),
    "internet_gateway": Lookup("ec2", "describe_internet_gateways", "InternetGateways", "InternetGatewayId",
                               by_name_tag, tags="Tags"),
    "security_group": Lookup("ec2", "describe_security_groups", "SecurityGroups", "GroupId",
                             lambda n: {"Filters": [{"Name": "group-name", "Values": [n]}]}, tags="Tags", detail=in_vpc),
    # GetRole answers with the role's tags (IAM API reference, Role data type: Tags).
    "iam_role": Lookup("iam", "get_role", "Role", "Arn", lambda n: {"RoleName": n}, ("NoSuchEntity",), tags="Tags"),
    # DescribeSecret also answers for a secret scheduled for deletion (DeletedDate), which keeps its name.
    "secret": Lookup("secretsmanager", "describe_secret", None, "ARN", lambda n: {"SecretId": n},
                     ("ResourceNotFoundException",), tags="Tags", keep=lambda item, name: item.get("Name") == name,
                     detail=lambda item: "scheduled for deletion" if item.get("DeletedDate") else ""),
    "ecr_repository": Lookup("ecr", "describe_repositories", "repositories", "repositoryArn",
                             lambda n: {"repositoryNames": [n]}, ("RepositoryNotFoundException",)),
    "db_instance": Lookup("rds", "describe_db_instances", "DBInstances", "DBInstanceArn",
                          lambda n: {"DBInstanceIdentifier": n}, ("DBInstanceNotFound",), tags="TagList"),
    "db_subnet_group": Lookup("rds", "describe_db_subnet_groups", "DBSubnetGroups", "DBSubnetGroupArn",
                              lambda n: {"DBSubnetGroupName": n}, ("DBSubnetGroupNotFoundFault",)),
    "db_parameter_group": Lookup("rds", "describe_db_parameter_groups", "DBParameterGroups", "DBParameterGroupArn",
                                 lambda n: {"DBParameterGroupName": n}, ("DBParameterGroupNotFound",)),
    "replication_group": Lookup("elasticache", "describe_replication_groups", "ReplicationGroups", "ARN",
                                lambda n: {"ReplicationGroupId": n}, ("ReplicationGroupNotFoundFault",)),
    "cache_subnet_group": Lookup("elasticache", "describe_cache_subnet_groups", "CacheSubnetGroups", "ARN",
                                 lambda n: {"CacheSubnetGroupName": n}, ("CacheSubnetGroupNotFoundFault",)),
    "cache_parameter_group": Lookup("elasticache", "describe_cache_parameter_groups", "CacheParameterGroups", "ARN",
                                    lambda n: {"CacheParameterGroupName": n}, ("CacheParameterGroupNotFound",)),
    # A deleted cluster stays describable as INACTIVE for a while (ECS API reference, Cluster.status).
    "ecs_cluster": Lookup("ecs", "describe_clusters", "clusters", "clusterArn",
                          lambda n: {"clusters": [n], "include": ["TAGS"]}, tags="tags",
                          keep=lambda item, name: item.get("status") != "INACTIVE"),
    "load_balancer": Lookup("elbv2", "describe_load_balancers", "LoadBalancers", "LoadBalancerArn",
                            lambda n: {"Names": [n]}, ("LoadBalancerNotFound",)),
    "target_group": Lookup("elbv2", "describe_target_groups", "TargetGroups", "TargetGroupArn",
                           lambda n: {"Names": [n]}, ("TargetGroupNotFound",)),
}


def elasticache_tags(aws: Aws, arn: str):
    # "If the cluster is not in the available state, ListTagsForResource returns an error"
    # (ElastiCache API reference): InvalidReplicationGroupState, "Cluster not in available state
    # to perform tagging operations." (hashicorp/terraform-provider-aws#30444, #33859).
    try:
        return aws.read("elasticache", "list_tags_for_resource", ResourceName=arn)["TagList"]
    except AWS_ERRORS as e:
        if error_code(e) != "InvalidReplicationGroupState":
            raise
        return None


TAGS_OF: dict[str, Callable[[Aws, str], Any]] = {
    "rds": lambda aws, arn: aws.read("rds", "list_tags_for_resource", ResourceName=arn)["TagList"],
    "elasticache": elasticache_tags,
    "ecr": lambda aws, arn: aws.read("ecr", "list_tags_for_resource", resourceArn=arn)["tags"],
    "elbv2": lambda aws, arn: aws.read("elbv2", "describe_tags", ResourceArns=[arn])["TagDescriptions"][0]["Tags"],
}


def described(aws: Aws, kind: str, name: str) -> list[Found]:
    spec = LOOKUPS[kind]
    answer = aws.read(spec.service, spec.action, spec.missing, **spec.request(name))
    if answer is None:
        return []
    items = answer if spec.result is None else answer[spec.result]
    results = []
    for item in (items if isinstance(items, list) else [items]):
        if not spec.keep(item, name):
            continue
        rid = item[spec.ident]
        # An untagged item has no tags field at all (GetRole, DescribeSecret, DescribeClusters).
        tags = (item.get(spec.tags) or []) if spec.tags else TAGS_OF[spec.service](aws, rid)
        results.append(found(kind, name, rid, tags, spec.detail(item), () if tags is not None else (
            "unknown", f"{LABELS[kind]} {name} ({rid}) is not available, and ElastiCache lists its tags only "
            "while it is; run again once it is available")))
    return results


def zone_suffix(aws: Aws) -> str:
    """An availability zone of the region (us-east-1a), the end of NAT, subnet and route table names."""
    return re.escape(aws.region) + "[a-z]"


def vpc_members(aws: Aws, kind: str, vpc_name: str) -> list[Found]:
    """Subnets and route tables of the VPCs of that name, whose Name is one the contract gives them."""
    base = re.escape(vpc_name[:-len("-vpc")] if vpc_name.endswith("-vpc") else vpc_name)
    zone = zone_suffix(aws)
    named = {"subnet": rf"{base}-(public|private|database)-{zone}",
             "route_table": rf"{base}-(public|database|private-{zone})"}[kind]
    action, result, ident = {"subnet": ("describe_subnets", "Subnets", "SubnetId"),
                             "route_table": ("describe_route_tables", "RouteTables", "RouteTableId")}[kind]
    vpc_ids = [item["id"] for item in described(aws, "vpc", vpc_name)]
    if not vpc_ids:
        return []
    items = aws.read("ec2", action, Filters=[{"Name": "vpc-id", "Values": vpc_ids}])[result]
    return [found(kind, name_tag(item), item[ident], item.get("Tags"), in_vpc(item))
            for item in items if re.fullmatch(named, name_tag(item))]


def address_detail(item: dict) -> str:
    return f"associated with {item['NetworkInterfaceId']}" if item.get("AssociationId") else "not associated"


# kind: action, its filter parameter, list in the answer, id field, more filters, detail.
NAT_NAMED = {
    "nat_gateway": ("describe_nat_gateways", "Filter", "NatGateways", "NatGatewayId",
                    [{"Name": "state", "Values": ["pending", "available"]}], in_vpc),
    "elastic_ip": ("describe_addresses", "Filters", "Addresses", "AllocationId", [], address_detail),
}


def nat_named(aws: Aws, kind: str, prefix: str) -> list[Found]:
    """NAT gateways (pending or available) and Elastic IPs whose Name is <prefix><zone>."""
    action, parameter, result, ident, more, detail = NAT_NAMED[kind]
    # EC2 filter values take * as a wildcard (EC2 API reference, Filter); the exact match below
    # keeps out <prefix>nat-us-east-1a, which environment "dev-nat" would own, when checking "dev".
    filters = [{"Name": "tag:Name", "Values": [f"{prefix}*"]}] + more
    items = aws.read("ec2", action, **{parameter: filters})[result]
    pattern = re.escape(prefix) + zone_suffix(aws)
    return [found(kind, name_tag(item), item[ident], item.get("Tags"), detail(item))
            for item in items if re.fullmatch(pattern, name_tag(item))]


def iam_policy(aws: Aws, kind: str, name: str) -> list[Found]:
    # "IAM user, group, role, and policy names must be unique within the account. Names are not
    # distinguished by case" (IAM API reference, CreatePolicy PolicyName), whatever their path.
    policies = aws.read("iam", "list_policies", Scope="Local")["Policies"]
    return [found(kind, p["PolicyName"], p["Arn"], aws.read("iam", "list_policy_tags", PolicyArn=p["Arn"])["Tags"])
            for p in policies if p["PolicyName"].lower() == name.lower()]


def log_group(aws: Aws, kind: str, name: str) -> list[Found]:
    groups = aws.read("logs", "describe_log_groups", logGroupNamePrefix=name)["logGroups"]
    results = []
    for group in (g for g in groups if g["logGroupName"] == name):
        # ListTagsForResource takes the ARN without the ":*" that DescribeLogGroups' "arn" ends
        # with (CloudWatch Logs API reference); ListTagsLogGroup is its deprecated predecessor,
        # for endpoints without it.
        arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
        try:
            tags = aws.read("logs", "list_tags_for_resource", resourceArn=arn)["tags"]
        except Unsupported:
            tags = aws.read("logs", "list_tags_log_group", logGroupName=name)["tags"]
        results.append(found(kind, name, arn, tags))
    return results


def bucket(aws: Aws, kind: str, name: str) -> list[Found]:
    """The bucket, by whose account holds its (global) name first, then by its tags."""
    arn = f"arn:{aws.partition}:s3:::{name}"
    try:
        if aws.read("s3", "head_bucket", BUCKET_MISSING, Bucket=name) is None:
            return []
        forbidden = False
    except AWS_ERRORS as e:
        if error_code(e) not in BUCKET_FORBIDDEN:
            raise
        forbidden = True
    # ListBuckets lists "all buckets owned by the authenticated sender of the request" (S3 API
    # reference): a bucket missing there is another account's, even where it lets us read it.
    try:
        ours = name in {b["Name"] for b in aws.read("s3", "list_buckets", Prefix=name)["Buckets"]}
    except AWS_ERRORS as e:
        if error_code(e) not in BUCKET_FORBIDDEN:
            raise
        ours = not forbidden
    if not ours:
        return [found(kind, name, arn, {}, verdict=("foreign", (
            f"S3 bucket {name}: the bucket name is taken by another AWS account. Bucket names are global and "
            "this stack cannot use or remove that bucket: have that account delete it, or use another "
            "environment name")))]
    if forbidden:
        return [found(kind, name, arn, None, verdict=("unknown", (
            f"S3 bucket {name} belongs to this account, but the credentials in use may not read it (HeadBucket "
            "answered 403); allow them s3:ListBucket and s3:GetBucketTagging on it, or check its bucket policy")))]
    # "NoSuchTagSet - There is no tag set associated with the bucket" (S3 API reference, GetBucketTagging).
    tagging = aws.read("s3", "get_bucket_tagging", ("NoSuchTagSet",), Bucket=name)
    return [found(kind, name, arn, (tagging or {}).get("TagSet", []))]


def topic(aws: Aws, kind: str, name: str) -> list[Found]:
    arns = [t["TopicArn"] for t in aws.read("sns", "list_topics")["Topics"] if t["TopicArn"].rsplit(":", 1)[-1] == name]
    return [found(kind, name, arn, aws.read("sns", "list_tags_for_resource", ResourceArn=arn)["Tags"]) for arn in arns]


# What is checked: the key of `names`, the kind it names, and how it is found. In this order.
CHECKS: tuple[tuple[str, str, Callable[[Aws, str, str], list[Found]]], ...] = (
    ("vpc", "vpc", described),
    ("vpc", "subnet", vpc_members),
    ("vpc", "route_table", vpc_members),
    ("internet_gateway", "internet_gateway", described),
    ("nat_gateway_prefix", "nat_gateway", nat_named),
    ("nat_gateway_prefix", "elastic_ip", nat_named),
    ("db_security_group", "security_group", described),
    ("redis_security_group", "security_group", described),
    ("ecs_security_group", "security_group", described),
    ("alb_security_group", "security_group", described),
    ("flow_logs", "iam_role", described),
    ("db_monitoring_role", "iam_role", described),
    ("execution_role", "iam_role", described),
    ("task_role", "iam_role", described),
    ("secret_read_policy", "iam_policy", iam_policy),
    ("secret", "secret", described),
    ("redis_auth_secret", "secret", described),
    ("repository", "ecr_repository", described),
    ("flow_log_group", "log_group", log_group),
    ("app_log_group", "log_group", log_group),
    ("db_log_group_prefix", "log_group", log_group),
    ("bucket", "s3_bucket", bucket),
    ("cache_topic", "sns_topic", topic),
    ("alarm_topic", "sns_topic", topic),
    ("db_instance", "db_instance", described),
    ("db_subnet_group", "db_subnet_group", described),
    ("db_parameter_group", "db_parameter_group", described),
    ("replication_group", "replication_group", described),
    ("cache_subnet_group", "cache_subnet_group", described),
    ("cache_parameter_group", "cache_parameter_group", described),
    ("cluster", "ecs_cluster", described),
    ("load_balancer", "load_balancer", described),
    ("target_group", "target_group", described),
)
# Keys that stand for several names.
EXPANDS = {"db_log_group_prefix": ("/postgresql", "/upgrade")}


def find_all(aws: Aws, names: dict[str, str]) -> list[Found]:
    """Every name looked up, in the order of CHECKS; the lookups run side by side, since each
    is a round trip to a different API and together they are some forty calls."""
    lookups = [(key, kind, finder, names[key] + suffix) for key, kind, finder in CHECKS if key in names
               for suffix in EXPANDS.get(key, ("",))]

    def look_up(lookup):
        key, kind, finder, name = lookup
        try:
            return finder(aws, kind, name), None
        except Unsupported as e:
            return [found(kind, name, "", None, verdict=("unknown", (
                f"the AWS endpoint does not implement {e}, so whether a {LABELS[kind]} {name} exists, and "
                "whose it is, can't be read here")))], None
        except ENDPOINT_ERRORS as e:
            return [], e

    with ThreadPoolExecutor(max_workers=LOOKUP_THREADS) as pool:
        answers = list(pool.map(look_up, lookups))
    results = []
    for (key, kind, _finder, name), (items, error) in zip(lookups, answers):
        if error is not None:
            # From the main thread: fail_json_aws exits.
            aws.module.fail_json_aws(error, msg=f"Couldn't read {LABELS[kind]} {name} and its tags")
        results += [{"key": key, **item} for item in items]
    return results


def foreign_reason(item: Found, owner_tags: dict[str, str]) -> str:
    tags, wanted = item["tags"], ", ".join(f"{k}={v}" for k, v in owner_tags.items())
    if not any(k in tags for k in owner_tags):
        problem = "carries none of this stack's tags"
    else:
        wrong = [f"{k}={tags[k]} (not {v})" for k, v in owner_tags.items() if k in tags and tags[k] != v]
        missing = [k for k in owner_tags if k not in tags]
        problem = " and ".join(([f"is tagged {', '.join(wrong)}"] if wrong else [])
                               + ([f"has no {'/'.join(missing)} tag"] if missing else []))
    where = ", ".join(part for part in (item["id"], item["detail"]) if part)
    return (f"{LABELS[item['kind']]} {item['name']} ({where}) {problem}, so it is not this stack's. If it is "
            "someone else's, leave it: use another environment name, or have its owner remove or rename it; "
            f"if it is this stack's, tag it {wanted} and run again")


def classify(item: Found, owner_tags: dict[str, str]) -> dict[str, Any]:
    tags = item["tags"] or {}
    if item["verdict"]:
        state, reason = item["verdict"]
    elif owned(tags, owner_tags):
        state, reason = "owned", ""
    else:
        state, reason = "foreign", foreign_reason(item, owner_tags)
    return {"kind": item["kind"], "key": item["key"], "name": item["name"], "id": item["id"],
            "owned": state == "owned", "state": state, "reason": reason, "tags": tags}


def validate(module: AnsibleAWSModule) -> tuple[dict[str, str], dict[str, str]]:
    """The names to check and the owner tags, or a failure before any AWS call."""
    owner_tags = {str(k): str(v) for k, v in module.params["owner_tags"].items()}
    if not owner_tags:
        module.fail_json(msg="owner_tags is empty: every resource would count as this stack's; "
                             "give the stack's Project, Environment and ManagedBy tags")
    known = {key for key, _kind, _finder in CHECKS}
    names = {k: v for k, v in module.params["names"].items() if k in known}
    bad = sorted(k for k, v in names.items() if not isinstance(v, str) or not v.strip())
    if bad:
        module.fail_json(msg=f"names.{', names.'.join(bad)} must be non-empty strings (the naming contract, "
                             "credlink_names); leave a key out to skip that kind")
    return names, owner_tags


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            names=dict(type="dict", required=True),
            owner_tags=dict(type="dict", required=True),
            fail_on_foreign=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    names, owner_tags = validate(module)
    aws = Aws(module)
    resources = [classify(item, owner_tags) for item in find_all(aws, names)]

    def short(state):
        return [{k: r[k] for k in ("kind", "name", "id", "reason")} for r in resources if r["state"] == state]

    result = dict(
        changed=False,
        resources=resources,
        owned=[r for r in resources if r["owned"]],
        foreign=short("foreign"),
        unknown=short("unknown"),
        summary={"resources": len(resources), **{s: sum(r["state"] == s for r in resources)
                                                 for s in ("owned", "foreign", "unknown")}, "api_calls": aws.requests},
    )
    if result["foreign"] and module.params["fail_on_foreign"]:
        module.fail_json(msg=(f"{len(result['foreign'])} resource(s) are named like this stack's but are not "
                              f"this stack's: " + "; ".join(f["reason"] for f in result["foreign"])), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
