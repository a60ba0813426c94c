"""The benchmark's yardsticks, computed from the shared duration table."""

from __future__ import annotations

from benchmarks.bench import model


def test_production_waits_15_minutes_on_its_critical_path_and_29_in_sequence():
    real = model({"nat_gateways": 2, "multi_az": True})
    # Multi-AZ database 12.5 min, then the service 2.5 min.
    assert real["critical_path"] == 900
    # Two NAT gateways 3.5 + database 12.5 + cache 7.5 + ALB 2.65 + service 2.5 minutes.
    assert real["sequential_sum"] == 1719


def test_dev_has_one_nat_gateway_and_a_single_az_database():
    real = model({"nat_gateways": 1, "multi_az": False})
    assert real["critical_path"] == 660 + 150
    assert real["sequential_sum"] == 105 + 660 + 450 + 159 + 150
