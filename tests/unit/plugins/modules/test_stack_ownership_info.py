"""stack_ownership_info: which resources named like the stack's are the stack's, against moto in-process."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager

import boto3
import botocore.exceptions
import botocore.loaders
import botocore.parsers
import botocore.session
import pytest
from moto import mock_aws

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.credlink.infra.plugins.module_utils import naming
from ansible_collections.credlink.infra.plugins.modules import stack_ownership_info as module
from tests.conftest import DUMMY_AWS
from tests.unit.in_process import call_main

ACCOUNT = "123456789012"
REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b")
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def names_for(env: str) -> dict[str, str]:
    """The naming contract as preflight publishes it (credlink_names), for ``env``."""
    return naming.names(env, ACCOUNT)


def owner(env: str) -> dict[str, str]:
    return {"Project": "credlink", "Environment": env, "ManagedBy": "ansible"}


def client_error(code: str, message: str = "", status: int = 400, operation: str = "Call"):
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


class Endpoint:
    """moto, plus what moto lacks (cache parameter groups) and faults a test asks for.

    ``overrides[(service, action)]`` replaces one action of the module's clients; it gets the
    real method and the call's parameters.
    """

    def __init__(self):
        self.cache_parameter_groups: dict[str, list] = {}
        self.services: list[str] = []
        self.overrides = {
            ("elasticache", "describe_cache_parameter_groups"): self.describe_cache_parameter_groups,
            ("elasticache", "list_tags_for_resource"): self.list_cache_tags,
        }

    def describe_cache_parameter_groups(self, real, CacheParameterGroupName):
        if CacheParameterGroupName not in self.cache_parameter_groups:
            raise client_error("CacheParameterGroupNotFound", f"CacheParameterGroup {CacheParameterGroupName} not found.")
        arn = f"arn:aws:elasticache:{REGION}:{ACCOUNT}:parametergroup:{CacheParameterGroupName}"
        return {"CacheParameterGroups": [{"CacheParameterGroupName": CacheParameterGroupName, "ARN": arn}]}

    def list_cache_tags(self, real, ResourceName):
        if ":parametergroup:" in ResourceName:
            return {"TagList": self.cache_parameter_groups[ResourceName.rsplit(":", 1)[-1]]}
        return real(ResourceName=ResourceName)

    def wrap(self, service, client):
        self.services.append(service)
        return Overridden(client, {action: fake for (svc, action), fake in self.overrides.items() if svc == service})


class Overridden:
    def __init__(self, client, fakes):
        self._client, self._fakes = client, fakes

    def can_paginate(self, action):
        return action not in self._fakes and self._client.can_paginate(action)

    def __getattr__(self, name):
        real = getattr(self._client, name)
        if name not in self._fakes:
            return real
        return lambda aws_retry=False, **params: self._fakes[name](real, **params)


# Every boto3 session the module makes (one per client) parses the service models again; sharing
# one loader, as the warm module runner does, keeps these tests from spending most of their time there.
SHARED_LOADER = botocore.loaders.create_loader()


@contextmanager
def emulated(patch: pytest.MonkeyPatch):
    """moto in-process behind the module's clients, as an Endpoint."""
    endpoint = Endpoint()
    original = AnsibleAWSModule.client
    patch.setattr(botocore.session, "create_loader", lambda search_path_string=None: SHARED_LOADER)
    patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # a second per test otherwise; no test needs them

    def client(self, service, retry_decorator=None, **kwargs):
        return endpoint.wrap(service, original(self, service, retry_decorator=retry_decorator, **kwargs))

    patch.setattr(AnsibleAWSModule, "client", client)
    with mock_aws():
        yield endpoint


@pytest.fixture
def aws(offline_aws, monkeypatch):
    with emulated(monkeypatch) as endpoint:
        yield endpoint


class Stack:
    """Every resource the naming contract names, built in moto; ``untagged`` (kind, name) pairs get no tags."""

    def __init__(self, endpoint: Endpoint, env: str, cidr: int = 1, untagged=(), tags=None):
        self.endpoint, self.env, self.n = endpoint, env, names_for(env)
        self.tags = tags or owner(env)
        self.untagged = set(untagged)
        self.created: set[tuple[str, str]] = set()
        self.ids: dict[tuple[str, str], str] = {}
        self.c = {s: boto3.client(s, region_name=REGION) for s in (
            "ec2", "iam", "secretsmanager", "ecr", "logs", "s3", "sns", "rds", "elasticache", "ecs", "elbv2")}
        self.network(cidr)
        self.services()

    def pairs(self, kind, name, lower=False, with_name=False):
        """The tags of (kind, name) as a Key/Value list (key/value when ``lower``)."""
        self.created.add((kind, name))
        tags = {} if (kind, name) in self.untagged else dict(self.tags)
        if with_name:
            tags["Name"] = name
        k, v = ("key", "value") if lower else ("Key", "Value")
        return [{k: key, v: value} for key, value in tags.items()]

    @staticmethod
    def pairs_of(tags):
        return [{"Key": key, "Value": value} for key, value in tags.items()]

    def spec(self, resource_type, kind, name):
        return [{"ResourceType": resource_type, "Tags": self.pairs(kind, name, with_name=True)}]

    def made(self, kind, name, rid):
        self.ids[kind, name] = rid
        return rid

    def network(self, cidr):
        ec2, p = self.c["ec2"], f"credlink-{self.env}"
        self.vpc = self.made("vpc", self.n["vpc"], ec2.create_vpc(
            CidrBlock=f"10.{cidr}.0.0/16", TagSpecifications=self.spec("vpc", "vpc", self.n["vpc"]))["Vpc"]["VpcId"])
        self.subnets = {}
        for index, (tier, zone) in enumerate((t, z) for t in ("public", "private", "database") for z in ZONES):
            name = f"{p}-{tier}-{zone}"
            self.subnets[tier, zone] = self.made("subnet", name, ec2.create_subnet(
                VpcId=self.vpc, CidrBlock=f"10.{cidr}.{index}.0/24", AvailabilityZone=zone,
                TagSpecifications=self.spec("subnet", "subnet", name))["Subnet"]["SubnetId"])
        igw = self.made("internet_gateway", self.n["internet_gateway"], ec2.create_internet_gateway(TagSpecifications=self.spec(
            "internet-gateway", "internet_gateway", self.n["internet_gateway"]))["InternetGateway"]["InternetGatewayId"])
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=self.vpc)
        for table in ("public", "database", *(f"private-{z}" for z in ZONES)):
            self.made("route_table", f"{p}-{table}", ec2.create_route_table(VpcId=self.vpc, TagSpecifications=self.spec(
                "route-table", "route_table", f"{p}-{table}"))["RouteTable"]["RouteTableId"])
        for zone in ZONES:
            name = f"{self.n['nat_gateway_prefix']}{zone}"
            address = self.made("elastic_ip", name, ec2.allocate_address(
                Domain="vpc", TagSpecifications=self.spec("elastic-ip", "elastic_ip", name))["AllocationId"])
            self.made("nat_gateway", name, ec2.create_nat_gateway(
                SubnetId=self.subnets["public", zone], AllocationId=address,
                TagSpecifications=self.spec("natgateway", "nat_gateway", name))["NatGateway"]["NatGatewayId"])
        for key in ("db_security_group", "redis_security_group", "ecs_security_group", "alb_security_group"):
            self.made("security_group", self.n[key], ec2.create_security_group(
                GroupName=self.n[key], Description=key, VpcId=self.vpc,
                TagSpecifications=self.spec("security-group", "security_group", self.n[key]))["GroupId"])

    def services(self):
        c, n, made = self.c, self.n, self.made
        for key in ("flow_logs", "db_monitoring_role", "execution_role", "task_role"):
            made("iam_role", n[key], c["iam"].create_role(
                RoleName=n[key], AssumeRolePolicyDocument=TRUST, **opt("Tags", self.pairs("iam_role", n[key])))["Role"]["Arn"])
        made("iam_policy", n["secret_read_policy"], c["iam"].create_policy(
            PolicyName=n["secret_read_policy"], PolicyDocument=POLICY,
            **opt("Tags", self.pairs("iam_policy", n["secret_read_policy"])))["Policy"]["Arn"])
        for key in ("secret", "redis_auth_secret"):
            made("secret", n[key], c["secretsmanager"].create_secret(
                Name=n[key], SecretString="{}", **opt("Tags", self.pairs("secret", n[key])))["ARN"])
        made("ecr_repository", n["repository"], c["ecr"].create_repository(
            repositoryName=n["repository"], **opt("tags", self.pairs("ecr_repository", n["repository"])))["repository"]["repositoryArn"])
        for name in (n["flow_log_group"], n["app_log_group"], *(n["db_log_group_prefix"] + s for s in ("/postgresql", "/upgrade"))):
            tags = {t["Key"]: t["Value"] for t in self.pairs("log_group", name)}
            c["logs"].create_log_group(logGroupName=name, **opt("tags", tags))
            made("log_group", name, f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}")
        c["s3"].create_bucket(Bucket=n["bucket"])
        made("s3_bucket", n["bucket"], f"arn:aws:s3:::{n['bucket']}")
        if tags := self.pairs("s3_bucket", n["bucket"]):
            c["s3"].put_bucket_tagging(Bucket=n["bucket"], Tagging={"TagSet": tags})
        for key in ("cache_topic", "alarm_topic"):
            made("sns_topic", n[key], c["sns"].create_topic(Name=n[key], **opt("Tags", self.pairs("sns_topic", n[key])))["TopicArn"])
        database = [self.subnets["database", z] for z in ZONES]
        made("db_subnet_group", n["db_subnet_group"], c["rds"].create_db_subnet_group(
            DBSubnetGroupName=n["db_subnet_group"], DBSubnetGroupDescription="d", SubnetIds=database,
            **opt("Tags", self.pairs("db_subnet_group", n["db_subnet_group"])))["DBSubnetGroup"]["DBSubnetGroupArn"])
        made("db_parameter_group", n["db_parameter_group"], c["rds"].create_db_parameter_group(
            DBParameterGroupName=n["db_parameter_group"], DBParameterGroupFamily="postgres15", Description="d",
            **opt("Tags", self.pairs("db_parameter_group", n["db_parameter_group"])))["DBParameterGroup"]["DBParameterGroupArn"])
        made("db_instance", n["db_instance"], c["rds"].create_db_instance(
            DBInstanceIdentifier=n["db_instance"], Engine="postgres", DBInstanceClass="db.t3.micro",
            MasterUsername="credlink_admin", MasterUserPassword="x" * 32, AllocatedStorage=20,
            DBSubnetGroupName=n["db_subnet_group"],
            **opt("Tags", self.pairs("db_instance", n["db_instance"])))["DBInstance"]["DBInstanceArn"])
        private = [self.subnets["private", z] for z in ZONES]
        made("cache_subnet_group", n["cache_subnet_group"], c["elasticache"].create_cache_subnet_group(
            CacheSubnetGroupName=n["cache_subnet_group"], CacheSubnetGroupDescription="d", SubnetIds=private,
            **opt("Tags", self.pairs("cache_subnet_group", n["cache_subnet_group"])))["CacheSubnetGroup"]["ARN"])
        self.endpoint.cache_parameter_groups[n["cache_parameter_group"]] = self.pairs(
            "cache_parameter_group", n["cache_parameter_group"])
        made("cache_parameter_group", n["cache_parameter_group"],
             f"arn:aws:elasticache:{REGION}:{ACCOUNT}:parametergroup:{n['cache_parameter_group']}")
        made("replication_group", n["replication_group"], c["elasticache"].create_replication_group(
            ReplicationGroupId=n["replication_group"], ReplicationGroupDescription="d", Engine="redis",
            CacheNodeType="cache.t3.micro", NumCacheClusters=1, CacheSubnetGroupName=n["cache_subnet_group"],
            **opt("Tags", self.pairs("replication_group", n["replication_group"])))["ReplicationGroup"]["ARN"])
        made("ecs_cluster", n["cluster"], c["ecs"].create_cluster(
            clusterName=n["cluster"], **opt("tags", self.pairs("ecs_cluster", n["cluster"], lower=True)))["cluster"]["clusterArn"])
        public = [self.subnets["public", z] for z in ZONES]
        made("load_balancer", n["load_balancer"], c["elbv2"].create_load_balancer(
            Name=n["load_balancer"], Subnets=public,
            **opt("Tags", self.pairs("load_balancer", n["load_balancer"])))["LoadBalancers"][0]["LoadBalancerArn"])
        made("target_group", n["target_group"], c["elbv2"].create_target_group(
            Name=n["target_group"], Protocol="HTTP", Port=3001, VpcId=self.vpc, TargetType="ip",
            **opt("Tags", self.pairs("target_group", n["target_group"])))["TargetGroups"][0]["TargetGroupArn"])

    def owner_tags_on(self, kind, name, on):
        """Put the owner tags back on one resource, or take them off as if it had been made without them."""
        keys, rid, c = list(self.tags), self.ids[kind, name], self.c
        pairs, lower = self.pairs_of(self.tags), [{"key": k, "value": v} for k, v in self.tags.items()]
        service = "ec2" if kind in EC2_KINDS else "rds" if kind.startswith("db_") else kind
        if service == "rds" or kind in ("replication_group", "cache_subnet_group"):
            client = c["rds" if service == "rds" else "elasticache"]
            return (client.add_tags_to_resource(ResourceName=rid, Tags=pairs) if on
                    else client.remove_tags_from_resource(ResourceName=rid, TagKeys=keys))
        {
            "ec2": lambda: c["ec2"].create_tags(Resources=[rid], Tags=pairs) if on
            else c["ec2"].delete_tags(Resources=[rid], Tags=[{"Key": k} for k in keys]),
            "iam_role": lambda: c["iam"].tag_role(RoleName=name, Tags=pairs) if on
            else c["iam"].untag_role(RoleName=name, TagKeys=keys),
            "iam_policy": lambda: c["iam"].tag_policy(PolicyArn=rid, Tags=pairs) if on
            else c["iam"].untag_policy(PolicyArn=rid, TagKeys=keys),
            "secret": lambda: c["secretsmanager"].tag_resource(SecretId=rid, Tags=pairs) if on
            else c["secretsmanager"].untag_resource(SecretId=rid, TagKeys=keys),
            "ecr_repository": lambda: c["ecr"].tag_resource(resourceArn=rid, tags=pairs) if on
            else c["ecr"].untag_resource(resourceArn=rid, tagKeys=keys),
            "log_group": lambda: c["logs"].tag_resource(resourceArn=rid, tags=dict(self.tags)) if on
            else c["logs"].untag_resource(resourceArn=rid, tagKeys=keys),
            "s3_bucket": lambda: c["s3"].put_bucket_tagging(Bucket=name, Tagging={"TagSet": pairs}) if on
            else c["s3"].delete_bucket_tagging(Bucket=name),
            "sns_topic": lambda: c["sns"].tag_resource(ResourceArn=rid, Tags=pairs) if on
            else c["sns"].untag_resource(ResourceArn=rid, TagKeys=keys),
            "cache_parameter_group": lambda: self.endpoint.cache_parameter_groups.__setitem__(name, pairs if on else []),
            "ecs_cluster": lambda: c["ecs"].tag_resource(resourceArn=rid, tags=lower) if on
            else c["ecs"].untag_resource(resourceArn=rid, tagKeys=keys),
            "load_balancer": lambda: c["elbv2"].add_tags(ResourceArns=[rid], Tags=pairs) if on
            else c["elbv2"].remove_tags(ResourceArns=[rid], TagKeys=keys),
            "target_group": lambda: c["elbv2"].add_tags(ResourceArns=[rid], Tags=pairs) if on
            else c["elbv2"].remove_tags(ResourceArns=[rid], TagKeys=keys),
        }[service]()


EC2_KINDS = ("vpc", "subnet", "route_table", "internet_gateway", "nat_gateway", "elastic_ip", "security_group")


def opt(parameter, tags):
    """The tags parameter, left out when there are none (several APIs refuse an empty list)."""
    return {parameter: tags} if tags else {}


def check(capsys, env="dev", check_mode=False, **args):
    return call_main(module, {"names": names_for(env), "owner_tags": owner(env), **args}, capsys, check_mode=check_mode)


def kinds_and_names(entries):
    return {(e["kind"], e["name"]) for e in entries}


# One resource of every kind (and of every key of the names that has several), as named for "dev".
DEV = names_for("dev")
ONE_OF_EACH = [
    ("vpc", DEV["vpc"]), ("subnet", "credlink-dev-private-us-east-1b"), ("route_table", "credlink-dev-public"),
    ("route_table", "credlink-dev-private-us-east-1a"), ("internet_gateway", DEV["internet_gateway"]),
    ("nat_gateway", "credlink-dev-nat-us-east-1a"), ("elastic_ip", "credlink-dev-nat-us-east-1b"),
    ("security_group", DEV["db_security_group"]), ("security_group", DEV["redis_security_group"]),
    ("security_group", DEV["ecs_security_group"]), ("security_group", DEV["alb_security_group"]),
    ("iam_role", DEV["flow_logs"]), ("iam_role", DEV["db_monitoring_role"]), ("iam_role", DEV["execution_role"]),
    ("iam_role", DEV["task_role"]), ("iam_policy", DEV["secret_read_policy"]), ("secret", DEV["secret"]),
    ("secret", DEV["redis_auth_secret"]), ("ecr_repository", DEV["repository"]), ("log_group", DEV["flow_log_group"]),
    ("log_group", DEV["app_log_group"]), ("log_group", DEV["db_log_group_prefix"] + "/postgresql"),
    ("log_group", DEV["db_log_group_prefix"] + "/upgrade"), ("s3_bucket", DEV["bucket"]),
    ("sns_topic", DEV["cache_topic"]), ("sns_topic", DEV["alarm_topic"]), ("db_instance", DEV["db_instance"]),
    ("db_subnet_group", DEV["db_subnet_group"]), ("db_parameter_group", DEV["db_parameter_group"]),
    ("replication_group", DEV["replication_group"]), ("cache_subnet_group", DEV["cache_subnet_group"]),
    ("cache_parameter_group", DEV["cache_parameter_group"]), ("ecs_cluster", DEV["cluster"]),
    ("load_balancer", DEV["load_balancer"]), ("target_group", DEV["target_group"]),
]


def test_an_owned_stack_has_nothing_foreign_and_every_resource_is_in_the_plan(aws, capsys):
    # Other tags than the owner tags do not matter.
    stack = Stack(aws, "dev", tags={**owner("dev"), "CostCenter": "42"})
    started = time.monotonic()
    result, code = check(capsys)
    elapsed = time.monotonic() - started
    assert code == 0 and result["changed"] is False
    assert result["foreign"] == [] and result["unknown"] == []
    assert kinds_and_names(result["resources"]) == stack.created
    assert len(stack.created) == 44 and set(ONE_OF_EACH) <= stack.created
    assert result["owned"] == result["resources"] and all(r["state"] == "owned" and r["reason"] == "" for r in result["resources"])
    summary = result["summary"]
    assert {k: v for k, v in summary.items() if k != "api_calls"} == {"resources": 44, "owned": 44, "foreign": 0, "unknown": 0}
    # One describe per name, one tag read where the describe has no tags, and the VPC, topic and
    # policy lists read once each (the cache parameter group is answered by the test double).
    assert summary["api_calls"] <= 50
    print(f"\nfull owned stack: {summary['api_calls']} AWS requests, {elapsed:.2f} s")
    by_kind = {r["kind"]: r for r in result["resources"]}
    assert by_kind["security_group"]["id"].startswith("sg-") and by_kind["vpc"]["id"] == stack.vpc
    assert by_kind["s3_bucket"]["id"] == f"arn:aws:s3:::{DEV['bucket']}"
    assert by_kind["log_group"]["id"].startswith("arn:aws:logs:") and not by_kind["log_group"]["id"].endswith(":*")
    assert by_kind["iam_role"]["tags"] == {**owner("dev"), "CostCenter": "42"}
    assert by_kind["vpc"]["tags"]["Name"] == DEV["vpc"]
    keys = {(r["kind"], r["name"]): r["key"] for r in result["resources"]}
    assert keys["security_group", DEV["db_security_group"]] == "db_security_group"
    assert keys["log_group", DEV["db_log_group_prefix"] + "/upgrade"] == "db_log_group_prefix"
    assert keys["elastic_ip", "credlink-dev-nat-us-east-1a"] == "nat_gateway_prefix"


# One resource per kind: the last of ONE_OF_EACH, which is the trickiest where a kind has several
# (the security group named like the load balancer, a log group of the RDS prefix, a zone's table).
ONE_PER_KIND = list({kind: (kind, name) for kind, name in ONE_OF_EACH}.values())


class TestEachKind:
    """One owned stack for the class (building it is most of a test's time); each test takes the
    owner tags off one resource and puts them back."""

    @pytest.fixture(scope="class")
    def stack(self):
        with pytest.MonkeyPatch.context() as patch:
            for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
                patch.delenv(key, raising=False)
            for key, value in DUMMY_AWS.items():
                patch.setenv(key, value)
            with emulated(patch) as endpoint:
                yield Stack(endpoint, "dev")

    @pytest.mark.parametrize("kind, name", ONE_PER_KIND, ids=[f"{k}:{n}" for k, n in ONE_PER_KIND])
    def test_each_kind_untagged_is_the_one_foreign_resource(self, stack, capsys, kind, name):
        stack.owner_tags_on(kind, name, False)
        try:
            result, code = check(capsys)
        finally:
            stack.owner_tags_on(kind, name, True)
        assert code == 0
        [foreign] = result["foreign"]
        assert (foreign["kind"], foreign["name"], foreign["id"]) == (kind, name, stack.ids[kind, name])
        [entry] = [r for r in result["resources"] if r["state"] != "owned"]
        assert entry["owned"] is False and entry["state"] == "foreign" and entry["id"] == foreign["id"]
        assert foreign["reason"].startswith(f"{module.LABELS[kind]} {name} ({foreign['id']}")
        assert "carries none of this stack's tags" in foreign["reason"]
        assert foreign["reason"].endswith("tag it Project=credlink, Environment=dev, ManagedBy=ansible and run again")
        assert (kind, name) not in kinds_and_names(result["owned"]) and result["summary"]["foreign"] == 1

    def test_with_every_tag_back_the_stack_is_owned_again(self, stack, capsys):
        result, code = check(capsys)
        assert code == 0 and result["foreign"] == [] and kinds_and_names(result["owned"]) == stack.created


@pytest.mark.parametrize("half", [0, 1])
def test_every_named_resource_untagged_among_tagged_ones_is_foreign(aws, capsys, half):
    # Every other resource of the list untagged: each is reported, nothing else is, and resources
    # sharing a name across kinds (credlink-dev-alb, credlink-dev-redis, credlink-dev-db) keep apart.
    untagged = set(ONE_OF_EACH[half::2])
    stack = Stack(aws, "dev", untagged=untagged)
    result, code = check(capsys)
    assert code == 0 and kinds_and_names(result["foreign"]) == untagged
    assert kinds_and_names(result["owned"]) == stack.created - untagged


def test_another_environments_resources_with_similar_names_are_not_reported(aws, capsys):
    # dev-alice: credlink-dev-alice-db, /ecs/credlink-dev-alice, credlink-dev-alice-nat-us-east-1a ...;
    # dev-nat: NAT gateways and addresses credlink-dev-nat-nat-us-east-1a, which begin with dev's
    # NAT prefix credlink-dev-nat-.
    Stack(aws, "dev-alice", cidr=2)
    Stack(aws, "dev-nat", cidr=3)
    result, code = check(capsys)
    assert code == 0 and result["resources"] == [] and result["foreign"] == []
    ours = Stack(aws, "dev", cidr=1)
    result, code = check(capsys)
    assert code == 0 and result["foreign"] == [] and kinds_and_names(result["resources"]) == ours.created


def test_only_the_route_tables_and_subnets_the_contract_names_are_read_in_the_vpc(aws, capsys):
    stack = Stack(aws, "dev")
    ec2 = stack.c["ec2"]
    for name in ("credlink-dev-alice-public", "credlink-dev-private-eu-west-1a", "credlink-dev-publicity", "other"):
        ec2.create_route_table(VpcId=stack.vpc, TagSpecifications=[
            {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": name}]}])
    ec2.create_subnet(VpcId=stack.vpc, CidrBlock="10.1.200.0/24", AvailabilityZone="us-east-1a", TagSpecifications=[
        {"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "credlink-dev-alice-public-us-east-1a"}]}])
    result, code = check(capsys)
    assert code == 0 and result["foreign"] == [] and kinds_and_names(result["resources"]) == stack.created


def test_an_untagged_address_named_like_a_nat_address_is_foreign(aws, capsys):
    ec2 = boto3.client("ec2", region_name=REGION)
    allocation = ec2.allocate_address(Domain="vpc", TagSpecifications=[
        {"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "credlink-dev-nat-us-east-1a"}]}])["AllocationId"]
    result, code = check(capsys)
    assert code == 0 and result["owned"] == []
    assert result["foreign"] == [{
        "kind": "elastic_ip", "name": "credlink-dev-nat-us-east-1a", "id": allocation,
        "reason": f"Elastic IP credlink-dev-nat-us-east-1a ({allocation}, not associated) carries none of this stack's "
                  "tags, so it is not this stack's. If it is someone else's, leave it: use another environment name, "
                  "or have its owner remove or rename it; if it is this stack's, tag it Project=credlink, "
                  "Environment=dev, ManagedBy=ansible and run again"}]


def test_a_resource_of_another_environment_under_our_name_says_which_tags_differ(aws, capsys):
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="credlink-dev-rds", Description="d", VpcId=vpc, TagSpecifications=[
        {"ResourceType": "security-group", "Tags": [{"Key": "Project", "Value": "credlink"},
                                                    {"Key": "Environment", "Value": "dev-alice"},
                                                    {"Key": "Team", "Value": "payments"}]}])["GroupId"]
    result, code = check(capsys)
    [foreign] = result["foreign"]
    assert code == 0 and foreign["id"] == group
    assert foreign["reason"].startswith(
        f"security group credlink-dev-rds ({group}, in {vpc}) is tagged Environment=dev-alice (not dev) and has no "
        "ManagedBy tag, so it is not this stack's.")


def test_a_bucket_of_another_account_is_foreign(aws, capsys, monkeypatch):
    # moto answers HeadBucket from another account with 200 (AWS: 403); the bucket is not among
    # this account's ListBuckets either way.
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111111111111")
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=DEV["bucket"])
    monkeypatch.delenv("MOTO_ACCOUNT_ID")
    result, code = check(capsys)
    assert code == 0 and result["owned"] == []
    [foreign] = result["foreign"]
    assert (foreign["kind"], foreign["name"]) == ("s3_bucket", DEV["bucket"])
    assert "the bucket name is taken by another AWS account" in foreign["reason"]


def test_a_403_on_the_bucket_is_another_accounts_bucket(aws, capsys):
    aws.overrides["s3", "head_bucket"] = lambda real, Bucket: (_ for _ in ()).throw(client_error("403", "Forbidden", 403))
    result, code = check(capsys)
    [foreign] = result["foreign"]
    assert code == 0 and foreign["kind"] == "s3_bucket" and "taken by another AWS account" in foreign["reason"]


def test_a_403_on_a_bucket_of_this_account_is_unknown_not_foreign(aws, capsys):
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=DEV["bucket"])
    aws.overrides["s3", "head_bucket"] = lambda real, Bucket: (_ for _ in ()).throw(client_error("403", "Forbidden", 403))
    result, code = check(capsys)
    [unknown] = result["unknown"]
    assert code == 0 and result["foreign"] == [] and result["owned"] == []
    assert unknown["kind"] == "s3_bucket" and "belongs to this account" in unknown["reason"]


def test_check_mode_returns_the_same(aws, capsys):
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.allocate_address(Domain="vpc", TagSpecifications=[
        {"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "credlink-dev-nat-us-east-1a"}]}])
    ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": DEV["vpc"]}, *Stack.pairs_of(owner("dev"))]}])
    normal, _ = check(capsys)
    checked, code = check(capsys, check_mode=True)
    assert code == 0 and checked == normal and len(checked["foreign"]) == 1 and len(checked["owned"]) == 1


def test_a_secret_scheduled_for_deletion_still_holds_its_name(aws, capsys):
    secrets = boto3.client("secretsmanager", region_name=REGION)
    arn = secrets.create_secret(Name=DEV["secret"], SecretString="{}")["ARN"]
    secrets.delete_secret(SecretId=DEV["secret"], RecoveryWindowInDays=7)
    result, code = check(capsys)
    [foreign] = result["foreign"]
    assert code == 0 and foreign["id"] == arn
    assert foreign["reason"].startswith(f"secret {DEV['secret']} ({arn}, scheduled for deletion) carries none")


def test_a_deleted_cluster_is_not_reported(aws, capsys):
    def inactive(real, clusters, include):
        return {"clusters": [{"clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{clusters[0]}",
                              "clusterName": clusters[0], "status": "INACTIVE", "tags": []}], "failures": []}
    aws.overrides["ecs", "describe_clusters"] = inactive
    result, code = check(capsys)
    assert code == 0 and result["resources"] == []


def test_a_replication_group_that_refuses_tag_reads_is_unknown(aws, capsys):
    boto3.client("elasticache", region_name=REGION).create_replication_group(
        ReplicationGroupId=DEV["replication_group"], ReplicationGroupDescription="d", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=1)

    def refusing(real, ResourceName):
        raise client_error("InvalidReplicationGroupState", "Cluster not in available state to perform tagging operations.")
    aws.overrides["elasticache", "list_tags_for_resource"] = refusing
    result, code = check(capsys, fail_on_foreign=True)
    assert code == 0 and result["foreign"] == [] and result["owned"] == []
    [unknown] = result["unknown"]
    assert unknown["kind"] == "replication_group" and unknown["id"].endswith(":replicationgroup:credlink-dev-redis")
    assert "run again once it is available" in unknown["reason"]
    [entry] = result["resources"]
    assert entry["state"] == "unknown" and entry["owned"] is False and entry["tags"] == {}
    assert result["summary"]["unknown"] == 1


def test_an_endpoint_without_an_action_makes_that_kind_unknown(aws, capsys):
    def unparsable(real, **params):
        raise botocore.parsers.ResponseParserError("Unable to parse response (syntax error), invalid XML received")
    aws.overrides["elasticache", "describe_cache_parameter_groups"] = unparsable
    result, code = check(capsys, fail_on_foreign=True)
    assert code == 0 and result["foreign"] == [] and result["owned"] == []
    assert result["unknown"] == [{"kind": "cache_parameter_group", "name": DEV["cache_parameter_group"], "id": "", "reason": (
        f"the AWS endpoint does not implement DescribeCacheParameterGroups, so whether a cache parameter group "
        f"{DEV['cache_parameter_group']} exists, and whose it is, can't be read here")}]


def test_log_group_tags_fall_back_to_the_older_action(aws, capsys):
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=DEV["flow_log_group"], tags=owner("dev"))
    logs.create_log_group(logGroupName=DEV["app_log_group"])

    def lacking(real, **params):
        raise client_error("UnknownOperationException", "not implemented", 501)
    aws.overrides["logs", "list_tags_for_resource"] = lacking
    result, code = check(capsys)
    assert code == 0 and result["unknown"] == []
    assert kinds_and_names(result["owned"]) == {("log_group", DEV["flow_log_group"])}
    assert kinds_and_names(result["foreign"]) == {("log_group", DEV["app_log_group"])}


def test_fail_on_foreign_stops_with_every_reason(aws, capsys):
    boto3.client("iam", region_name=REGION).create_role(RoleName=DEV["task_role"], AssumeRolePolicyDocument=TRUST)
    boto3.client("ec2", region_name=REGION).allocate_address(Domain="vpc", TagSpecifications=[
        {"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "credlink-dev-nat-us-east-1b"}]}])
    result, code = check(capsys, fail_on_foreign=True)
    assert code == 1 and result["failed"] is True and len(result["foreign"]) == 2
    assert result["msg"].startswith("2 resource(s) are named like this stack's but are not this stack's: ")
    assert f"IAM role {DEV['task_role']}" in result["msg"] and "Elastic IP credlink-dev-nat-us-east-1b" in result["msg"]


def test_an_aws_error_fails_saying_what_could_not_be_read(aws, capsys):
    def denied(real, RoleName):
        raise client_error("AccessDenied", "not authorized to perform: iam:GetRole", 403, "GetRole")
    aws.overrides["iam", "get_role"] = denied
    result, code = check(capsys)
    assert code == 1 and result["msg"].startswith(f"Couldn't read IAM role {DEV['flow_logs']} and its tags")


def test_only_the_kinds_named_are_checked_with_clients_made_on_first_use(aws, capsys):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName=DEV["cluster"])
    boto3.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": DEV["vpc"]}]}])
    args = {"names": {"vpc": DEV["vpc"], "cluster": DEV["cluster"], "alarm_prefix": "credlink-dev-", "unknown_key": "x"},
            "owner_tags": owner("dev")}
    result, code = call_main(module, args, capsys)
    assert code == 0 and kinds_and_names(result["foreign"]) == {("vpc", DEV["vpc"]), ("ecs_cluster", DEV["cluster"])}
    assert sorted(aws.services) == ["ec2", "ecs"]


@pytest.mark.parametrize("args, message", [
    ({"names": DEV, "owner_tags": {}}, "owner_tags is empty"),
    ({"names": {**DEV, "nat_gateway_prefix": "", "vpc": None}, "owner_tags": owner("dev")},
     "names.nat_gateway_prefix, names.vpc must be non-empty strings"),
])
def test_bad_input_stops_before_any_aws_call(aws, capsys, args, message):
    result, code = call_main(module, args, capsys)
    assert code == 1 and result["msg"].startswith(message) and aws.services == []


def test_the_lookups_overlap_and_keep_their_order(monkeypatch):
    """Each lookup is a round trip: ten of 0.3 s take about one trip, not ten."""
    def slow(_aws, kind, name):
        time.sleep(0.3)
        return [module.found(kind, name, f"id-{name}", [])]

    checks = tuple((f"key{i}", "vpc", slow) for i in range(10))
    monkeypatch.setattr(module, "CHECKS", checks)
    started = time.monotonic()
    results = module.find_all(object(), {f"key{i}": f"name{i}" for i in range(10)})
    assert time.monotonic() - started < 1.5
    assert [r["name"] for r in results] == [f"name{i}" for i in range(10)]


def test_a_failed_lookup_fails_the_module_from_the_main_thread(monkeypatch):
    failures = []

    class Module:
        def fail_json_aws(self, error, msg):
            failures.append((threading.current_thread() is threading.main_thread(), msg))
            raise SystemExit(1)

    class Aws:
        module = Module()

    def broken(_aws, kind, name):
        raise client_error("AccessDenied", "no", 403)

    monkeypatch.setattr(module, "CHECKS", (("vpc", "vpc", broken),))
    with pytest.raises(SystemExit):
        module.find_all(Aws(), {"vpc": "credlink-dev-vpc"})
    assert failures == [(True, "Couldn't read VPC credlink-dev-vpc and its tags")]
