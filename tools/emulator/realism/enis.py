"""Lingering network interfaces: the ENIs AWS services create for their resources.

An ALB, an ECS task in ``awsvpc`` mode, an RDS instance and an ElastiCache node each hold a
requester-managed ENI in their subnet, with their security groups. moto creates none for
ALBs, RDS and ElastiCache, and for ECS tasks and NAT gateways it creates ENIs it never
removes. Here they exist as AWS describes them in DescribeNetworkInterfaces:

===================  ========================================  =======================  ==========
owner                Description                               RequesterId              type
===================  ========================================  =======================  ==========
ALB / NLB            ``ELB app/<name>/<id>`` (``net/`` NLB)    ``amazon-elb``           interface
RDS instance         ``RDSNetworkInterface``                   ``amazon-rds``           interface
ElastiCache node     ``ElastiCache <cache-cluster-id>``        ``amazon-elasticache``   interface
ECS awsvpc task      ``arn:aws:ecs:<region>:<acct>:attachment/<uuid>``  an AWS account  interface
NAT gateway          ``Interface for NAT Gateway <id>``        (moto's)                 nat_gateway
===================  ========================================  =======================  ==========

Sources: ALB alantech/iasql#654 (a real ENI dump: ``ELB app/...``, ``amazon-elb``,
RequesterManaged, Status ``available`` after the ALB is gone); RDS: a public
``describe-network-interfaces`` output (``RDSNetworkInterface``, ``amazon-rds``); ECS:
binxio fargate-dns-registrator test fixtures (attachment ARN, RequesterId ``628676013162``);
NAT: fixtures only (INFERRED); ElastiCache description and requester: UNCONFIRMED.

When the owner is deleted (or an ECS service scales in, or a task stops) its ENIs go
``available`` and stay for the ``enis`` delay before AWS removes them: "When you delete the
resource associated with a requester-managed network interface, the AWS service detaches
the network interface and deletes it" (EC2 User Guide, "Requester-managed network
interfaces"). Real durations: ALB ENIs about 5 minutes (hashicorp/terraform-provider-aws#10347,
hashicorp/terraform#3758), ECS tasks 1-15 minutes (alantech/iasql#659), RDS/ElastiCache with
their deletion (UNCONFIRMED). While they remain, ``dependencies`` refuses to delete their
security groups and subnets. DeleteNetworkInterface on one in use answers
``InvalidParameterValue`` "Network interface 'eni-...' is currently in use."
(gruntwork-io/cloud-nuke#431); a lingering (``available``) one may be deleted, as AWS allows;
DetachNetworkInterface answers ``OperationNotPermitted`` "You are not allowed to manage
'ela-attach' attachments." (boto/boto3#2218).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from .clock import Context

KEY = "_credlink_key"
ORPHANED = "_credlink_orphaned_at"
ECS_REQUESTER = "628676013162"
IN_USE = "Network interface '{id}' is currently in use."
DETACH = "You are not allowed to manage 'ela-attach' attachments."


@dataclass
class Spec:
    key: str
    description: str
    requester: str | None
    subnet: object = None
    group_ids: list[str] = field(default_factory=list)
    interface_type: str = "interface"
    eni: object = None  # an ENI moto made for the owner, adopted rather than created
    alive: bool = True


_service_class = None


def _service_interface_class():
    """NetworkInterface whose attachment belongs to an AWS service (built on first use)."""
    global _service_class
    if _service_class is None:
        from moto.ec2.models.elastic_network_interfaces import NetworkInterface

        class ServiceNetworkInterface(NetworkInterface):
            @property
            def attachment(self):  # type: ignore[override]
                if getattr(self, ORPHANED, None) is not None:
                    return None
                return {"AttachmentId": self.service_attachment_id, "DeviceIndex": 1, "NetworkCardIndex": 0,
                        "InstanceOwnerId": self.requester_id, "Status": "attached", "DeleteOnTermination": False}

            @property
            def service_attachment_id(self) -> str:
                return "ela-attach-" + self.id.split("-", 1)[1][:8]

        _service_class = ServiceNetworkInterface
    return _service_class


def _subnets(ec2, ids) -> list:
    found = []
    for subnet_id in ids:
        for subnets in ec2.subnets.values():
            if subnet_id in subnets:
                found.append(subnets[subnet_id])
    return found


def _pick(subnets: list, zone: str | None, index: int = 0):
    matching = [s for s in subnets if s.availability_zone == zone]
    return matching[0] if matching else subnets[index % len(subnets)]


def _load_balancers(elbv2) -> Iterator[Spec]:
    for lb in list(elbv2.load_balancers.values()):
        kind = "app" if lb.type == "application" else "net"
        for subnet in lb.subnets:
            yield Spec(f"elb:{lb.arn}:{subnet.id}", f"ELB {kind}/{lb.name}/{lb.arn.rsplit('/', 1)[1]}",
                       "amazon-elb", subnet, list(lb.security_groups or []))


def _databases(rds) -> Iterator[Spec]:
    for db in list(rds.databases.values()):
        group = getattr(db, "db_subnet_group", None)
        subnets = list(getattr(group, "_subnets", None) or [])
        if not subnets or getattr(db, "db_cluster_identifier", None):
            continue
        primary = _pick(subnets, db.availability_zone)
        placed = [primary]
        if db.multi_az:
            others = [s for s in subnets if s.availability_zone != primary.availability_zone]
            placed.append(others[0] if others else primary)
        for index, subnet in enumerate(placed):
            yield Spec(f"rds:{db.db_instance_arn}:{index}", "RDSNetworkInterface", "amazon-rds", subnet,
                       list(db.vpc_security_group_ids or []))


def _cache_nodes(cache, ec2) -> Iterator[Spec]:
    from .cache_members import MemberCluster

    for index, cluster in enumerate(list(cache.cache_clusters.values())):
        member = isinstance(cluster, MemberCluster)
        if not member and getattr(cluster, "cache_cluster_status", "") in ("deleting", "deleted"):
            continue
        group = cache.cache_subnet_groups.get(cluster.cache_subnet_group_name or "")
        subnets = _subnets(ec2, group.subnet_ids) if group else []
        if not subnets:
            continue
        groups = ([g["SecurityGroupId"] for g in cluster.security_groups] if member
                  else list(cluster.security_group_ids or []))
        yield Spec(f"cache:{cluster.arn}", f"ElastiCache {cluster.cache_cluster_id}", "amazon-elasticache",
                   _pick(subnets, cluster.preferred_availability_zone, index), groups)


def _ecs(ecs, ec2, account: str, region: str) -> Iterator[Spec]:
    for service in list(ecs.services.values()):
        config = (getattr(service, "network_configuration", None) or {}).get("awsvpcConfiguration") or {}
        subnets = _subnets(ec2, config.get("subnets") or [])
        if service.status != "ACTIVE" or not subnets:
            continue
        for index in range(int(service.running_count or 0)):
            key = f"ecs:{service.arn}:{index}"
            attachment = uuid.uuid5(uuid.NAMESPACE_URL, key)
            yield Spec(key, f"arn:aws:ecs:{region}:{account}:attachment/{attachment}", ECS_REQUESTER,
                       subnets[index % len(subnets)], list(config.get("securityGroups") or []))
    for tasks in list(ecs.tasks.values()):
        for task in list(tasks.values()):
            stopped = "STOPPED" in (task.desired_status, task.last_status)
            for attachment in task.attachments:
                details = {d["name"]: d["value"] for d in attachment.get("details", [])}
                eni = ec2.enis.get(details.get("networkInterfaceId", ""))
                if eni is not None:
                    yield Spec(f"task:{task.task_arn}:{eni.id}",
                               f"arn:aws:ecs:{region}:{account}:attachment/{attachment['id']}", ECS_REQUESTER,
                               eni=eni, alive=not stopped)


def _nat_gateways(ec2) -> Iterator[Spec]:
    for gateway in list(ec2.nat_gateways.values()):
        eni = getattr(gateway, "_eni", None)
        if eni is not None:
            yield Spec(f"nat:{gateway.id}", f"Interface for NAT Gateway {gateway.id}", None, eni=eni,
                       interface_type="nat_gateway", alive=gateway.state in ("pending", "available"))


def _owners(account: str, region: str, ec2) -> Iterator[Spec]:
    from moto.ecs.models import ecs_backends
    from moto.elasticache.models import elasticache_backends
    from moto.elbv2.models import elbv2_backends
    from moto.rds.models import rds_backends

    def backend(backends):
        per_account = dict.get(backends, account)
        return dict.get(per_account, region) if per_account is not None else None

    yield from _nat_gateways(ec2)
    if (elbv2 := backend(elbv2_backends)) is not None:
        yield from _load_balancers(elbv2)
    if (rds := backend(rds_backends)) is not None:
        yield from _databases(rds)
    if (cache := backend(elasticache_backends)) is not None:
        yield from _cache_nodes(cache, ec2)
    if (ecs := backend(ecs_backends)) is not None:
        yield from _ecs(ecs, ec2, account, region)


def _groups(ec2, ids: list[str]) -> list:
    return [group for group in (ec2.get_security_group_from_id(i) for i in ids) if group is not None]


def _dress(ec2, eni, spec: Spec) -> None:
    eni.__class__ = _service_interface_class()
    setattr(eni, KEY, spec.key)
    eni.description = spec.description
    eni.interface_type = spec.interface_type
    eni.requester_managed = True
    if spec.requester:
        eni.requester_id = spec.requester
    if spec.eni is None:
        wanted = sorted(spec.group_ids)
        if sorted(g.id for g in eni._group_set) != wanted:
            eni._group_set = _groups(ec2, wanted)
    elif spec.interface_type == "nat_gateway":
        eni._group_set = []


def _reconcile(ec2, specs: list[Spec], context: Context) -> None:
    now, linger = context.now(), context.delay("enis")
    existing = {getattr(eni, KEY): eni for eni in list(ec2.enis.values()) if getattr(eni, KEY, None)}
    alive = set()
    for spec in specs:
        eni = existing.get(spec.key) or spec.eni
        if eni is None:
            eni = ec2.create_network_interface(spec.subnet, None, group_ids=None, description=spec.description)
            eni._group_set = []
        if getattr(eni, KEY, None) is None:
            _dress(ec2, eni, spec)
            existing[spec.key] = eni
        elif spec.eni is None:
            _dress(ec2, eni, spec)
        if spec.alive:
            alive.add(spec.key)
    for key, eni in existing.items():
        if key in alive:
            setattr(eni, ORPHANED, None)
            eni.status = "in-use"
        elif getattr(eni, ORPHANED, None) is None:
            setattr(eni, ORPHANED, now)
            eni.status = "available"
        elif now - getattr(eni, ORPHANED) >= linger:
            ec2.enis.pop(eni.id, None)


def sync(context: Context) -> None:
    """Bring the service-managed ENIs of every account and region in line with their owners."""
    from moto.core.exceptions import ServiceException
    from moto.ec2.models import ec2_backends

    for account, regions in list(dict.items(ec2_backends)):
        for region, ec2 in list(dict.items(regions)):
            specs = []
            for spec in _owners(account, region, ec2):
                if spec.eni is None and spec.subnet is None:
                    continue
                specs.append(spec)
            try:
                _reconcile(ec2, specs, context)
            except (ServiceException, KeyError, AttributeError):
                continue  # an owner refers to something already gone; the next request retries


def _patch_ec2(context: Context) -> None:
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend

    original_delete = NetworkInterfaceBackend.delete_network_interface
    original_detach = NetworkInterfaceBackend.detach_network_interface

    def delete_network_interface(self, eni_id):
        eni = self.enis.get(eni_id)
        if eni is not None and getattr(eni, KEY, None) and getattr(eni, ORPHANED, None) is None:
            raise EC2ClientError("InvalidParameterValue", IN_USE.format(id=eni_id))
        return original_delete(self, eni_id)

    def detach_network_interface(self, attachment_id):
        for eni in self.enis.values():
            if getattr(eni, KEY, None) and getattr(eni, "service_attachment_id", None) == attachment_id:
                raise EC2ClientError("OperationNotPermitted", DETACH)
        return original_detach(self, attachment_id)

    NetworkInterfaceBackend.delete_network_interface = delete_network_interface
    NetworkInterfaceBackend.detach_network_interface = detach_network_interface


def install(context: Context) -> None:
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    # moto sets a private DNS name only in VPCs with DNS hostnames, then reads it for every
    # ECS task ENI (AttributeError in others); AWS omits it there.
    NetworkInterface.private_dns_name = None
    _patch_ec2(context)
