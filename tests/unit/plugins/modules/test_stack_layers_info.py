"""stack_layers_info against moto in-process: what a layer needs from the layers before it."""

from __future__ import annotations

import json

import pytest

from ansible_collections.credlink.infra.plugins.module_utils import naming
from ansible_collections.credlink.infra.plugins.modules import stack_layers_info
from tests.unit.in_process import call_main

ACCOUNT = "123456789012"
NAMES = naming.names("test", ACCOUNT)
ALL = ["network", "secrets", "cache", "storage", "database", "container_platform"]


def read(capsys, layers, names=NAMES):
    return call_main(stack_layers_info, {"names": names, "layers": layers}, capsys)


def build_stack(moto):
    """Every resource the module reads, under the stack's names."""
    ec2 = moto("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": NAMES["vpc"]}])
    subnets = []
    for index, (tier, zone) in enumerate([("public", "us-east-1a"), ("public", "us-east-1b"), ("private", "us-east-1a")]):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{index}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        ec2.create_tags(Resources=[subnet], Tags=[{"Key": "Tier", "Value": tier}])
        subnets.append(subnet)
    sm = moto("secretsmanager")
    sm.create_secret(Name=NAMES["secret"], SecretString=json.dumps({"username": "u", "password": "db-password-value", "host": "h"}))
    sm.create_secret(Name=NAMES["redis_auth_secret"], SecretString=json.dumps({"auth_token": "redis-token-value", "url": "rediss://x"}))
    moto("elasticache").create_replication_group(
        ReplicationGroupId=NAMES["replication_group"], ReplicationGroupDescription="cache", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=1)
    moto("s3").create_bucket(Bucket=NAMES["bucket"])
    moto("rds").create_db_instance(
        DBInstanceIdentifier=NAMES["db_instance"], DBInstanceClass="db.t3.micro", Engine="postgres",
        AllocatedStorage=20, MasterUsername="credlink", MasterUserPassword="a-long-password")
    elbv2 = moto("elbv2")
    lb = elbv2.create_load_balancer(Name=NAMES["load_balancer"], Subnets=subnets[:2])["LoadBalancers"][0]
    tg = elbv2.create_target_group(Name=NAMES["target_group"], Protocol="HTTP", Port=3000, VpcId=vpc,
                                   TargetType="ip")["TargetGroups"][0]
    return {"vpc": vpc, "lb": lb["LoadBalancerArn"], "tg": tg["TargetGroupArn"]}


def test_an_empty_account_misses_every_layer_by_name_in_layer_order(moto, capsys):
    result, code = read(capsys, list(reversed(ALL)))
    assert code == 0 and result["changed"] is False
    assert result["missing"] == [
        f"network (VPC {NAMES['vpc']})",
        f"secrets (secret {NAMES['secret']})",
        f"cache (replication group {NAMES['replication_group']})",
        f"storage (bucket {NAMES['bucket']})",
        f"database (instance {NAMES['db_instance']})",
        f"container_platform (load balancer {NAMES['load_balancer']})",
    ]
    assert result["network"]["found"] is False and result["network"]["subnets"]["private"] == []
    assert result["cache"]["found"] is False and result["cache_auth_secret"]["found"] is False
    assert result["database"] == {"found": False, "instance": {}}
    assert result["load_balancer"] == {"found": False, "arn": ""}


def test_a_built_stack_is_read_whole_without_a_secret_value(moto, capsys):
    built = build_stack(moto)
    result, code = read(capsys, ALL)
    assert code == 0 and result["missing"] == []
    assert result["network"]["vpc"]["id"] == built["vpc"]
    assert [s["availability_zone"] for s in result["network"]["subnets"]["public"]] == ["us-east-1a", "us-east-1b"]
    assert result["credentials"]["secret"]["key_names"] == ["host", "password", "username"]
    assert result["cache"]["found"] is True and result["cache"]["replication_group"]["replication_group_id"] == NAMES["replication_group"]
    assert result["cache_auth_secret"]["secret"]["key_names"] == ["auth_token", "url"]
    assert result["bucket"] == {"found": True, "name": NAMES["bucket"]}
    assert result["database"]["instance"]["db_instance_class"] == "db.t3.micro"
    assert result["load_balancer"]["arn"] == built["lb"] and result["target_group"]["arn"] == built["tg"]
    text = json.dumps(result)
    assert "db-password-value" not in text and "redis-token-value" not in text


def test_only_the_listed_layers_are_read(moto, capsys):
    result, _ = read(capsys, ["database"])
    assert set(result) - {"changed", "invocation"} == {"missing", "database"}


def test_a_load_balancer_without_its_target_group_is_missing(moto, capsys):
    built = build_stack(moto)
    moto("elbv2").delete_target_group(TargetGroupArn=built["tg"])
    result, _ = read(capsys, ["container_platform"])
    assert result["missing"] == [f"container_platform (load balancer {NAMES['load_balancer']})"]
    assert result["load_balancer"]["found"] is True and result["target_group"]["found"] is False


@pytest.mark.parametrize("layers, lacking", [
    (["cache"], "names lacks redis_auth_secret, replication_group"),
    (["container_platform", "network"], "names lacks load_balancer, target_group, vpc"),
])
def test_names_without_what_a_layer_is_read_by_are_refused(moto, capsys, layers, lacking):
    result, code = read(capsys, layers, names={"secret": NAMES["secret"]})
    assert code == 1 and lacking in result["msg"] and "credlink_names" in result["msg"]


def test_an_unknown_layer_is_refused(moto, capsys):
    result, code = read(capsys, ["schema"])
    assert code == 1 and "value of layers must be one or more of" in result["msg"]


def test_running_image_is_empty_without_cluster_or_service_and_adds_nothing_missing(moto, capsys):
    result, code = call_main(stack_layers_info, {"names": NAMES, "layers": ["storage"], "running_image": True}, capsys)
    assert code == 0 and result["running_image"] == ""
    assert result["missing"] == [f"storage (bucket {NAMES['bucket']})"]
    moto("ecs").create_cluster(clusterName=NAMES["cluster"])
    result, _ = call_main(stack_layers_info, {"names": NAMES, "layers": [], "running_image": True}, capsys)
    assert result["running_image"] == "" and result["missing"] == []


def test_running_image_is_the_first_container_of_the_active_service(moto, capsys):
    ecs = moto("ecs")
    ecs.create_cluster(clusterName=NAMES["cluster"])
    for tag in ("v1", "v2"):
        ecs.register_task_definition(family=NAMES["task_family"], containerDefinitions=[
            {"name": "app", "image": f"repo:{tag}", "memory": 256}, {"name": "sidecar", "image": "proxy:1", "memory": 64}])
    ecs.create_service(cluster=NAMES["cluster"], serviceName=NAMES["service"],
                       taskDefinition=f"{NAMES['task_family']}:1", desiredCount=0)
    result, code = call_main(stack_layers_info, {"names": NAMES, "layers": [], "running_image": True}, capsys)
    assert code == 0 and result["running_image"] == "repo:v1"
    # Deleted (INACTIVE): nothing runs any more.
    ecs.delete_service(cluster=NAMES["cluster"], service=NAMES["service"], force=True)
    result, _ = call_main(stack_layers_info, {"names": NAMES, "layers": [], "running_image": True}, capsys)
    assert result["running_image"] == ""


def test_running_image_needs_the_cluster_and_service_names(moto, capsys):
    names = {key: value for key, value in NAMES.items() if key != "service"}
    result, code = call_main(stack_layers_info, {"names": names, "layers": [], "running_image": True}, capsys)
    assert code == 1 and "names lacks service" in result["msg"]


def test_running_image_is_not_read_unless_asked(moto, capsys):
    result, _ = read(capsys, ["storage"])
    assert "running_image" not in result
