"""The report files (the stack_report action plugin): written private, endpoints masked, read in a real browser."""

from __future__ import annotations

import io
import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.credlink.infra.plugins.action import stack_report

FIXTURE = Path(__file__).parents[2] / "fixtures" / "production-verify.json"
RDS_ENDPOINT = "credlink-production-db.c1x2y3.us-east-1.rds.amazonaws.com"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Connection:
    """The action runs on the controller and never uses the connection; ActionBase only reads its shell's tmpdir."""

    class _shell:  # noqa: N801 - the attribute ActionBase reads
        tmpdir = "/nonexistent"


def run_action(args: dict, check_mode: bool = False) -> dict:
    task = Task.load({"action": {"module": "credlink.infra.stack_report", **args}})
    task.check_mode = check_mode
    action = stack_report.ActionModule(task=task, connection=Connection(), play_context=None, loader=None,
                                       templar=None, shared_loader_obj=None)
    return action.run(task_vars={})


def write_report(tmp_path, **extra) -> dict:
    return run_action({**json.loads(FIXTURE.read_text()), "dest": str(tmp_path), **extra})


def test_writes_reports_picture_and_page_private_to_the_user(tmp_path):
    dest = tmp_path / "reports"
    result = run_action({**json.loads(FIXTURE.read_text()), "dest": str(dest)})
    assert result["changed"] is True
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    for kind, name in (("checklist", "production-checklist.json"), ("outputs", "production-outputs.json"),
                       ("svg", "production-topology.svg"), ("png", "production-topology.png"),
                       ("html", "production-report.html")):
        path = dest / name
        assert result["files"][kind] == str(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (dest / "production-topology.png").read_bytes().startswith(b"\x89PNG")
    fixture = json.loads(FIXTURE.read_text())
    report = json.loads((dest / "production-checklist.json").read_text())
    assert report["environment"] == "production" and report["items"] == fixture["checklist"]["items"]
    assert report["summary"] == fixture["checklist"]["summary"]
    # The outputs file keeps the endpoints the page masks.
    assert RDS_ENDPOINT in (dest / "production-outputs.json").read_text()


def test_rewriting_the_same_report_is_no_change(tmp_path, monkeypatch):
    monkeypatch.setattr(stack_report, "datetime", FrozenTime)
    write_report(tmp_path)
    assert write_report(tmp_path)["changed"] is False
    (tmp_path / "production-report.html").chmod(0o644)
    assert write_report(tmp_path)["changed"] is True
    assert stat.S_IMODE((tmp_path / "production-report.html").stat().st_mode) == 0o600


def test_check_mode_writes_nothing(tmp_path):
    result = run_action({**json.loads(FIXTURE.read_text()), "dest": str(tmp_path)}, check_mode=True)
    assert result["changed"] is True and list(tmp_path.iterdir()) == []
    result = run_action({**json.loads(FIXTURE.read_text()), "dest": str(tmp_path / "reports")}, check_mode=True)
    assert result["changed"] is True and list(tmp_path.iterdir()) == []


def test_endpoints_are_masked_unless_asked(tmp_path):
    write_report(tmp_path)
    page = (tmp_path / "production-report.html").read_text()
    assert RDS_ENDPOINT not in page and "sensitive: in production-outputs.json" in page
    assert "vpc-0abc1234" in page
    write_report(tmp_path, show_sensitive=True)
    assert RDS_ENDPOINT in (tmp_path / "production-report.html").read_text()


def test_an_item_waived_below_the_baseline_is_shown_as_waived_with_its_reason(tmp_path):
    write_report(tmp_path)
    page = (tmp_path / "production-report.html").read_text()
    row = page.split('id="item-rds.backups"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="status">waived</td>' in row
    assert "allowed by credlink_allow_below_baseline" in row and "at least 30" in row
    assert '<span class="badge waived">1 waived</span>' in page
    assert "1 waived" in (tmp_path / "production-topology.svg").read_text()


def test_the_page_shows_the_cost_options_next_to_on_demand_and_marks_unconfirmed_rates(tmp_path):
    write_report(tmp_path)
    page = (tmp_path / "production-report.html").read_text()
    options = page.split('<table class="options">', 1)[1].split("</table>", 1)[0]
    for option in ("RDS reserved instance, 1 year, no upfront", "ElastiCache reserved nodes, 1 year, no upfront",
                   "S3 Intelligent-Tiering"):
        assert option in options
    assert options.count("UNCONFIRMED estimate") == 2
    assert "prices: data/prices.yml" in page


def test_a_checklist_without_topology_is_refused(tmp_path):
    args = {**json.loads(FIXTURE.read_text()), "dest": str(tmp_path)}
    del args["checklist"]["topology"]
    with pytest.raises(AnsibleActionFail, match="topology"):
        run_action(args)


class FrozenTime:
    @staticmethod
    def now(tz=None):
        from datetime import datetime

        return datetime(2026, 1, 2, 3, 4, tzinfo=tz)


# The page in a real browser: nothing but the file, no server.

@pytest.fixture(scope="module")
def chromium():
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("chromium is not installed (tools/bootstrap.sh installs it with apt): the report is not "
                    "checked in a browser")
    return path


def browse(chromium: str, page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)


def test_the_page_opens_in_a_browser_with_checklist_and_picture(chromium, tmp_path):
    write_report(tmp_path)
    page = tmp_path / "production-report.html"
    dom = browse(chromium, page, tmp_path, "--dump-dom").stdout
    data = json.loads(FIXTURE.read_text())
    for item in data["checklist"]["items"]:
        assert f'id="item-{item["id"]}"' in dom and item["title"] in dom
    assert "<svg" in dom and "credlink-production-alb" in dom
    assert "60 passed" in dom and "1 failed" in dom and "1 skipped" in dom and "1 waived" in dom
    assert RDS_ENDPOINT not in dom


def test_the_page_renders_the_picture_in_colour(chromium, tmp_path):
    image_module = pytest.importorskip("PIL.Image")
    write_report(tmp_path)
    shot = tmp_path / "page.png"
    browse(chromium, tmp_path / "production-report.html", tmp_path, f"--screenshot={shot}", "--window-size=1280,2000",
           "--hide-scrollbars")
    image = image_module.open(io.BytesIO(shot.read_bytes())).convert("RGB")
    assert image.size == (1280, 2000)
    colours = set(image.getdata())
    assert len(colours) > 100, "the screenshot is (almost) blank"
    # The picture's pass-green and the failed bucket's red are painted.
    assert (0x1E, 0x7E, 0x34) in colours and (0xC6, 0x28, 0x28) in colours
