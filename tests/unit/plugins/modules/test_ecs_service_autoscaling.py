"""ecs_service_autoscaling on moto."""

from __future__ import annotations

import pytest

from ansible_collections.credlink.infra.plugins.modules import ecs_service
from ansible_collections.credlink.infra.plugins.modules import ecs_service_autoscaling

from tests.unit.in_process import call_main
from tests.unit.plugins.modules.ecs_stack import CLUSTER, SERVICE, service_args


def scaling_args(**overrides):
    base = {"cluster": CLUSTER, "service": SERVICE, "min_capacity": 2, "max_capacity": 10, "policies": [
        {"name": "cpu", "metric": "ECSServiceAverageCPUUtilization", "target_value": 70},
        {"name": "memory", "metric": "ECSServiceAverageMemoryUtilization", "target_value": 80},
    ]}
    return {**base, **overrides}


def test_scaling_registers_bounds_and_both_policies_idempotently(ecs_platform, capsys):
    call_main(ecs_service, service_args(ecs_platform), capsys)
    result, _ = call_main(ecs_service_autoscaling, scaling_args(), capsys)
    assert result["changed"] is True
    target = ecs_platform["aas"].describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 10)
    again, _ = call_main(ecs_service_autoscaling, scaling_args(), capsys)
    assert again["changed"] is False


def test_scaling_bounds_follow_the_inventory_and_stale_policies_go(ecs_platform, capsys):
    call_main(ecs_service, service_args(ecs_platform), capsys)
    call_main(ecs_service_autoscaling, scaling_args(), capsys)
    result, _ = call_main(ecs_service_autoscaling, scaling_args(max_capacity=4, policies=scaling_args()["policies"][:1]), capsys)
    assert result["changed"] is True and set(result["policies"]) == {"cpu"}
    target = ecs_platform["aas"].describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
    assert target["MaxCapacity"] == 4
    names = [p["PolicyName"] for p in ecs_platform["aas"].describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]]
    assert names == ["cpu"]


def test_scaling_check_mode_registers_nothing(ecs_platform, capsys):
    result, _ = call_main(ecs_service_autoscaling, scaling_args(), capsys, check_mode=True)
    assert result["changed"] is True
    assert ecs_platform["aas"].describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []


@pytest.mark.parametrize(("overrides", "message"), [
    ({"min_capacity": 5, "max_capacity": 2}, "min_capacity <= max_capacity"),
    ({"policies": [{"name": "cpu", "metric": "ECSServiceAverageCPUUtilization", "target_value": 150}]}, "percentage"),
])
def test_impossible_scaling_is_refused(ecs_platform, capsys, overrides, message):
    result, code = call_main(ecs_service_autoscaling, scaling_args(**overrides), capsys)
    assert code == 1 and message in result["msg"]
