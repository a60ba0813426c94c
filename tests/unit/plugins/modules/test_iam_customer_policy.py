"""iam_customer_policy on moto's in-process IAM."""

from __future__ import annotations

import json

import boto3
import pytest

from ansible_collections.credlink.infra.plugins.modules import iam_customer_policy

from tests.unit.in_process import call_main

NAME = "credlink-test-db-credentials-read"
ARN = f"arn:aws:iam::123456789012:policy/{NAME}"


def document(resource="arn:aws:secretsmanager:us-east-1:123456789012:secret:one"):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": resource}]}


def args(**overrides):
    base = {"name": NAME, "description": "Read one secret", "policy": json.dumps(document()),
            "tags": {"Project": "credlink"}}
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


@pytest.fixture
def iam(moto):
    return boto3.client("iam", region_name="us-east-1")


def default_document(iam):
    policy = iam.get_policy(PolicyArn=ARN)["Policy"]
    return iam.get_policy_version(PolicyArn=ARN, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]


def test_creates_the_policy_then_changes_nothing(iam, capsys):
    result, _ = call_main(iam_customer_policy, args(), capsys)
    assert result["changed"] is True and result["policy"]["arn"] == ARN
    assert default_document(iam) == document()
    assert iam.get_policy(PolicyArn=ARN)["Policy"]["Description"] == "Read one secret"
    assert iam.list_policy_tags(PolicyArn=ARN)["Tags"] == [{"Key": "Project", "Value": "credlink"}]
    again, _ = call_main(iam_customer_policy, args(), capsys)
    assert again["changed"] is False and again["policy"]["document"] == document()


def test_no_run_lists_the_accounts_policies(iam, capsys, monkeypatch):
    """The point of the module: one policy is read by its ARN, never found in ListPolicies."""
    call_main(iam_customer_policy, args(), capsys)
    calls = []
    original = iam_customer_policy.describe

    def counting(client, module, arn):
        client.meta.events.register("before-call.iam.*", lambda model, **_: calls.append(model.name))
        return original(client, module, arn)

    monkeypatch.setattr(iam_customer_policy, "describe", counting)
    assert call_main(iam_customer_policy, args(), capsys)[0]["changed"] is False
    assert calls == ["GetPolicy", "GetPolicyVersion", "ListPolicyTags"]


def test_a_changed_document_becomes_the_default_version(iam, capsys):
    call_main(iam_customer_policy, args(), capsys)
    changed = document("arn:aws:secretsmanager:us-east-1:123456789012:secret:two")
    result, _ = call_main(iam_customer_policy, args(policy=json.dumps(changed)), capsys)
    assert result["changed"] is True
    assert result["diff"]["before"]["document"] == document() and result["diff"]["after"]["document"] == changed
    assert default_document(iam) == changed


def test_the_oldest_other_version_makes_room_for_a_sixth(iam, capsys):
    call_main(iam_customer_policy, args(), capsys)
    for index in range(2, 8):
        call_main(iam_customer_policy, args(policy=json.dumps(document(f"arn:aws:s3:::bucket-{index}"))), capsys)
    versions = iam.list_policy_versions(PolicyArn=ARN)["Versions"]
    assert len(versions) == 5
    assert default_document(iam) == document("arn:aws:s3:::bucket-7")
    assert sorted(v["VersionId"] for v in versions) == ["v3", "v4", "v5", "v6", "v7"]


def test_check_mode_predicts_and_changes_nothing(iam, capsys):
    created, _ = call_main(iam_customer_policy, args(), capsys, check_mode=True)
    assert created["changed"] is True and created["diff"]["after"]["document"] == document()
    assert iam.list_policies(Scope="Local")["Policies"] == []
    call_main(iam_customer_policy, args(), capsys)
    changed = document("arn:aws:s3:::other")
    result, _ = call_main(iam_customer_policy, args(policy=json.dumps(changed), tags={"Project": "x"}), capsys,
                          check_mode=True)
    assert result["changed"] is True and result["policy"]["tags"] == {"Project": "x"}
    assert default_document(iam) == document()
    assert iam.list_policy_tags(PolicyArn=ARN)["Tags"] == [{"Key": "Project", "Value": "credlink"}]


def test_tags_are_purged_unless_asked_not_to(iam, capsys):
    call_main(iam_customer_policy, args(tags={"Project": "credlink", "Old": "1"}), capsys)
    kept, _ = call_main(iam_customer_policy, args(purge_tags=False), capsys)
    assert kept["changed"] is False
    purged, _ = call_main(iam_customer_policy, args(), capsys)
    assert purged["changed"] is True and purged["diff"]["before"]["tags"]["Old"] == "1"
    assert iam.list_policy_tags(PolicyArn=ARN)["Tags"] == [{"Key": "Project", "Value": "credlink"}]


def test_a_new_description_is_a_warning_not_a_change(iam, capsys):
    call_main(iam_customer_policy, args(), capsys)
    result, _ = call_main(iam_customer_policy, args(description="Something else"), capsys)
    assert result["changed"] is False
    assert "keeps its description" in json.dumps(result.get("warnings", []))


def test_absent_detaches_deletes_the_versions_and_the_policy_and_is_repeatable(iam, capsys):
    call_main(iam_customer_policy, args(), capsys)
    call_main(iam_customer_policy, args(policy=json.dumps(document("arn:aws:s3:::x"))), capsys)
    iam.create_role(RoleName="execution", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.attach_role_policy(RoleName="execution", PolicyArn=ARN)
    in_check, _ = call_main(iam_customer_policy, {"name": NAME, "state": "absent"}, capsys, check_mode=True)
    assert in_check["changed"] is True and iam.get_policy(PolicyArn=ARN)
    removed, _ = call_main(iam_customer_policy, {"name": NAME, "state": "absent"}, capsys)
    assert removed["changed"] is True
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert iam.list_attached_role_policies(RoleName="execution")["AttachedPolicies"] == []
    assert call_main(iam_customer_policy, {"name": NAME, "state": "absent"}, capsys)[0]["changed"] is False


def test_a_path_is_part_of_the_arn(iam, capsys):
    result, _ = call_main(iam_customer_policy, args(path="/credlink/"), capsys)
    assert result["policy"]["arn"] == f"arn:aws:iam::123456789012:policy/credlink/{NAME}"
    assert call_main(iam_customer_policy, args(path="/credlink/"), capsys)[0]["changed"] is False


@pytest.mark.parametrize("overrides, message", [
    ({"path": "credlink"}, "path must begin and end with '/'"),
    ({"policy": None}, "state is present but all of the following are missing: policy"),
])
def test_wrong_inputs_are_refused(iam, capsys, overrides, message):
    result, code = call_main(iam_customer_policy, args(**overrides), capsys)
    assert code == 1 and message in result["msg"]


@pytest.mark.parametrize("path, name", [("/other/", NAME), ("/", NAME.upper())])
def test_a_name_taken_under_another_path_or_case_is_refused_not_adopted(iam, capsys, path, name):
    iam.create_policy(PolicyName=name, Path=path, PolicyDocument=json.dumps(document("arn:aws:s3:::theirs")))
    result, code = call_main(iam_customer_policy, args(), capsys)
    assert code == 1 and f"IAM policy name {NAME} is taken by a policy other than {ARN}" in result["msg"]
    theirs = iam.list_policies(Scope="Local")["Policies"]
    assert [(p["PolicyName"], p["Path"]) for p in theirs] == [(name, path)]


def test_a_create_returns_the_new_default_version_without_reading_it_again(iam, capsys, monkeypatch):
    import botocore.client

    calls, original = [], botocore.client.BaseClient._make_api_call

    def counting(client, name, params):
        calls.append(name)
        return original(client, name, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    result, _ = call_main(iam_customer_policy, args(), capsys)
    assert calls == ["GetCallerIdentity", "GetPolicy", "CreatePolicy"]
    assert result["policy"]["default_version_id"] == "v1"
    assert result["policy"]["tags"] == {"Project": "credlink"}
