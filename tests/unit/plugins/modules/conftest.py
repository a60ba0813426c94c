"""Fixtures the module tests share: moto in-process, Secrets Manager with the secret's stored
document, and the ECS stack the ECS modules need."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.credlink.infra.plugins.modules import ecs_cluster
from ansible_collections.credlink.infra.plugins.modules import ecs_task_definition
from tests.unit.in_process import call_main
from tests.unit.plugins.modules.ecs_stack import cluster_args, task_args
from tools.emulator import patches


@pytest.fixture
def moto(offline_aws):
    """moto in-process with the emulator's documented fixes (tools/emulator/patches.py), as the
    emulator server runs it; gives a client of a service in us-east-1."""
    patches.apply_all()
    with mock_aws():
        yield lambda service: boto3.client(service, region_name="us-east-1")


@pytest.fixture
def sm(moto):
    return moto("secretsmanager")


@pytest.fixture
def stored(sm):
    """The JSON document a secret holds now: ``stored(name)``."""
    return lambda name: json.loads(sm.get_secret_value(SecretId=name)["SecretString"])


@pytest.fixture
def ecs_account(moto):
    """A VPC with two subnets and a security group for the tasks, and the ECS clients."""
    ec2 = moto("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in (11, 12)]
    sg = ec2.create_security_group(GroupName="ecs", Description="tasks", VpcId=vpc)["GroupId"]
    return {"ecs": moto("ecs"), "subnets": subnets, "sg": sg, "aas": moto("application-autoscaling")}


@pytest.fixture
def ecs_platform(ecs_account, capsys):
    """The account with the cluster and the task definition a service runs."""
    call_main(ecs_cluster, cluster_args(), capsys)
    call_main(ecs_task_definition, task_args(), capsys)
    return ecs_account
