# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topology on a fixed grid: zones as columns, subnet tiers as rows, regional services beside the VPC.

The stack's shape is known, so a general graph layout would only move the same boxes
around between runs. ``layout`` returns shapes (dicts) that the SVG and PNG writers of
``diagram`` both understand.
"""

from __future__ import annotations

from dataclasses import dataclass

TIERS = ("public", "private", "database")

# Layout: every shape is a dict the SVG and PNG writers both understand.

STATUS_COLOURS = {"pass": ("#e6f4ea", "#1e7e34"), "fail": ("#fdecea", "#c62828"), "skip": ("#fff4d6", "#a86b00"),
                  "waived": ("#ede7f6", "#5e35b1"), "none": ("#f4f5f7", "#6b7280")}
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


ZONAL = ("nat", "rds_primary", "rds_standby", "redis_primary", "redis_replica")
SPANNING = ("alb", "ecs")  # in every zone of their tier
REGIONAL = ("bucket", "secret", "ecr")  # outside the VPC


@dataclass
class Grid:
    """Zones as columns and tiers as rows inside the VPC; regional services to its right."""

    zones: list[str]
    vpc_x: float = MARGIN
    vpc_y: float = 150

    @property
    def vpc_w(self) -> float:
        return TIER_LABEL_W + ZONE_W * len(self.zones) + MARGIN

    @property
    def regional_x(self) -> float:
        return self.vpc_x + self.vpc_w + 50

    @property
    def size(self) -> tuple[float, float]:
        return self.regional_x + REGIONAL_W + MARGIN, self.row("database") + ROW_H + 80

    def column(self, zone: str | None) -> float:
        return self.vpc_x + TIER_LABEL_W + ZONE_W * (self.zones.index(zone) if zone in self.zones else 0)

    def row(self, tier: str) -> float:
        return self.vpc_y + 50 + ROW_H * TIERS.index(tier)

    def frame(self, n: dict, regional_index: int) -> tuple[float, float, float]:
        """x, y and width of a node's box."""
        if n["kind"] in ZONAL:
            return self.column(n["zone"]) + (ZONE_W - NODE_W) / 2, self.row(n["tier"]) + 32, NODE_W
        if n["kind"] in SPANNING:
            return self.vpc_x + TIER_LABEL_W + 30, self.row(n["tier"]) + 108, ZONE_W * len(self.zones) - 60
        if n["kind"] in REGIONAL:
            return self.regional_x, self.row("private") - 40 + regional_index * 80, REGIONAL_W
        return self.vpc_x + TIER_LABEL_W + (ZONE_W * len(self.zones) - NODE_W) / 2, 76, NODE_W  # the internet


def backdrop(topo: dict, grid: Grid) -> list[dict]:
    """Title, VPC, zone and tier labels and the subnets: everything under the edges."""
    width, height = grid.size
    summary, vpc = topo["summary"], topo["vpc"]
    stroke = STATUS_COLOURS[vpc["status"]][1]
    shapes = [rect(0, 0, width, height, "#ffffff", "#ffffff", radius=0),
              text(MARGIN, 32, f"{topo['title']}  ({topo['region']})", 18, bold=True, anchor="start"),
              text(MARGIN, 54, f"checklist: {summary['pass']} passed, {summary['fail']} failed, {summary['skip']} skipped"
                   + (f", {summary['waived']} waived" if summary.get("waived") else ""), 12, anchor="start",
                   fill="#374151"),
              rect(grid.vpc_x, grid.vpc_y, grid.vpc_w, height - grid.vpc_y - 70, "#fbfcfd", stroke,
                   dashed=not vpc["present"], radius=10),
              text(grid.vpc_x + 12, grid.vpc_y + 22, f"VPC {vpc['label']}   {vpc['detail']}", 13, bold=True,
                   anchor="start", fill=stroke),
              text(grid.regional_x + REGIONAL_W / 2, grid.row("private") - 56, "regional services", 12, bold=True,
                   fill="#4b5563")]
    shapes += [text(grid.column(z) + ZONE_W / 2, grid.vpc_y + 44, f"zone {z}", 12, bold=True, fill="#4b5563")
               for z in grid.zones]
    shapes += [text(grid.vpc_x + 12, grid.row(t) + ROW_H / 2, t, 13, bold=True, anchor="start", fill="#4b5563")
               for t in TIERS]
    for n in (n for n in topo["nodes"] if n["kind"] == "subnet"):
        x, y, stroke = grid.column(n["zone"]), grid.row(n["tier"]), STATUS_COLOURS[n["status"]][1]
        shapes += [rect(x + 8, y + 4, ZONE_W - 16, ROW_H - 12, "#ffffff", stroke, radius=4),
                   text(x + 16, y + 20, f"{n['label']} {n['detail']}", 10, anchor="start", fill=stroke)]
    return shapes


def layout(topo: dict) -> dict:
    """Shapes and canvas size of the topology picture: backdrop, then edges, then the boxes."""
    grid = Grid(topo["zones"] or ["(no zones)"])
    frames: dict[str, dict] = {}
    boxes: list[dict] = []
    regional = [n["id"] for n in topo["nodes"] if n["kind"] in REGIONAL]
    for n in (n for n in topo["nodes"] if n["kind"] != "subnet"):
        x, y, w = grid.frame(n, regional.index(n["id"]) if n["id"] in regional else 0)
        node_shapes, frames[n["id"]] = box(n, x, y, w)
        boxes += node_shapes
    edges = [edge_shape(e, frames) for e in topo["edges"] if e["from"] in frames and e["to"] in frames]
    width, height = grid.size
    return {"width": width, "height": height,
            "shapes": backdrop(topo, grid) + edges + boxes + legend(MARGIN, height - 34)}


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
    for n, (status, words) in enumerate((("pass", "checks pass"), ("fail", "a check fails"),
                                         ("waived", "below baseline, allowed"), ("skip", "checks skipped"),
                                         ("none", "not checked"))):
        fill, stroke = STATUS_COLOURS[status]
        shapes.append(rect(x + n * 150, y, 18, 14, fill, stroke, radius=3))
        shapes.append(text(x + n * 150 + 26, y + 12, words, 11, anchor="start"))
    shapes.append(text(x + 770, y + 12, "dashed box: missing    dashed line: replication", 11, anchor="start",
                       fill="#4b5563"))
    return shapes
