"""account_readiness_info: every row, against moto in-process, with fakes where moto has no answer.

moto has no DescribeDBEngineVersions, lists no PostgreSQL in DescribeOrderableDBInstanceOptions,
has no DescribeReservedCacheNodesOfferings and no GetAWSDefaultServiceQuota, knows only some
quotas, and cannot make another account own a bucket name: those answers come from fakes
shaped like AWS's.
"""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import botocore.exceptions
import botocore.loaders
import botocore.parsers
import botocore.session
import pytest
from moto import mock_aws

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.credlink.infra.plugins.modules import account_readiness_info as module
from tests.unit.in_process import call_main

ACCOUNT = "123456789012"  # moto's
OURS = {"Project": "credlink", "Environment": "dev", "ManagedBy": "ansible"}
BUCKET = f"credlink-dev-proofs-{ACCOUNT}"
ZONES = [f"us-east-1{z}" for z in "abcdef"]
BASE = dict(expected_account_id=ACCOUNT, zones=["us-east-1a", "us-east-1b"], nat_gateway_count=1,
            db_instance_class="db.t3.micro", db_multi_az=False, db_storage_type="gp3", db_engine_version="15",
            cache_node_type="cache.t3.micro", cache_num_nodes=1, bucket=BUCKET, ownership_tags=OURS)
ROOT = Path(__file__).resolve().parents[4]


def client_error(code: str, operation: str, status: int = 400, message: str = "") -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": message or code}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


def lacks_action(*_args, **_kwargs):
    """What the emulator answers for an action it does not implement."""
    raise botocore.parsers.ResponseParserError("Unable to parse response, invalid XML received")


class FakeRds:
    """DescribeDBEngineVersions and DescribeOrderableDBInstanceOptions as AWS answers them."""

    def __init__(self):
        self.versions = ["15.13", "15.14", "15.15"]
        self.options = [self.option(cls, version, storage)
                        for cls in ("db.t3.micro", "db.t3.small")
                        for version in self.versions for storage in ("gp2", "gp3")]
        self.asked = []

    @staticmethod
    def option(cls, version, storage, multi_az=True, zones=ZONES):
        return {"Engine": "postgres", "EngineVersion": version, "DBInstanceClass": cls, "StorageType": storage,
                "MultiAZCapable": multi_az, "AvailabilityZones": [{"Name": z} for z in zones], "Vpc": True}

    def get_paginator(self, name):
        fake = self

        class Pages:
            def paginate(self, **kwargs):
                fake.asked.append((name, kwargs))
                self.kwargs = kwargs
                return self

            def build_full_result(self):
                kw = self.kwargs
                if name == "describe_db_engine_versions":
                    return {"DBEngineVersions": [{"Engine": "postgres", "EngineVersion": v, "Status": "available"}
                                                 for v in fake.versions if v.split(".")[0] == kw["EngineVersion"]]}
                return {"OrderableDBInstanceOptions": [
                    o for o in fake.options if o["DBInstanceClass"] == kw["DBInstanceClass"]
                    and kw.get("EngineVersion", o["EngineVersion"]) == o["EngineVersion"]]}
        return Pages()


class FakeElastiCache:
    def __init__(self, offered=("cache.t3.micro", "cache.t3.small")):
        self.offered = offered

    def describe_reserved_cache_nodes_offerings(self, aws_retry=False, **kwargs):
        assert kwargs["ProductDescription"] == "redis"
        node_type = kwargs["CacheNodeType"]
        found = [{"CacheNodeType": node_type, "Duration": 31536000, "ProductDescription": "redis",
                  "OfferingType": "No Upfront"}] if node_type in self.offered else []
        return {"ReservedCacheNodesOfferings": found}


class FakeServiceQuotas:
    """Service Quotas: applied values where set, AWS defaults otherwise (NoSuchResourceException)."""

    DEFAULTS = {"L-0263D0A3": 5.0, "L-F678F1CE": 5.0, "L-FE5A380F": 5.0, "L-E79EC296": 2500.0}

    def __init__(self, applied=None):
        self.applied = dict(self.DEFAULTS) if applied is None else applied

    def get_service_quota(self, aws_retry=False, ServiceCode="", QuotaCode=""):
        if QuotaCode not in self.applied:
            raise client_error("NoSuchResourceException", "GetServiceQuota", message="The request failed because the "
                               "specified service quota does not exist.")
        return {"Quota": {"ServiceCode": ServiceCode, "QuotaCode": QuotaCode, "Value": self.applied[QuotaCode]}}

    def get_aws_default_service_quota(self, aws_retry=False, ServiceCode="", QuotaCode=""):
        return {"Quota": {"ServiceCode": ServiceCode, "QuotaCode": QuotaCode, "Value": self.DEFAULTS[QuotaCode]}}


class Patched:
    """A real (moto) client with some methods answered differently."""

    def __init__(self, real, **methods):
        self._real, self._methods = real, methods

    def __getattr__(self, name):
        return self._methods.get(name) or getattr(self._real, name)


class Aws:
    """moto for what it models, fakes for the rest; ``run`` runs the module."""

    def __init__(self, monkeypatch, capsys):
        self.capsys = capsys
        self.fakes = {"rds": FakeRds(), "elasticache": FakeElastiCache(), "service-quotas": FakeServiceQuotas()}
        self.patches = {}  # service -> {method: replacement}, on top of the moto client
        original = AnsibleAWSModule.client

        def client(module_self, service, retry_decorator=None, **extra):
            if service in self.fakes:
                return self.fakes[service]
            real = original(module_self, service, retry_decorator=retry_decorator, **extra)
            return Patched(real, **self.patches[service]) if service in self.patches else real

        monkeypatch.setattr(AnsibleAWSModule, "client", client)

    @staticmethod
    def client(service, region="us-east-1"):
        return boto3.client(service, region_name=region)

    def run(self, check_mode=False, **args):
        result, code = call_main(module, {**BASE, **args}, self.capsys, check_mode=check_mode)
        assert code == 0, result.get("msg")
        assert result["changed"] is False
        return result


class SearchPaths(list):
    """Search paths that each boto3 session may append to once only."""

    def append(self, path):
        if path not in self:
            super().append(path)


@pytest.fixture(scope="module")
def shared_loader():
    """One botocore data loader for every client of these tests.

    Each module run creates its clients in new sessions, and each session would parse the
    service models again (EC2's alone takes a large part of a run); the files are the same.
    """
    loaders = {}
    original = botocore.session.create_loader

    def create_loader(search_path_string=None):
        if search_path_string not in loaders:
            loader = original(search_path_string)
            loader._search_paths = SearchPaths(loader.search_paths)
            loaders[search_path_string] = loader
        return loaders[search_path_string]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", create_loader)
        yield


@pytest.fixture
def aws(shared_loader, offline_aws, monkeypatch, capsys):
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # quicker; the check reads no AMI
    with mock_aws():
        yield Aws(monkeypatch, capsys)


def rows(result) -> dict[str, dict]:
    return {r["check"]: r for r in result["rows"]}


def status(result, check) -> str:
    return rows(result)[check]["status"]


def tag_list(tags: dict) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def make_vpc(ec2, tags=None, cidr="10.9.0.0/16") -> str:
    spec = [{"ResourceType": "vpc", "Tags": tag_list(tags)}] if tags else []
    return ec2.create_vpc(CidrBlock=cidr, TagSpecifications=spec)["Vpc"]["VpcId"]


def make_nat(ec2, vpc, zone, cidr, tags=None) -> str:
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
    address = ec2.allocate_address(Domain="vpc")["AllocationId"]
    spec = [{"ResourceType": "natgateway", "Tags": tag_list(tags)}] if tags else []
    return ec2.create_nat_gateway(SubnetId=subnet, AllocationId=address, TagSpecifications=spec)["NatGateway"]["NatGatewayId"]


# -- the whole table -------------------------------------------------------------------------


def test_an_empty_account_is_ready_row_by_row(aws):
    result = aws.run()
    assert [r["check"] for r in result["rows"]] == [
        "account", "zone us-east-1a", "zone us-east-1b", "Fargate in the zones", "database version",
        "database class", "cache node type", "quota: Elastic IPs", "quota: VPCs", "quota: NAT gateways per zone",
        "quota: security groups", "role: AWSServiceRoleForECS", "role: AWSServiceRoleForRDS",
        "role: AWSServiceRoleForElastiCache", "role: AWSServiceRoleForElasticLoadBalancing", "bucket name"]
    assert {r["check"]: r["status"] for r in result["rows"] if r["status"] != "ok"} == {}
    assert result["summary"] == {"ok": 16, "warning": 0, "blocking": 0}
    assert set(rows(result)["account"]) == {"check", "status", "observed", "needed", "fix"}
    assert result["account_id"] == ACCOUNT and result["db_create_version"] == "15.15"
    table = rows(result)
    assert table["zone us-east-1a"]["observed"].startswith("available (use1-")
    assert "no zone restriction documented for us-east-1" in table["Fargate in the zones"]["observed"]
    assert table["quota: VPCs"]["observed"] == "1 in use of 5 (applied quota)"  # moto's default VPC
    assert table["quota: security groups"]["needed"].startswith("5 more")
    assert table["bucket name"]["observed"] == "free"


def test_check_mode_reads_the_same(aws):
    assert aws.run(check_mode=True)["rows"] == aws.run()["rows"]


def test_only_read_actions_are_called_once_each(aws):
    calls = aws.run()["api_calls"]
    assert calls and all(re.match(r"^[a-z0-9-]+\.(Describe|Get|Head|List)", name) for name in calls), calls
    assert calls["iam.GetRole"] == 4 and calls["ec2.DescribeVpcs"] == 1  # read once, used by two rows
    assert all(count == 1 for name, count in calls.items() if name != "iam.GetRole"), calls


WRITE_CALL = re.compile(
    r"\.(create|put|delete|modify|tag|untag|add|remove|update|allocate|release|associate|disassociate|attach|detach|"
    r"run|start|stop|reboot|terminate|purchase|authorize|revoke|register|deregister|enable|disable|restore|copy|"
    r"import|accept|reject|reset|replace|set|apply|batch|send|publish|invoke)_\w*\(")
PAGINATOR = re.compile(r"""get_paginator\(\s*["']([a-z_]+)["']""")


@pytest.mark.parametrize("path", ["plugins/modules/account_readiness_info.py", "plugins/module_utils/rds.py"])
def test_the_source_calls_no_write_api(path):
    source = (ROOT / path).read_text()
    assert not WRITE_CALL.findall(source), WRITE_CALL.findall(source)
    assert all(name.startswith(("describe_", "list_", "get_")) for name in PAGINATOR.findall(source))
    # Every client call is a plain read: client.<read>(...) with aws_retry, or a paginator name above.
    called = set(re.findall(r"\b(?:s3|ec2|iam|rds|client|self\.clients\([\"'][a-z-]+[\"']\))\.([a-z_]+)\(", source))
    assert called and all(name.startswith(("describe_", "get_", "head_", "list_")) for name in called), called


def test_the_write_scan_catches_a_write():
    assert WRITE_CALL.findall("ec2.create_vpc(CidrBlock='10.0.0.0/16')") == ["create"]
    assert WRITE_CALL.findall("s3.put_bucket_tagging(Bucket=b)") == ["put"]


def test_ownership_tags_are_required(aws):
    result, code = call_main(module, {**BASE, "ownership_tags": {}}, aws.capsys)
    assert code == 1 and "ownership_tags must name at least one tag" in result["msg"]


# -- account ---------------------------------------------------------------------------------


def test_credentials_of_another_account_are_blocking(aws):
    row = rows(aws.run(expected_account_id="210987654321"))["account"]
    assert row["status"] == "blocking" and row["observed"].startswith(f"{ACCOUNT} (arn:aws:sts::{ACCOUNT}:")
    assert "use credentials of account 210987654321" in row["fix"]


def test_no_expected_account_is_a_warning(aws):
    row = rows(aws.run(expected_account_id=""))["account"]
    assert row["status"] == "warning" and "credlink_expected_account_id" in row["fix"]


# -- zones and Fargate -----------------------------------------------------------------------


def zones_answer(*zones):
    return lambda **_: {"AvailabilityZones": [
        {"ZoneName": name, "ZoneId": zone_id, "State": state, "ZoneType": "availability-zone",
         "Messages": [{"Message": message}] if message else []}
        for name, zone_id, state, message in zones]}


def test_a_zone_the_account_does_not_have_is_blocking_and_the_fix_lists_usable_ones(aws):
    result = aws.run(zones=["us-east-1a", "us-east-1z"])
    row = rows(result)["zone us-east-1z"]
    assert row["status"] == "blocking" and "not offered to this account" in row["observed"]
    assert "us-east-1a, us-east-1b, us-east-1c" in row["fix"] and "credlink_availability_zones" in row["fix"]
    assert status(result, "zone us-east-1a") == "ok"


def test_an_impaired_zone_is_a_warning_and_an_unavailable_one_blocking(aws):
    aws.patches["ec2"] = {"describe_availability_zones": zones_answer(
        ("us-east-1a", "use1-az6", "impaired", "Elevated error rates"),
        ("us-east-1b", "use1-az1", "unavailable", ""), ("us-east-1c", "use1-az2", "available", ""))}
    table = rows(aws.run())
    assert table["zone us-east-1a"]["status"] == "warning"
    assert table["zone us-east-1a"]["observed"] == "impaired (use1-az6): Elevated error rates"
    assert table["zone us-east-1b"]["status"] == "blocking" and "us-east-1c" in table["zone us-east-1b"]["fix"]


def test_fargate_outside_the_documented_zone_ids_is_blocking(aws):
    aws.patches["ec2"] = {"describe_availability_zones": zones_answer(
        ("us-west-1a", "usw1-az2", "available", ""), ("us-west-1b", "usw1-az1", "available", ""),
        ("us-west-1c", "usw1-az3", "available", ""))}
    row = rows(aws.run(region="us-west-1", zones=["us-west-1a", "us-west-1b"]))["Fargate in the zones"]
    assert row["status"] == "blocking" and row["observed"] == "us-west-1a (usw1-az2), us-west-1b (usw1-az1)"
    assert "Fargate does not run in us-west-1a (usw1-az2)" in row["fix"]
    assert "two of us-west-1b, us-west-1c" in row["fix"]


def test_fargate_inside_the_documented_zone_ids_is_ok(aws):
    aws.patches["ec2"] = {"describe_availability_zones": zones_answer(
        ("us-west-1b", "usw1-az1", "available", ""), ("us-west-1c", "usw1-az3", "available", ""))}
    row = rows(aws.run(region="us-west-1", zones=["us-west-1b", "us-west-1c"]))["Fargate in the zones"]
    assert row["status"] == "ok" and "usw1-az1, usw1-az3" in row["needed"]


# -- database --------------------------------------------------------------------------------


def test_the_database_gets_the_newest_minor_with_one_narrowed_options_read(aws):
    result = aws.run(db_multi_az=True)
    table = rows(result)
    assert table["database version"]["observed"] == "15.15 (orderable: 15.13, 15.14, 15.15)"
    assert table["database class"]["status"] == "ok" and "Multi-AZ capable" in table["database class"]["observed"]
    orderable = [kw for name, kw in aws.fakes["rds"].asked if name == "describe_orderable_db_instance_options"]
    assert orderable == [{"Engine": "postgres", "DBInstanceClass": "db.t3.micro", "Vpc": True, "EngineVersion": "15.15"}]


def test_a_class_without_the_newest_minor_gets_the_newest_it_has(aws):
    rds = aws.fakes["rds"]
    rds.options = [o for o in rds.options if not (o["DBInstanceClass"] == "db.t3.micro" and o["EngineVersion"] == "15.15")]
    result = aws.run()
    assert result["db_create_version"] == "15.14" and status(result, "database class") == "ok"


def test_a_class_not_orderable_is_blocking(aws):
    row = rows(aws.run(db_instance_class="db.x9.huge"))["database class"]
    assert row["status"] == "blocking" and "db.x9.huge is not orderable for postgres 15" in row["fix"]


def test_a_storage_type_the_class_lacks_is_blocking(aws):
    row = rows(aws.run(db_storage_type="io2"))["database class"]
    assert row["status"] == "blocking" and "database_storage_type to one of gp2, gp3" in row["fix"]


def test_multi_az_on_a_class_that_cannot_is_blocking(aws):
    for option in aws.fakes["rds"].options:
        option["MultiAZCapable"] = False
    assert status(aws.run(db_multi_az=False), "database class") == "ok"
    row = rows(aws.run(db_multi_az=True))["database class"]
    assert row["status"] == "blocking" and "database_multi_az: false" in row["fix"]


def test_a_class_missing_in_a_zone_blocks_multi_az_and_warns_single_az(aws):
    for option in aws.fakes["rds"].options:
        option["AvailabilityZones"] = [{"Name": "us-east-1a"}, {"Name": "us-east-1c"}]
    single = rows(aws.run(db_multi_az=False))["database class"]
    assert single["status"] == "warning" and "only in us-east-1a" in single["fix"]
    multi = rows(aws.run(db_multi_az=True))["database class"]
    assert multi["status"] == "blocking" and "two of us-east-1a, us-east-1c" in multi["fix"]


def test_a_pinned_minor_no_longer_orderable_is_blocking(aws):
    result = aws.run(db_engine_version="15.4")
    row = rows(result)["database version"]
    assert row["status"] == "blocking" and "Cannot find version 15.4 for postgres" in row["fix"]
    assert status(result, "database class") == "blocking" and result["db_create_version"] == ""


def test_a_pinned_minor_still_orderable_is_created(aws):
    result = aws.run(db_engine_version="15.14")
    assert result["db_create_version"] == "15.14" and status(result, "database version") == "ok"


def test_no_orderable_minor_of_the_major_is_blocking(aws):
    aws.fakes["rds"].versions = []
    result = aws.run()
    assert status(result, "database version") == "blocking" and status(result, "database class") == "blocking"


# -- cache -----------------------------------------------------------------------------------


def test_an_offered_cache_node_type_is_ok_and_says_zone_capacity_shows_at_creation(aws):
    row = rows(aws.run())["cache node type"]
    assert row["status"] == "ok" and "InsufficientCacheClusterCapacity" in row["fix"]


def test_a_cache_node_type_the_region_does_not_offer_is_blocking(aws):
    row = rows(aws.run(cache_node_type="cache.x9.huge"))["cache node type"]
    assert row["status"] == "blocking" and "cache_node_type" in row["fix"]


# -- quotas ----------------------------------------------------------------------------------


def test_a_quota_without_an_applied_value_uses_the_aws_default(aws):
    aws.fakes["service-quotas"].applied = {}
    row = rows(aws.run())["quota: VPCs"]
    assert row["status"] == "ok" and row["observed"] == "1 in use of 5 (AWS default)"


def test_without_service_quotas_the_documented_default_is_used_with_a_warning(aws):
    aws.fakes["service-quotas"] = Patched(None, get_service_quota=lacks_action, get_aws_default_service_quota=lacks_action)
    row = rows(aws.run())["quota: Elastic IPs"]
    assert row["status"] == "warning"
    assert row["observed"] == ("0 in use of 5 (documented default; Service Quotas did not answer: "
                               "the endpoint does not implement it)")
    assert "L-0263D0A3" in row["fix"]


def test_a_denied_applied_value_falls_back_to_the_default_with_a_warning(aws):
    def denied(**_):
        raise client_error("AccessDeniedException", "GetServiceQuota")
    aws.fakes["service-quotas"] = Patched(FakeServiceQuotas(), get_service_quota=denied)
    row = rows(aws.run())["quota: VPCs"]
    assert row["status"] == "warning" and "applied value could not be read: AccessDeniedException" in row["observed"]


def test_five_vpcs_leave_no_room_for_a_new_environment(aws):
    ec2 = aws.client("ec2")
    for index in range(4):  # and moto's default VPC
        make_vpc(ec2, cidr=f"10.{20 + index}.0.0/16")
    row = rows(aws.run())["quota: VPCs"]
    assert row["status"] == "blocking" and row["observed"] == "5 in use of 5 (applied quota)"
    assert "L-F678F1CE" in row["fix"] and "delete a VPC" in row["fix"]


def test_the_environments_own_vpc_needs_no_room_again(aws):
    ec2 = aws.client("ec2")
    for index in range(3):
        make_vpc(ec2, cidr=f"10.{20 + index}.0.0/16")
    own = make_vpc(ec2, tags={**OURS, "Name": "credlink-dev-vpc"})
    make_vpc(ec2, tags={**OURS, "Environment": "dev-alice"}, cidr="10.30.0.0/16")  # another environment's
    aws.fakes["service-quotas"].applied["L-F678F1CE"] = 6.0
    row = rows(aws.run())["quota: VPCs"]  # 6 in use of 6, none more: full, but it fits
    assert row["needed"] == f"none more (this environment's VPC {own} exists)"
    assert row["status"] == "warning" and row["observed"] == "6 in use of 6 (applied quota)"
    aws.fakes["service-quotas"].applied["L-F678F1CE"] = 8.0
    assert status(aws.run(), "quota: VPCs") == "ok"


def test_one_free_vpc_after_the_build_is_a_warning(aws):
    ec2 = aws.client("ec2")
    for index in range(3):
        make_vpc(ec2, cidr=f"10.{20 + index}.0.0/16")
    row = rows(aws.run())["quota: VPCs"]  # 4 in use + 1 = 5 of 5
    assert row["status"] == "warning" and "at most one free" in row["fix"]


def test_elastic_ips_count_only_what_the_environment_still_needs(aws):
    aws.fakes["service-quotas"].applied["L-0263D0A3"] = 2.0
    ec2 = aws.client("ec2")
    for _ in range(2):
        ec2.allocate_address(Domain="vpc")
    row = rows(aws.run(nat_gateway_count=1))["quota: Elastic IPs"]
    assert row["status"] == "blocking" and row["observed"] == "2 in use of 2 (applied quota)"
    assert "release Elastic IP addresses" in row["fix"]
    ec2.create_tags(Resources=[ec2.describe_addresses()["Addresses"][0]["AllocationId"]], Tags=tag_list(OURS))
    row = rows(aws.run(nat_gateway_count=1))["quota: Elastic IPs"]
    assert row["status"] == "warning" and row["needed"].startswith("0 more")


def test_nat_gateways_count_per_zone(aws):
    aws.fakes["service-quotas"].applied["L-FE5A380F"] = 2.0
    ec2 = aws.client("ec2")
    vpc = make_vpc(ec2)
    make_nat(ec2, vpc, "us-east-1a", "10.9.1.0/24")
    make_nat(ec2, vpc, "us-east-1a", "10.9.2.0/24")
    make_nat(ec2, vpc, "us-east-1c", "10.9.3.0/24")  # another zone: not counted for 1a
    row = rows(aws.run(nat_gateway_count=2))["quota: NAT gateways per zone"]
    assert row["status"] == "blocking"
    assert row["observed"].startswith("2 in use in us-east-1a of 2 (applied quota)")
    assert "us-east-1b: 0 in use, 1 more" in row["observed"]
    assert row["needed"] == "1 in each of us-east-1a, us-east-1b"


def test_the_environments_own_nat_gateway_needs_no_room_again(aws):
    aws.fakes["service-quotas"].applied["L-FE5A380F"] = 2.0
    ec2 = aws.client("ec2")
    vpc = make_vpc(ec2)
    make_nat(ec2, vpc, "us-east-1a", "10.9.1.0/24")
    make_nat(ec2, vpc, "us-east-1a", "10.9.2.0/24", tags=OURS)
    row = rows(aws.run(nat_gateway_count=1))["quota: NAT gateways per zone"]
    assert row["status"] == "warning" and row["observed"].startswith("2 in use in us-east-1a of 2")


def test_security_groups_need_the_stacks_four_and_the_default_group(aws):
    aws.fakes["service-quotas"].applied["L-E79EC296"] = 7.0
    ec2 = aws.client("ec2")
    assert status(aws.run(), "quota: security groups") == "warning"  # 1 + 5 of 7
    vpc = make_vpc(ec2)
    ec2.create_security_group(GroupName="other", Description="other", VpcId=vpc)
    row = rows(aws.run())["quota: security groups"]  # 3 + 5 of 7
    assert row["status"] == "blocking" and "delete security groups" in row["fix"]


def test_security_groups_of_the_environments_vpc_need_no_room_again(aws):
    aws.fakes["service-quotas"].applied["L-E79EC296"] = 7.0
    ec2 = aws.client("ec2")
    vpc = make_vpc(ec2, tags=OURS)
    for name in ("alb", "ecs"):
        ec2.create_security_group(GroupName=f"credlink-dev-{name}", Description=name, VpcId=vpc)
    row = rows(aws.run())["quota: security groups"]  # 1 + 1 + 2 in use, 2 more of 7
    assert row["needed"] == "2 more (3 of this environment's 5 exist)" and row["status"] == "warning"


# -- service-linked roles ----------------------------------------------------------------------


def test_service_linked_roles_present_or_created_are_never_blocking(aws):
    aws.client("iam").create_role(RoleName="AWSServiceRoleForECS", Path="/aws-service-role/ecs.amazonaws.com/",
                                  AssumeRolePolicyDocument="{}")
    table = rows(aws.run())
    assert table["role: AWSServiceRoleForECS"]["observed"] == "present"
    assert table["role: AWSServiceRoleForRDS"]["observed"] == "absent (will be created)"
    assert "iam:CreateServiceLinkedRole" in table["role: AWSServiceRoleForRDS"]["fix"]
    assert {table[c]["status"] for c in table if c.startswith("role: ")} == {"ok"}


def test_a_denied_read_is_a_warning_naming_the_permission(aws):
    def denied(**_):
        raise client_error("AccessDenied", "GetRole", 403)
    aws.patches["iam"] = {"get_role": denied}
    row = rows(aws.run())["role: AWSServiceRoleForECS"]
    assert row["status"] == "warning" and row["observed"] == "not checked: AccessDenied on GetRole"
    assert "grant the credentials iam:GetRole" in row["fix"]


# -- bucket ----------------------------------------------------------------------------------


def test_the_environments_own_bucket_is_ok(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": tag_list({**OURS, "Name": BUCKET})})
    row = rows(aws.run())["bucket name"]
    assert row["status"] == "ok" and row["observed"] == "exists: this environment's bucket"


def test_a_bucket_of_this_account_without_our_tags_is_blocking(aws):
    aws.client("s3").create_bucket(Bucket=BUCKET)
    row = rows(aws.run())["bucket name"]
    assert row["status"] == "blocking" and "without this environment's tags" in row["observed"]
    assert "is not this stack's" in row["fix"]


def test_our_bucket_in_another_region_is_blocking(aws):
    s3 = aws.client("s3", "eu-west-1")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": tag_list(OURS)})
    row = rows(aws.run())["bucket name"]
    assert row["status"] == "blocking" and "set credlink_region to eu-west-1" in row["fix"]


def forbidden_head(**_):
    raise client_error("403", "HeadBucket", 403, "Forbidden")


def test_a_bucket_name_taken_by_another_account_is_blocking(aws):
    aws.patches["s3"] = {"head_bucket": forbidden_head}
    row = rows(aws.run())["bucket name"]
    assert row["status"] == "blocking" and row["observed"].startswith("taken by another AWS account")
    assert "S3 bucket names are global" in row["fix"] and "credlink_env" in row["fix"]


def test_a_bucket_of_this_account_that_head_may_not_read_is_a_warning(aws):
    aws.client("s3").create_bucket(Bucket=BUCKET)
    aws.patches["s3"] = {"head_bucket": forbidden_head}
    row = rows(aws.run())["bucket name"]
    assert row["status"] == "warning" and "s3:ListBucket" in row["fix"]


# -- endpoints without an action -------------------------------------------------------------


def test_actions_the_endpoint_lacks_give_warning_rows_not_a_crash(aws):
    aws.fakes["rds"] = Patched(None, get_paginator=lacks_action)
    aws.fakes["elasticache"] = Patched(None, describe_reserved_cache_nodes_offerings=lacks_action)
    aws.patches["ec2"] = {"describe_availability_zones": lacks_action}
    result = aws.run()
    table = rows(result)
    for check in ("database version", "database class", "cache node type", "zone us-east-1a", "zone us-east-1b"):
        assert table[check]["status"] == "warning", check
        assert table[check]["observed"].startswith("not checked: this endpoint does not implement"), check
    assert table["Fargate in the zones"]["status"] == "ok"  # us-east-1: nothing to compare
    assert result["summary"]["blocking"] == 0


def test_an_unexpected_aws_error_fails_naming_the_check(aws):
    def broken(**_):
        raise client_error("InvalidParameterValue", "DescribeAddresses", message="bad filter")
    aws.patches["ec2"] = {"describe_addresses": broken}
    result, code = call_main(module, BASE, aws.capsys)
    assert code == 1 and result["msg"].startswith("Couldn't check quota: Elastic IPs (DescribeAddresses)")
