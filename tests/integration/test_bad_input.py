"""Wrong inputs stop in preflight, before any AWS call, with one clear message.

The AWS endpoint points at a closed port: had any AWS call been made before the check,
the run would fail with a connection error instead of the expected message.
"""

from __future__ import annotations

import pytest

from tests.conftest import DUMMY_AWS, run_playbook
from tools.emulator.process import free_port

pytestmark = pytest.mark.integration

CASES = [
    ({"credlink_env": "Prod!"}, "credlink_env 'Prod!' is not valid"),
    ({"credlink_env": "staging-"}, "credlink_env 'staging-' is not valid"),
    # 20 characters: credlink-<env>-alb would exceed the load balancer's 32.
    ({"credlink_env": "a-twenty-char-envxyz"},
     "credlink_env 'a-twenty-char-envxyz' is too long (20 characters): the load balancer "
     "credlink-a-twenty-char-envxyz-alb would have 33 characters and AWS allows 32; environment names have at most "
     "19 characters"),
    ({"credlink_region": "us-iso-east-1"}, "the ISO partitions are not"),
    ({"credlink_account_id": "000000000000"}, "credlink_account_id cannot be given (inventory or -e)"),
    ({"credlink_inputs": {"database_multi_az": False}}, "credlink_inputs cannot be given (inventory or -e)"),
    # site.yml does not validate a layer again when it runs it: preflight must cover them all.
    ({"preflight_layers": ["network", "database"]},
     "preflight_layers leaves out secrets, cache, storage, schema, container_platform, monitoring"),
    ({"network_outputs": {}}, "unknown variable(s) network_outputs"),
    ({"credlink_expected_account_id": "12345"}, "credlink_expected_account_id '12345': name the 12-digit AWS account"),
    ({"credlink_expected_account_id": ""}, "credlink_expected_account_id is not set"),
    ({"credlink_protected": True}, "environment dev is protected (credlink_protected): it requires"),
    # A protected environment is held to production's baseline whatever it is called (and
    # to HTTPS, allowed off here so that the baseline is what stops it).
    ({"credlink_protected": True, "database_deletion_protection": True, "database_final_snapshot": True,
      "container_platform_allow_http": True},
     "database_multi_az=False (the production baseline"),
    ({"credlink_protected": True, "database_deletion_protection": True, "database_final_snapshot": True},
     "is protected (credlink_protected) and serves the application over HTTPS only"),
    ({"database_iops": 3000}, "gp3 below 400 GiB takes no explicit IOPS or throughput"),
    ({"database_storage_throughput": 125}, "gp3 below 400 GiB takes no explicit IOPS or throughput"),
    ({"database_allocated_storage": 400, "database_max_allocated_storage": 500, "database_iops": 3000},
     "gp3 from 400 GiB takes at least 12000 IOPS"),
    ({"database_storage_type": "io1"}, "io1/io2 need IOPS"),
    ({"database_performance_insights_retention_days": 744}, "Performance Insights retention 7, 731 or 31 times 1 to 23"),
    ({"credlink_region": "mars-1"}, "credlink_region 'mars-1' is not a supported AWS region"),
    ({"credlink_availability_zones": ["us-east-1a"]}, "must name exactly two different zones"),
    ({"credlink_availability_zones": ["us-east-1a", "us-east-1a"]}, "must name exactly two different zones"),
    ({"credlink_availability_zones": ["us-east-1a", "us-west-2b"]}, "must name exactly two different zones"),
    ({"credlink_extra_tags": {"Project": "other"}}, "credlink_extra_tags may not set Project"),
    ({"network_vpc_cidr": "10.0.0.0/33"}, "network_vpc_cidr '10.0.0.0/33' is not a valid IPv4 network"),
    ({"network_vpc_cidr": "10.0.0.0/8"}, "must have a prefix between /16 and /24"),
    ({"network_subnet_cidrs": {"public": ["10.1.11.0/24", "10.1.2.0/24"]}}, "subnets overlap"),
    ({"network_subnet_cidrs": {"public": ["10.9.1.0/24", "10.1.2.0/24"]}}, "is outside network_vpc_cidr"),
    ({"network_nat_gateway_count": 3}, "network_nat_gateway_count"),
    ({"network_nat_gateway_count": "two"}, "network_nat_gateway_count"),
    ({"network_flow_logs_retention_days": 13}, "network_flow_logs_retention_days"),
    ({"network_flow_logs_traffic_type": "SOME"}, "network_flow_logs_traffic_type"),
    ({"network_poll_interval": 0}, "must be positive"),
    ({"network_vpc_cidrs": "10.0.0.0/16"}, "network_vpc_cidrs"),
    ({"database_instance_class": "t3.small"}, "instance class like"),
    ({"database_max_allocated_storage": 10}, "max_allocated_storage not"),
    ({"database_backup_retention_days": 40}, "backup retention 1-35 days"),
    ({"database_backup_window": "3-4"}, "database_backup_window must look like"),
    ({"database_multi_az": "sometimes"}, "database_multi_az"),
    ({"database_engine_version": "14.9"}, "engine version must be 15 or 15.x"),
    ({"secrets_db_username": "postgres"}, "not a reserved"),
    ({"secrets_password_length": 8}, "password length 16-128"),
    ({"schema_db_ssl_mode": "off"}, "schema_db_ssl_mode"),
    ({"storage_cors_origins": ["*"]}, "are not origins"),
    ({"cache_num_nodes": 0, "cache_automatic_failover": False, "cache_multi_az": False}, "cache_num_nodes must be 1-6"),
    ({"cache_automatic_failover": True}, "cache_automatic_failover needs at least 2 nodes"),
    ({"cache_node_type": "t3.micro"}, "node type like cache.t3.micro"),
    ({"cache_snapshot_window": "3am"}, "windows like 03:00-05:00"),
    ({"storage_cors_origins": ["http://app.example.com"]}, "are not origins"),
    ({"storage_expiration_days": 30}, "storage_expiration_days"),
    ({"container_platform_memory": 4096}, "is not a Fargate size for 256 CPU units"),
    ({"container_platform_cpu": 300}, "container_platform_cpu"),
    ({"container_platform_min_count": 3}, "need 0 <= min <= desired <= max"),
    ({"container_platform_max_count": 0, "container_platform_min_count": 0, "container_platform_desired_count": 0},
     "max >= 1"),
    ({"container_platform_image_tag": "latest; rm -rf /"}, "image tag of letters"),
    ({"container_platform_certificate_arn": "my-cert"}, "certificate as an ACM ARN"),
    ({"container_platform_alb_ingress_cidrs": ["0.0.0.0/0", "everywhere"]}, "ALB ingress as CIDRs"),
    ({"container_platform_log_retention_days": 10}, "container_platform_log_retention_days"),
    ({"monitoring_alarm_emails": ["oncall"]}, "e-mail addresses like"),
    ({"monitoring_rds_cpu_warning": 95}, "each warning at or below its critical threshold"),
    ({"monitoring_redis_memory_critical": 120}, "percentages between 1 and 100"),
    ({"monitoring_thresholds": {}}, "monitoring_thresholds"),
    ({"monitoring_watched_layers": ["database", "rds"]}, "monitoring_watched_layers"),
]


@pytest.mark.parametrize(("extra_vars", "message"), CASES, ids=[next(iter(c[0])) + "-" + str(i) for i, c in enumerate(CASES)])
def test_bad_input_stops_before_any_aws_call(extra_vars, message):
    dead_endpoint = {**DUMMY_AWS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    run = run_playbook("site.yml", "dev", dead_endpoint, extra_vars=extra_vars)
    output = run.stdout + run.stderr
    assert run.returncode != 0
    # Long messages are folded across lines by the output callback.
    assert message in " ".join(output.split())
    assert "Traceback" not in output
    assert "Could not connect" not in output and "EndpointConnectionError" not in output


def test_every_wrong_input_of_a_layer_is_reported_in_one_run():
    dead_endpoint = {**DUMMY_AWS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    run = run_playbook("site.yml", "dev", dead_endpoint,
                       extra_vars={"cache_automatic_failover": True, "cache_snapshot_window": "3am"})
    output = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0
    assert "2 problems: (1) cache_num_nodes must be 1-6 (1); cache_automatic_failover needs at least 2 nodes" in output
    assert "(2) cache_*: node type like cache.t3.micro" in output


PRODUCTION_CASES = [
    ({"database_deletion_protection": False}, "is protected (credlink_protected): it requires database_deletion_protection=true"),
    ({"database_final_snapshot": False}, "is protected (credlink_protected): it requires database_deletion_protection=true"),
    ({"schema_test_data": True}, "schema_test_data is not allowed in a protected environment"),
]


@pytest.mark.parametrize(("extra_vars", "message"), PRODUCTION_CASES, ids=[next(iter(c[0])) for c in PRODUCTION_CASES])
def test_production_safety_settings_cannot_be_dropped(extra_vars, message):
    dead_endpoint = {**DUMMY_AWS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    run = run_playbook("site.yml", "production", dead_endpoint, extra_vars=extra_vars)
    output = run.stdout + run.stderr
    assert run.returncode != 0 and message in " ".join(output.split()) and "Traceback" not in output


def test_a_prod_inventory_marked_protected_is_held_to_the_same_settings():
    dead_endpoint = {**DUMMY_AWS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    run = run_playbook("site.yml", "dev", dead_endpoint,
                       extra_vars={"credlink_env": "prod", "credlink_protected": True, "database_final_snapshot": False})
    output = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0 and "environment prod is protected (credlink_protected)" in output


def test_credentials_of_another_account_stop_every_playbook_before_any_change(playbook, clean_emulator):
    for name in ("site.yml", "verify.yml", "teardown.yml"):
        run = playbook(name, "dev", extra_vars={"credlink_expected_account_id": "111122223333",
                                                "confirm_teardown": "dev@123456789012"})
        output = " ".join(run.stdout.split())
        assert run.returncode != 0, name
        assert ("Refusing to touch account 123456789012: the credentials in use (no AWS_PROFILE: environment "
                "variables, SSO cache or instance role, arn:aws:sts::123456789012:user/moto) belong to account "
                "123456789012, but environment 'dev' belongs to account 111122223333") in output, (name, output[-2000:])
    assert clean_emulator.client("ec2").describe_vpcs(
        Filters=[{"Name": "tag:Project", "Values": ["credlink"]}])["Vpcs"] == []


@pytest.mark.parametrize("confirmation", [None, "dev", "dev@111122223333", "production@123456789012"])
def test_teardown_needs_the_environment_and_its_account(playbook, confirmation):
    extra = {} if confirmation is None else {"confirm_teardown": confirmation}
    run = playbook("teardown.yml", "dev", extra_vars=extra)
    assert run.returncode != 0
    assert ("Refusing to delete environment 'dev' of account 123456789012 (us-east-1): confirm with "
            "-e confirm_teardown=dev@123456789012") in " ".join(run.stdout.split())


@pytest.mark.parametrize(("playbook", "left_out"), [("verify.yml", "cache, storage, container_platform"),
                                                    ("check_account.yml", "cache")])
def test_a_playbook_that_reads_layer_inputs_refuses_a_preflight_layers_without_them(playbook, left_out):
    dead_endpoint = {**DUMMY_AWS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    run = run_playbook(playbook, "dev", dead_endpoint, extra_vars={"preflight_layers": ["network", "database"]})
    output = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0
    assert f"preflight_layers leaves out {left_out}: this playbook needs their inputs validated" in output
    assert "Traceback" not in output and "Could not connect" not in output
