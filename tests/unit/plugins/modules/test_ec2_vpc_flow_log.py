"""ec2_vpc_flow_log against moto's in-process EC2 mock."""

from __future__ import annotations

import pytest

from ansible_collections.credlink.infra.plugins.modules import ec2_vpc_flow_log
from tests.unit.in_process import call_main

ROLE_ARN = "arn:aws:iam::123456789012:role/credlink-test-flow-logs"
GROUP = "/aws/vpc/credlink-test-flow-logs"


@pytest.fixture
def ec2(moto):
    return moto("ec2")


@pytest.fixture
def vpc_id(ec2):
    return ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]


def args(vpc_id, **overrides):
    base = {
        "resource_id": vpc_id,
        "log_group_name": GROUP,
        "deliver_logs_permission_arn": ROLE_ARN,
        "tags": {"Name": "credlink-test-flow-logs", "Project": "credlink"},
    }
    base.update(overrides)
    return base


def flow_logs(ec2, vpc_id):
    return ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]


def test_creates_flow_log_with_tags(ec2, vpc_id, capsys):
    result, code = call_main(ec2_vpc_flow_log, args(vpc_id), capsys)
    assert code == 0 and result["changed"] is True
    [created] = flow_logs(ec2, vpc_id)
    assert created["LogGroupName"] == GROUP
    assert created["DeliverLogsPermissionArn"] == ROLE_ARN
    assert created["TrafficType"] == "ALL"
    assert result["flow_log"]["flow_log_id"] == created["FlowLogId"]
    assert result["flow_log"]["tags"] == {"Name": "credlink-test-flow-logs", "Project": "credlink"}


def test_rerun_reports_no_change(ec2, vpc_id, capsys):
    call_main(ec2_vpc_flow_log, args(vpc_id), capsys)
    result, code = call_main(ec2_vpc_flow_log, args(vpc_id), capsys)
    assert code == 0 and result["changed"] is False
    assert len(flow_logs(ec2, vpc_id)) == 1


def test_check_mode_creates_nothing_and_shows_diff(ec2, vpc_id, capsys):
    result, _ = call_main(ec2_vpc_flow_log, args(vpc_id), capsys, check_mode=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["log_group_name"] == GROUP
    assert flow_logs(ec2, vpc_id) == []


def test_changed_traffic_type_replaces_the_flow_log(ec2, vpc_id, capsys):
    call_main(ec2_vpc_flow_log, args(vpc_id), capsys)
    [old] = flow_logs(ec2, vpc_id)
    result, _ = call_main(ec2_vpc_flow_log, args(vpc_id, traffic_type="REJECT"), capsys)
    [new] = flow_logs(ec2, vpc_id)
    assert result["changed"] is True
    assert new["FlowLogId"] != old["FlowLogId"] and new["TrafficType"] == "REJECT"
    assert result["diff"]["before"]["traffic_type"] == "ALL"
    assert result["diff"]["after"]["traffic_type"] == "REJECT"


def test_changed_tags_update_in_place(ec2, vpc_id, capsys):
    call_main(ec2_vpc_flow_log, args(vpc_id), capsys)
    [old] = flow_logs(ec2, vpc_id)
    result, _ = call_main(ec2_vpc_flow_log, args(vpc_id, tags={"Name": "renamed"}), capsys)
    [new] = flow_logs(ec2, vpc_id)
    assert result["changed"] is True
    assert new["FlowLogId"] == old["FlowLogId"]
    assert {t["Key"]: t["Value"] for t in new["Tags"]} == {"Name": "renamed"}


def test_other_destination_is_left_alone(ec2, vpc_id, capsys):
    call_main(ec2_vpc_flow_log, args(vpc_id, log_group_name="/other/group"), capsys)
    result, _ = call_main(ec2_vpc_flow_log, args(vpc_id), capsys)
    assert result["changed"] is True
    assert sorted(f["LogGroupName"] for f in flow_logs(ec2, vpc_id)) == sorted(["/other/group", GROUP])


def test_absent_deletes_and_is_idempotent(ec2, vpc_id, capsys):
    call_main(ec2_vpc_flow_log, args(vpc_id), capsys)
    result, _ = call_main(ec2_vpc_flow_log, args(vpc_id, state="absent"), capsys)
    assert result["changed"] is True and flow_logs(ec2, vpc_id) == []
    result, _ = call_main(ec2_vpc_flow_log, args(vpc_id, state="absent"), capsys)
    assert result["changed"] is False


def test_cloudwatch_destination_needs_a_role(ec2, vpc_id, capsys):
    result, code = call_main(ec2_vpc_flow_log, args(vpc_id, deliver_logs_permission_arn=None), capsys)
    assert code == 1
    assert "deliver_logs_permission_arn is required" in result["msg"]
    assert flow_logs(ec2, vpc_id) == []


def test_unknown_vpc_fails_with_aws_message(ec2, capsys):
    result, code = call_main(ec2_vpc_flow_log, args("vpc-doesnotexist"), capsys)
    assert code == 1
    assert "Couldn't create flow log for vpc-doesnotexist" in result["msg"]


def refuse_new_role(monkeypatch, times):
    """EC2 as it answers while a new role has not reached the flow logs service yet."""
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models import EC2Backend

    from ansible_collections.credlink.infra.plugins.module_utils import common

    original = EC2Backend.create_flow_logs
    attempts = []

    def create_flow_logs(self, *args, **kwargs):
        attempts.append(1)
        if len(attempts) <= times:
            raise EC2ClientError("InvalidParameter", f"Unable to assume given IAM role: '{ROLE_ARN}'")
        return original(self, *args, **kwargs)
    monkeypatch.setattr(EC2Backend, "create_flow_logs", create_flow_logs)
    monkeypatch.setattr(common.time, "sleep", lambda seconds: None)
    return attempts


def test_a_role_not_yet_assumable_is_retried_until_accepted(ec2, vpc_id, capsys, monkeypatch):
    attempts = refuse_new_role(monkeypatch, times=2)
    result, code = call_main(ec2_vpc_flow_log, args(vpc_id), capsys)
    assert code == 0 and result["changed"] is True, result
    assert len(attempts) == 3 and len(flow_logs(ec2, vpc_id)) == 1


def test_a_role_never_assumable_fails_after_the_timeout(ec2, vpc_id, capsys, monkeypatch):
    refuse_new_role(monkeypatch, times=1000)
    result, code = call_main(ec2_vpc_flow_log, args(vpc_id, role_propagation_timeout=0), capsys)
    assert code == 1 and "Unable to assume given IAM role" in result["msg"]
    assert flow_logs(ec2, vpc_id) == []
