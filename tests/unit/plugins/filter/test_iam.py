"""The container platform's IAM documents are least privilege."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.filter.iam import dns_suffix
from ansible_collections.credlink.infra.plugins.filter.iam import ecs_role_policies

RESOURCES = {
    "account_id": "123456789012", "region": "us-east-1",
    "repository_arn": "arn:aws:ecr:us-east-1:123456789012:repository/credlink-production-sign-service",
    "log_group_arn": "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/credlink-production",
    "read_policy_arn": "arn:aws:iam::123456789012:policy/credlink-production-db-credentials-read",
    "bucket_name": "credlink-production-proofs-123456789012",
}
CACHE_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:credlink-production-redis-auth-XyZ123"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


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


def test_execution_role_reads_the_database_secret_through_the_managed_read_policy_only(policies):
    assert policies["managed"] == {"execution": [RESOURCES["read_policy_arn"]], "task": []}
    actions = {a for s in policies["execution"]["Statement"] for a in s["Action"]}
    assert not any(a.startswith("secretsmanager:") for a in actions)


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


def test_task_role_trusts_ecs_tasks_of_this_account_and_region(policies):
    (statement,) = policies["trust"]["task"]["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == "arn:aws:ecs:us-east-1:123456789012:*"


def test_execution_role_trust_conditions_on_the_source_account_only(policies):
    (statement,) = policies["trust"]["execution"]["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_without_cache_secret_or_customer_keys_nothing_more_is_granted(policies):
    assert set(statements(policies["execution"])) == {"RegistryLogin", "PullImage", "WriteLogs"}


def test_execution_role_reads_the_cache_auth_secret_by_its_arn_only():
    granted = statements(ecs_role_policies({**RESOURCES, "cache_secret_arn": CACHE_SECRET})["execution"])
    assert granted["ReadCacheAuthSecret"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert granted["ReadCacheAuthSecret"]["Resource"] == [CACHE_SECRET]


def test_customer_managed_key_is_decryptable_through_secrets_manager_only():
    granted = statements(ecs_role_policies({**RESOURCES, "kms_key_arns": [KEY, KEY]})["execution"])
    decrypt = granted["DecryptSecrets"]
    assert decrypt["Action"] == ["kms:Decrypt"] and decrypt["Resource"] == [KEY]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}


def test_china_partition_names_the_china_endpoint():
    china = {**RESOURCES, "region": "cn-north-1", "kms_key_arns": [KEY.replace("arn:aws:", "arn:aws-cn:")]}
    decrypt = statements(ecs_role_policies(china, "aws-cn")["execution"])["DecryptSecrets"]
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == "secretsmanager.cn-north-1.amazonaws.com.cn"


def test_missing_resources_are_named():
    with pytest.raises(AnsibleFilterError, match="read_policy_arn"):
        ecs_role_policies({**RESOURCES, "read_policy_arn": ""})


@pytest.mark.parametrize(("partition", "suffix"), [("aws", "amazonaws.com"), ("aws-us-gov", "amazonaws.com"),
                                                   ("aws-cn", "amazonaws.com.cn")])
def test_dns_suffix_of_each_partition(partition, suffix):
    assert dns_suffix(partition) == suffix
