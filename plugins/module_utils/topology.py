# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployed stack as a picture: which resources exist where, coloured by the checklist.

``build`` turns the checklist's snapshot of the account and its items into a plain,
JSON-able topology (no endpoints: those are sensitive outputs). ``layout`` places it on a
fixed grid - zones as columns, subnet tiers as rows, regional services beside the VPC -
because the stack's shape is known: a general graph layout would only move the same boxes
around between runs. ``diagram`` renders that layout to SVG or PNG.
"""

from __future__ import annotations

TIERS = ("public", "private", "database")
# Checklist items that speak for each kind of node ("rds.*" = every item of that prefix).
NODE_ITEMS: dict[str, tuple[str, ...]] = {
    "vpc": ("outputs.vpc_id", "security.world_open"),
    "subnet": ("network.subnets",),
    "nat": ("ha.nat_gateways",),
    "alb": ("outputs.alb_dns_name", "app.targets_healthy", "app.responds", "security.alb_public", "ha.alb_zones"),
    "ecs": ("outputs.ecs_service", "app.image", "app.tasks_running", "app.log_group", "security.ecs_private",
            "security.secrets_not_hardcoded", "ha.ecs_tasks"),
    "rds_primary": ("outputs.rds_endpoint", "rds.*", "database.*", "security.rds_private"),
    "rds_standby": ("rds.multi_az", "ha.rds_standby"),
    "redis_primary": ("outputs.redis_endpoint", "redis.*", "security.redis_private"),
    "redis_replica": ("redis.nodes", "ha.redis_replication"),
    "bucket": ("outputs.s3_bucket", "s3.*"),
    "secret": ("secrets.*",),
    "ecr": ("outputs.ecr_repository_url",),
}


def status_of(kind: str, items: list[dict]) -> str:
    """fail if any of the node's items failed, pass if any passed, else skip; none without items."""
    patterns = NODE_ITEMS.get(kind, ())
    mine = [i["status"] for i in items
            if any(i["id"] == p or (p.endswith("*") and i["id"].startswith(p[:-1])) for p in patterns)]
    for status in ("fail", "pass", "skip"):
        if status in mine:
            return status
    return "none"


def node(node_id: str, kind: str, label: str, detail: str, status: str, tier: str, zone: str | None = None,
         present: bool = True) -> dict:
    return {"id": node_id, "kind": kind, "label": label, "detail": detail, "status": status, "tier": tier,
            "zone": zone, "present": present}


def zones_of(snap: dict) -> list[str]:
    subnets = snap.get("subnets") or {}
    return sorted({s["az"] for tier in subnets.values() for s in tier})


def spread(count: int, zones: list[str], first: str | None) -> list[str | None]:
    """Zones for ``count`` nodes, starting at ``first``: where AWS does not report them."""
    if not zones:
        return [None] * count
    start = zones.index(first) if first in zones else 0
    return [zones[(start + n) % len(zones)] for n in range(count)]


def network_nodes(snap: dict, items: list[dict], prefix: str) -> list[dict]:
    nodes = []
    subnet_status = status_of("subnet", items)
    for tier, subnets in (snap.get("subnets") or {}).items():
        for s in subnets:
            nodes.append(node(f"subnet-{tier}-{s['az']}", "subnet", f"{tier} subnet", s["cidr"], subnet_status, tier, s["az"]))
    for nat in snap.get("nat_gateways") or []:
        ok = nat["state"] == "available"
        nodes.append(node(f"nat-{nat['az']}", "nat", f"{prefix}-nat-{nat['az']}", f"NAT gateway, {nat['state']}",
                          status_of("nat", items) if ok else "fail", "public", nat["az"]))
    return nodes


def database_nodes(snap: dict, items: list[dict], prefix: str, zones: list[str]) -> list[dict]:
    db = snap.get("db")
    if db is None:
        return [node("rds-primary", "rds_primary", f"{prefix}-db", "RDS PostgreSQL: missing", "fail", "database",
                     zones[0] if zones else None, present=False)]
    primary_zone = db.get("az") or (zones[0] if zones else None)
    nodes = [node("rds-primary", "rds_primary", f"{prefix}-db", f"RDS PostgreSQL primary, {db['status']}",
                  status_of("rds_primary", items), "database", primary_zone)]
    if db["multi_az"]:
        standby_zone = db.get("secondary_az") or spread(2, zones, primary_zone)[1]
        detail = "standby" if db.get("secondary_az") else "standby (zone not reported)"
        nodes.append(node("rds-standby", "rds_standby", f"{prefix}-db", detail, status_of("rds_standby", items),
                          "database", standby_zone))
    return nodes


def cache_nodes(snap: dict, items: list[dict], prefix: str, zones: list[str]) -> list[dict]:
    redis = snap.get("redis")
    if redis is None:
        return [node("redis-0", "redis_primary", f"{prefix}-redis", "Redis: missing", "fail", "private",
                     zones[0] if zones else None, present=False)]
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


def application_nodes(snap: dict, items: list[dict], prefix: str) -> list[dict]:
    alb, ecs = snap.get("alb"), snap.get("ecs")
    if alb is None:
        alb_detail = "load balancer: missing"
    else:
        healthy = alb["target_states"].count("healthy")
        alb_detail = f"ALB in {len(alb['zones'])} zone(s), {healthy}/{len(alb['target_states'])} targets healthy"
    ecs_detail = ("ECS service: missing" if ecs is None else
                  f"ECS Fargate service, {ecs['running']}/{ecs['desired']} tasks, image {ecs['image_tag']}")
    return [
        node("alb", "alb", f"{prefix}-alb", alb_detail, status_of("alb", items), "public", present=alb is not None),
        node("ecs", "ecs", f"{prefix}-service", ecs_detail, status_of("ecs", items), "private", present=ecs is not None),
    ]


def regional_nodes(snap: dict, items: list[dict], prefix: str) -> list[dict]:
    bucket, secret, ecr = snap.get("bucket"), snap.get("secret"), snap.get("ecr")
    return [
        node("bucket", "bucket", bucket["name"] if bucket else f"{prefix}-proofs-<account>",
             f"S3 proofs bucket, versioning {bucket['versioning']}" if bucket else "S3 bucket: missing",
             status_of("bucket", items), "regional", present=bucket is not None),
        node("secret", "secret", f"{prefix}-db-credentials", "Secrets Manager secret" if secret else "secret: missing",
             status_of("secret", items), "regional", present=secret is not None),
        node("ecr", "ecr", f"{prefix}-sign-service",
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
    prefix = f"credlink-{environment}"
    zones = zones_of(snap)
    vpc = snap.get("vpc")
    nodes = [node("internet", "internet", "internet", "users and the browser app", "none", "internet")]
    nodes += network_nodes(snap, items, prefix)
    nodes += application_nodes(snap, items, prefix)
    nodes += cache_nodes(snap, items, prefix, zones)
    nodes += database_nodes(snap, items, prefix, zones)
    nodes += regional_nodes(snap, items, prefix)
    return {
        "title": prefix, "region": region, "zones": zones,
        "vpc": {"label": f"{prefix}-vpc", "detail": f"{vpc['id']}  {vpc['cidr']}" if vpc else "missing",
                "status": status_of("vpc", items) if vpc else "fail", "present": vpc is not None},
        "nodes": nodes, "edges": edges_of(nodes),
        "summary": {s: sum(1 for i in items if i["status"] == s) for s in ("pass", "fail", "skip")},
    }


# Layout: every shape is a dict the SVG and PNG writers both understand.

STATUS_COLOURS = {"pass": ("#e6f4ea", "#1e7e34"), "fail": ("#fdecea", "#c62828"), "skip": ("#fff4d6", "#a86b00"),
                  "none": ("#f4f5f7", "#6b7280")}
MARGIN, TIER_LABEL_W, ZONE_W, ROW_H, NODE_W, NODE_H = 24, 110, 340, 180, 270, 50
REGIONAL_W = 290


def rect(x: float, y: float, w: float, h: float, fill: str, stroke: str, dashed: bool = False, radius: int = 6) -> dict:
    return {"shape": "rect", "x": x, "y": y, "w": w, "h": h, "fill": fill, "stroke": stroke, "dashed": dashed,
            "radius": radius}


def text(x: float, y: float, content: str, size: int = 12, bold: bool = False, anchor: str = "middle",
         fill: str = "#1f2933") -> dict:
    return {"shape": "text", "x": x, "y": y, "text": content, "size": size, "bold": bold, "anchor": anchor, "fill": fill}


def line(points: list[tuple[float, float]], stroke: str = "#4b5563", dashed: bool = False) -> dict:
    return {"shape": "line", "points": points, "stroke": stroke, "dashed": dashed}


def shorten(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:limit - 1] + "…"


def box(n: dict, x: float, y: float, w: float = NODE_W, h: float = NODE_H) -> tuple[list[dict], dict]:
    """A node's shapes and its frame (for edges)."""
    fill, stroke = STATUS_COLOURS[n["status"]]
    chars = int(w / 7)
    shapes = [rect(x, y, w, h, fill, stroke, dashed=not n["present"]),
              text(x + w / 2, y + 20, shorten(n["label"], chars), 12, bold=True),
              text(x + w / 2, y + 38, shorten(n["detail"], chars + 4), 10, fill="#374151")]
    return shapes, {"x": x, "y": y, "w": w, "h": h}


def layout(topo: dict) -> dict:
    """Shapes and canvas size of the topology picture."""
    zones = topo["zones"] or ["(no zones)"]
    vpc_x, vpc_w = MARGIN, TIER_LABEL_W + ZONE_W * len(zones) + MARGIN
    vpc_y = 150
    width = vpc_x + vpc_w + 50 + REGIONAL_W + MARGIN
    height = vpc_y + 50 + ROW_H * len(TIERS) + 20 + 60
    shapes: list[dict] = [rect(0, 0, width, height, "#ffffff", "#ffffff", radius=0)]
    summary = topo["summary"]
    shapes.append(text(MARGIN, 32, f"{topo['title']}  ({topo['region']})", 18, bold=True, anchor="start"))
    shapes.append(text(MARGIN, 54, f"checklist: {summary['pass']} passed, {summary['fail']} failed, "
                                   f"{summary['skip']} skipped", 12, anchor="start", fill="#374151"))
    vpc = topo["vpc"]
    fill, stroke = STATUS_COLOURS[vpc["status"]]
    shapes.append(rect(vpc_x, vpc_y, vpc_w, height - vpc_y - 70, "#fbfcfd", stroke, dashed=not vpc["present"], radius=10))
    shapes.append(text(vpc_x + 12, vpc_y + 22, f"VPC {vpc['label']}   {vpc['detail']}", 13, bold=True, anchor="start",
                       fill=stroke))
    frames: dict[str, dict] = {}
    boxes: list[dict] = []  # drawn last, over the edges
    column = {z: vpc_x + TIER_LABEL_W + ZONE_W * n for n, z in enumerate(zones)}
    row = {t: vpc_y + 50 + ROW_H * n for n, t in enumerate(TIERS)}
    for zone, x in column.items():
        shapes.append(text(x + ZONE_W / 2, vpc_y + 44, f"zone {zone}", 12, bold=True, fill="#4b5563"))
    for tier, y in row.items():
        shapes.append(text(vpc_x + 12, y + ROW_H / 2, f"{tier}", 13, bold=True, anchor="start", fill="#4b5563"))

    by_kind = {k: [n for n in topo["nodes"] if n["kind"] == k] for k in {n["kind"] for n in topo["nodes"]}}
    for n in by_kind.get("subnet", []):
        x, y = column.get(n["zone"], vpc_x + TIER_LABEL_W), row[n["tier"]]
        fill, stroke = STATUS_COLOURS[n["status"]]
        shapes.append(rect(x + 8, y + 4, ZONE_W - 16, ROW_H - 12, "#ffffff", stroke, radius=4))
        shapes.append(text(x + 16, y + 20, f"{n['label']} {n['detail']}", 10, anchor="start", fill=stroke))
    zonal = [n for n in topo["nodes"] if n["kind"] in ("nat", "rds_primary", "rds_standby", "redis_primary", "redis_replica")]
    for n in zonal:
        x = column.get(n["zone"], vpc_x + TIER_LABEL_W) + (ZONE_W - NODE_W) / 2
        node_shapes, frames[n["id"]] = box(n, x, row[n["tier"]] + 32)
        boxes += node_shapes
    span_w = ZONE_W * len(zones) - 60
    for n in by_kind.get("alb", []) + by_kind.get("ecs", []):
        node_shapes, frames[n["id"]] = box(n, vpc_x + TIER_LABEL_W + 30, row[n["tier"]] + 108, span_w)
        boxes += node_shapes
    regional_x = vpc_x + vpc_w + 50
    for n, item in enumerate(by_kind.get("bucket", []) + by_kind.get("secret", []) + by_kind.get("ecr", [])):
        node_shapes, frames[item["id"]] = box(item, regional_x, row["private"] - 40 + n * 80, REGIONAL_W)
        boxes += node_shapes
    shapes.append(text(regional_x + REGIONAL_W / 2, row["private"] - 56, "regional services", 12, bold=True, fill="#4b5563"))
    for n in by_kind.get("internet", []):
        node_shapes, frames[n["id"]] = box(n, vpc_x + TIER_LABEL_W + (ZONE_W * len(zones) - NODE_W) / 2, 76)
        boxes += node_shapes
    shapes += [edge_shape(e, frames) for e in topo["edges"] if e["from"] in frames and e["to"] in frames]
    shapes += boxes
    shapes += legend(MARGIN, height - 34)
    return {"width": width, "height": height, "shapes": shapes}


def edge_shape(edge: dict, frames: dict[str, dict]) -> dict:
    a, b = frames[edge["from"]], frames[edge["to"]]
    dashed = edge["style"] == "dashed"
    if b["x"] + b["w"] <= a["x"]:
        a, b = b, a
    if b["x"] >= a["x"] + a["w"]:  # side by side: from a's right side, elbow, into b's left side
        ay, by = a["y"] + a["h"] / 2, b["y"] + b["h"] / 2
        elbow = (a["x"] + a["w"] + b["x"]) / 2
        return line([(a["x"] + a["w"], ay), (elbow, ay), (elbow, by), (b["x"], by)], dashed=dashed)
    # Above or below: straight, at the narrower box's centre (a spanning box reaches every zone).
    narrow = a if a["w"] <= b["w"] else b
    x = narrow["x"] + narrow["w"] / 2
    top, bottom = (a, b) if a["y"] < b["y"] else (b, a)
    return line([(x, top["y"] + top["h"]), (x, bottom["y"])], dashed=dashed)


def legend(x: float, y: float) -> list[dict]:
    shapes = []
    for n, (status, words) in enumerate((("pass", "checks pass"), ("fail", "a check fails"), ("skip", "checks skipped"),
                                         ("none", "not checked"))):
        fill, stroke = STATUS_COLOURS[status]
        shapes.append(rect(x + n * 150, y, 18, 14, fill, stroke, radius=3))
        shapes.append(text(x + n * 150 + 26, y + 12, words, 11, anchor="start"))
    shapes.append(text(x + 620, y + 12, "dashed box: missing    dashed line: replication", 11, anchor="start",
                       fill="#4b5563"))
    return shapes
