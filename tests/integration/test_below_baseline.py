"""An inventory below the seeds' baseline (data/baseline.yml) stops in preflight, unless allowed deliberately.

The AWS endpoint points at a closed port: the refusal comes before any AWS call. With the
allowance the run gets past preflight and stops at the first AWS call instead.
"""

from __future__ import annotations

import pytest

from tests.conftest import DUMMY_AWS, run_playbook
from tools.emulator.process import free_port

pytestmark = pytest.mark.integration


# Production serves HTTPS only (preflight refuses it otherwise); name a domain so that the
# baseline is what these runs meet.
HTTPS = {"container_platform_domain": "credlink.example.com", "container_platform_hosted_zone": "example.com"}


def dead_endpoint() -> dict[str, str]:
    return {**DUMMY_AWS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}


@pytest.mark.parametrize(("inventory", "extra_vars", "message"), [
    ("production", {"database_backup_retention_days": 10},
     "database_backup_retention_days=10 (the production baseline is at least 30)"),
    ("production", {"storage_glacier_transition_days": 180},
     "storage_glacier_transition_days=180 (the production baseline is at most 90)"),
    ("dev", {"storage_noncurrent_expiration_days": 7},
     "storage_noncurrent_expiration_days=7 (the dev baseline is at least 30)"),
], ids=["backups", "glacier-later", "dev"])
def test_an_inventory_below_its_baseline_is_refused_before_any_aws_call(inventory, extra_vars, message):
    run = run_playbook("site.yml", inventory, dead_endpoint(), extra_vars={**HTTPS, **extra_vars})
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert f"The inventory of {inventory} is below the baseline of the seeds: {message}" in output
    assert "credlink_allow_below_baseline: true" in output
    assert "Traceback" not in output and "EndpointConnectionError" not in output and "Could not connect" not in output


def test_the_allowance_lets_the_run_past_preflight():
    run = run_playbook("site.yml", "production", dead_endpoint(), "-v",
                       extra_vars={**HTTPS, "database_backup_retention_days": 10, "credlink_allow_below_baseline": True})
    output = run.stdout + run.stderr
    assert "below the baseline, allowed by credlink_allow_below_baseline: database_backup_retention_days=10" in output
    assert "is below the baseline of the seeds" not in output
    # The next step is the first AWS call, which fails against the closed port.
    assert run.returncode != 0 and "Discover" in output
