"""The topology picture: what it shows, how it is coloured, and that it renders."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.credlink.infra.plugins.module_utils import checklist
from ansible_collections.credlink.infra.plugins.module_utils import topology
from ansible_collections.credlink.infra.plugins.plugin_utils.render import diagram
from ansible_collections.credlink.infra.plugins.plugin_utils.render import layout
from tests.unit.plugins.modules.test_deployment_checklist import EXPECTED, healthy_production


def build(snap):
    return topology.build(snap, checklist.evaluate(snap, EXPECTED), "production", "us-east-1")


def nodes_by_id(topo):
    return {n["id"]: n for n in topo["nodes"]}


def test_a_production_stack_has_every_resource_in_its_zone_and_tier():
    nodes = nodes_by_id(build(healthy_production()))
    placed = {(n["kind"], n["tier"], n["zone"]) for n in nodes.values() if n["kind"] != "subnet"}
    assert placed == {
        ("internet", "internet", None), ("alb", "public", None), ("ecs", "private", None),
        ("nat", "public", "us-east-1a"), ("nat", "public", "us-east-1b"),
        ("rds_primary", "database", "us-east-1a"), ("rds_standby", "database", "us-east-1b"),
        ("redis_primary", "private", "us-east-1a"), ("redis_replica", "private", "us-east-1b"),
        ("bucket", "regional", None), ("secret", "regional", None), ("ecr", "regional", None)}
    assert sum(1 for n in nodes.values() if n["kind"] == "subnet") == 6
    assert {n["status"] for n in nodes.values() if n["kind"] != "internet"} == {"pass"}


def test_a_failed_item_colours_its_resource_only():
    snap = healthy_production()
    snap["bucket"]["versioning"] = "Suspended"
    nodes = nodes_by_id(build(snap))
    assert nodes["bucket"]["status"] == "fail"
    assert nodes["secret"]["status"] == nodes["rds-primary"]["status"] == "pass"


def test_skipped_items_alone_make_a_skipped_resource():
    items = [{"id": "ha.rds_standby", "status": "skip"}, {"id": "rds.multi_az", "status": "skip"}]
    assert topology.status_of("rds_standby", items) == "skip"
    assert topology.status_of("rds_standby", items + [{"id": "rds.multi_az", "status": "pass"}]) == "pass"
    assert topology.status_of("rds_primary", [{"id": "rds.backups", "status": "fail"}]) == "fail"
    assert topology.status_of("nat", []) == "none"


def test_a_missing_layer_is_drawn_missing_and_failed():
    snap = healthy_production()
    snap["db"] = None
    rds = nodes_by_id(build(snap))["rds-primary"]
    assert rds["present"] is False and rds["status"] == "fail" and "missing" in rds["detail"]
    assert "rds-standby" not in nodes_by_id(build(snap))


def test_a_single_az_stack_has_no_standby_and_one_redis_node():
    snap = healthy_production()
    snap["db"]["multi_az"] = False
    snap["redis"]["members"] = ["r-001"]
    nodes = nodes_by_id(build(snap))
    assert "rds-standby" not in nodes and [n for n in nodes if n.startswith("redis-")] == ["redis-0"]


def test_reported_redis_roles_and_zones_win_over_the_planned_ones():
    snap = healthy_production()
    snap["redis"]["nodes"] = [{"id": "r-002", "zone": "us-east-1a", "role": "replica"},
                              {"id": "r-001", "zone": "us-east-1b", "role": "primary"}]
    nodes = nodes_by_id(build(snap))
    assert (nodes["redis-0"]["label"], nodes["redis-0"]["zone"]) == ("r-001", "us-east-1b")
    assert {"from": "redis-0", "to": "redis-1", "style": "dashed"} in build(snap)["edges"]


def test_no_endpoint_reaches_the_picture():
    topo = json.dumps(build(healthy_production()))
    assert "db.example" not in topo and "redis.example" not in topo and "alb.example" not in topo


def test_the_svg_is_well_formed_and_names_every_resource():
    topo = build(healthy_production())
    svg = diagram.to_svg(layout.layout(topo), "production topology")
    root = ET.fromstring(svg)
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for label in ("credlink-production-vpc", "credlink-production-alb", "credlink-production-service",
                  "credlink-production-db", "r-001", "r-002", "credlink-production-proofs-123456789012",
                  "credlink-production-db-credentials", "zone us-east-1a", "zone us-east-1b"):
        assert label in texts, label
    red = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("stroke") == layout.STATUS_COLOURS["fail"][1]]
    assert len(red) == 1  # the legend's swatch: nothing failed


def test_a_failed_resource_is_framed_red_in_the_svg():
    snap = healthy_production()
    snap["bucket"]["versioning"] = "Suspended"
    root = ET.fromstring(diagram.to_svg(layout.layout(build(snap)), "t"))
    red = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("stroke") == layout.STATUS_COLOURS["fail"][1]]
    assert len(red) == 2


def test_the_png_is_the_same_picture():
    image_module = pytest.importorskip("PIL.Image")
    snap = healthy_production()
    snap["bucket"]["versioning"] = "Suspended"
    picture = layout.layout(build(snap))
    image = image_module.open(io.BytesIO(diagram.to_png(picture))).convert("RGB")
    assert image.size == (picture["width"], picture["height"])
    colours = set(image.getdata())
    assert len(colours) > 50
    # The failed bucket's red frame is there.
    assert (0xC6, 0x28, 0x28) in colours


def test_an_empty_account_still_draws_what_is_missing():
    empty = {"probes": {}}
    topo = topology.build(empty, checklist.evaluate(empty, EXPECTED), "dev", "eu-west-1")
    assert topo["zones"] == [] and topo["vpc"]["present"] is False
    missing = {n["id"] for n in topo["nodes"] if not n["present"]}
    assert missing == {"alb", "ecs", "redis-0", "rds-primary", "bucket", "secret", "ecr"}
    root = ET.fromstring(diagram.to_svg(layout.layout(topo), "t"))
    dashed = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("stroke-dasharray")]
    assert len(dashed) == len(missing) + 1  # and the VPC


def test_every_checklist_item_colours_a_resource_of_the_picture():
    patterns = [p for kind in topology.NODE_ITEMS.values() for p in kind]
    unplaced = [item_id for item_id, _, _, _ in checklist.CHECKS
                if not any(item_id == p or (p.endswith("*") and item_id.startswith(p[:-1])) for p in patterns)]
    assert unplaced == []


def test_a_waived_item_colours_its_resource_as_waived_unless_another_fails():
    items = [{"id": "rds.backups", "status": "waived"}, {"id": "rds.available", "status": "pass"}]
    assert topology.status_of("rds_primary", items) == "waived"
    assert topology.status_of("rds_primary", items + [{"id": "rds.encryption", "status": "fail"}]) == "fail"
    topo = topology.build(healthy_production(), items, "production", "us-east-1")
    assert topo["summary"] == {"pass": 1, "fail": 0, "skip": 0, "waived": 1}
    root = ET.fromstring(diagram.to_svg(layout.layout(topo), "t"))
    violet = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("stroke") == layout.STATUS_COLOURS["waived"][1]]
    assert len(violet) >= 2  # the database box and the legend
