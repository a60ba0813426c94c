"""elasticache_parameter_group: the real API path (stubbed) and an endpoint without it (moto)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import ANY, Stubber

from ansible_collections.credlink.infra.plugins.modules import elasticache_parameter_group as module
from tests.unit.in_process import call_main

NAME = "credlink-test-redis7"
ARN = f"arn:aws:elasticache:us-east-1:123456789012:parametergroup:{NAME}"
ARGS = {"name": NAME, "family": "redis7", "description": "d", "parameters": {"maxmemory-policy": "allkeys-lru"}}


@pytest.fixture
def stubbed(offline_aws, monkeypatch):
    """AWS answers as documented; the module's boto3 client is swapped for a stubbed one."""
    client = boto3.client("elasticache", region_name="us-east-1")
    stubber = Stubber(client)
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    def fake_client(self, service, retry_decorator=None, **kwargs):
        return _RetryAware(client)

    monkeypatch.setattr(AnsibleAWSModule, "client", fake_client)
    with stubber:
        yield stubber


class _RetryAware:
    """Accepts the aws_retry keyword the retry-decorated clients take."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        method = getattr(self._client, name)
        if not callable(method) or name in ("get_paginator", "get_waiter"):
            return method

        def call(*args, aws_retry=False, **kwargs):
            return method(*args, **kwargs)
        return call


GROUP = {"CacheParameterGroupName": NAME, "CacheParameterGroupFamily": "redis7", "Description": "d", "ARN": ARN}


def test_creates_the_group_and_sets_parameters(stubbed, capsys):
    stubbed.add_client_error("describe_cache_parameter_groups", "CacheParameterGroupNotFound")
    stubbed.add_response("create_cache_parameter_group", {"CacheParameterGroup": GROUP},
                         {"CacheParameterGroupName": NAME, "CacheParameterGroupFamily": "redis7", "Description": "d"})
    stubbed.add_response("modify_cache_parameter_group", {"CacheParameterGroupName": NAME},
                         {"CacheParameterGroupName": NAME,
                          "ParameterNameValues": [{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}]})
    stubbed.add_response("describe_cache_parameter_groups", {"CacheParameterGroups": [GROUP]}, {"CacheParameterGroupName": NAME})
    stubbed.add_response("describe_cache_parameters",
                         {"Parameters": [{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}]},
                         {"CacheParameterGroupName": NAME, "Source": "user"})
    result, code = call_main(module, ARGS, capsys)
    assert code == 0 and result["changed"] is True and result["supported"] is True
    assert result["changed_parameters"] == ["maxmemory-policy"]
    assert result["parameter_group"]["parameters"] == {"maxmemory-policy": "allkeys-lru"}
    stubbed.assert_no_pending_responses()


def test_matching_group_reports_no_change(stubbed, capsys):
    stubbed.add_response("describe_cache_parameter_groups", {"CacheParameterGroups": [GROUP]}, {"CacheParameterGroupName": NAME})
    stubbed.add_response("describe_cache_parameters",
                         {"Parameters": [{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}]},
                         {"CacheParameterGroupName": NAME, "Source": "user"})
    stubbed.add_response("list_tags_for_resource", {"TagList": []}, {"ResourceName": ARN})
    stubbed.add_response("describe_cache_parameter_groups", {"CacheParameterGroups": [GROUP]}, {"CacheParameterGroupName": NAME})
    stubbed.add_response("describe_cache_parameters",
                         {"Parameters": [{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}]},
                         {"CacheParameterGroupName": ANY, "Source": "user"})
    result, _ = call_main(module, ARGS, capsys)
    assert result["changed"] is False and result["changed_parameters"] == []


def test_changed_family_is_an_error(stubbed, capsys):
    stubbed.add_response("describe_cache_parameter_groups",
                         {"CacheParameterGroups": [{**GROUP, "CacheParameterGroupFamily": "redis6.x"}]},
                         {"CacheParameterGroupName": NAME})
    result, code = call_main(module, ARGS, capsys)
    assert code == 1 and "the family cannot change" in result["msg"]


def test_endpoint_without_the_api_is_reported_not_a_crash(emulator, monkeypatch, capsys):
    # moto server answers unimplemented actions with a body that is not an AWS response.
    for key, value in emulator.env.items():
        monkeypatch.setenv(key, value)
    result, code = call_main(module, ARGS, capsys)
    assert code == 0 and result["changed"] is False and result["supported"] is False
    assert "does not implement cache parameter groups" in json.dumps(result.get("warnings", []))
