"""The whole production stack (minus the schema, which needs the VPC) on the emulator.

One stack is built for the module; the tests run in file order and the later ones change
it (autoscaler, new image), so they come last. The teardown has a stack of its own
(test_production_teardown.py).
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import DUMMY_AWS, run_playbook
from tools.emulator.process import free_port
from tests.integration.platform_inspect import alarms, group, role_policy, scalable_target, service_of, task_definition
from tests.integration.production import (DOMAIN, ENV, SKIP_SCHEMA, ZONE, build_stack, push_image, run_production,
                                          secret_document, zone_records)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(emulator):
    return build_stack(emulator)


def run(stack, *args, **kwargs):
    return run_production("site.yml", stack, *args, **kwargs)


def test_database_matches_the_production_sizing(stack):
    rds = stack.client("rds")
    [db] = rds.describe_db_instances(DBInstanceIdentifier="credlink-production-db")["DBInstances"]
    # The inventory pins the major version; the instance gets the newest orderable 15.x, not
    # the default minor CreateDBInstance would pick for "15".
    orderable = [v["EngineVersion"] for v in rds.describe_db_engine_versions(Engine="postgres")["DBEngineVersions"]
                 if v["EngineVersion"].startswith("15.")]
    newest = max(orderable, key=lambda v: tuple(int(p) for p in v.split(".")))
    assert newest == "15.17" and rds.describe_db_engine_versions(
        Engine="postgres", EngineVersion="15", DefaultOnly=True)["DBEngineVersions"][0]["EngineVersion"] != newest
    assert (db["DBInstanceClass"], db["Engine"], db["EngineVersion"]) == ("db.t3.small", "postgres", newest)
    assert db["MultiAZ"] is True and db["DeletionProtection"] is True
    assert (db["AllocatedStorage"], db["MaxAllocatedStorage"], db["StorageType"]) == (20, 100, "gp3")
    assert db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False
    assert db["BackupRetentionPeriod"] == 30
    assert (db["PreferredBackupWindow"], db["PreferredMaintenanceWindow"]) == ("03:00-04:00", "mon:04:00-mon:05:00")
    assert sorted(db["EnabledCloudwatchLogsExports"]) == ["postgresql", "upgrade"]
    assert db["MonitoringInterval"] == 60 and db["MonitoringRoleArn"].endswith(":role/credlink-production-rds-monitoring")
    assert db["DBParameterGroups"][0]["DBParameterGroupName"] == "credlink-production-postgres15"
    assert db["DBSubnetGroup"]["DBSubnetGroupName"] == "credlink-production-db"
    assert db["MasterUsername"] == "credlink_admin" and db["DBName"] == "credlink"
    params = stack.client("rds").describe_db_parameters(
        DBParameterGroupName="credlink-production-postgres15", Source="user")["Parameters"]
    assert {p["ParameterName"]: p["ParameterValue"] for p in params} == {
        "shared_preload_libraries": "pg_stat_statements", "rds.force_ssl": "1"}

    doc = secret_document(stack)
    assert set(doc) == {"username", "password", "engine", "host", "port", "dbname", "url"}
    assert doc["host"] == db["Endpoint"]["Address"] and doc["port"] == 5432 and len(doc["password"]) == 32
    assert doc["url"] == f"postgresql://credlink_admin:{doc['password']}@{doc['host']}:5432/credlink?sslmode=require"
    meta = stack.client("secretsmanager").describe_secret(SecretId="credlink-production-db-credentials")
    assert {t["Key"]: t["Value"] for t in meta["Tags"]}["Environment"] == "production"
    iam = stack.client("iam")
    [read_policy] = [p for p in iam.list_policies(Scope="Local")["Policies"]
                     if p["PolicyName"] == "credlink-production-db-credentials-read"]
    version = iam.get_policy_version(PolicyArn=read_policy["Arn"], VersionId=read_policy["DefaultVersionId"])
    document = version["PolicyVersion"]["Document"]
    [statement] = (json.loads(document) if isinstance(document, str) else document)["Statement"]
    assert statement["Resource"] == meta["ARN"]
    assert sorted(statement["Action"]) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]


def test_task_definition_injects_the_database_url_from_the_secret_only(stack):
    definition = task_definition(stack, ENV)
    task = definition["taskDefinition"]
    assert (task["family"], task["cpu"], task["memory"], task["networkMode"]) == ("credlink-production-app", "256", "512", "awsvpc")
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert task["executionRoleArn"].endswith(":role/credlink-production-ecs-execution")
    assert task["taskRoleArn"].endswith(":role/credlink-production-ecs-task")
    [container] = task["containerDefinitions"]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    [redis] = stack.client("elasticache").describe_replication_groups(
        ReplicationGroupId="credlink-production-redis")["ReplicationGroups"]
    tls = bool(redis.get("TransitEncryptionEnabled"))
    secret_arn = stack.client("secretsmanager").describe_secret(SecretId="credlink-production-db-credentials")["ARN"]
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert secrets["DATABASE_URL"] == f"{secret_arn}:url::"
    common = {"DATABASE_SSL": "true", "S3_BUCKET": "credlink-production-proofs-123456789012", "AWS_REGION": "us-east-1",
              "NODE_ENV": "production", "PORT": "3001", "LOG_LEVEL": "info", "REDIS_TLS": "true" if tls else "false"}
    if tls:  # the AUTH token travels in the URL: only through the cache's secret
        auth_arn = stack.client("secretsmanager").describe_secret(SecretId="credlink-production-redis-auth")["ARN"]
        assert environment == common and secrets["REDIS_URL"] == f"{auth_arn}:url::"
    else:
        assert environment == {**common, "REDIS_URL": f"redis://{redis['NodeGroups'][0]['PrimaryEndpoint']['Address']}:6379"}
        assert set(secrets) == {"DATABASE_URL"}
    assert container["portMappings"][0]["containerPort"] == 3001
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/ecs/credlink-production"
    password = secret_document(stack)["password"]
    assert password not in json.dumps(definition, default=str)
    assert {t["key"]: t["value"] for t in definition["tags"]}["Environment"] == "production"


def test_traffic_flows_alb_to_tasks_to_database_and_cache_only(stack):
    alb, ecs = group(stack, "credlink-production-alb"), group(stack, "credlink-production-ecs")
    world = [(p["FromPort"], r["CidrIp"]) for p in alb["IpPermissions"] for r in p.get("IpRanges", [])]
    assert sorted(world) == [(80, "0.0.0.0/0"), (443, "0.0.0.0/0")]
    [from_alb] = ecs["IpPermissions"]
    assert (from_alb["FromPort"], from_alb["ToPort"]) == (3001, 3001)
    assert [p["GroupId"] for p in from_alb["UserIdGroupPairs"]] == [alb["GroupId"]] and not from_alb.get("IpRanges")
    service = service_of(stack, ENV)
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    subnets = stack.client("ec2").describe_subnets(SubnetIds=network["subnets"])["Subnets"]
    private_cidrs = sorted(s["CidrBlock"] for s in subnets)
    assert private_cidrs == ["10.0.11.0/24", "10.0.12.0/24"] and network["assignPublicIp"] == "DISABLED"
    assert network["securityGroups"] == [ecs["GroupId"]]
    for name, port in (("credlink-production-rds", 5432), ("credlink-production-redis", 6379)):
        sources = sorted(r["CidrIp"] for p in group(stack, name)["IpPermissions"] for r in p.get("IpRanges", [])
                         if p["FromPort"] == port)
        assert sources == private_cidrs, name
    [lb] = stack.client("elbv2").describe_load_balancers(Names=["credlink-production-alb"])["LoadBalancers"]
    assert lb["Scheme"] == "internet-facing" and lb["SecurityGroups"] == [alb["GroupId"]]
    assert sorted(z["ZoneName"] for z in lb["AvailabilityZones"]) == ["us-east-1a", "us-east-1b"]
    public = stack.client("ec2").describe_subnets(SubnetIds=[z["SubnetId"] for z in lb["AvailabilityZones"]])["Subnets"]
    assert sorted(s["CidrBlock"] for s in public) == ["10.0.1.0/24", "10.0.2.0/24"]
    [tg] = stack.client("elbv2").describe_target_groups(Names=["credlink-production-tg"])["TargetGroups"]
    assert (tg["TargetType"], tg["Port"], tg["HealthCheckPath"]) == ("ip", 3001, "/health")
    listeners = {l["Port"]: l for l in stack.client("elbv2").describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    assert sorted(listeners) == [80, 443]
    [redirect] = listeners[80]["DefaultActions"]
    assert redirect["Type"] == "redirect"
    assert (redirect["RedirectConfig"]["Protocol"], redirect["RedirectConfig"]["Port"]) == ("HTTPS", "443")
    assert redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    https = listeners[443]
    assert https["Protocol"] == "HTTPS" and https["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"]
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    attributes = {a["Key"]: a["Value"] for a in stack.client("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert attributes["deletion_protection.enabled"] == "true"


def test_the_domain_is_served_over_https_with_its_own_issued_certificate(stack):
    acm = stack.client("acm")
    [summary] = acm.list_certificates()["CertificateSummaryList"]
    certificate = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
    assert (certificate["DomainName"], certificate["Status"], certificate["Type"]) == (DOMAIN, "ISSUED", "AMAZON_ISSUED")
    [option] = certificate["DomainValidationOptions"]
    assert option["ValidationMethod"] == "DNS"
    tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=summary["CertificateArn"])["Tags"]}
    assert tags == {"Project": "credlink", "Environment": ENV, "ManagedBy": "ansible", "Name": "credlink-production-certificate"}
    [lb] = stack.client("elbv2").describe_load_balancers(Names=["credlink-production-alb"])["LoadBalancers"]
    [https] = [l for l in stack.client("elbv2").describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
               if l["Port"] == 443]
    assert https["Certificates"] == [{"CertificateArn": summary["CertificateArn"]}]
    records = {(r["Name"], r["Type"]): r for r in zone_records(stack)}
    record = option["ResourceRecord"]
    assert records[(record["Name"], "CNAME")]["ResourceRecords"] == [{"Value": record["Value"]}]
    alias = records[(DOMAIN + ".", "A")]["AliasTarget"]
    assert alias["DNSName"] == lb["DNSName"].lower() + "."
    assert alias["HostedZoneId"] == lb["CanonicalHostedZoneId"]


def test_service_cluster_registry_and_scaling_follow_the_production_sizing(stack):
    service = service_of(stack, ENV)
    assert service["desiredCount"] == 2 and service["runningCount"] == 2 and service["launchType"] == "FARGATE"
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["healthCheckGracePeriodSeconds"] == 60
    target = scalable_target(stack, ENV)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 10)
    policies = stack.client("application-autoscaling").describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    tracked = {p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]:
               p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] for p in policies}
    assert tracked == {"ECSServiceAverageCPUUtilization": 70.0, "ECSServiceAverageMemoryUtilization": 80.0}
    [cluster] = stack.client("ecs").describe_clusters(clusters=["credlink-production-cluster"], include=["SETTINGS"])["clusters"]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    scanning = stack.client("ecr").get_registry_scanning_configuration()["scanningConfiguration"]
    assert {"filter": "credlink-production-sign-service", "filterType": "WILDCARD"} in [
        f for rule in scanning["rules"] if rule["scanFrequency"] == "SCAN_ON_PUSH" for f in rule["repositoryFilters"]]
    [logs] = stack.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/credlink-production")["logGroups"]
    assert logs["retentionInDays"] == 30


def test_roles_are_least_privilege_in_the_account(stack):
    iam = stack.client("iam")
    execution = role_policy(stack, "credlink-production-ecs-execution")
    # The database secret is read through the secrets layer's managed policy, not a copy.
    attached = iam.list_attached_role_policies(RoleName="credlink-production-ecs-execution")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["credlink-production-db-credentials-read"]
    # Inline, it reads only the Redis AUTH token (production has one), never the database secret.
    inline_reads = [s for s in execution["Statement"] if any(a.startswith("secretsmanager:") for a in s["Action"])]
    assert [(s["Action"], [r.split(":")[-1].rsplit("-", 1)[0] for r in s["Resource"]]) for s in inline_reads] == [
        (["secretsmanager:GetSecretValue"], ["credlink-production-redis-auth"])]
    assert iam.list_attached_role_policies(RoleName="credlink-production-ecs-task")["AttachedPolicies"] == []
    trust = {name: iam.get_role(RoleName=f"credlink-production-ecs-{name}")["Role"]["AssumeRolePolicyDocument"]
             for name in ("execution", "task")}
    trust = {k: json.loads(v) if isinstance(v, str) else v for k, v in trust.items()}
    assert trust["execution"]["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert trust["task"]["Statement"][0]["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:*"}
    for document in (execution, role_policy(stack, "credlink-production-ecs-task")):
        for statement in document["Statement"]:
            assert statement["Resource"] != ["*"] or statement["Action"] == ["ecr:GetAuthorizationToken"]


def test_security_audit_of_the_whole_account(stack):
    ec2 = stack.client("ec2")
    world_open = []
    for group in ec2.describe_security_groups()["SecurityGroups"]:
        for permission in group["IpPermissions"]:
            if any(r["CidrIp"] == "0.0.0.0/0" for r in permission.get("IpRanges", [])) or permission.get("Ipv6Ranges"):
                world_open.append((group["GroupName"], permission.get("FromPort"), permission.get("ToPort")))
    assert sorted(world_open) == [("credlink-production-alb", 80, 80), ("credlink-production-alb", 443, 443)]
    [db] = stack.client("rds").describe_db_instances()["DBInstances"]
    assert db["PubliclyAccessible"] is False and db["StorageEncrypted"] is True
    [redis] = stack.client("elasticache").describe_replication_groups()["ReplicationGroups"]
    assert redis["AtRestEncryptionEnabled"] is True
    bucket = "credlink-production-proofs-123456789012"
    rules = stack.client("s3").get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    [deny] = [st for st in json.loads(stack.client("s3").get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
              if st["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    [repo] = stack.client("ecr").describe_repositories()["repositories"]
    assert repo["encryptionConfiguration"]["encryptionType"] == "AES256"
    iam = stack.client("iam")
    documents = [role_policy(stack, r["RoleName"]) for r in iam.list_roles()["Roles"]
                 if r["RoleName"].startswith("credlink-production") and iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"]]
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        document = version["Document"]
        documents.append(json.loads(document) if isinstance(document, str) else document)
    actions = [a for d in documents for st in d["Statement"]
               for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])]
    assert len(documents) >= 4 and actions and not [a for a in actions if "*" in a]


def test_alarms_watch_every_layer_with_the_seeded_thresholds(stack):
    found = alarms(stack, ENV)
    thresholds = {name.removeprefix("credlink-production-"): a["Threshold"] for name, a in found.items()}
    assert thresholds == {
        "rds-cpu-critical": 90, "rds-cpu-warning": 70,
        "rds-storage-critical": 20 * 1024**3 * 0.10,
        "rds-connections-critical": 157,  # 80 % of 197: db.t3.small's 2 GiB less 256 MiB, / 9531392
        "redis-memory-critical": 90, "redis-memory-warning": 75, "redis-evictions-critical": 100,
        "s3-4xx-warning": 0.01, "alb-5xx-critical": 10, "alb-unhealthy-targets-critical": 0,
        "ecs-running-tasks-critical": 2,
    }
    [topic] = [t["TopicArn"] for t in stack.client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(":credlink-production-alarms")]
    assert all(a["AlarmActions"] == [topic] for a in found.values())
    assert found["credlink-production-ecs-running-tasks-critical"]["TreatMissingData"] == "breaching"
    tags = stack.client("cloudwatch").list_tags_for_resource(ResourceARN=found["credlink-production-rds-cpu-critical"]["AlarmArn"])
    assert {t["Key"]: t["Value"] for t in tags["Tags"]}["Environment"] == "production"
    metrics = stack.client("s3").get_bucket_metrics_configuration(Bucket="credlink-production-proofs-123456789012", Id="EntireBucket")
    assert metrics["MetricsConfiguration"]["Id"] == "EntireBucket"


def test_rerun_and_check_mode_change_nothing(stack):
    password = secret_document(stack)["password"]
    again = run(stack, *SKIP_SCHEMA)
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]
    assert secret_document(stack)["password"] == password
    checked = run(stack, *SKIP_SCHEMA, "--check", "--diff")
    assert checked.returncode == 0 and checked.recap["changed"] == 0, checked.stdout[-4000:]


def test_months_later_a_rerun_neither_downgrades_nor_shrinks(stack):
    """AWS upgrades minors and storage autoscaling grows the disk; the inventory still says 15 and 20 GiB."""
    changes = stack.advance()
    grown = [c for c in changes["rds"] if c["setting"] == "AllocatedStorage"]
    assert [(c["resource"], c["from"], c["to"]) for c in grown] == [("credlink-production-db", 20, 30)]
    [before] = stack.client("rds").describe_db_instances(DBInstanceIdentifier="credlink-production-db")["DBInstances"]
    again = run(stack, *SKIP_SCHEMA)
    assert again.returncode == 0 and again.recap["changed"] == 0, again.stdout[-4000:]
    [after] = stack.client("rds").describe_db_instances(DBInstanceIdentifier="credlink-production-db")["DBInstances"]
    assert (after["EngineVersion"], after["AllocatedStorage"]) == (before["EngineVersion"], 30)
    # The free storage alarm still counts from the configured 20 GiB: growth changed nothing.
    assert alarms(stack, ENV)["credlink-production-rds-storage-critical"]["Threshold"] == 20 * 1024**3 * 0.10


def test_checklist_passes_then_names_exactly_the_broken_setting(stack, tmp_path):
    report_dir = {"verify_report_dir": str(tmp_path)}
    verified = run_production("verify.yml", stack, extra_vars=report_dir)
    assert verified.returncode == 0, verified.stdout[-4000:]
    report = json.loads((tmp_path / "production-checklist.json").read_text())
    items = {item["id"]: item for item in report["items"]}
    assert report["summary"]["fail"] == 0
    # app.redis_tls is skipped while the task definition gives the app no REDIS_TLS.
    assert {i for i, item in items.items() if item["status"] == "skip"} - {"app.redis_tls"} == {
        "database.connect", "database.schema", "database.statistics", "redis.commands",
        "app.responds", "ha.rds_standby"}
    # The member clusters report their security groups, so the cache's ingress is checked.
    assert items["redis.security_group"]["status"] == "pass", items["redis.security_group"]
    assert items["app.image"]["status"] == items["app.logs_streaming"]["status"] == "pass"
    assert all(item["reason"] for item in items.values() if item["status"] == "skip")
    assert items["rds.multi_az"]["observed"] is True and items["ha.nat_gateways"]["status"] == "pass"
    assert report["monthly_cost"]["total"] == 192.56
    outputs = json.loads((tmp_path / "production-outputs.json").read_text())
    assert outputs["rds_endpoint"]["sensitive"] is True and outputs["rds_endpoint"]["value"] not in verified.stdout
    assert outputs["vpc_id"]["value"] in verified.stdout

    s3 = stack.client("s3")
    bucket = "credlink-production-proofs-123456789012"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    try:
        broken = run_production("verify.yml", stack, extra_vars=report_dir)
        assert broken.returncode != 0
        assert "1 checklist item(s) failed: s3.versioning" in broken.stdout
        tolerated = run_production("verify.yml", stack, extra_vars={**report_dir, "verify_fail_on_error": False})
        assert tolerated.returncode == 0
    finally:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def test_container_platform_alone_leaves_the_autoscalers_count(stack):
    stack.client("ecs").update_service(cluster="credlink-production-cluster", service="credlink-production-service",
                                       desiredCount=6)
    alone = run(stack, "--tags", "container_platform")
    assert alone.returncode == 0 and alone.recap["changed"] == 0, alone.stdout[-4000:]
    assert service_of(stack, ENV)["desiredCount"] == 6


def test_deploy_image_refuses_a_tag_that_was_not_pushed(stack):
    missing = run_production("deploy_image.yml", stack, extra_vars={"container_platform_image_tag": "v9.9.9"})
    assert missing.returncode != 0 and "credlink-production-sign-service:v9.9.9 is not in the repository" in missing.stdout


def test_deploy_image_rolls_out_a_tag_that_later_runs_keep(stack):
    # As the autoscaler would have it; set here, so the test does not depend on the one before.
    stack.client("ecs").update_service(cluster="credlink-production-cluster", service="credlink-production-service",
                                       desiredCount=6)
    push_image(stack, "v1.2.3")
    deployed = run_production("deploy_image.yml", stack, extra_vars={"container_platform_image_tag": "v1.2.3"})
    assert deployed.returncode == 0, deployed.stdout[-4000:]
    image = task_definition(stack, ENV)["taskDefinition"]["containerDefinitions"][0]["image"]
    assert image.endswith("/credlink-production-sign-service:v1.2.3")
    assert service_of(stack, ENV)["desiredCount"] == 6
    rerun = run(stack, "--tags", "container_platform")
    assert rerun.returncode == 0 and rerun.recap["changed"] == 0, rerun.stdout[-4000:]
    assert task_definition(stack, ENV)["taskDefinition"]["containerDefinitions"][0]["image"] == image


def test_a_deployment_that_never_becomes_healthy_is_rolled_back_and_named(stack):
    running = task_definition(stack, ENV)["taskDefinition"]["containerDefinitions"][0]["image"]
    push_image(stack, "v1.3.0-broken")
    failed = run_production("deploy_image.yml", stack, extra_vars={"container_platform_image_tag": "v1.3.0-broken"})
    output = " ".join(failed.stdout.split())
    assert failed.returncode != 0
    assert "failed and ECS rolled it back: the service runs" in output and running.rsplit(":", 1)[1] in output and "v1.3.0-broken" in output, output[-3000:]
    assert "Traceback" not in failed.stdout + failed.stderr
    # The service runs the previous image again, and a good tag still deploys afterwards.
    assert task_definition(stack, ENV)["taskDefinition"]["containerDefinitions"][0]["image"] == running
    push_image(stack, "v1.3.1")
    fixed = run_production("deploy_image.yml", stack, extra_vars={"container_platform_image_tag": "v1.3.1"})
    assert fixed.returncode == 0, fixed.stdout[-4000:]
    assert task_definition(stack, ENV)["taskDefinition"]["containerDefinitions"][0]["image"].endswith(":v1.3.1")


def test_deploy_image_needs_a_tag(stack):
    missing = run_production("deploy_image.yml", stack)
    assert missing.returncode != 0 and "Give the image tag to deploy" in missing.stdout


def test_production_without_https_is_refused_before_any_aws_call():
    dead_endpoint = {**DUMMY_AWS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    refused = run_playbook("site.yml", ENV, dead_endpoint)
    output = " ".join(refused.stdout.split())
    assert refused.returncode != 0 and "is protected (credlink_protected) and serves the application over HTTPS only" in output
    assert "Could not connect" not in refused.stdout + refused.stderr
    # Allowed deliberately, or a run that does not build the platform: the check passes (the
    # run then stops at the first AWS call, the dead endpoint).
    for args, extra in ((), {"container_platform_allow_http": True}), (("--tags", "network"), {}):
        passed = run_playbook("site.yml", ENV, dead_endpoint, *args, extra_vars=extra)
        assert "serves the application over HTTPS only" not in " ".join(passed.stdout.split()), passed.stdout[-2000:]


def test_a_domain_outside_its_zone_is_refused():
    dead_endpoint = {**DUMMY_AWS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    for extra in ({"container_platform_domain": "credlink.example.org", "container_platform_hosted_zone": ZONE},
                  {"container_platform_domain": DOMAIN}):
        refused = run_playbook("site.yml", ENV, dead_endpoint, extra_vars=extra)
        assert refused.returncode != 0 and "give both or neither" in refused.stdout, refused.stdout[-2000:]
