# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack of an environment as the checklist sees it: one read-only pass over the account.

``StackSnapshot(module).collect()`` returns a plain dict, one key per layer (``None`` when
the layer does not exist), which ``checklist.evaluate`` judges and ``topology.build``
draws. The network comes from the same lookups as ``stack_network_info`` and the secret
from the credentials helpers. Nothing here writes; the live probes are in ``probes``.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from ansible_collections.credlink.infra.plugins.module_utils import credentials
from ansible_collections.credlink.infra.plugins.module_utils import naming
from ansible_collections.credlink.infra.plugins.module_utils import network
from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import Clients
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.sync import describe_or_none

# Endpoints are sensitive outputs: printed only on request, always in the private outputs file.
SENSITIVE_OUTPUTS = ("rds_endpoint", "database_url", "redis_endpoint")
# Keys of the credentials secret whose values are credentials (the URL carries the password).
SECRET_VALUES = ("password", "url")
WORLD = ("0.0.0.0/0", "::/0")


def ingress_sources(permission: dict) -> list[str]:
    """Everything an ingress permission admits: IPv4 and IPv6 ranges, prefix lists, security groups."""
    return ([r["CidrIp"] for r in permission.get("IpRanges", [])]
            + [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])]
            + [p["PrefixListId"] for p in permission.get("PrefixListIds", [])]
            + [p["GroupId"] for p in permission.get("UserIdGroupPairs", [])])


def world_open(group: dict) -> bool:
    """Whether any ingress rule of the group admits the whole internet, over IPv4 or IPv6."""
    return any(source in WORLD for permission in group.get("IpPermissions", []) for source in ingress_sources(permission))


def secret_reference(value_from: str) -> tuple[str, str] | None:
    """(secret id, JSON key) of an ECS ``secrets`` valueFrom naming a Secrets Manager secret, else None.

    ECS accepts ``arn:<partition>:secretsmanager:<region>:<account>:secret:<name>[:<json-key>:<stage>:<version-id>]``;
    SSM parameters (``arn:...:ssm:...`` or a bare name) are not read.
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
    """
    parts = value_from.split(":")
    if len(parts) < 7 or parts[2] != "secretsmanager" or parts[5] != "secret":
        return None
    return ":".join(parts[:7]), (parts[7] if len(parts) > 7 else "")


def whole_bucket(rule: dict) -> bool:
    """Whether a lifecycle rule applies to every object (no prefix, no tag filter)."""
    if rule.get("Prefix"):
        return False
    found = rule.get("Filter")
    return not found or found == {"Prefix": ""} or (set(found) == {"Prefix"} and not found["Prefix"])


def lifecycle_of(configuration: dict | None) -> dict | None:
    """Transitions and expirations of the first enabled rule for the whole bucket (the proofs rule)."""
    rule = next((r for r in (configuration or {}).get("Rules", []) if r.get("Status") == "Enabled" and whole_bucket(r)),
                None)
    if rule is None:
        return None
    return {
        "id": rule.get("ID", ""),
        "transitions": sorted(({"days": t.get("Days"), "storage_class": t.get("StorageClass")}
                               for t in rule.get("Transitions", [])), key=lambda t: (t["days"] or 0)),
        "expiration_days": (rule.get("Expiration") or {}).get("Days"),
        "noncurrent_expiration_days": (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
    }


def image_reference(image: str) -> tuple[str, str, str]:
    """(repository, "tag" or "digest", reference) of a container image name."""
    if "@" in image:
        repository, digest = image.split("@", 1)
        return repository, "digest", digest
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:  # no tag, or the colon was a registry's port
        return image, "tag", "latest"
    return name, "tag", tag


def database_url(document: dict) -> str | None:
    """The secret's connection URL without its password, as the seeds' database_url output."""
    if not document.get("host"):
        return None
    return (f"postgresql://{document.get('username', '')}@{document['host']}:{document.get('port', 5432)}"
            f"/{document.get('dbname', 'credlink')}?sslmode=require")


class StackSnapshot:
    """Reads one environment's resources, named by the naming contract, into a snapshot."""

    def __init__(self, module) -> None:
        self.module = module
        self.prefix = naming.prefix(module.params["environment"])
        self.names = naming.names(module.params["environment"])
        self.client = Clients(module)
        self.groups: dict[str, dict] = {}
        # The secret's document and the app's Redis AUTH, for the live probes; never returned.
        self.credentials: dict = {}
        self.redis_auth: dict = {}

    def conceal(self, value: Any) -> None:
        """Register a credential as a no_log value: Ansible masks it in everything the module returns.

        Strings shorter than 8 characters are left out (an empty document "{}", a port): Ansible
        would mask them wherever they occur. Credentials are far longer.
        """
        if isinstance(value, str) and len(value) >= 8:
            self.module.no_log_values.add(value)

    def call(self, service: str, method: str, missing_codes=(), first: str | None = None, **kwargs):
        """One read call; None when AWS answers with one of ``missing_codes`` (the resource is absent).

        With ``first``, the first item of that list in the answer (None when it is empty).
        """
        return describe_or_none(self.module, getattr(self.client(service), method), list(missing_codes),
                                f"Couldn't call {service}.{method} while verifying {self.prefix}", first=first, **kwargs)

    def collect(self) -> dict:
        snap: dict = {}
        account_id = self.call("sts", "get_caller_identity")["Account"]
        self.network(snap)
        self.database(snap)
        self.cache(snap)
        self.bucket(snap, account_id)
        self.secret(snap)
        self.application(snap)
        self.log_group(snap)
        self.outputs(snap)
        return snap

    # network

    def network(self, snap: dict) -> None:
        ec2 = self.client("ec2")
        vpc = network.find_vpc(ec2, self.module, self.names["vpc"])
        if vpc is None:
            snap.update(vpc=None, subnets=None, nat_gateways=None, world_open_groups=None)
            return
        in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        raw_subnets = network.describe_all(ec2, self.module, "describe_subnets", "Subnets", Filters=in_vpc)
        subnets = {tier: [{"id": s["id"], "cidr": s["cidr_block"], "az": s["availability_zone"]} for s in found]
                   for tier, found in network.group_subnets(raw_subnets).items()}
        zone_of = {s["SubnetId"]: s["AvailabilityZone"] for s in raw_subnets}
        nats = network.describe_all(ec2, self.module, "describe_nat_gateways", "NatGateways", Filter=in_vpc)
        groups = network.describe_all(ec2, self.module, "describe_security_groups", "SecurityGroups", Filters=in_vpc)
        snap.update(
            vpc={"id": vpc["VpcId"], "cidr": vpc["CidrBlock"]},
            subnets=subnets,
            # Failed and deleting gateways too: the picture shows them; the checklist counts available ones.
            nat_gateways=[{"az": zone_of.get(n["SubnetId"], "?"), "state": n["State"]} for n in nats
                          if n["State"] != "deleted"],
            world_open_groups=sorted(g["GroupName"] for g in groups if world_open(g)),
        )
        self.groups = {g["GroupId"]: g for g in groups}

    def ingress(self, group_ids: list[str]) -> list[dict]:
        rules = []
        for group_id in group_ids:
            for permission in self.groups.get(group_id, {}).get("IpPermissions", []):
                rules.append({
                    "protocol": permission.get("IpProtocol"),
                    "from_port": permission.get("FromPort", 0), "to_port": permission.get("ToPort", 65535),
                    "sources": ingress_sources(permission),
                })
        return rules

    # data layer

    def database(self, snap: dict) -> None:
        db = self.call("rds", "describe_db_instances", missing_codes=["DBInstanceNotFound"], first="DBInstances",
                       DBInstanceIdentifier=self.names["db_instance"])
        if db is None:
            snap["db"] = None
            return
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

    def cache(self, snap: dict) -> None:
        group = self.call("elasticache", "describe_replication_groups", missing_codes=["ReplicationGroupNotFoundFault"],
                          first="ReplicationGroups", ReplicationGroupId=self.names["replication_group"])
        if group is None:
            snap["redis"] = None
            return
        node_group = (group.get("NodeGroups") or [{}])[0]
        primary = node_group.get("PrimaryEndpoint") or {}
        subnet_group = self.call("elasticache", "describe_cache_subnet_groups", missing_codes=["CacheSubnetGroupNotFoundFault"],
                                 CacheSubnetGroupName=self.names["cache_subnet_group"])
        members = group.get("MemberClusters", [])
        # Where each node runs and which is primary, for the topology picture.
        nodes = [{"id": m.get("CacheClusterId"), "zone": m.get("PreferredAvailabilityZone"), "role": m.get("CurrentRole")}
                 for m in node_group.get("NodeGroupMembers", [])]
        clusters = self.call("elasticache", "describe_cache_clusters", missing_codes=["CacheClusterNotFound"],
                             CacheClusterId=members[0]) if members else None
        member_groups = [g["SecurityGroupId"] for c in (clusters or {}).get("CacheClusters", [])
                         for g in c.get("SecurityGroups", [])]
        snap["redis"] = {
            "status": group["Status"], "members": members, "nodes": nodes, "multi_az": group.get("MultiAZ") == "enabled",
            # AWS's enabled/disabled word; enabling counts as enabled.
            "failover": "enabled" if group.get("AutomaticFailover") in ("enabled", "enabling") else "disabled",
            "snapshot_retention_days": group.get("SnapshotRetentionLimit", 0),
            "at_rest_encryption": group.get("AtRestEncryptionEnabled", False),
            "transit_encryption": group.get("TransitEncryptionEnabled", False),
            "subnet_ids": [s["SubnetIdentifier"] for s in
                           ((subnet_group or {}).get("CacheSubnetGroups") or [{}])[0].get("Subnets", [])],
            # Emulators may not register member clusters: then the groups cannot be read back.
            "ingress": self.ingress(member_groups) if member_groups else None,
            "endpoint": primary.get("Address"), "port": primary.get("Port"),
        }

    def bucket(self, snap: dict, account_id: str) -> None:
        name = naming.names(self.module.params["environment"], account_id)["bucket"]
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
            "lifecycle": lifecycle_of(lifecycle),
            "cors_rules": len((cors or {}).get("CORSRules", [])),
            "cors_origins": sorted({o for r in (cors or {}).get("CORSRules", []) for o in r.get("AllowedOrigins", [])}),
            "tls_only": any(s.get("Effect") == "Deny" and "false" in json.dumps(
                s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport", "")) for s in statements),
        }

    def secret(self, snap: dict) -> None:
        name = self.names["secret"]
        meta = credentials.describe_secret(self.client("secretsmanager"), self.module, name)
        if not meta or meta.get("DeletedDate"):
            snap["secret"] = None
            return
        current = [v for v, stages in (meta.get("VersionIdsToStages") or {}).items() if "AWSCURRENT" in stages]
        document, error = {}, ""
        try:
            value = self.client("secretsmanager").get_secret_value(aws_retry=True, SecretId=name)
            raw = value.get("SecretString") or "{}"
            # Masked in everything the module returns from here on, whatever path a value takes.
            self.conceal(raw)
            document = json.loads(raw)
        except AWS_ERRORS as e:
            error = type(e).__name__
        except ValueError:
            error = "not a JSON document"
        if not isinstance(document, dict):
            document, error = {}, "not a JSON object"
        for key in SECRET_VALUES:
            self.conceal(document.get(key))
        self.credentials = document
        snap["secret"] = {
            "arn": meta["ARN"], "current_version": bool(current), "keys": sorted(document),
            "database_url": database_url(document),
            "retrievable": bool(document) and not error, "error": error,
            "policy_resources": self.read_policy_resources(),
        }

    def read_policy_resources(self) -> list[str] | None:
        # ListPolicies returns at most 100 policies a page (MaxItems); an account has many more.
        # https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicies.html
        with fail_on_aws_error(self.module, f"Couldn't list the IAM policies while verifying {self.prefix}"):
            policies = network.all_pages(self.client("iam"), "list_policies", Scope="Local")["Policies"]
        policy = next((p for p in policies if p["PolicyName"] == self.names["secret_read_policy"]), None)
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

    def application(self, snap: dict) -> None:
        repo = self.call("ecr", "describe_repositories", missing_codes=["RepositoryNotFoundException"],
                         first="repositories", repositoryNames=[self.names["repository"]])
        if repo:
            with fail_on_aws_error(self.module, f"Couldn't list the images of {repo['repositoryName']}"):
                images = network.all_pages(self.client("ecr"), "list_images",
                                           repositoryName=repo["repositoryName"])["imageIds"]
            snap["ecr"] = {"uri": repo["repositoryUri"],
                           "tags": sorted({i["imageTag"] for i in images if i.get("imageTag")}),
                           "digests": sorted({i["imageDigest"] for i in images if i.get("imageDigest")})}
        else:
            snap["ecr"] = None

        services = self.call("ecs", "describe_services", missing_codes=["ClusterNotFoundException"],
                             cluster=self.names["cluster"], services=[self.names["service"]])
        service = next((s for s in (services or {}).get("services", []) if s.get("status") == "ACTIVE"), None)
        if service is None:
            snap["ecs"] = None
        else:
            task = self.call("ecs", "describe_task_definition", taskDefinition=service["taskDefinition"])["taskDefinition"]
            container = (task.get("containerDefinitions") or [{}])[0]
            awsvpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
            image = container.get("image", "")
            snap["ecs"] = {
                "cluster": self.names["cluster"], "service": service["serviceName"],
                "desired": service["desiredCount"], "running": service["runningCount"],
                "subnet_ids": awsvpc.get("subnets", []), "public_ip": awsvpc.get("assignPublicIp") == "ENABLED",
                "image": image,
                # The tag, or the digest (sha256:...) of an image named by digest.
                "image_repository": image_reference(image)[0], "image_tag": image_reference(image)[2],
                "environment": sorted(e["name"] for e in container.get("environment", [])),
                "secrets": {s["name"]: s["valueFrom"] for s in container.get("secrets", [])},
                **self.app_redis_settings(container),
                "log_group": (container.get("logConfiguration") or {}).get("options", {}).get("awslogs-group"),
            }

        snap["alb"] = self.load_balancer()

    def log_group(self, snap: dict) -> None:
        groups = self.call("logs", "describe_log_groups", logGroupNamePrefix=self.names["app_log_group"])["logGroups"]
        group = next((g for g in groups if g["logGroupName"] == self.names["app_log_group"]), None)
        snap["log_group"] = None if group is None else {
            "name": group["logGroupName"],
            "retention_days": group.get("retentionInDays"),
            "configured": bool(snap.get("ecs")) and snap["ecs"]["log_group"] == self.names["app_log_group"],
            "window_minutes": self.module.params["log_events_window"],
            # Only where tasks run: otherwise nothing could have logged.
            "recent_events": (self.recent_events(group["logGroupName"], self.module.params["log_events_window"])
                              if (snap.get("ecs") or {}).get("running") else None),
        }

    def recent_events(self, name: str, minutes: int, pages: int = 10) -> bool | None:
        """Whether the log group received an event within the last ``minutes`` (None: still unknown after ``pages``).

        FilterLogEvents with a start time, not the streams' lastEventTimestamp, which "updates
        on an eventual consistency basis ... typically in less than an hour" (API_LogStream).
        A page "might only be partially full, or even empty" while a nextToken says more may
        come (API_FilterLogEvents), so pages are followed - at most ``pages`` of them.
        https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
        """
        query = {"logGroupName": name, "startTime": int((time.time() - minutes * 60) * 1000), "limit": 1}
        for _ in range(pages):
            found = self.call("logs", "filter_log_events", missing_codes=["ResourceNotFoundException"], **query)
            if found is None:
                return False
            if found.get("events"):
                return True
            if not found.get("nextToken"):
                return False
            query["nextToken"] = found["nextToken"]
        return None

    def app_redis_settings(self, container: dict) -> dict:
        """REDIS_TLS and the scheme of REDIS_URL as the app gets them, from its environment or a secret."""
        environment = {e["name"]: e.get("value", "") for e in container.get("environment", [])}
        secrets = {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}
        url, source = environment.get("REDIS_URL"), "environment"
        if url is None and "REDIS_URL" in secrets:
            url, source = self.secret_value(secrets["REDIS_URL"]), "secret"
        if url is None and "REDIS_URL" in secrets:
            source = "secret (not readable)"
        parts = urlsplit(url) if url else None
        if parts is not None and parts.password:
            # An AUTH token, percent-encoded in the URL (redis.io "Connection URLs"): the
            # Redis probe logs in with it, nothing returns it.
            token = unquote(parts.password)
            self.conceal(parts.password)
            self.conceal(token)
            self.redis_auth = {"username": unquote(parts.username) if parts.username else None, "password": token}
        tls = environment.get("REDIS_TLS")
        if tls is None and "REDIS_TLS" in secrets:
            tls = "from a secret"
        return {
            "redis_tls_setting": tls,
            "redis_url_scheme": parts.scheme if parts is not None else None,
            "redis_url_source": source if "REDIS_URL" in environment or "REDIS_URL" in secrets else None,
        }

    def secret_value(self, value_from: str) -> str | None:
        """The string an ECS ``secrets`` entry injects, registered as a no_log value; None when unreadable."""
        reference = secret_reference(value_from)
        if reference is None:
            return None
        secret_id, key = reference
        found = self.call("secretsmanager", "get_secret_value", missing_codes=["ResourceNotFoundException",
                                                                               "AccessDeniedException"],
                          SecretId=secret_id)
        raw = (found or {}).get("SecretString")
        if raw is None:
            return None
        self.conceal(raw)
        if not key:
            return raw
        try:
            value = json.loads(raw).get(key)
        except (ValueError, AttributeError):
            return None
        if isinstance(value, str) and value:
            self.conceal(value)
            return value
        return None

    def load_balancer(self) -> dict | None:
        lb = self.call("elbv2", "describe_load_balancers", missing_codes=["LoadBalancerNotFound"], first="LoadBalancers",
                       Names=[self.names["load_balancer"]])
        if lb is None:
            return None
        group = self.call("elbv2", "describe_target_groups", missing_codes=["TargetGroupNotFound"], first="TargetGroups",
                          Names=[self.names["target_group"]])
        target_group = group["TargetGroupArn"] if group else None
        health = []
        if target_group:
            health = self.call("elbv2", "describe_target_health", TargetGroupArn=target_group)["TargetHealthDescriptions"]
        listeners = self.call("elbv2", "describe_listeners", missing_codes=["ListenerNotFound"],
                              LoadBalancerArn=lb["LoadBalancerArn"])
        https = [li for li in (listeners or {}).get("Listeners", []) if li.get("Protocol") == "HTTPS"]
        certificate = ((https[0].get("Certificates") or [{}])[0].get("CertificateArn") if https else None)
        return {
            "dns": lb["DNSName"], "subnet_ids": [z["SubnetId"] for z in lb.get("AvailabilityZones", [])],
            "zones": [z["ZoneName"] for z in lb.get("AvailabilityZones", [])],
            "target_states": [t["TargetHealth"]["State"] for t in health],
            "target_group_arn": target_group, "https": bool(https),
            "domain": self.certificate_domain(certificate) if certificate else None,
        }

    def certificate_domain(self, arn: str) -> str | None:
        """The name the ALB's certificate is for (not a wildcard), so the URL matches the certificate."""
        if ":acm:" not in arn:
            return None  # an IAM server certificate: its name is no host name
        # Without acm:DescribeCertificate the URL falls back to the ALB's DNS name.
        found = self.call("acm", "describe_certificate", missing_codes=["ResourceNotFoundException", "AccessDeniedException"],
                          CertificateArn=arn)
        domain = ((found or {}).get("Certificate") or {}).get("DomainName")
        return domain if domain and not domain.startswith("*") else None

    def outputs(self, snap: dict) -> None:
        ecs, alb, redis = snap.get("ecs") or {}, snap.get("alb") or {}, snap.get("redis")
        values = {
            "vpc_id": (snap.get("vpc") or {}).get("id"),
            "rds_endpoint": (snap.get("db") or {}).get("endpoint"),
            "database_url": (snap.get("secret") or {}).get("database_url"),
            "redis_endpoint": (redis or {}).get("endpoint"),
            "redis_tls": None if redis is None else ("on" if redis["transit_encryption"] else "off"),
            "s3_bucket": (snap.get("bucket") or {}).get("name"),
            "ecr_repository_url": (snap.get("ecr") or {}).get("uri"),
            "alb_dns_name": alb.get("dns"),
            "alb_url": (f"{'https' if alb['https'] else 'http'}://{alb.get('domain') or alb['dns']}" if alb else None),
            "target_group_arn": alb.get("target_group_arn"),
            "ecs_cluster": ecs.get("cluster"),
            "ecs_service": f"{ecs['cluster']}/{ecs['service']}" if ecs else None,
        }
        snap["outputs"] = {key: {"value": value, "sensitive": key in SENSITIVE_OUTPUTS} for key, value in values.items()}
