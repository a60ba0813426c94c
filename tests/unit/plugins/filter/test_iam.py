"""The container platform's IAM documents are least privilege."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.filter.iam import ecs_role_policies

RESOURCES = {
    "account_id": "123456789012", "region": "us-east-1",
    "repository_arn": "arn:aws:ecr:us-east-1:123456789012:repository/credlink-production-sign-service",
    "log_group_arn": "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/credlink-production",
    "secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:credlink-production-db-credentials-AbCdEf",
    "bucket_name": "credlink-production-proofs-123456789012",
}


def statements(policy):
    return {s["Sid"]: s for s in policy["Statement"]}


@pytest.fixture
def policies():
    return ecs_role_policies(RESOURCES)


def test_no_wildcard_actions_and_only_the_registry_login_on_any_resource(policies):
    for name in ("execution", "task"):
        for statement in policies[name]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert all("*" not in action for action in statement["Action"]), statement
            if statement["Resource"] == ["*"]:
                assert statement["Action"] == ["ecr:GetAuthorizationToken"]


def test_execution_role_reads_only_this_environments_secret(policies):
    secret = statements(policies["execution"])["ReadDatabaseSecret"]
    assert secret["Action"] == ["secretsmanager:GetSecretValue"]
    assert secret["Resource"] == [RESOURCES["secret_arn"]]


def test_execution_role_pulls_from_one_repository_and_logs_to_one_group(policies):
    granted = statements(policies["execution"])
    assert granted["PullImage"]["Resource"] == [RESOURCES["repository_arn"]]
    assert granted["WriteLogs"]["Resource"] == [RESOURCES["log_group_arn"] + ":log-stream:*"]
    assert not any(a.startswith("s3:") for s in policies["execution"]["Statement"] for a in s["Action"])


def test_task_role_touches_only_the_proofs_bucket_and_cannot_change_it(policies):
    bucket = "arn:aws:s3:::" + RESOURCES["bucket_name"]
    for statement in policies["task"]["Statement"]:
        assert all(r in (bucket, bucket + "/*") for r in statement["Resource"])
        assert all(a.startswith("s3:") for a in statement["Action"])
    actions = {a for s in policies["task"]["Statement"] for a in s["Action"]}
    assert not actions & {"s3:PutBucketPolicy", "s3:DeleteBucket", "s3:PutBucketAcl", "s3:PutObjectAcl"}
    assert not any(a.startswith("secretsmanager:") for a in actions)


def test_only_ecs_tasks_of_this_account_and_region_assume_the_roles(policies):
    (statement,) = policies["trust"]["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == "arn:aws:ecs:us-east-1:123456789012:*"


def test_missing_resources_are_named():
    with pytest.raises(AnsibleFilterError, match="secret_arn"):
        ecs_role_policies({**RESOURCES, "secret_arn": ""})
