"""elasticache_subnet_group: moto in-process for what it implements, a stub for ModifyCacheSubnetGroup."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ansible_collections.credlink.infra.plugins.modules import elasticache_subnet_group as module
from tests.unit.in_process import call_main
from tools.emulator import patches

NAME = "credlink-test-redis"
TAGS = {"Project": "credlink", "Environment": "test", "ManagedBy": "ansible", "Name": NAME}


@pytest.fixture
def aws(offline_aws):
    # moto 5.2.5 has no DeleteCacheSubnetGroup; the emulator's patch adds it as AWS has it.
    patches.add_cache_subnet_group_deletion()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
                   ["Subnet"]["SubnetId"] for i, z in enumerate("abc")]
        yield boto3.client("elasticache", region_name="us-east-1"), subnets


def args(subnets, **overrides):
    return {"name": NAME, "description": "Private subnets for Redis", "subnets": subnets, "tags": TAGS, **overrides}


def tags_of(ec, name=NAME):
    arn = ec.describe_cache_subnet_groups(CacheSubnetGroupName=name)["CacheSubnetGroups"][0]["ARN"]
    return {t["Key"]: t["Value"] for t in ec.list_tags_for_resource(ResourceName=arn)["TagList"]}


def test_creates_the_group_with_its_tags(aws, capsys):
    ec, subnets = aws
    result, code = call_main(module, args(subnets[:2]), capsys)
    assert code == 0 and result["changed"] is True
    assert tags_of(ec) == TAGS
    group = result["cache_subnet_group"]
    assert group["subnet_ids"] == sorted(subnets[:2]) and group["tags"] == TAGS
    assert group["arn"].endswith(f":subnetgroup:{NAME}")


def test_rerun_reports_no_change(aws, capsys):
    _, subnets = aws
    call_main(module, args(subnets[:2]), capsys)
    result, _ = call_main(module, args(list(reversed(subnets[:2]))), capsys)
    assert result["changed"] is False


def test_untagged_group_gets_the_stack_tags(aws, capsys):
    ec, subnets = aws
    ec.create_cache_subnet_group(CacheSubnetGroupName=NAME, CacheSubnetGroupDescription="Private subnets for Redis",
                                 SubnetIds=subnets[:2])
    result, _ = call_main(module, args(subnets[:2]), capsys)
    assert result["changed"] is True
    assert result["diff"]["before"]["tags"] == {} and result["diff"]["after"]["tags"] == TAGS
    assert tags_of(ec) == TAGS


def test_tags_not_asked_for_are_purged_unless_told(aws, capsys):
    ec, subnets = aws
    call_main(module, args(subnets[:2], tags={**TAGS, "Extra": "x"}), capsys)
    call_main(module, args(subnets[:2], tags={"Owner": "team"}, purge_tags=False), capsys)
    assert tags_of(ec) == {**TAGS, "Extra": "x", "Owner": "team"}
    call_main(module, args(subnets[:2]), capsys)
    assert tags_of(ec) == TAGS


def test_check_mode_creates_nothing_and_shows_what_would_be(aws, capsys):
    ec, subnets = aws
    result, _ = call_main(module, args(subnets[:2]), capsys, check_mode=True)
    assert result["changed"] is True and result["diff"]["after"]["tags"] == TAGS
    assert ec.describe_cache_subnet_groups()["CacheSubnetGroups"] == []


def test_check_mode_on_a_converged_group_reports_no_change(aws, capsys):
    _, subnets = aws
    call_main(module, args(subnets[:2]), capsys)
    result, _ = call_main(module, args(subnets[:2]), capsys, check_mode=True)
    assert result["changed"] is False


def test_creation_needs_subnets(aws, capsys):
    ec, _ = aws
    result, code = call_main(module, {"name": NAME}, capsys)
    assert code == 1 and "subnets are required" in result["msg"]


def test_absent_deletes_and_a_second_run_is_a_no_op(aws, capsys):
    ec, subnets = aws
    call_main(module, args(subnets[:2]), capsys)
    result, code = call_main(module, {"name": NAME, "state": "absent"}, capsys)
    assert code == 0 and result["changed"] is True
    assert ec.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
    again, _ = call_main(module, {"name": NAME, "state": "absent"}, capsys)
    assert again["changed"] is False


def test_name_is_compared_in_lowercase_as_aws_stores_it(aws, capsys):
    _, subnets = aws
    call_main(module, args(subnets[:2]), capsys)
    result, _ = call_main(module, args(subnets[:2], name=NAME.upper()), capsys)
    assert result["changed"] is False


# moto has no ModifyCacheSubnetGroup: AWS's answers are stubbed.
class _RetryAware:
    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        method = getattr(self._client, name)

        def call(*args, aws_retry=False, **kwargs):
            return method(*args, **kwargs)
        return call


@pytest.fixture
def stubbed(offline_aws, monkeypatch):
    client = boto3.client("elasticache", region_name="us-east-1")
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, retry_decorator=None, **kw: _RetryAware(client))
    with Stubber(client) as stubber:
        yield stubber


ARN = f"arn:aws:elasticache:us-east-1:123456789012:subnetgroup:{NAME}"


def described(subnets):
    return {"CacheSubnetGroups": [{"CacheSubnetGroupName": NAME, "CacheSubnetGroupDescription": "Private subnets for Redis",
                                   "VpcId": "vpc-1", "ARN": ARN,
                                   "Subnets": [{"SubnetIdentifier": s} for s in subnets]}]}


def test_changed_subnets_are_modified_in_place(stubbed, capsys):
    stubbed.add_response("describe_cache_subnet_groups", described(["subnet-a", "subnet-b"]), {"CacheSubnetGroupName": NAME})
    stubbed.add_response("list_tags_for_resource", {"TagList": [{"Key": k, "Value": v} for k, v in TAGS.items()]},
                         {"ResourceName": ARN})
    stubbed.add_response("modify_cache_subnet_group", {}, {
        "CacheSubnetGroupName": NAME, "CacheSubnetGroupDescription": "Private subnets for Redis",
        "SubnetIds": ["subnet-a", "subnet-c"]})
    stubbed.add_response("describe_cache_subnet_groups", described(["subnet-a", "subnet-c"]), {"CacheSubnetGroupName": NAME})
    stubbed.add_response("list_tags_for_resource", {"TagList": [{"Key": k, "Value": v} for k, v in TAGS.items()]},
                         {"ResourceName": ARN})
    result, code = call_main(module, {"name": NAME, "description": "Private subnets for Redis",
                                      "subnets": ["subnet-c", "subnet-a"], "tags": TAGS}, capsys)
    assert code == 0 and result["changed"] is True
    assert result["diff"]["before"]["subnet_ids"] == ["subnet-a", "subnet-b"]
    assert result["diff"]["after"]["subnet_ids"] == ["subnet-a", "subnet-c"]
    stubbed.assert_no_pending_responses()


def test_group_in_use_is_not_deleted_and_says_why(stubbed, capsys):
    stubbed.add_response("describe_cache_subnet_groups", described(["subnet-a"]), {"CacheSubnetGroupName": NAME})
    stubbed.add_client_error("delete_cache_subnet_group", "CacheSubnetGroupInUse",
                             f"Cache subnet group {NAME} is currently in use by a cache cluster.")
    result, code = call_main(module, {"name": NAME, "state": "absent"}, capsys)
    assert code == 1 and "still uses it" in result["msg"]
    assert json.dumps(result).count("Traceback") == 0


def test_a_creation_processed_before_an_error_is_not_a_failure(stubbed, capsys):
    """AWS processed CreateCacheSubnetGroup, the client saw a 5xx, the retry is told it exists."""
    stubbed.add_client_error("describe_cache_subnet_groups", "CacheSubnetGroupNotFoundFault")
    stubbed.add_client_error("create_cache_subnet_group", "CacheSubnetGroupAlreadyExists",
                             f"Cache subnet group {NAME} already exists.")
    stubbed.add_response("describe_cache_subnet_groups", described(["subnet-a"]), {"CacheSubnetGroupName": NAME})
    stubbed.add_response("list_tags_for_resource", {"TagList": [{"Key": k, "Value": v} for k, v in TAGS.items()]},
                         {"ResourceName": ARN})
    result, code = call_main(module, {"name": NAME, "description": "Private subnets for Redis",
                                      "subnets": ["subnet-a"], "tags": TAGS}, capsys)
    assert code == 0 and result["changed"] is True and result["cache_subnet_group"]["tags"] == TAGS
