"""The production stack the integration tests build: its inventory, domain and helpers.

Production serves HTTPS: the stack gets a domain in a hosted zone the tests create first,
as the user would own it.
"""

from __future__ import annotations

import json
import time

from tests.conftest import run_playbook
from tests.integration.platform_inspect import push

ENV = "production"
SKIP_SCHEMA = ("--skip-tags", "schema")
ZONE, DOMAIN = "example.com", "credlink.example.com"
HTTPS = {"container_platform_domain": DOMAIN, "container_platform_hosted_zone": ZONE}


def run_production(playbook: str, emulator, *args, extra_vars: dict | None = None, **kwargs):
    """Every run of this stack names its domain, as the production inventory would."""
    return run_playbook(playbook, ENV, emulator.env, *args, extra_vars={**HTTPS, **(extra_vars or {})}, **kwargs)


def build_stack(emulator):
    """A new production stack on ``emulator`` (reset first), its image pushed and its app logging."""
    emulator.reset()
    emulator.client("route53").create_hosted_zone(Name=ZONE, CallerReference="credlink-production-test")
    run = run_production("site.yml", emulator, *SKIP_SCHEMA)
    # A new production stack runs no image of its repository yet: its checklist fails
    # app.image alone, saying what to do. Then the image is pushed and the app logs.
    assert run.returncode != 0, run.stdout[-4000:]
    assert "1 checklist item(s) failed: app.image" in run.stdout, run.stdout[-4000:]
    assert "push the image, then run playbooks/deploy_image.yml" in run.stdout
    push_image(emulator, "latest")
    app_logs(emulator)
    return emulator


def zone_records(emulator) -> list[dict]:
    route53 = emulator.client("route53")
    [zone] = [z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == ZONE + "."]
    return route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]


def push_image(emulator, tag: str) -> None:
    push(emulator, ENV, tag)


def app_logs(emulator, message: str = "listening on 3001") -> None:
    """What the running app leaves in its log group: the emulator runs no container, so nothing else logs."""
    logs, group = emulator.client("logs"), f"/ecs/credlink-{ENV}"
    stream = "app/app/emulated-task"
    if not logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)["logStreams"]:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": message}])


def secret_document(emulator) -> dict:
    raw = emulator.client("secretsmanager").get_secret_value(SecretId=f"credlink-{ENV}-db-credentials")
    return json.loads(raw["SecretString"])
