#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: deployment_checklist
short_description: Run the deployment verification checklist of a CredLink environment
version_added: 0.1.0
description:
  - Inspects the account read-only and returns one item per line of the deployment
    checklists (outputs, network, database, cache, storage, secrets, application,
    security, high availability), each with a stable C(id), its C(layer), a C(title), the
    C(status) C(pass), C(fail), C(skip) or C(waived), what was C(expected) and
    C(observed), and the C(reason) of a skip, a waiver or a failure below the baseline.
  - Expectations come from two places. The environment's sizing given in O(expected), as
    the inventory built the stack (single-AZ dev, Multi-AZ production, node and task
    counts, retention days, the bucket's lifecycle and CORS origins). And the seeds'
    baseline of the environment given in O(baseline) (the collection's
    C(data/baseline.yml)) - a stack weaker than the baseline fails even when its inventory
    asks for it, or is C(waived) when O(allow_below_baseline) let the inventory go below it.
  - Live items run for real when their endpoint is reachable from this host - a
    PostgreSQL login with the secret's credentials over TLS, the schema tables and the
    query statistics, Redis PING/SET/GET (over TLS when the group has transit encryption),
    an S3 object round trip, an HTTP request to the ALB URL - and are skipped with the
    reason otherwise.
  - Never returns a secret value; the credentials it reads are no_log values from the
    moment they are read.
options:
  environment:
    description: Environment name (C(credlink_env)); resources are named C(credlink-<environment>-*).
    type: str
    required: true
  expected:
    description: The environment's sizing, as the inventory sets it.
    type: dict
    required: true
    suboptions:
      rds_multi_az:
        description: Whether RDS is Multi-AZ.
        type: bool
        required: true
      rds_backup_retention_days:
        description: Days of automated backups.
        type: int
        required: true
      rds_deletion_protection:
        description: Whether deletion protection is on.
        type: bool
        required: true
      redis_nodes:
        description: Nodes of the replication group, primary included.
        type: int
        required: true
      redis_multi_az:
        description: Whether the replication group is Multi-AZ.
        type: bool
        required: true
      redis_failover:
        description: Whether automatic failover is enabled.
        type: bool
        required: true
      redis_snapshot_retention_days:
        description: Days of Redis snapshots.
        type: int
        required: true
      nat_gateways:
        description: NAT gateways (zones with one).
        type: int
        required: true
      ecs_min_tasks:
        description: Fewest tasks the service may run.
        type: int
        required: true
      log_retention_days:
        description: Retention of the service's log group.
        type: int
        required: true
      s3_glacier_transition_days:
        description: Days before proofs move to Glacier. Not given, the baseline alone judges the days.
        type: int
      s3_expiration_days:
        description: Days before proofs expire. Not given, any expiration passes the inventory comparison.
        type: int
      s3_noncurrent_expiration_days:
        description: Days before non-current versions expire.
        type: int
      cors_origins:
        description: Origins the bucket's CORS rules allow (empty - no rules). Not given, any CORS rule passes.
        type: list
        elements: str
  baseline:
    description:
      - The seeds' baseline document (C(settings), C(environments),
        C(unlisted_environments)), as in the collection's C(data/baseline.yml). The module
        holds the stack to the baseline of O(baseline_environment) (by default
        O(environment)), or of the environment the document names for unlisted ones.
      - Empty, the stack is judged against O(expected) only.
    type: dict
    default: {}
  baseline_environment:
    description:
      - Whose baseline applies. The playbooks give C(production) for a protected
        environment (C(credlink_protected)), whatever it is called, and its own name otherwise.
    type: str
  allow_below_baseline:
    description:
      - The inventory was deliberately allowed below the baseline
        (C(credlink_allow_below_baseline)). Items whose inventory value is below the baseline
        are then C(waived) instead of failed; a stack weaker than its own inventory still fails.
    type: bool
    default: false
  log_events_window:
    description:
      - Minutes in which the service's log group must have received an event, where tasks
        run (item C(app.logs_streaming)).
    type: int
    default: 60
  database_endpoint:
    description:
      - Host and port to reach PostgreSQL at, when not the RDS endpoint (a tunnel, or the
        local stand-in of the emulator). Keys C(host) and C(port).
    type: dict
    default: {}
  redis_endpoint:
    description: Host and port to reach Redis at, when not the primary endpoint. Keys C(host) and C(port).
    type: dict
    default: {}
  live_checks:
    description: Run the live items; when false they are skipped.
    type: bool
    default: true
  connect_timeout:
    description: Seconds to wait for each live connection.
    type: int
    default: 5
  only:
    description: Restrict the checklist to these item ids or layers.
    type: list
    elements: str
    default: []
notes:
  - Recent log events are searched with FilterLogEvents from the start of the window,
    because a stream's C(lastEventTimestamp) is updated eventually, typically within an
    hour; empty pages with a next token are followed.
attributes:
  check_mode:
    details: The S3 round trip, which writes and removes one object and its versions, is skipped.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
requirements:
  - psycopg2 for the PostgreSQL items (skipped without it)
  - redis (the redis-py library) for the Redis item (skipped without it)
"""

EXAMPLES = r"""
- name: Verify the production stack
  credlink.infra.deployment_checklist:
    environment: production
    expected:
      rds_multi_az: true
      rds_backup_retention_days: 30
      rds_deletion_protection: true
      redis_nodes: 2
      redis_multi_az: true
      redis_failover: true
      redis_snapshot_retention_days: 5
      nat_gateways: 2
      ecs_min_tasks: 2
      log_retention_days: 30
      s3_glacier_transition_days: 90
      s3_expiration_days: 365
      s3_noncurrent_expiration_days: 30
      cors_origins: [https://app.credlink.example]
    baseline: "{{ lookup('ansible.builtin.file', 'data/baseline.yml') | from_yaml }}"
  register: checklist

- name: Fail on any failed item
  ansible.builtin.assert:
    that: checklist.summary.fail == 0
"""

RETURN = r"""
items:
  description: One entry per checklist line, in checklist order.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "rds.multi_az", "layer": "database", "title": "Multi-AZ as sized for the environment",
            "status": "pass", "expected": true, "observed": true, "reason": ""}]
summary:
  description: Number of items per status.
  returned: always
  type: dict
  sample: {"pass": 58, "fail": 0, "skip": 4, "waived": 1}
outputs:
  description:
    - The stack's outputs, each as C(value) and C(sensitive) (true for endpoints) - C(vpc_id),
      C(rds_endpoint), C(database_url) (the secret's connection URL without the password),
      C(redis_endpoint), C(redis_tls) (C(on) or C(off), the group's transit encryption),
      C(s3_bucket), C(ecr_repository_url), C(alb_dns_name), C(alb_url) (https with the
      certificate's name when the ALB has an HTTPS listener), C(target_group_arn),
      C(ecs_cluster) and C(ecs_service).
  returned: always
  type: dict
  sample: {"vpc_id": {"value": "vpc-0abc", "sensitive": false},
           "database_url": {"value": "postgresql://credlink_admin@credlink-production-db.x.rds.amazonaws.com:5432/credlink?sslmode=require",
                            "sensitive": true},
           "alb_url": {"value": "https://credlink.example.com", "sensitive": false}}
topology:
  description:
    - The stack as found - zones, subnets per tier, NAT gateways, ALB, ECS service, RDS
      primary and standby, Redis nodes, bucket, secret, repository - each node with the
      status of its checklist items (C(pass), C(fail), C(waived), C(skip), C(none)) and C(present);
      plus C(edges) between them. No endpoints. M(credlink.infra.stack_report) draws it.
  returned: always
  type: dict
  sample: {"title": "credlink-production", "region": "us-east-1", "zones": ["us-east-1a", "us-east-1b"],
           "vpc": {"label": "credlink-production-vpc", "detail": "vpc-0abc  10.0.0.0/16", "status": "pass", "present": true},
           "nodes": [{"id": "rds-primary", "kind": "rds_primary", "label": "credlink-production-db",
                      "detail": "RDS PostgreSQL primary, available", "status": "pass", "tier": "database",
                      "zone": "us-east-1a", "present": true}],
           "edges": [{"from": "ecs", "to": "rds-primary", "style": "solid"}],
           "summary": {"pass": 58, "fail": 0, "skip": 4, "waived": 1}}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils import baseline
from ansible_collections.credlink.infra.plugins.module_utils import checklist
from ansible_collections.credlink.infra.plugins.module_utils import naming
from ansible_collections.credlink.infra.plugins.module_utils import probes
from ansible_collections.credlink.infra.plugins.module_utils import topology
from ansible_collections.credlink.infra.plugins.module_utils.stack_snapshot import StackSnapshot


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            environment=dict(type="str", required=True),
            expected=dict(type="dict", required=True, options=dict(
                rds_multi_az=dict(type="bool", required=True),
                rds_backup_retention_days=dict(type="int", required=True),
                rds_deletion_protection=dict(type="bool", required=True),
                redis_nodes=dict(type="int", required=True),
                redis_multi_az=dict(type="bool", required=True),
                redis_failover=dict(type="bool", required=True),
                redis_snapshot_retention_days=dict(type="int", required=True),
                nat_gateways=dict(type="int", required=True),
                ecs_min_tasks=dict(type="int", required=True),
                log_retention_days=dict(type="int", required=True),
                s3_glacier_transition_days=dict(type="int"),
                s3_expiration_days=dict(type="int"),
                s3_noncurrent_expiration_days=dict(type="int"),
                cors_origins=dict(type="list", elements="str"),
            )),
            baseline=dict(type="dict", default={}),
            baseline_environment=dict(type="str"),
            allow_below_baseline=dict(type="bool", default=False),
            log_events_window=dict(type="int", default=60),
            database_endpoint=dict(type="dict", default={}),
            redis_endpoint=dict(type="dict", default={}),
            live_checks=dict(type="bool", default=True),
            connect_timeout=dict(type="int", default=5),
            only=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    problems = baseline.problems(p["baseline"]) if p["baseline"] else []
    if problems:
        module.fail_json(msg=f"baseline is not a baseline document like data/baseline.yml: {'; '.join(problems)}")
    if p["log_events_window"] < 1:
        module.fail_json(msg="log_events_window is a number of minutes, at least 1")
    snapshot = StackSnapshot(module)
    snap = snapshot.collect()
    snap["probes"] = probes.run_all(module, snapshot, snap)
    snapshot.credentials = {}

    expected = {**p["expected"], "alb_security_group": naming.names(p["environment"])["alb_security_group"],
                "baseline": baseline.for_environment(p["baseline"], p["baseline_environment"] or p["environment"])
                if p["baseline"] else None,
                "allow_below_baseline": p["allow_below_baseline"]}
    items = checklist.evaluate(snap, expected, p["only"])
    module.exit_json(changed=False, items=items, summary=checklist.summarize(items), outputs=snap["outputs"],
                     topology=topology.build(snap, items, p["environment"], module.region))


if __name__ == "__main__":
    main()
