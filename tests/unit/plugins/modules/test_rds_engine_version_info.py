"""rds_engine_version_info: the version a new instance gets, and never a downgrade on a rerun."""

from __future__ import annotations

import botocore.parsers
import pytest

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.credlink.infra.plugins.modules import rds_engine_version_info as module
from tests.unit.in_process import call_main

VERSIONS = ["15.13", "15.9", "15.15", "15.14", "16.9"]


class FakeRds:
    """DescribeDBEngineVersions and DescribeOrderableDBInstanceOptions as AWS answers them."""

    def __init__(self, versions=VERSIONS, orderable=None, deprecated=(), lacks_actions=False):
        self.versions, self.deprecated, self.lacks_actions = versions, deprecated, lacks_actions
        self.orderable = {"db.t3.small": VERSIONS} if orderable is None else orderable
        self.asked = []

    def get_paginator(self, name):
        if self.lacks_actions:
            raise botocore.parsers.ResponseParserError("invalid XML received")
        fake = self

        class Pages:
            def paginate(self, **kwargs):
                fake.asked.append((name, kwargs))
                return self

            def build_full_result(self):
                kwargs = fake.asked[-1][1]
                if name == "describe_db_engine_versions":
                    return {"DBEngineVersions": [
                        {"EngineVersion": v, "Status": "deprecated" if v in fake.deprecated else "available"}
                        for v in fake.versions if v.startswith(kwargs["EngineVersion"] + ".")]}
                return {"OrderableDBInstanceOptions": [
                    {"EngineVersion": v, "StorageType": "gp3", "MultiAZCapable": True,
                     "AvailabilityZones": [{"Name": "us-east-1a"}, {"Name": "us-east-1b"}]}
                    for v in fake.orderable.get(kwargs["DBInstanceClass"], [])]}
        return Pages()


@pytest.fixture
def rds(monkeypatch):
    fake = FakeRds()
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, retry_decorator=None: fake)
    return fake


def run(capsys, **args):
    return call_main(module, args, capsys)


def test_a_major_version_creates_the_newest_orderable_minor(rds, capsys):
    result, code = run(capsys, version="15", instance_class="db.t3.small")
    assert code == 0 and result["changed"] is False
    assert result["versions"] == ["15.9", "15.13", "15.14", "15.15"]  # numeric order: 15.9 < 15.13
    assert (result["create_version"], result["newest"], result["modify_version"]) == ("15.15", "15.15", "")
    assert result["zones"] == ["us-east-1a", "us-east-1b"] and result["multi_az_capable"] is True


def test_deprecated_minors_are_not_created(rds, capsys):
    rds.deprecated = ("15.15",)
    result, _ = run(capsys, version="15")
    assert result["create_version"] == "15.14"


def test_a_major_version_never_asks_a_running_instance_to_change(rds, capsys):
    # AWS upgraded the instance to 15.15 in its maintenance window: nothing to send.
    result, code = run(capsys, version="15", current_version="15.15")
    assert code == 0 and result["modify_version"] == ""


def test_a_pinned_minor_is_sent_only_to_upgrade(rds, capsys):
    assert run(capsys, version="15.14", current_version="15.13")[0]["modify_version"] == "15.14"
    # Cannot upgrade postgres from 15.15 to 15.14: never sent.
    assert run(capsys, version="15.14", current_version="15.15")[0]["modify_version"] == ""
    assert run(capsys, version="15.14", current_version="15.14")[0]["modify_version"] == ""


def test_a_minor_that_is_no_longer_orderable_is_refused_before_creating(rds, capsys):
    result, code = run(capsys, version="15.4")
    assert code == 1
    assert "postgres 15.4 cannot be created any more" in result["msg"]
    assert "Cannot find version 15.4 for postgres" in result["msg"] and "15.15" in result["msg"]


def test_a_pinned_minor_no_longer_orderable_is_accepted_on_a_running_instance(rds, capsys):
    # The instance runs it already (or a newer one): nothing is sent, nothing refused.
    result, code = run(capsys, version="15.4", current_version="15.13")
    assert code == 0 and result["modify_version"] == ""


def test_a_class_not_orderable_is_refused(rds, capsys):
    result, code = run(capsys, version="15", instance_class="db.x9.huge")
    assert code == 1 and "db.x9.huge is not orderable for postgres 15" in result["msg"]


def test_a_major_version_change_is_refused(rds, capsys):
    result, code = run(capsys, version="16", current_version="15.13")
    assert code == 1 and "major version upgrade to 16 is not done in place" in result["msg"]


def test_an_endpoint_without_the_version_list_gets_the_version_as_given(monkeypatch, capsys):
    fake = FakeRds(lacks_actions=True)
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, retry_decorator=None: fake)
    result, code = run(capsys, version="15", instance_class="db.t3.small")
    assert code == 0 and result["listed"] is False
    assert (result["create_version"], result["versions"]) == ("15", [])
