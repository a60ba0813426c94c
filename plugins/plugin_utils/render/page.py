# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verification report as one self-contained HTML page.

Everything is inline (styles, the topology SVG): the page opens from the file system on
a machine without network access, and can be attached to a ticket as it is.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

STYLE = """
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: #1f2933; margin: 24px; max-width: 1280px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f4f5f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: bold; text-transform: uppercase; font-size: 11px; }
tr.pass .status { color: #1e7e34; } tr.fail .status { color: #c62828; } tr.skip .status { color: #a86b00; }
tr.waived .status { color: #5e35b1; } tr.waived { background: #f5f0fc; }
tr.fail { background: #fdecea; } tr.layer td { background: #fafafa; font-weight: bold; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 10px; margin-right: 6px; font-size: 13px; }
.badge.pass { background: #e6f4ea; color: #1e7e34; } .badge.fail { background: #fdecea; color: #c62828; }
.badge.skip { background: #fff4d6; color: #a86b00; } .badge.waived { background: #ede7f6; color: #5e35b1; }
.muted { color: #6b7280; font-size: 12px; } code { font-size: 12px; }
figure { margin: 0; overflow-x: auto; }
"""

MARK = {"pass": "pass", "fail": "fail", "skip": "skip", "waived": "waived"}


def text(value: Any) -> str:
    """An expected/observed value as the checklist printout shows it."""
    return escape(value if isinstance(value, str) else json.dumps(value))


def item_detail(item: dict) -> str:
    reason = escape(item.get("reason") or "")
    if item["status"] == "skip":
        return f"skipped: {reason}"
    if item["status"] == "fail":
        return f"expected {text(item['expected'])}, observed {text(item['observed'])}" + (f" - {reason}" if reason else "")
    if item["status"] == "waived":
        return f"{text(item['observed'])} - {reason}"
    return text(item["observed"])


def checklist_table(items: list[dict]) -> str:
    rows = []
    for layer in dict.fromkeys(i["layer"] for i in items):
        rows.append(f'<tr class="layer"><td colspan="4">{escape(layer)}</td></tr>')
        for item in (i for i in items if i["layer"] == layer):
            rows.append(f'<tr class="{MARK[item["status"]]}" id="item-{escape(item["id"])}">'
                        f'<td class="status">{item["status"]}</td><td><code>{escape(item["id"])}</code></td>'
                        f'<td>{escape(item["title"])}</td><td>{item_detail(item)}</td></tr>')
    return ('<table class="checklist"><thead><tr><th>status</th><th>id</th><th>check</th><th>detail</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def outputs_table(outputs: dict, environment: str, show_sensitive: bool) -> str:
    rows = []
    for name, output in outputs.items():
        if output.get("sensitive") and not show_sensitive:
            value = (f'<span class="muted">sensitive: in {escape(environment)}-outputs.json, '
                     f'or -e verify_show_sensitive=true</span>')
        elif output.get("value") is None:
            value = '<span class="muted">not found</span>'
        else:
            value = f"<code>{escape(str(output['value']))}</code>"
        rows.append(f"<tr><td>{escape(name)}</td><td>{value}</td></tr>")
    return f'<table class="outputs"><thead><tr><th>output</th><th>value</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'


def cost_table(cost: dict, environment: str) -> str:
    rows = [f'<tr><td>{escape(line["component"])}</td><td>{escape(line["configuration"])}</td>'
            f'<td class="num">{line["monthly"]:.2f}</td></tr>' for line in cost.get("components", [])]
    rows.append(f'<tr><th colspan="2">total per month, USD ({escape(environment)} as sized)</th>'
                f'<th class="num">{cost.get("total", 0):.2f}</th></tr>')
    unpriced = cost.get("unpriced") or []
    note = f'<p class="muted">not priced (counted as 0): {escape(", ".join(unpriced))}</p>' if unpriced else ""
    return (f'<table class="cost"><thead><tr><th>component</th><th>configuration</th><th>USD / month</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>{note}{options_table(cost)}'
            '<p class="muted">prices: data/prices.yml (sources and dates in the file)</p>')


def options_table(cost: dict) -> str:
    """The seeds' cost options next to on-demand; rates the price file calls UNCONFIRMED are marked."""
    options = [o for o in cost.get("options") or [] if o.get("priced")]
    if not options:
        return ""
    rows = [f'<tr><td>{escape(o["option"])}</td><td>{escape(o.get("configuration", ""))}</td>'
            f'<td class="num">{o["on_demand"]:.2f}</td><td class="num">{o["with_option"]:.2f}</td>'
            f'<td class="num">{o["saving"]:.2f}</td>'
            f'<td>{"UNCONFIRMED estimate" if o.get("evidence") == "UNCONFIRMED" else escape(o.get("evidence", ""))}</td></tr>'
            for o in options]
    rows.append(f'<tr><th colspan="4">total per month with every option, USD</th>'
                f'<th class="num">{cost.get("total_with_options", 0):.2f}</th><th></th></tr>')
    return ('<h3>Cost options</h3><table class="options"><thead><tr><th>option</th><th>applies to</th>'
            '<th>on-demand</th><th>with the option</th><th>saving</th><th>rates</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def render(environment: str, region: str, generated: str, checklist: dict, outputs: dict, cost: dict,
           svg: str, show_sensitive: bool = False) -> str:
    """The whole page. ``svg`` is inlined as it is: it comes from ``diagram.to_svg``."""
    summary = checklist["summary"]
    badges = "".join(f'<span class="badge {s}">{summary.get(s, 0)} {w}</span>'
                     for s, w in (("pass", "passed"), ("fail", "failed"), ("skip", "skipped"), ("waived", "waived"))
                     if s != "waived" or summary.get(s))
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>credlink-{escape(environment)} verification report</title>
<style>{STYLE}</style></head>
<body>
<h1>credlink-{escape(environment)} verification report</h1>
<p class="muted">region {escape(region)}, generated {escape(generated)} by playbooks/verify.yml</p>
<p class="summary">{badges}</p>
<h2>Topology</h2>
<figure class="topology">{svg}</figure>
<h2>Checklist</h2>
{checklist_table(checklist["items"])}
<h2>Outputs</h2>
{outputs_table(outputs, environment, show_sensitive)}
<h2>Monthly cost</h2>
{cost_table(cost, environment)}
</body>
</html>
"""
