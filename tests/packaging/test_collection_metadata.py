"""galaxy.yml and meta/runtime.yml say what a collection index and ansible-core expect."""

from __future__ import annotations

import re
from pathlib import Path

import ansible
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
RUNTIME = yaml.safe_load((ROOT / "meta/runtime.yml").read_text())
# ansible-galaxy's own description of galaxy.yml: every key it knows, and the required ones.
SCHEMA = yaml.safe_load((Path(ansible.__file__).parent / "galaxy/data/collections_galaxy_meta.yml").read_text())
# What a collection index shows and links to; ansible-galaxy requires fewer.
PUBLISHED = ("namespace", "name", "version", "readme", "authors", "description", "tags",
             "dependencies", "repository", "documentation", "homepage", "issues", "build_ignore")


def test_galaxy_yml_uses_only_known_keys_and_has_every_published_one():
    known = {entry["key"] for entry in SCHEMA}
    assert set(GALAXY) <= known
    required = {entry["key"] for entry in SCHEMA if entry.get("required")}
    for key in required | set(PUBLISHED):
        assert GALAXY.get(key), f"galaxy.yml: {key} is missing or empty"


def test_galaxy_yml_values_are_well_formed():
    assert Version(GALAXY["version"]).release, "version is not semantic"
    assert bool(GALAXY.get("license")) != bool(GALAXY.get("license_file")), "license xor license_file"
    assert (ROOT / GALAXY["readme"]).is_file()
    # Galaxy's tag rule: lower-case letters, digits and underscores, at most 20 tags.
    assert len(GALAXY["tags"]) <= 20
    assert all(re.fullmatch(r"[a-z0-9_]{1,64}", tag) for tag in GALAXY["tags"])
    for key in ("repository", "documentation", "homepage", "issues"):
        assert GALAXY[key].startswith("https://"), key


def test_galaxy_dependencies_are_the_project_requirements():
    required = yaml.safe_load((ROOT / "collections/requirements.yml").read_text())["collections"]
    assert {c["name"]: c["version"] for c in required} == GALAXY["dependencies"]


def test_build_ignores_local_state():
    for path in (".venv", ".emulator", "reports", "build", "context", "collections"):
        assert path in GALAXY["build_ignore"], path


def test_action_group_holds_every_aws_module():
    """module_defaults for the group passes region/endpoint: only AWS modules accept them."""
    group = RUNTIME["action_groups"]["aws"]
    modules = {p.stem for p in (ROOT / "plugins/modules").glob("*.py")
               if p.stem != "__init__" and "AnsibleAWSModule" in p.read_text()}
    assert "deployment_checklist" in modules and "stack_report" not in modules
    assert {entry for entry in group if isinstance(entry, str)} == modules


def test_action_group_extends_the_aws_groups_the_roles_use():
    [metadata] = [entry["metadata"] for entry in RUNTIME["action_groups"]["aws"] if isinstance(entry, dict)]
    assert set(metadata["extend_group"]) == {"amazon.aws.aws", "community.aws.aws"}


def test_requires_ansible_admits_the_pinned_core():
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert Version(pins["ansible-core"]) in SpecifierSet(RUNTIME["requires_ansible"])


def test_the_documented_action_group_is_the_runtime_one():
    """The credlink.infra.aws fragment documents the group membership: only the group's modules take it."""
    group = {entry for entry in RUNTIME["action_groups"]["aws"] if isinstance(entry, str)}
    for path in sorted((ROOT / "plugins/modules").glob("*.py")):
        text = path.read_text()
        doc = yaml.safe_load(text.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
        fragments = doc.get("extends_documentation_fragment", [])
        modes = [f for f in fragments if f in ("credlink.infra.aws.changes", "credlink.infra.aws.read_only")]
        if path.stem in group:
            assert "credlink.infra.aws" in fragments, path.stem
            assert len(modes) == 1, f"{path.stem}: one of changes/read_only, not {modes}"
            # an _info module never changes anything (ansible's naming rule for modules)
            assert not path.stem.endswith("_info") or modes == ["credlink.infra.aws.read_only"], path.stem
        else:
            assert not {"credlink.infra.aws", *modes} & set(fragments), path.stem
