"""The execution environment definition yields a build context AWX/AAP can build as is.

No container engine is needed: `ansible-builder create` writes the context, and these
tests read it the way the image build will (requirements, bindep, collections).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bindep.depends import Depends
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
TARBALL = f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"
# Distribution that provides a top-level module imported by our plugins.
DISTRIBUTION_OF = {"botocore": "botocore", "boto3": "boto3", "psycopg2": "psycopg2-binary", "PIL": "pillow",
                   "redis": "redis"}
# ansible-core's own dependencies, present wherever ansible-core is (the callback's yaml).
WITH_ANSIBLE_CORE = {"yaml", "jinja2"}


def requirement_lines(path: Path) -> list[Requirement]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def needed_distributions() -> set[str]:
    """Third-party packages imported by the collection's plugins (stdlib and Ansible aside)."""
    modules = set()
    for path in (ROOT / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module)
    needed = {DISTRIBUTION_OF[m.split(".")[0]] for m in modules
              if m.split(".")[0] not in sys.stdlib_module_names | {"ansible", "ansible_collections"} | WITH_ANSIBLE_CORE}
    # AnsibleAWSModule (amazon.aws) refuses to start without boto3.
    if any(m.startswith("ansible_collections.amazon.aws.") for m in modules):
        needed.add("boto3")
    return needed


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Path:
    # The context carries the release tarball, exactly as `make ee-context` does.
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", "build"],
                   cwd=ROOT, check=True, capture_output=True)
    out = tmp_path_factory.mktemp("ee") / "context"
    subprocess.run([str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml",
                    "--output-filename", "Containerfile", "-c", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    return out


def test_context_holds_containerfile_and_every_requirements_file(context):
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-core==2.21.5" in containerfile
    for name in ("requirements.txt", "requirements.yml", "bindep.txt", f"collections/{TARBALL}"):
        assert (context / "_build" / name).is_file(), name


def test_python_requirements_are_what_the_modules_import(context):
    pinned = requirement_lines(context / "_build/requirements.txt")
    assert {r.name for r in pinned} == needed_distributions()


def test_python_pins_are_the_tested_controller_pins(context):
    controller = {r.name: r.specifier for r in requirement_lines(ROOT / "requirements.txt")}
    for requirement in requirement_lines(context / "_build/requirements.txt"):
        assert requirement.specifier == controller[requirement.name], requirement.name


def test_collection_declares_ranges_the_pins_satisfy(context):
    meta = yaml.safe_load((ROOT / "meta/execution-environment.yml").read_text())
    ranges = {r.name: r.specifier for r in requirement_lines(ROOT / meta["dependencies"]["python"])}
    assert set(ranges) == needed_distributions()
    for requirement in requirement_lines(context / "_build/requirements.txt"):
        version = next(iter(requirement.specifier)).version
        assert version in ranges[requirement.name], requirement
    assert (ROOT / meta["dependencies"]["system"]).is_file()


def test_bindep_file_parses(context):
    depends = Depends((context / "_build/bindep.txt").read_text())
    assert "ca-certificates" in {rule[0] for rule in depends._rules}


def test_collection_dependencies_are_pinned_within_galaxy_ranges(context):
    entries = yaml.safe_load((context / "_build/requirements.yml").read_text())["collections"]
    pinned = {e["name"]: e["version"] for e in entries if e.get("type") != "file"}
    assert set(pinned) == set(GALAXY["dependencies"])
    for name, version in pinned.items():
        assert version in SpecifierSet(GALAXY["dependencies"][name]), name


def test_collection_installs_from_the_context_without_galaxy(context, tmp_path):
    """The image build runs ansible-galaxy in /build (the context's _build)."""
    entries = yaml.safe_load((context / "_build/requirements.yml").read_text())["collections"]
    [own] = [e["name"] for e in entries if e.get("type") == "file"]
    # Only the image's (empty) collections path counts, not the checkout's symlink.
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(tmp_path)}
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
                    own, "-p", str(tmp_path)], cwd=context / "_build", env=env, check=True, capture_output=True)
    installed = tmp_path / "ansible_collections/credlink/infra"
    assert (installed / "meta/execution-environment.yml").is_file()
    assert {p.name for p in (installed / "plugins/modules").glob("*.py")} == \
        {p.name for p in (ROOT / "plugins/modules").glob("*.py")}


def test_image_tag_follows_the_release():
    definition = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    assert definition["options"]["tags"] == [f"credlink-infra-ee:{GALAXY['version']}"]
    assert definition["additional_build_files"][0]["src"] == f"build/{TARBALL}"


def test_ee_ansible_core_and_runner_are_the_tested_pins():
    """The EE runs jobs with the ansible-runner and ansible-core the AWX job test used."""
    definition = yaml.safe_load((ROOT / "execution-environment.yml").read_text())["dependencies"]
    controller = {r.name: r.specifier for r in requirement_lines(ROOT / "requirements.txt")}
    for key in ("ansible_core", "ansible_runner"):
        requirement = Requirement(definition[key]["package_pip"])
        assert requirement.specifier == controller[requirement.name], requirement
