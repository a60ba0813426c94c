"""Realism's logic without a server: settings, the clock, the tables and rules, the CLI's refusals.

The behaviours themselves are tested against a real emulator in
tests/integration/test_emulator_realism.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tools.emulator import aws, faults, latency, realism
from tools.emulator.realism import deployments, iam_propagation, parameter_rules, time_passing, versions
from tools.emulator.realism.clock import Context, Delays, Timeline


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


# --- settings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, on", [(None, True), ("", True), ("on", True), ("ON", True), ("off", False),
                                      (" Off ", False)])
def test_realism_is_on_unless_switched_off(text, on):
    assert realism.parse_realism(text) is on


def test_an_unknown_realism_value_is_refused_with_the_setting_named():
    with pytest.raises(ValueError, match="CREDLINK_EMULATOR_REALISM 'maybe': expected on or off"):
        realism.parse_realism("maybe")


@pytest.mark.parametrize("text, default, overrides", [
    (None, 3.0, {}), ("", 3.0, {}), ("2", 2.0, {}), ("0.5", 0.5, {}),
    ("2,enis=10", 2.0, {"enis": 10.0}), ("enis=10, iam=5", 3.0, {"enis": 10.0, "iam": 5.0}),
])
def test_delays_parse(text, default, overrides):
    delays = realism.parse_consistency(text)
    assert delays.default == default and dict(delays.overrides) == overrides
    assert delays.of("enis") == overrides.get("enis", default)


@pytest.mark.parametrize("text", ["0", "-1", "3,enis=0", "2,iam=-4"])
def test_no_delay_may_be_zero_while_realism_is_on(text):
    with pytest.raises(ValueError, match="must be more than 0 while realism is on"):
        realism.parse_consistency(text)
    assert realism.parse_consistency(text, realism=False)  # with realism off it does not matter


@pytest.mark.parametrize("text", ["soon", "nan", "inf", "3,lag=2", "3,enis", "3,enis=x"])
def test_malformed_delays_are_refused(text):
    with pytest.raises(ValueError, match=realism.CONSISTENCY_ENV):
        realism.parse_consistency(text)


def test_options_come_from_the_environment_and_check_the_versions_table(tmp_path):
    options = aws.Options.from_env({})
    assert (options.realism, options.delays.default, options.scale, options.api_latency_ms) == (True, 3.0, 0.0, 0.0)
    assert options.describe() == "realism on, delay 3 s"
    off = aws.Options.from_env({realism.REALISM_ENV: "off", realism.CONSISTENCY_ENV: "0",
                                latency.API_LATENCY_ENV: "60"})
    assert off.describe() == "realism off, API latency 60 ms"
    with pytest.raises(ValueError, match="engine versions table"):
        aws.Options.from_env({versions.VERSIONS_ENV: str(tmp_path / "missing.yml")})


# --- the clock -----------------------------------------------------------------------------------

def test_a_resource_is_young_until_its_behaviours_delay_has_passed():
    clock = FakeClock()
    context = Context(Delays(3.0, (("enis", 10.0),)), now=clock)

    class Resource:
        pass

    role, legacy = Resource(), Resource()
    context.stamp(role)
    assert context.young(role, "iam") and context.ready_at(role, "iam") == 1003.0
    clock.now += 2.9
    assert context.young(role, "iam") and context.young(role, "enis")
    clock.now += 0.1
    assert not context.young(role, "iam") and context.young(role, "enis")
    assert context.age(legacy) == float("inf") and not context.young(legacy, "iam")


def test_the_timeline_runs_what_is_due_in_time_order_including_what_actions_schedule():
    clock = FakeClock()
    timeline = Timeline(clock)
    ran = []
    timeline.after(5, lambda: ran.append("five"))
    timeline.after(1, lambda: (ran.append("one"), timeline.after(0, lambda: ran.append("chained"))))
    timeline.after(3, lambda: ran.append("three"))
    assert timeline.settle() == 0 and ran == []
    clock.now += 3
    assert timeline.settle() == 3 and ran == ["one", "chained", "three"]
    clock.now += 10
    timeline.settle()
    assert ran == ["one", "chained", "three", "five"] and timeline.pending() == 0


def test_a_failing_action_is_logged_and_the_others_still_run(capsys):
    clock = FakeClock()
    timeline = Timeline(clock)
    ran = []
    timeline.after(1, lambda: 1 / 0)
    timeline.after(1, lambda: ran.append("after"))
    clock.now += 1
    assert timeline.settle() == 2 and ran == ["after"]
    assert "a timed change failed" in capsys.readouterr().err


def test_the_latency_schedule_never_goes_below_the_realism_floor():
    schedule = latency.Schedule(0.001, {"nat_gateway": 105, "rds": 660}, floor=3.0)
    assert schedule.delay("nat_gateway") == 3.0
    assert latency.Schedule(0.1, {"rds": 660}, floor=3.0).delay("rds") == 66.0


# --- versions ------------------------------------------------------------------------------------

def test_the_shipped_table_is_dated_and_consistent():
    table = versions.load()
    assert table.as_of == "2026-12-01"
    assert table.default("postgres") == "17.7" and table.default("postgres", "15") == "15.15"
    assert table.newest("postgres", "15.13") == "15.17" and table.family("postgres", "16.9") == "postgres16"
    assert table.cache_version("redis", "7.0") == "7.0.7" and table.cache_version("redis", "7.1") == "7.1.0"


@pytest.mark.parametrize("requested, runs", [(None, "17.7"), ("15", "15.15"), ("16", "16.11"), ("15.13", "15.13")])
def test_create_runs_the_version_aws_picks(requested, runs):
    assert versions.resolve_create("postgres", requested) == runs


@pytest.mark.parametrize("requested", ["15.4", "15.12", "14", "14.20", "15.99"])
def test_create_refuses_versions_aws_does_not_offer(requested):
    from moto.rds.exceptions import RDSClientError

    with pytest.raises(RDSClientError) as refused:
        versions.resolve_create("postgres", requested)
    assert (refused.value.code, refused.value.message) == (
        "InvalidParameterCombination", f"Cannot find version {requested} for postgres")


@pytest.mark.parametrize("current, requested, result", [
    ("15.15", "15.15", None), ("15.17", "15", None), ("15.15", "15.17", "15.17"), ("15.15", "16", "16.11")])
def test_modify_moves_up_or_stays(current, requested, result):
    assert versions.resolve_modify("postgres", current, requested) == result


def test_modify_refuses_to_go_down():
    from moto.rds.exceptions import RDSClientError

    with pytest.raises(RDSClientError, match="Cannot upgrade postgres from 15.17 to 15.15"):
        versions.resolve_modify("postgres", "15.17", "15.15")


def test_versions_sort_as_numbers():
    assert versions.key("15.10") > versions.key("15.9") and versions.key("7.0.10") > versions.key("7.0.7")


def test_a_bad_table_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "versions.yml"
    bad.write_text("as_of: x\nrds:\n  postgres:\n    default_major: '15'\n    majors:\n"
                   "      '15': {family: postgres15, default: '15.1', orderable: ['15.2']}\n")
    with pytest.raises(ValueError, match=f"engine versions table {bad}"):
        versions.load(bad)


# --- rules and models ----------------------------------------------------------------------------

@pytest.mark.parametrize("desired, threshold", [(1, 3), (2, 3), (6, 3), (7, 4), (10, 5), (1000, 200)])
def test_the_circuit_breaker_threshold_is_half_the_desired_count_between_3_and_200(desired, threshold):
    assert deployments.threshold(desired) == threshold


@pytest.mark.parametrize("image, broken", [
    ("app:broken", True), ("registry.example.com:5000/app:1.2-broken", True), ("acct.dkr.ecr/app:v1", False),
    ("registry.example.com:5000/broken-app:1.0", False), ("app", False), ("app@sha256:abc", False)])
def test_only_an_image_tag_containing_broken_breaks_a_deployment(image, broken):
    class TaskDefinition:
        container_definitions = [{"image": image}]

    assert deployments.broken(TaskDefinition()) is broken


@pytest.mark.parametrize("allocated, maximum, after", [(20, 100, 30), (200, 1000, 220), (95, 100, 100),
                                                       (100, 100, 100), (20, None, 20)])
def test_storage_autoscaling_grows_by_10_gib_or_10_percent_up_to_the_maximum(allocated, maximum, after):
    assert time_passing.grown(allocated, maximum) == after


def test_storage_rules():
    from moto.rds.exceptions import RDSClientError

    parameter_rules.check_storage("postgres", "gp3", 400, None, 12000, None)
    parameter_rules.check_storage("mysql", "gp3", 20, None, 3000, None)  # the 400 GiB rule checked is postgres's
    with pytest.raises(RDSClientError, match="less than 400"):
        parameter_rules.check_storage("postgres", "gp3", None, 100, None, 125)
    with pytest.raises(RDSClientError, match="storage type gp3: 25"):
        parameter_rules.check_storage("postgres", "gp3", 25, 30, None, None)
    with pytest.raises(RDSClientError, match="storage type io1: 50"):
        parameter_rules.check_storage("postgres", "io1", 50, None, 1000, None)


def test_performance_insights_retention_values():
    from moto.rds.exceptions import RDSClientError

    for days in (7, 31, 93, 341, 589, 713, 731, None):
        parameter_rules.check_retention(days)
    for days in (1, 30, 94, 744, 730):
        with pytest.raises(RDSClientError):
            parameter_rules.check_retention(days)


@pytest.mark.parametrize("principal, trusted", [
    ({"Service": "vpc-flow-logs.amazonaws.com"}, True), ({"Service": ["ec2.amazonaws.com",
                                                                      "vpc-flow-logs.amazonaws.com"]}, True),
    ({"Service": "ec2.amazonaws.com"}, False), ({"AWS": "arn:aws:iam::123456789012:root"}, False), ("*", False)])
def test_only_a_trust_policy_naming_the_service_lets_it_assume_the_role(principal, trusted):
    class Role:
        assume_role_policy_document = json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})

    assert iam_propagation.trusts(Role(), "vpc-flow-logs.amazonaws.com") is trusted


# --- faults and API latency ----------------------------------------------------------------------

def test_processed_is_a_fault_kind_only_when_named():
    assert "processed" not in faults.FaultPlan.parse("every=2").kinds
    assert faults.FaultPlan.parse("every=2,kinds=processed+throttle").kinds == ("processed", "throttle")


def test_a_processed_fault_lets_the_call_take_effect_then_answers_500():
    calls = []

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"created"]

    injector = faults.FaultInjector(app, faults.FaultPlan.parse("every=1,kinds=processed"))
    statuses = []
    body = injector({"PATH_INFO": "/", "HTTP_AUTHORIZATION":
                     "AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/ec2/aws4_request, SignedHeaders=host"},
                    lambda status, headers: statuses.append(status))
    assert calls == ["/"] and statuses == ["500 Internal Server Error"]
    assert b"<Code>InternalError</Code>" in b"".join(body)


def test_api_latency_delays_only_signed_aws_calls():
    pauses = []
    app = latency.ApiLatency(lambda environ, start_response: [b""], 60, sleep=pauses.append)
    signed = "AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/rds/aws4_request, SignedHeaders=host"
    app({"PATH_INFO": "/", "HTTP_AUTHORIZATION": signed}, None)
    app({"PATH_INFO": "/moto-api/reset"}, None)
    app({"PATH_INFO": "/_credlink/realism", "HTTP_AUTHORIZATION": signed}, None)
    assert pauses == [0.06]


# --- command line ---------------------------------------------------------------------------------

def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith("CREDLINK_EMULATOR")}
    return subprocess.run([sys.executable, "-m", "tools.emulator", *args], cwd=ROOT, capture_output=True,
                          text=True, check=False, env={**full, **env}, timeout=60)


@pytest.mark.parametrize("args, message", [
    (("run", "--consistency-seconds", "0", "--", "true"),
     "--consistency-seconds '0': the delay must be more than 0 while realism is on"),
    (("run", "--consistency-seconds", "3,enis=-1", "--", "true"), "the enis delay must be more than 0"),
    (("serve", "--realism", "sometimes"), "argument --realism: invalid choice: 'sometimes'"),
    (("start", "--api-latency-ms", "-1"), "--api-latency-ms '-1': the latency must be 0 or more milliseconds"),
])
def test_the_cli_refuses_bad_switches(args, message):
    result = _cli(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_zero_delay_from_the_environment_is_refused_without_a_traceback(tmp_path):
    result = _cli("start", "--services", "aws", CREDLINK_EMULATOR_DIR=str(tmp_path),
                  CREDLINK_EMULATOR_CONSISTENCY_SECONDS="0")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "emulator: error: CREDLINK_EMULATOR_CONSISTENCY_SECONDS '0': the delay must be more than 0" in result.stderr


def test_advance_without_a_running_emulator_says_so(tmp_path):
    from tools.emulator.process import free_port

    result = _cli("advance", CREDLINK_EMULATOR_PORT=str(free_port()))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no emulator answers at http://127.0.0.1:" in result.stderr and "(start it first)" in result.stderr
