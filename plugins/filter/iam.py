# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM documents of the container platform, built in Python so they can be unit-tested."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

REQUIRED = ("account_id", "region", "repository_arn", "log_group_arn", "read_policy_arn", "bucket_name")


def _statement(sid: str, actions: list[str], resources: list[str], **extra) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources, **extra}


def _trust(condition: dict) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": condition,
        }],
    }


def dns_suffix(partition: str) -> str:
    """Suffix of the service endpoints: China's regions answer under amazonaws.com.cn."""
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def _as_list(value) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else sorted(set(value))


def ecs_role_policies(resources: dict, partition: str = "aws") -> dict:
    missing = [key for key in REQUIRED if not resources.get(key)]
    if missing:
        raise AnsibleFilterError(f"ecs_role_policies needs {', '.join(missing)}")
    account, region = resources["account_id"], resources["region"]
    bucket_arn = f"arn:{partition}:s3:::{resources['bucket_name']}"
    log_group_arn = resources["log_group_arn"].removesuffix(":*")
    # Confused deputy (ECS developer guide, "Amazon ECS task IAM role", quoted in
    # awsdocs/amazon-ecs-developer-guide#208): aws:SourceAccount or aws:SourceArn
    # (arn:aws:ecs:<region>:<account>:*) are documented for the TASK role. For the
    # execution role the guide shows no condition and no source says that ECS/Fargate
    # sets aws:SourceArn when it assumes it (research A, 13a): a condition on a key that
    # is absent denies the AssumeRole and no task could start. The execution role keeps
    # aws:SourceAccount only, the key every AWS service-principal call carries.
    account_only = {"StringEquals": {"aws:SourceAccount": account}}
    task_trust = {**account_only, "ArnLike": {"aws:SourceArn": f"arn:{partition}:ecs:{region}:{account}:*"}}
    # The database secret is read through the secrets layer's managed policy
    # credlink-<env>-db-credentials-read, attached to the execution role: one document
    # says who may read that secret.
    statements = [
        # GetAuthorizationToken has no resource-level permissions: AWS only accepts "*".
        _statement("RegistryLogin", ["ecr:GetAuthorizationToken"], ["*"]),
        _statement("PullImage", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                                 "ecr:GetDownloadUrlForLayer"], [resources["repository_arn"]]),
        _statement("WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                   [f"{log_group_arn}:log-stream:*"]),
    ]
    cache_secrets = _as_list(resources.get("cache_secret_arn"))
    if cache_secrets:
        # The Redis AUTH token's secret: ECS resolves its url key when a task starts.
        statements.append(_statement("ReadCacheAuthSecret", ["secretsmanager:GetSecretValue"], cache_secrets))
    kms_keys = _as_list(resources.get("kms_key_arns"))
    if kms_keys:
        # A secret under a customer managed key needs kms:Decrypt on that key ARN (ECS
        # developer guide, "Secrets Manager or Systems Manager permissions"; AWS Batch
        # "Required IAM permissions" gives the same statement). kms:ViaService limits it
        # to decryption done by Secrets Manager on the role's behalf (Secrets Manager user
        # guide, "Secret encryption and decryption", permissions for the KMS key).
        statements.append(_statement(
            "DecryptSecrets", ["kms:Decrypt"], kms_keys,
            Condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.{dns_suffix(partition)}"}},
        ))
    execution = {"Version": "2012-10-17", "Statement": statements}
    task = {
        "Version": "2012-10-17",
        "Statement": [
            _statement("ListProofs", ["s3:ListBucket"], [bucket_arn]),
            _statement("ReadWriteProofs", ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion",
                                           "s3:PutObject"], [f"{bucket_arn}/*"]),
        ],
    }
    return {
        "trust": {"execution": _trust(account_only), "task": _trust(task_trust)},
        "managed": {"execution": [resources["read_policy_arn"]], "task": []},
        "execution": execution,
        "task": task,
    }


class FilterModule:
    def filters(self):
        return {"ecs_role_policies": ecs_role_policies, "dns_suffix": dns_suffix}
