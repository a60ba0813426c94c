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
    C(status) C(pass), C(fail) or C(skip), what was C(expected) and C(observed), and the
    C(reason) of a skip.
  - Expectations follow the environment's sizing given in O(expected) (single-AZ dev,
    Multi-AZ production, node and task counts, retention days).
  - Live items run for real when their endpoint is reachable from this host - a
    PostgreSQL login with the secret's credentials over TLS and the schema tables, Redis
    PING/SET/GET, an S3 object round trip, an HTTP request to the ALB - and are skipped
    with the reason otherwise.
  - Never returns a secret value.
author:
  - CredLink platform team (@credlink)
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
  - Supports C(check_mode); it never changes anything. The S3 round trip writes and removes
    one object (and its versions) and is skipped in check mode.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
requirements:
  - psycopg2 for the PostgreSQL items (skipped without it)
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
  sample: {"pass": 40, "fail": 0, "skip": 3}
outputs:
  description:
    - The stack's outputs (VPC id, RDS and Redis endpoints, bucket, repository URL, ALB DNS
      name, ECS cluster and service), each as C(value) and C(sensitive) (true for endpoints).
  returned: always
  type: dict
  sample: {"vpc_id": {"value": "vpc-0abc", "sensitive": false}, "rds_endpoint": {"value": "credlink-production-db.x.rds.amazonaws.com", "sensitive": true}}
topology:
  description:
    - The stack as found - zones, subnets per tier, NAT gateways, ALB, ECS service, RDS
      primary and standby, Redis nodes, bucket, secret, repository - each node with the
      status of its checklist items (C(pass), C(fail), C(skip), C(none)) and C(present);
      plus C(edges) between them. No endpoints. M(credlink.infra.stack_report) draws it.
  returned: always
  type: dict
  sample: {"title": "credlink-production", "region": "us-east-1", "zones": ["us-east-1a", "us-east-1b"],
           "vpc": {"label": "credlink-production-vpc", "detail": "vpc-0abc  10.0.0.0/16", "status": "pass", "present": true},
           "nodes": [{"id": "rds-primary", "kind": "rds_primary", "label": "credlink-production-db",
                      "detail": "RDS PostgreSQL primary, available", "status": "pass", "tier": "database",
                      "zone": "us-east-1a", "present": true}],
           "edges": [{"from": "ecs", "to": "rds-primary", "style": "solid"}],
           "summary": {"pass": 49, "fail": 0, "skip": 4}}
"""

import json
import socket
import ssl
import uuid

# Its ConnectionError (proxy, TLS) is not the builtin one, an OSError.
from ansible.module_utils.urls import ConnectionError as RequestError
from ansible.module_utils.urls import open_url

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils import checklist
from ansible_collections.credlink.infra.plugins.module_utils import topology
from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY

try:
    import psycopg2
except ImportError:
    psycopg2 = None


SENSITIVE_OUTPUTS = ("rds_endpoint", "redis_endpoint")


def tag_filter(name):
    return [{"Name": "tag:Name", "Values": [name]}]


class Collector:
    """Reads the account into a snapshot; every call is read-only except the S3 probe."""

    def __init__(self, module):
        self.module = module
        self.env = module.params["environment"]
        self.prefix = f"credlink-{self.env}"
        self.clients = {}

    def client(self, name):
        if name not in self.clients:
            self.clients[name] = self.module.client(name, retry_decorator=RETRY)
        return self.clients[name]

    def call(self, service, method, missing_codes=(), **kwargs):
        try:
            return getattr(self.client(service), method)(aws_retry=True, **kwargs)
        except is_boto3_error_code(list(missing_codes) or ["__none__"]):
            return None
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"Couldn't call {service}.{method} while verifying {self.prefix}")

    # network

    def network(self, snap):
        vpcs = self.call("ec2", "describe_vpcs", Filters=tag_filter(f"{self.prefix}-vpc"))["Vpcs"]
        if not vpcs:
            snap.update(vpc=None, subnets=None, nat_gateways=None, world_open_groups=None)
            return
        vpc = vpcs[0]
        in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        subnets = {"public": [], "private": [], "database": []}
        for subnet in self.call("ec2", "describe_subnets", Filters=in_vpc)["Subnets"]:
            tier = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}.get("Tier")
            if tier in subnets:
                subnets[tier].append({"id": subnet["SubnetId"], "cidr": subnet["CidrBlock"], "az": subnet["AvailabilityZone"]})
        nats = self.call("ec2", "describe_nat_gateways", Filter=in_vpc)["NatGateways"]
        zone_of = {s["id"]: s["az"] for tier in subnets.values() for s in tier}
        groups = self.call("ec2", "describe_security_groups", Filters=in_vpc)["SecurityGroups"]
        snap.update(
            vpc={"id": vpc["VpcId"], "cidr": vpc["CidrBlock"]},
            subnets=subnets,
            nat_gateways=[{"az": zone_of.get(n["SubnetId"], "?"), "state": n["State"]} for n in nats if n["State"] != "deleted"],
            world_open_groups=[g["GroupName"] for g in groups if any(
                r.get("CidrIp") == "0.0.0.0/0" for p in g.get("IpPermissions", []) for r in p.get("IpRanges", []))],
        )
        self.groups = {g["GroupId"]: g for g in groups}

    def ingress(self, group_ids):
        rules = []
        for group_id in group_ids:
            group = getattr(self, "groups", {}).get(group_id)
            for permission in (group or {}).get("IpPermissions", []):
                rules.append({
                    "protocol": permission.get("IpProtocol"),
                    "from_port": permission.get("FromPort", 0), "to_port": permission.get("ToPort", 65535),
                    "sources": [r["CidrIp"] for r in permission.get("IpRanges", [])]
                    + [p["GroupId"] for p in permission.get("UserIdGroupPairs", [])],
                })
        return rules

    # data layer

    def database(self, snap):
        found = self.call("rds", "describe_db_instances", missing_codes=["DBInstanceNotFound"],
                          DBInstanceIdentifier=f"{self.prefix}-db")
        if not found:
            snap["db"] = None
            return
        db = found["DBInstances"][0]
        endpoint = db.get("Endpoint") or {}
        snap["db"] = {
            "status": db["DBInstanceStatus"], "multi_az": db["MultiAZ"], "encrypted": db["StorageEncrypted"],
            "backup_retention_days": db["BackupRetentionPeriod"], "deletion_protection": db.get("DeletionProtection", False),
            "publicly_accessible": db.get("PubliclyAccessible", False),
            "log_exports": db.get("EnabledCloudwatchLogsExports", []),
            "subnet_ids": [s["SubnetIdentifier"] for s in db.get("DBSubnetGroup", {}).get("Subnets", [])],
            "ingress": self.ingress([g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])]),
            "az": db.get("AvailabilityZone"), "secondary_az": db.get("SecondaryAvailabilityZone"),
            "endpoint": endpoint.get("Address"), "port": endpoint.get("Port"),
        }

    def cache(self, snap):
        found = self.call("elasticache", "describe_replication_groups", missing_codes=["ReplicationGroupNotFoundFault"],
                          ReplicationGroupId=f"{self.prefix}-redis")
        if not found:
            snap["redis"] = None
            return
        group = found["ReplicationGroups"][0]
        primary = (group.get("NodeGroups") or [{}])[0].get("PrimaryEndpoint") or {}
        subnet_group = self.call("elasticache", "describe_cache_subnet_groups", missing_codes=["CacheSubnetGroupNotFoundFault"],
                                 CacheSubnetGroupName=f"{self.prefix}-redis")
        members = group.get("MemberClusters", [])
        # Where each node runs and which is primary, for the topology picture.
        nodes = [{"id": m.get("CacheClusterId"), "zone": m.get("PreferredAvailabilityZone"), "role": m.get("CurrentRole")}
                 for m in (group.get("NodeGroups") or [{}])[0].get("NodeGroupMembers", [])]
        clusters = self.call("elasticache", "describe_cache_clusters", missing_codes=["CacheClusterNotFound"],
                             CacheClusterId=members[0]) if members else None
        member_groups = [g["SecurityGroupId"] for c in (clusters or {}).get("CacheClusters", [])
                         for g in c.get("SecurityGroups", [])]
        snap["redis"] = {
            "status": group["Status"], "members": members, "nodes": nodes, "multi_az": group.get("MultiAZ") == "enabled",
            "failover": group.get("AutomaticFailover", "disabled"),
            "snapshot_retention_days": group.get("SnapshotRetentionLimit", 0),
            "at_rest_encryption": group.get("AtRestEncryptionEnabled", False),
            "transit_encryption": group.get("TransitEncryptionEnabled", False),
            "subnet_ids": [s["SubnetIdentifier"] for s in
                           ((subnet_group or {}).get("CacheSubnetGroups") or [{}])[0].get("Subnets", [])],
            # Emulators may not register member clusters: then the groups cannot be read back.
            "ingress": self.ingress(member_groups) if member_groups else None,
            "endpoint": primary.get("Address"), "port": primary.get("Port"),
        }
        # The checklist expects Multi-AZ as a bool; failover stays AWS's enabled/disabled word.
        snap["redis"]["failover"] = "enabled" if snap["redis"]["failover"] in ("enabled", "enabling") else "disabled"

    def bucket(self, snap, account_id):
        name = f"{self.prefix}-proofs-{account_id}"
        if self.call("s3", "head_bucket", missing_codes=["404", "NoSuchBucket"], Bucket=name) is None:
            snap["bucket"] = None
            return
        encryption = self.call("s3", "get_bucket_encryption", missing_codes=["ServerSideEncryptionConfigurationNotFoundError"],
                               Bucket=name)
        rules = ((encryption or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules", [{}])
        block = self.call("s3", "get_public_access_block", missing_codes=["NoSuchPublicAccessBlockConfiguration"], Bucket=name)
        lifecycle = self.call("s3", "get_bucket_lifecycle_configuration", missing_codes=["NoSuchLifecycleConfiguration"],
                              Bucket=name)
        cors = self.call("s3", "get_bucket_cors", missing_codes=["NoSuchCORSConfiguration"], Bucket=name)
        policy = self.call("s3", "get_bucket_policy", missing_codes=["NoSuchBucketPolicy"], Bucket=name)
        statements = json.loads(policy["Policy"]).get("Statement", []) if policy else []
        snap["bucket"] = {
            "name": name,
            "versioning": self.call("s3", "get_bucket_versioning", Bucket=name).get("Status", "Disabled"),
            "encryption": rules[0].get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm"),
            "public_access_blocked": bool(block) and all(block["PublicAccessBlockConfiguration"].values())
            and len(block["PublicAccessBlockConfiguration"]) == 4,
            "lifecycle_rules": sum(1 for r in (lifecycle or {}).get("Rules", []) if r.get("Status") == "Enabled"),
            "cors_rules": len((cors or {}).get("CORSRules", [])),
            "tls_only": any(s.get("Effect") == "Deny" and "false" in json.dumps(
                s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport", "")) for s in statements),
        }

    def secret(self, snap):
        name = f"{self.prefix}-db-credentials"
        meta = self.call("secretsmanager", "describe_secret", missing_codes=["ResourceNotFoundException"], SecretId=name)
        if not meta or meta.get("DeletedDate"):
            snap["secret"] = None
            return
        current = [v for v, stages in (meta.get("VersionIdsToStages") or {}).items() if "AWSCURRENT" in stages]
        document, error = {}, ""
        try:
            value = self.client("secretsmanager").get_secret_value(aws_retry=True, SecretId=name)
            document = json.loads(value.get("SecretString") or "{}")
        except AWS_ERRORS as e:
            error = type(e).__name__
        except ValueError:
            error = "not a JSON document"
        self.credentials = document
        snap["secret"] = {
            "arn": meta["ARN"], "current_version": bool(current), "keys": sorted(document),
            "retrievable": bool(document) and not error, "error": error,
            "policy_resources": self.read_policy_resources(),
        }

    def read_policy_resources(self):
        policies = self.call("iam", "list_policies", Scope="Local")["Policies"]
        policy = next((p for p in policies if p["PolicyName"] == f"{self.prefix}-db-credentials-read"), None)
        if policy is None:
            return None
        version = self.call("iam", "get_policy_version", PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        document = version["PolicyVersion"]["Document"]
        document = json.loads(document) if isinstance(document, str) else document
        resources = []
        for statement in document.get("Statement", []):
            resource = statement.get("Resource", [])
            resources += resource if isinstance(resource, list) else [resource]
        return sorted(set(resources))

    # application

    def application(self, snap):
        repos = self.call("ecr", "describe_repositories", missing_codes=["RepositoryNotFoundException"],
                          repositoryNames=[f"{self.prefix}-sign-service"])
        if repos:
            repo = repos["repositories"][0]
            images = self.call("ecr", "list_images", repositoryName=repo["repositoryName"])["imageIds"]
            snap["ecr"] = {"uri": repo["repositoryUri"], "tags": sorted(i["imageTag"] for i in images if i.get("imageTag"))}
        else:
            snap["ecr"] = None

        services = self.call("ecs", "describe_services", missing_codes=["ClusterNotFoundException"],
                             cluster=f"{self.prefix}-cluster", services=[f"{self.prefix}-service"])
        service = next((s for s in (services or {}).get("services", []) if s.get("status") == "ACTIVE"), None)
        if service is None:
            snap["ecs"] = None
        else:
            task = self.call("ecs", "describe_task_definition", taskDefinition=service["taskDefinition"])["taskDefinition"]
            container = (task.get("containerDefinitions") or [{}])[0]
            network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
            snap["ecs"] = {
                "cluster": f"{self.prefix}-cluster", "service": service["serviceName"],
                "desired": service["desiredCount"], "running": service["runningCount"],
                "subnet_ids": network.get("subnets", []), "public_ip": network.get("assignPublicIp") == "ENABLED",
                "image_tag": container.get("image", "").rsplit(":", 1)[-1] if ":" in container.get("image", "") else "latest",
                "environment": sorted(e["name"] for e in container.get("environment", [])),
                "secrets": {s["name"]: s["valueFrom"] for s in container.get("secrets", [])},
                "log_group": (container.get("logConfiguration") or {}).get("options", {}).get("awslogs-group"),
            }

        lbs = self.call("elbv2", "describe_load_balancers", missing_codes=["LoadBalancerNotFound"], Names=[f"{self.prefix}-alb"])
        if lbs:
            lb = lbs["LoadBalancers"][0]
            groups = self.call("elbv2", "describe_target_groups", missing_codes=["TargetGroupNotFound"],
                               Names=[f"{self.prefix}-tg"])
            health = []
            if groups:
                health = self.call("elbv2", "describe_target_health",
                                   TargetGroupArn=groups["TargetGroups"][0]["TargetGroupArn"])["TargetHealthDescriptions"]
            snap["alb"] = {
                "dns": lb["DNSName"], "subnet_ids": [z["SubnetId"] for z in lb.get("AvailabilityZones", [])],
                "zones": [z["ZoneName"] for z in lb.get("AvailabilityZones", [])],
                "target_states": [t["TargetHealth"]["State"] for t in health],
            }
        else:
            snap["alb"] = None

        groups = self.call("logs", "describe_log_groups", logGroupNamePrefix=f"/ecs/{self.prefix}")["logGroups"]
        group = next((g for g in groups if g["logGroupName"] == f"/ecs/{self.prefix}"), None)
        snap["log_group"] = None if group is None else {
            "retention_days": group.get("retentionInDays"),
            "configured": bool(snap.get("ecs")) and snap["ecs"]["log_group"] == f"/ecs/{self.prefix}",
        }

    def outputs(self, snap):
        ecs = snap.get("ecs") or {}
        values = {
            "vpc_id": (snap.get("vpc") or {}).get("id"),
            "rds_endpoint": (snap.get("db") or {}).get("endpoint"),
            "redis_endpoint": (snap.get("redis") or {}).get("endpoint"),
            "s3_bucket": (snap.get("bucket") or {}).get("name"),
            "ecr_repository_url": (snap.get("ecr") or {}).get("uri"),
            "alb_dns_name": (snap.get("alb") or {}).get("dns"),
            "ecs_cluster": ecs.get("cluster"),
            "ecs_service": f"{ecs['cluster']}/{ecs['service']}" if ecs else None,
        }
        snap["outputs"] = {key: {"value": value, "sensitive": key in SENSITIVE_OUTPUTS} for key, value in values.items()}


# Live probes: each returns {"status", "observed", "reason"}.

def skip(reason):
    return {"status": checklist.SKIP, "observed": None, "reason": reason}


def outcome(ok, observed, reason=""):
    return {"status": checklist.PASS if ok else checklist.FAIL, "observed": observed, "reason": reason}


def unreachable(what, host, port, timeout):
    """Why host:port cannot be reached from here, or '' when it can.

    The reason names ``what``, never the host: endpoints are sensitive outputs.
    """
    try:
        socket.getaddrinfo(host, port)
    except OSError:
        return f"the {what} does not resolve from this host (private DNS: run inside the VPC or through a tunnel)"
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        return f"the {what} is not reachable from this host ({e.strerror or e})"
    return ""


def endpoint_of(override, host, port, default_port):
    """The override's host and port where given, else the AWS endpoint's."""
    return (override["host"] if override.get("host") else host,
            int(override["port"] if "port" in override else (port or default_port)))


def probe_database(snap, credentials, endpoint, timeout):
    db = snap.get("db")
    if db is None:
        return skip("no database"), skip("no database")
    if not credentials.get("password"):
        return skip("the credentials secret could not be read"), skip("not connected")
    host, port = endpoint_of(endpoint, db["endpoint"], db["port"], 5432)
    if not host:
        return skip("the database has no endpoint yet"), skip("not connected")
    why = unreachable("database endpoint" + (" given in verify_database_endpoint" if endpoint else ""), host, port, timeout)
    if why:
        return skip(why), skip("not connected: " + why)
    if psycopg2 is None:
        return skip("psycopg2 is not installed on this host"), skip("not connected")
    try:
        connection = psycopg2.connect(host=host, port=port, user=credentials.get("username"),
                                      password=credentials["password"], dbname=credentials.get("dbname", "credlink"),
                                      sslmode="require", connect_timeout=timeout)
    except psycopg2.Error as e:
        message = str(e).replace(credentials["password"], "********").strip().splitlines()[0]
        return outcome(False, f"login failed: {message.replace(host, '<endpoint>')}"), skip("not connected")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            row = cursor.fetchone()
            uses_ssl = bool(row and row[0])
            cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            tables = sorted(r[0] for r in cursor.fetchall())
    finally:
        connection.close()
    missing = [t for t in checklist.SCHEMA_TABLES if t not in tables]
    return (outcome(uses_ssl, f"connected, SSL {'in use' if uses_ssl else 'NOT in use'}"),
            outcome(not missing, sorted(set(checklist.SCHEMA_TABLES) & set(tables)) if not missing else {"missing": missing}))


def resp(*words):
    return b"".join([f"*{len(words)}\r\n".encode()] + [f"${len(w.encode())}\r\n{w}\r\n".encode() for w in words])


def read_reply(stream):
    line = stream.readline().rstrip(b"\r\n").decode()
    if line.startswith("$"):
        length = int(line[1:])
        return None if length < 0 else stream.read(length + 2)[:-2].decode()
    return line


def probe_redis(snap, endpoint, timeout):
    redis = snap.get("redis")
    if redis is None:
        return skip("no replication group")
    host, port = endpoint_of(endpoint, redis["endpoint"], redis["port"], 6379)
    if not host:
        return skip("the replication group has no primary endpoint yet")
    why = unreachable("Redis endpoint" + (" given in verify_redis_endpoint" if endpoint else ""), host, port, timeout)
    if why:
        return skip(why)
    key, value = f"credlink-verify:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
        conn = ssl.create_default_context().wrap_socket(raw, server_hostname=host) if redis["transit_encryption"] else raw
        with conn:
            stream = conn.makefile("rwb")
            replies = []
            for command in (("PING",), ("SET", key, value, "EX", "60"), ("GET", key), ("DEL", key)):
                stream.write(resp(*command))
                stream.flush()
                replies.append(read_reply(stream))
    except (OSError, ValueError) as e:
        return outcome(False, f"connection failed: {type(e).__name__}")
    ok = replies[0] == "+PONG" and replies[1] == "+OK" and replies[2] == value
    return outcome(ok, "PONG, value read back" if ok else f"unexpected replies {replies[:2]}")


def probe_s3(module, collector, snap):
    bucket = snap.get("bucket")
    if bucket is None:
        return skip("no bucket")
    if module.check_mode:
        return skip("check mode: the round trip would write an object")
    client = collector.client("s3")
    key, body = f"credlink-verify/{uuid.uuid4().hex}", uuid.uuid4().hex.encode()
    try:
        put = client.put_object(Bucket=bucket["name"], Key=key, Body=body)
        read = client.get_object(Bucket=bucket["name"], Key=key)["Body"].read()
        # Versioned bucket: remove the version itself, not only hide it behind a delete marker.
        if put.get("VersionId"):
            client.delete_object(Bucket=bucket["name"], Key=key, VersionId=put["VersionId"])
        else:
            client.delete_object(Bucket=bucket["name"], Key=key)
    except AWS_ERRORS as e:
        return outcome(False, f"{type(e).__name__}: {getattr(e, 'response', {}).get('Error', {}).get('Code', e)}")
    return outcome(read == body, "written, read back and removed" if read == body else "read back different bytes")


def probe_http(snap, timeout):
    alb = snap.get("alb")
    if alb is None:
        return skip("no load balancer")
    why = unreachable("load balancer's DNS name", alb["dns"], 80, timeout)
    if why:
        return skip(why)
    try:
        with open_url(f"http://{alb['dns']}/health", timeout=timeout) as answer:
            return outcome(answer.status == 200, f"HTTP {answer.status}")
    except (OSError, RequestError) as e:
        return outcome(False, f"no answer: {e}")


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
            )),
            database_endpoint=dict(type="dict", default={}),
            redis_endpoint=dict(type="dict", default={}),
            live_checks=dict(type="bool", default=True),
            connect_timeout=dict(type="int", default=5),
            only=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    collector = Collector(module)
    collector.credentials = {}
    account_id = collector.call("sts", "get_caller_identity")["Account"]
    snap = {}
    collector.network(snap)
    collector.database(snap)
    collector.cache(snap)
    collector.bucket(snap, account_id)
    collector.secret(snap)
    collector.application(snap)
    collector.outputs(snap)

    if p["live_checks"]:
        database, schema = probe_database(snap, collector.credentials, p["database_endpoint"], p["connect_timeout"])
        snap["probes"] = {"database": database, "schema": schema,
                          "redis": probe_redis(snap, p["redis_endpoint"], p["connect_timeout"]),
                          "s3": probe_s3(module, collector, snap), "http": probe_http(snap, p["connect_timeout"])}
    else:
        snap["probes"] = {name: skip("live checks turned off") for name in ("database", "schema", "redis", "s3", "http")}
    collector.credentials = {}

    expected = {**p["expected"], "alb_security_group": f"credlink-{p['environment']}-alb"}
    items = checklist.evaluate(snap, expected, p["only"])
    module.exit_json(changed=False, items=items, summary=checklist.summarize(items), outputs=snap["outputs"],
                     topology=topology.build(snap, items, p["environment"], module.region))


if __name__ == "__main__":
    main()
