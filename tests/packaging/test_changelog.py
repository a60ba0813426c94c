"""The changelog configuration and fragments render into release notes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VERSION = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]


def modules_added_in(version: str) -> list[str]:
    return [p.stem for p in sorted((ROOT / "plugins/modules").glob("*.py"))
            if f"\nversion_added: {version}\n" in p.read_text()]


def test_release_notes_render_the_fragments_and_the_new_modules(tmp_path):
    # `release` rewrites changelogs/ and reads plugins through ansible-doc: work on a copy
    # placed where ansible-doc finds it as credlink.infra.
    copy = tmp_path / "ansible_collections/credlink/infra"
    copy.mkdir(parents=True)
    for name in ("galaxy.yml", "changelogs", "plugins", "meta", "roles"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, copy / name)
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(tmp_path), "PATH": f"{BIN}:{os.environ['PATH']}"}
    subprocess.run([str(BIN / "antsibull-changelog"), "release", "--version", VERSION],
                   cwd=copy, env=env, check=True, capture_output=True)

    notes = (copy / "CHANGELOG.rst").read_text()
    assert f"v{VERSION}" in notes
    for module in modules_added_in(VERSION):
        assert f"credlink.infra.{module} - " in notes, module
    assert not list((copy / "changelogs/fragments").glob("*.yml")), "fragments are folded into the release"
