"""Documented fixes for moto bugs that would otherwise force us to weaken real settings.

Each fix is applied only inside the emulator process, never to anything that talks to AWS.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable


def fix_rds_touching_windows() -> None:
    """Let an RDS backup window end exactly when the maintenance window starts.

    moto 5.2.5 treats an overlap of 0 seconds as overlapping and rejects backup
    ``03:00-04:00`` with maintenance ``mon:04:00-mon:05:00``; AWS accepts touching
    windows (they are the stack's documented values). Only the zero case changes.
    """
    from moto.rds import utils

    original: Callable[..., int] = utils.get_overlap_between_two_date_ranges
    if getattr(original, "_credlink_fixed", False):
        return

    def overlap(
        start_1: datetime.datetime,
        end_1: datetime.datetime,
        start_2: datetime.datetime,
        end_2: datetime.datetime,
    ) -> int:
        seconds = original(start_1, end_1, start_2, end_2)
        return -1 if seconds == 0 else seconds

    overlap._credlink_fixed = True  # type: ignore[attr-defined]
    utils.get_overlap_between_two_date_ranges = overlap


def fix_ec2_tag_resource_types() -> None:
    """Report the resource types AWS uses in DescribeTags (and filters by).

    moto 5.2.5 calls NAT gateways ``nat-gateway`` and flow logs ``flow-logs`` where AWS
    says ``natgateway`` and ``vpc-flow-log``. amazon.aws filters tags by the AWS names,
    finds none on moto, and re-tags the resource on every run (``changed`` forever).
    """
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE

    # The dict is shared with moto.ec2.models.tags, so it is updated in place.
    EC2_PREFIX_TO_RESOURCE.update({"nat": "natgateway", "fl": "vpc-flow-log", "eipalloc": "elastic-ip"})


def fix_security_group_description_updates() -> None:
    """Answer UpdateSecurityGroupRuleDescriptions{Ingress,Egress} with ``Return``, as AWS does.

    moto 5.2.5 answers with an empty body; amazon.aws reads ``Return`` and fails with
    ``KeyError: 'Return'`` whenever a rule's description has to change (for example the
    default egress rule of a new security group).
    """
    from moto.core.responses import ActionResult
    from moto.ec2.responses.security_groups import SecurityGroups

    for name in ("update_security_group_rule_descriptions_ingress", "update_security_group_rule_descriptions_egress"):
        original = getattr(SecurityGroups, name)
        if getattr(original, "_credlink_fixed", False):
            continue

        def answer_return(self, _original=original):
            _original(self)
            return ActionResult({"Return": True})

        answer_return._credlink_fixed = True  # type: ignore[attr-defined]
        setattr(SecurityGroups, name, answer_return)


def _register_service_tasks(service) -> None:
    # ECS puts the IP of each running task into the service's target groups.
    import ipaddress

    from moto.ec2.models import ec2_backends
    from moto.elbv2.models import elbv2_backends

    subnet_ids = ((service.network_configuration or {}).get("awsvpcConfiguration") or {}).get("subnets") or []
    if not subnet_ids:
        return
    ec2 = ec2_backends[service._account_id][service.region_name]
    networks = [ipaddress.ip_network(ec2.get_subnet(subnet_id).cidr_block) for subnet_id in subnet_ids]
    addresses = [str(list(networks[i % len(networks)].hosts())[10 + i // len(networks)])
                 for i in range(service.desired_count)]
    target_groups = elbv2_backends[service._account_id][service.region_name].target_groups
    for balancer in service.load_balancers or []:
        group = target_groups.get(balancer.get("targetGroupArn"))
        if group is not None:
            group.targets.clear()
            group.register([{"Id": address, "Port": balancer.get("containerPort")} for address in addresses])


def complete_ecs_deployment(service) -> None:
    """The service's primary deployment is done: desired count running and registered."""
    service.running_count, service.pending_count = service.desired_count, 0
    _register_service_tasks(service)
    for deployment in service.deployments[:1]:
        deployment.update({
            "taskDefinition": service.task_definition, "desiredCount": service.desired_count,
            "runningCount": service.desired_count, "pendingCount": 0, "rolloutState": "COMPLETED",
            "rolloutStateReason": f"ECS deployment {deployment['id']} completed.",
        })


def start_ecs_deployment(service) -> None:
    """A deployment starts; the latency mode (latency.py) replaces this to make it take time."""
    complete_ecs_deployment(service)


def fix_ecs_service_settings() -> None:
    """Keep what CreateService is told, and run a new deployment at once.

    moto 5.2.5 drops ``deploymentConfiguration`` (the circuit breaker) and
    ``healthCheckGracePeriodSeconds`` on CreateService, so every rerun sees them missing.
    It also leaves new services with 0 running tasks forever (unless a fixed number is
    set through ``MOTO_ECS_SERVICE_RUNNING``), never registers tasks in the service's
    target groups, and an UpdateService that changes the task definition keeps the old
    one in the primary deployment. Like every other resource of the emulator, a
    deployment here completes at once with the desired count running and registered
    (unless the latency mode makes it take its real time).
    """
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    original_create = EC2ContainerServiceResponse.create_service
    if getattr(original_create, "_credlink_fixed", False):
        return

    def create_service(self):
        result = original_create(self)
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
        for attribute, parameter in (("deployment_configuration", "deploymentConfiguration"),
                                     ("health_check_grace_period_seconds", "healthCheckGracePeriodSeconds"),
                                     ("enable_execute_command", "enableExecuteCommand")):
            if self._get_param(parameter) is not None:
                setattr(service, attribute, self._get_param(parameter))
        start_ecs_deployment(service)
        return result

    original_update = EC2ContainerServiceBackend.update_service

    def update_service(self, service_properties):
        service = original_update(self, service_properties)
        start_ecs_deployment(service)
        return service

    create_service._credlink_fixed = True  # type: ignore[attr-defined]
    EC2ContainerServiceResponse.create_service = create_service
    EC2ContainerServiceBackend.update_service = update_service


def fix_scaling_policy_names_filter() -> None:
    """Honour ``PolicyNames`` in DescribeScalingPolicies.

    moto 5.2.5 ignores the filter and returns every policy of the target, so a module
    that asks for its own policy gets the first one (CPU when it asked for memory) and
    rewrites the second policy on every run.
    """
    import json

    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    original = ApplicationAutoScalingResponse.describe_scaling_policies
    if getattr(original, "_credlink_fixed", False):
        return

    def describe_scaling_policies(self):
        body = json.loads(original(self))
        names = self._get_param("PolicyNames")
        if names:
            body["ScalingPolicies"] = [p for p in body["ScalingPolicies"] if p["PolicyName"] in names]
        return json.dumps(body)

    describe_scaling_policies._credlink_fixed = True  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.describe_scaling_policies = describe_scaling_policies


def fix_load_balancer_default_attributes() -> None:
    """Report the HTTP routing attributes AWS reports for every application load balancer.

    moto 5.2.5 stores them only once set, so amazon.aws ``elb_application_lb`` fails with
    ``KeyError: 'routing_http_drop_invalid_header_fields_enabled'`` when asked to turn on
    dropping of invalid header fields (a hardening setting the stack keeps on AWS).
    """
    from moto.elbv2.models import FakeLoadBalancer

    original = FakeLoadBalancer.__init__
    if getattr(original, "_credlink_fixed", False):
        return

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.type == "application":
            for key, value in (("routing.http.drop_invalid_header_fields.enabled", "false"),
                               ("routing.http.desync_mitigation_mode", "defensive"),
                               ("routing.http2.enabled", "true")):
                self.attrs.setdefault(key, value)

    init._credlink_fixed = True  # type: ignore[attr-defined]
    FakeLoadBalancer.__init__ = init


def fix_bucket_metrics_configurations() -> None:
    """Store S3 request metrics configurations (``?metrics``) instead of mishandling them.

    moto 5.2.5 does not implement them: GET answers an empty document, PUT falls through
    to CreateBucket and DELETE falls through to DeleteBucket (it would delete the bucket).
    The fix keeps each configuration's XML on the bucket, so a reset drops it with the bucket.
    """
    from xml.sax.saxutils import escape

    from moto.s3.responses import S3Response

    original_get = S3Response._bucket_response_get
    if getattr(original_get, "_credlink_fixed", False):
        return
    original_put = S3Response._bucket_response_put
    original_delete = S3Response._bucket_response_delete
    missing = (404, {}, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchConfiguration</Code>"
                        "<Message>The specified configuration does not exist.</Message></Error>")

    def configurations(self, bucket_name):
        bucket = self.backend.get_bucket(bucket_name)  # raises NoSuchBucket like AWS
        if not hasattr(bucket, "_credlink_metrics"):
            bucket._credlink_metrics = {}
        return bucket._credlink_metrics

    def config_id(self):
        return (self.querystring.get("id") or [""])[0]

    def get(self, bucket_name, querystring):
        if "metrics" not in querystring:
            return original_get(self, bucket_name, querystring)
        stored = configurations(self, bucket_name)
        if "id" not in querystring:
            body = "".join(stored.values())
            return 200, {}, (f'<?xml version="1.0" encoding="UTF-8"?><ListMetricsConfigurationsResult>'
                             f"<IsTruncated>false</IsTruncated>{body}</ListMetricsConfigurationsResult>")
        if config_id(self) not in stored:
            return missing
        return 200, {}, f'<?xml version="1.0" encoding="UTF-8"?>{stored[config_id(self)]}'

    def put(self, request, bucket_name, querystring):
        if "metrics" not in querystring:
            return original_put(self, request, bucket_name, querystring)
        import xmltodict

        config = xmltodict.parse(self.body)["MetricsConfiguration"]
        prefix = ((config.get("Filter") or {}).get("Prefix")) or ""
        filter_xml = f"<Filter><Prefix>{escape(prefix)}</Prefix></Filter>" if prefix else ""
        configurations(self, bucket_name)[config_id(self)] = (
            f"<MetricsConfiguration><Id>{escape(config['Id'])}</Id>{filter_xml}</MetricsConfiguration>"
        )
        return 204, {}, ""

    def delete(self, bucket_name, querystring):
        if "metrics" not in querystring:
            return original_delete(self, bucket_name, querystring)
        if configurations(self, bucket_name).pop(config_id(self), None) is None:
            return missing
        return 204, {}, ""

    get._credlink_fixed = True  # type: ignore[attr-defined]
    S3Response._bucket_response_get = get
    S3Response._bucket_response_put = put
    S3Response._bucket_response_delete = delete


def fix_replication_group_deletion() -> None:
    """Let a deleted replication group go away.

    moto 5.2.5 marks it ``deleting`` and keeps it forever, so waiting for the deletion
    (as teardown does) never ends and the name can never be reused. AWS answers
    ``deleting`` and removes the group when done; the emulator removes it at once.
    """
    from moto.elasticache.models import ElastiCacheBackend

    original = ElastiCacheBackend.delete_replication_group
    if getattr(original, "_credlink_fixed", False):
        return

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = original(self, replication_group_id, retain_primary_cluster)
        self.replication_groups.pop(replication_group_id, None)
        return group

    delete_replication_group._credlink_fixed = True  # type: ignore[attr-defined]
    ElastiCacheBackend.delete_replication_group = delete_replication_group


def add_cache_subnet_group_deletion() -> None:
    """Implement DeleteCacheSubnetGroup, which moto 5.2.5 lacks (it answers HTTP 500).

    Without it a teardown cannot remove the cache subnet group that AWS removes.
    """
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound
    from moto.elasticache.responses import ElastiCacheResponse

    if hasattr(ElastiCacheResponse, "delete_cache_subnet_group"):
        return

    def delete_cache_subnet_group(self):
        name = self._get_param("CacheSubnetGroupName")
        group = self.elasticache_backend.cache_subnet_groups.pop(name, None)
        if group is None:
            raise CacheSubnetGroupNotFound(name)
        self.elasticache_backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return ActionResult({})

    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group


def fix_tls_only_bucket_policies() -> None:
    """Evaluate the TLS-only bucket policy as AWS does for a TLS request.

    moto 5.2.5 ignores policy conditions and applies conditional statements as if they
    always held, so the stack's ``Deny`` of requests with ``aws:SecureTransport=false``
    denies every object read, write and delete. The emulator stands in for AWS's HTTPS
    endpoints: that condition is false for its requests, so the statement does not apply.
    Every other statement is evaluated as moto does.
    """
    import json

    from moto.s3.models import FakeBucket

    original = FakeBucket.get_permission
    if getattr(original, "_credlink_fixed", False):
        return
    insecure_only = {"Bool": {"aws:SecureTransport": "false"}}

    def get_permission(self, action, resource):
        if self.policy is None:
            return original(self, action, resource)
        document = json.loads(self.policy.decode())
        statements = document.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        kept = [st for st in statements if st.get("Condition") != insecure_only]
        if len(kept) == len(statements):
            return original(self, action, resource)
        saved = self.policy
        try:
            self.policy = json.dumps({**document, "Statement": kept}).encode()
            return original(self, action, resource)
        finally:
            self.policy = saved

    get_permission._credlink_fixed = True  # type: ignore[attr-defined]
    FakeBucket.get_permission = get_permission


def fix_nat_gateway_interfaces() -> None:
    """Give a NAT gateway's network interface AWS's shape, and delete it with the gateway.

    moto 5.2.5 creates the interface with the VPC's default security group and no
    description, and keeps it forever after the gateway is deleted: its subnet then never
    becomes free. On AWS the interface has no security group, is described
    ``Interface for NAT Gateway nat-...`` with type ``nat_gateway``, and is removed when
    the gateway is deleted (after a while: with realism on, realism/enis.py keeps it for
    the ``enis`` delay) (EC2 User Guide, "NAT gateways": deleting a NAT gateway
    "disassociates its Elastic IP address, but does not release the address").
    """
    from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend

    original_init = NatGateway.__init__
    if getattr(original_init, "_credlink_fixed", False):
        return

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._eni.description = f"Interface for NAT Gateway {self.id}"
        self._eni.interface_type = "nat_gateway"
        self._eni._group_set = []

    original_delete = NatGatewayBackend.delete_nat_gateway

    def delete_nat_gateway(self, nat_gateway_id):
        gateway = original_delete(self, nat_gateway_id)
        eni = getattr(gateway, "_eni", None)
        if eni is not None and eni.id in self.enis:
            for address in self.addresses:
                if address.eni is eni:
                    address.eni, address.association_id = None, None
            # With realism on the interface lingers as on AWS (realism/enis.py owns it).
            if not getattr(eni, "_credlink_key", None):
                self.enis.pop(eni.id, None)
        return gateway

    init._credlink_fixed = True  # type: ignore[attr-defined]
    NatGateway.__init__ = init
    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway


def fix_scaling_policy_alarms() -> None:
    """Delete a target tracking policy's alarms with the policy, however the policy goes.

    moto 5.2.5 deletes them only on DeleteScalingPolicy. A policy replaced by
    PutScalingPolicy leaves its old alarms behind, and DeregisterScalableTarget keeps the
    target's policies and their alarms. On AWS, "deregistering a scalable target deletes the
    scaling policies that are associated with it" (Application Auto Scaling API reference,
    DeregisterScalableTarget), and the alarms of a target tracking policy are managed by
    Application Auto Scaling and deleted with it (User Guide, "Target tracking scaling
    policies").
    """
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

    original_put = ApplicationAutoscalingBackend.put_scaling_policy
    if getattr(original_put, "_credlink_fixed", False):
        return
    original_deregister = ApplicationAutoscalingBackend.deregister_scalable_target

    def put_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension, *args, **kwargs):
        old = [p for p in self.policies.values() if (p.policy_name, p.service_namespace, p.resource_id,
                                                     p.scalable_dimension) ==
               (policy_name, service_namespace, resource_id, scalable_dimension)]
        policy = original_put(self, policy_name, service_namespace, resource_id, scalable_dimension, *args, **kwargs)
        for replaced in old:
            if replaced is not policy:
                replaced.delete_alarms(self.account_id, self.region_name)
        return policy

    def deregister_scalable_target(self, namespace, r_id, dimension):
        original_deregister(self, namespace, r_id, dimension)
        for key, policy in list(self.policies.items()):
            if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
                policy.delete_alarms(self.account_id, self.region_name)
                del self.policies[key]

    put_scaling_policy._credlink_fixed = True  # type: ignore[attr-defined]
    ApplicationAutoscalingBackend.put_scaling_policy = put_scaling_policy
    ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target


GP3_BASELINE_FROM_GIB = 400
# (IOPS, MiB/s) below and from GP3_BASELINE_FROM_GIB.
GP3_BASELINE = {False: (3000, 125), True: (12000, 500)}


def gp3_baseline(database) -> None:
    """Report the gp3 baseline where the instance was given no IOPS or throughput of its own."""
    if database.storage_type != "gp3" or getattr(database, "_credlink_provisioned", False):
        return
    iops, throughput = GP3_BASELINE[int(database.allocated_storage or 0) >= GP3_BASELINE_FROM_GIB]
    database.iops = iops
    database.storage_throughput = throughput


def fix_gp3_baseline() -> None:
    """A gp3 instance reports its IOPS and throughput, the baseline when none were given.

    DescribeDBInstances carries ``Iops`` and ``StorageThroughput`` for every gp3 instance:
    without values of its own, the baseline, 3,000 IOPS and 125 MiB/s below 400 GiB and
    12,000 IOPS and 500 MiB/s from 400 GiB (RDS User Guide, "gp3 storage", baseline storage
    performance for PostgreSQL). moto 5.2.5 leaves both out, and amazon.aws ``rds_instance``
    reads ``StorageThroughput`` of a gp3 instance unconditionally on every rerun (KeyError).
    """
    from moto.rds.models import RDSBackend

    original_create = RDSBackend.create_db_instance
    if getattr(original_create, "_credlink_fixed", False):
        return
    original_modify = RDSBackend.modify_db_instance

    def create_db_instance(self, db_kwargs):
        database = original_create(self, db_kwargs)
        database._credlink_provisioned = bool(db_kwargs.get("iops") or db_kwargs.get("storage_throughput"))
        gp3_baseline(database)
        return database

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        database = original_modify(self, db_instance_identifier, db_kwargs)
        if db_kwargs.get("iops") or db_kwargs.get("storage_throughput"):
            database._credlink_provisioned = True
        gp3_baseline(database)
        return database

    create_db_instance._credlink_fixed = True  # type: ignore[attr-defined]
    RDSBackend.create_db_instance = create_db_instance
    RDSBackend.modify_db_instance = modify_db_instance


def fix_iam_policy_name_uniqueness() -> None:
    """Refuse a policy name already taken under another path or in other letter case.

    moto 5.2.5 compares ARNs, so ``/a/read`` and ``/b/read`` (or ``Read``) can coexist. On AWS
    "IAM user, group, role, and policy names must be unique within the account. Names are not
    distinguished by case" (IAM API reference, CreatePolicy PolicyName), and CreatePolicy
    answers 409 ``EntityAlreadyExists`` "A policy called {name} already exists. Duplicate
    names are not allowed." (konstructio/kubefirst#855, Altinity/terraform-aws-eks-clickhouse#7).
    """
    from moto.iam.exceptions import EntityAlreadyExists
    from moto.iam.models import IAMBackend

    original = IAMBackend.create_policy
    if getattr(original, "_credlink_fixed", False):
        return

    def create_policy(self, description, path, policy_document, policy_name, tags):
        if any(policy.name.lower() == policy_name.lower() for policy in self.managed_policies.values()
               if policy.account_id == self.account_id):
            raise EntityAlreadyExists(f"A policy called {policy_name} already exists. Duplicate names are not allowed.")
        return original(self, description, path, policy_document, policy_name, tags)

    create_policy._credlink_fixed = True  # type: ignore[attr-defined]
    IAMBackend.create_policy = create_policy


def fix_iam_policy_deletion_conflicts() -> None:
    """Refuse DeletePolicy as AWS does while the policy is attached or has other versions.

    moto 5.2.5 deletes any managed policy at once. AWS answers HTTP 409 ``DeleteConflict``
    "Cannot delete a policy attached to entities." (serverless/components#312,
    terraform-aws-modules/terraform-aws-eks#3132) and "This policy has more than one version.
    Before you delete a policy, you must delete the policy's versions. The default version is
    deleted with the policy." (rebuy-de/aws-nuke#1, redradrat/aws-iam-operator#13); the
    DeletePolicy API reference lists the detach and DeletePolicyVersion steps to take first.
    """
    from moto.iam.exceptions import DeleteConflictException
    from moto.iam.models import IAMBackend

    original = IAMBackend.delete_policy
    if getattr(original, "_credlink_fixed", False):
        return

    def delete_policy(self, policy_arn):
        policy = self.get_policy(policy_arn)
        if policy.attachment_count:
            raise DeleteConflictException("Cannot delete a policy attached to entities.")
        if any(not version.is_default for version in policy.versions):
            raise DeleteConflictException(
                "This policy has more than one version. Before you delete a policy, you must delete the "
                "policy's versions. The default version is deleted with the policy.")
        return original(self, policy_arn)

    delete_policy._credlink_fixed = True  # type: ignore[attr-defined]
    IAMBackend.delete_policy = delete_policy


def apply_all() -> None:
    fix_rds_touching_windows()
    fix_ec2_tag_resource_types()
    fix_security_group_description_updates()
    fix_ecs_service_settings()
    fix_scaling_policy_names_filter()
    fix_load_balancer_default_attributes()
    fix_bucket_metrics_configurations()
    fix_replication_group_deletion()
    add_cache_subnet_group_deletion()
    fix_tls_only_bucket_policies()
    fix_nat_gateway_interfaces()
    fix_scaling_policy_alarms()
    fix_gp3_baseline()
    fix_iam_policy_name_uniqueness()
    fix_iam_policy_deletion_conflicts()
