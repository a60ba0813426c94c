# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM documents of the container platform, built in Python so they can be unit-tested."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

REQUIRED = ("account_id", "region", "repository_arn", "log_group_arn", "secret_arn", "bucket_name")


def _statement(sid: str, actions: list[str], resources: list[str], **extra) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources, **extra}


def ecs_role_policies(resources: dict, partition: str = "aws") -> dict:
    missing = [key for key in REQUIRED if not resources.get(key)]
    if missing:
        raise AnsibleFilterError(f"ecs_role_policies needs {', '.join(missing)}")
    account, region = resources["account_id"], resources["region"]
    bucket_arn = f"arn:{partition}:s3:::{resources['bucket_name']}"
    log_group_arn = resources["log_group_arn"].removesuffix(":*")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            # Only tasks of this account and region may assume the role (confused deputy).
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:ecs:{region}:{account}:*"},
            },
        }],
    }
    execution = {
        "Version": "2012-10-17",
        "Statement": [
            # GetAuthorizationToken has no resource-level permissions: AWS only accepts "*".
            _statement("RegistryLogin", ["ecr:GetAuthorizationToken"], ["*"]),
            _statement("PullImage", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                                     "ecr:GetDownloadUrlForLayer"], [resources["repository_arn"]]),
            _statement("WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                       [f"{log_group_arn}:log-stream:*"]),
            _statement("ReadDatabaseSecret", ["secretsmanager:GetSecretValue"], [resources["secret_arn"]]),
        ],
    }
    task = {
        "Version": "2012-10-17",
        "Statement": [
            _statement("ListProofs", ["s3:ListBucket"], [bucket_arn]),
            _statement("ReadWriteProofs", ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion",
                                           "s3:PutObject"], [f"{bucket_arn}/*"]),
        ],
    }
    return {"trust": trust, "execution": execution, "task": task}


class FilterModule:
    def filters(self):
        return {"ecs_role_policies": ecs_role_policies}
