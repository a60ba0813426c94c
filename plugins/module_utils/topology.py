# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployed stack as data: which resources exist where, coloured by the checklist.

``build`` turns the checklist's snapshot of the account and its items into a plain,
JSON-able topology (no endpoints: those are sensitive outputs), which
``deployment_checklist`` returns. Drawing it is the controller's business:
``plugins/plugin_utils/render`` lays it out and writes SVG, PNG and HTML for
``stack_report``.
"""

from __future__ import annotations

from ansible_collections.credlink.infra.plugins.module_utils import naming

# Checklist items that speak for each kind of node ("rds.*" = every item of that prefix).
NODE_ITEMS: dict[str, tuple[str, ...]] = {
    "vpc": ("outputs.vpc_id", "security.world_open"),
    "subnet": ("network.subnets",),
    "nat": ("ha.nat_gateways",),
    "alb": ("outputs.alb_dns_name", "outputs.alb_url", "outputs.target_group_arn", "app.targets_healthy",
            "app.responds", "security.alb_public", "ha.alb_zones"),
    "ecs": ("outputs.ecs_service", "app.image", "app.tasks_running", "app.log_group", "app.logs_streaming",
            "app.redis_tls", "security.ecs_private", "security.secrets_not_hardcoded", "ha.ecs_tasks"),
    "rds_primary": ("outputs.rds_endpoint", "outputs.database_url", "rds.*", "database.*", "security.rds_private"),
    "rds_standby": ("rds.multi_az", "ha.rds_standby"),
    "redis_primary": ("outputs.redis_endpoint", "outputs.redis_tls", "redis.*", "security.redis_private"),
    "redis_replica": ("redis.nodes", "ha.redis_replication"),
    "bucket": ("outputs.s3_bucket", "s3.*"),
    "secret": ("secrets.*",),
    "ecr": ("outputs.ecr_repository_url",),
}


def status_of(kind: str, items: list[dict]) -> str:
    """fail if any of the node's items failed, waived if any runs below the baseline by leave, pass if any
    passed, else skip; none without items."""
    patterns = NODE_ITEMS.get(kind, ())
    mine = [i["status"] for i in items
            if any(i["id"] == p or (p.endswith("*") and i["id"].startswith(p[:-1])) for p in patterns)]
    for status in ("fail", "waived", "pass", "skip"):
        if status in mine:
            return status
    return "none"


def node(node_id: str, kind: str, label: str, detail: str, status: str, tier: str, zone: str | None = None,
         present: bool = True) -> dict:
    return {"id": node_id, "kind": kind, "label": label, "detail": detail, "status": status, "tier": tier,
            "zone": zone, "present": present}


def missing_node(node_id: str, kind: str, label: str, what: str, tier: str, zones: list[str]) -> dict:
    """A resource the checklist did not find, drawn in the first zone of its tier."""
    return node(node_id, kind, label, f"{what}: missing", "fail", tier, zones[0] if zones else None, present=False)


def zones_of(snap: dict) -> list[str]:
    subnets = snap.get("subnets") or {}
    return sorted({s["az"] for tier in subnets.values() for s in tier})


def spread(count: int, zones: list[str], first: str | None) -> list[str | None]:
    """Zones for ``count`` nodes, starting at ``first``: where AWS does not report them."""
    if not zones:
        return [None] * count
    start = zones.index(first) if first in zones else 0
    return [zones[(start + n) % len(zones)] for n in range(count)]


def network_nodes(snap: dict, items: list[dict], names: dict[str, str]) -> list[dict]:
    nodes = []
    subnet_status = status_of("subnet", items)
    for tier, subnets in (snap.get("subnets") or {}).items():
        for s in subnets:
            nodes.append(node(f"subnet-{tier}-{s['az']}", "subnet", f"{tier} subnet", s["cidr"], subnet_status, tier, s["az"]))
    for nat in snap.get("nat_gateways") or []:
        ok = nat["state"] == "available"
        nodes.append(node(f"nat-{nat['az']}", "nat", names["nat_gateway_prefix"] + nat["az"], f"NAT gateway, {nat['state']}",
                          status_of("nat", items) if ok else "fail", "public", nat["az"]))
    return nodes


def database_nodes(snap: dict, items: list[dict], names: dict[str, str], zones: list[str]) -> list[dict]:
    db = snap.get("db")
    if db is None:
        return [missing_node("rds-primary", "rds_primary", names["db_instance"], "RDS PostgreSQL", "database", zones)]
    primary_zone = db.get("az") or (zones[0] if zones else None)
    nodes = [node("rds-primary", "rds_primary", names["db_instance"], f"RDS PostgreSQL primary, {db['status']}",
                  status_of("rds_primary", items), "database", primary_zone)]
    if db["multi_az"]:
        standby_zone = db.get("secondary_az") or spread(2, zones, primary_zone)[1]
        detail = "standby" if db.get("secondary_az") else "standby (zone not reported)"
        nodes.append(node("rds-standby", "rds_standby", names["db_instance"], detail, status_of("rds_standby", items),
                          "database", standby_zone))
    return nodes


def cache_nodes(snap: dict, items: list[dict], names: dict[str, str], zones: list[str]) -> list[dict]:
    redis = snap.get("redis")
    if redis is None:
        return [missing_node("redis-0", "redis_primary", names["replication_group"], "Redis", "private", zones)]
    members = redis.get("nodes") or [{"id": m, "zone": None, "role": "primary" if n == 0 else "replica"}
                                     for n, m in enumerate(redis["members"])]
    members = sorted(members, key=lambda m: m.get("role") != "primary")
    planned = spread(len(members), zones, members[0].get("zone") if members else None)
    nodes = []
    for n, member in enumerate(members):
        role = "primary" if member.get("role") == "primary" else "replica"
        kind = f"redis_{role}"
        nodes.append(node(f"redis-{n}", kind, member["id"], f"Redis {role}, {redis['status']}",
                          status_of(kind, items), "private", member.get("zone") or planned[n]))
    return nodes


def application_nodes(snap: dict, items: list[dict], names: dict[str, str]) -> list[dict]:
    alb, ecs = snap.get("alb"), snap.get("ecs")
    if alb is None:
        alb_detail = "load balancer: missing"
    else:
        healthy = alb["target_states"].count("healthy")
        alb_detail = f"ALB in {len(alb['zones'])} zone(s), {healthy}/{len(alb['target_states'])} targets healthy"
    ecs_detail = ("ECS service: missing" if ecs is None else
                  f"ECS Fargate service, {ecs['running']}/{ecs['desired']} tasks, image {ecs['image_tag']}")
    return [
        node("alb", "alb", names["load_balancer"], alb_detail, status_of("alb", items), "public", present=alb is not None),
        node("ecs", "ecs", names["service"], ecs_detail, status_of("ecs", items), "private", present=ecs is not None),
    ]


def regional_nodes(snap: dict, items: list[dict], names: dict[str, str]) -> list[dict]:
    bucket, secret, ecr = snap.get("bucket"), snap.get("secret"), snap.get("ecr")
    return [
        node("bucket", "bucket", bucket["name"] if bucket else names["bucket"],
             f"S3 proofs bucket, versioning {bucket['versioning']}" if bucket else "S3 bucket: missing",
             status_of("bucket", items), "regional", present=bucket is not None),
        node("secret", "secret", names["secret"], "Secrets Manager secret" if secret else "secret: missing",
             status_of("secret", items), "regional", present=secret is not None),
        node("ecr", "ecr", names["repository"],
             f"ECR repository, {len(ecr['tags'])} tagged image(s)" if ecr else "ECR repository: missing",
             status_of("ecr", items), "regional", present=ecr is not None),
    ]


def edges_of(nodes: list[dict]) -> list[dict]:
    ids = {n["id"] for n in nodes}
    pairs = [("internet", "alb", "solid"), ("alb", "ecs", "solid"), ("ecs", "rds-primary", "solid"),
             ("ecs", "redis-0", "solid"), ("ecs", "bucket", "solid"), ("ecs", "secret", "solid"),
             ("ecs", "ecr", "solid"), ("rds-primary", "rds-standby", "dashed")]
    pairs += [("redis-0", n["id"], "dashed") for n in nodes if n["kind"] == "redis_replica"]
    return [{"from": a, "to": b, "style": style} for a, b, style in pairs if a in ids and b in ids]


def build(snap: dict, items: list[dict], environment: str, region: str) -> dict:
    """The topology of the account as the checklist saw it."""
    # A missing bucket is labelled with the account left open: the snapshot has no bucket name then.
    names = naming.names(environment, "<account>")
    zones = zones_of(snap)
    vpc = snap.get("vpc")
    nodes = [node("internet", "internet", "internet", "users and the browser app", "none", "internet")]
    nodes += network_nodes(snap, items, names)
    nodes += application_nodes(snap, items, names)
    nodes += cache_nodes(snap, items, names, zones)
    nodes += database_nodes(snap, items, names, zones)
    nodes += regional_nodes(snap, items, names)
    return {
        "title": naming.prefix(environment), "region": region, "zones": zones,
        "vpc": {"label": names["vpc"], "detail": f"{vpc['id']}  {vpc['cidr']}" if vpc else "missing",
                "status": status_of("vpc", items) if vpc else "fail", "present": vpc is not None},
        "nodes": nodes, "edges": edges_of(nodes),
        "summary": {s: sum(1 for i in items if i["status"] == s) for s in ("pass", "fail", "skip", "waived")},
    }
