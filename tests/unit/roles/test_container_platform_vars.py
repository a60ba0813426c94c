"""The container platform's derived variables, rendered by Ansible's own templating."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROOT = Path(__file__).resolve().parents[3]
ROLE_VARS = yaml.safe_load((ROOT / "roles/container_platform/vars/main.yml").read_text())


def render(name: str, **facts) -> str:
    variables = {key: trust_as_template(value) if isinstance(value, str) else value for key, value in ROLE_VARS.items()}
    variables.update(credlink_account_id="123456789012", credlink_names={"repository": "credlink-production-sign-service"},
                     container_platform_image_tag="v1", __container_platform_layers={}, **facts)
    return Templar(loader=DataLoader(), variables=variables).template(variables[name])


@pytest.mark.parametrize(("region", "partition", "host"), [
    ("us-east-1", "aws", "123456789012.dkr.ecr.us-east-1.amazonaws.com"),
    ("us-gov-west-1", "aws-us-gov", "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com"),
    # aws/aws-cdk#28460: 123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn
    ("cn-northwest-1", "aws-cn", "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn"),
])
def test_the_image_of_a_repository_not_created_yet_is_in_the_partitions_registry(region, partition, host):
    image = render("__container_platform_image", credlink_region=region, credlink_partition=partition,
                   __container_platform_registry={})
    assert image == f"{host}/credlink-production-sign-service:v1"


def test_the_image_of_an_existing_repository_is_its_uri():
    uri = "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/credlink-production-sign-service"
    image = render("__container_platform_image", credlink_region="cn-north-1", credlink_partition="aws-cn",
                   __container_platform_registry={"repository": {"repository_uri": uri}})
    assert image == f"{uri}:v1"
