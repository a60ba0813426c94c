"""The worker preload must leave every payload as ansible-core builds it, and load the plugins workers use."""

from __future__ import annotations

import datetime
import importlib
import io
import os
import subprocess
import sys
import zipfile

import pytest
from ansible.executor import module_common

from ansible_collections.credlink.infra.plugins.callback import worker_preload as cache_plugin
from tests.conftest import ROOT

MODULES = ["ansible_collections.credlink.infra.plugins.modules.stack_network_info",
           "ansible_collections.credlink.infra.plugins.modules.db_credentials_secret",
           "ansible_collections.amazon.aws.plugins.modules.ec2_vpc_net",
           "ansible_collections.community.postgresql.plugins.modules.postgresql_query",
           "ansible.modules.copy"]
WHEN = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture
def pristine(monkeypatch):
    """ModuleDepFinder as ansible-core ships it, put back after the test."""
    monkeypatch.setattr(module_common.ModuleDepFinder, "__init__", module_common.ModuleDepFinder.__init__)
    assert cache_plugin.install.__name__  # the plugin module is importable without side effects
    return module_common.ModuleDepFinder.__init__


def payload(module: str) -> tuple[bytes, object]:
    """The module's zip as recursive_finder writes it, with a fixed date, and its metadata."""
    path = importlib.import_module(module).__file__
    with open(path, "rb") as source:
        data = source.read()
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as zf:
        metadata = module_common.recursive_finder(module.rsplit(".", 1)[1], module_common._get_ansible_module_fqn(path),
                                                  data, zf, WHEN, module_common._builder.ExtensionManager.create(task_vars={}))
    return output.getvalue(), metadata


def test_payloads_are_the_same_byte_for_byte(pristine):
    before = {module: payload(module) for module in MODULES}
    cache = cache_plugin.install(module_common)
    assert cache_plugin.prewarm(module_common, ["amazon.aws", "community.postgresql", "credlink.infra"]) == []
    assert len(cache.found) > 100
    after = {module: payload(module) for module in MODULES}
    assert after == before
    # The AWS modules' payloads were built from what the prewarm found, not walked again.
    assert {key[0] for key in cache.found} >= {"ansible.module_utils.basic",
                                               "ansible_collections.amazon.aws.plugins.module_utils.modules",
                                               "ansible_collections.credlink.infra.plugins.module_utils.sync"}


def test_a_file_whose_content_changed_is_walked_again_and_the_module_itself_always(pristine):
    cache = cache_plugin.install(module_common)
    first = module_common.ModuleDepFinder("ansible.module_utils.fake", b"import ansible.module_utils.basic\n", is_pkg_init=False)
    again = module_common.ModuleDepFinder("ansible.module_utils.fake", b"import ansible.module_utils.basic\n", is_pkg_init=False)
    changed = module_common.ModuleDepFinder("ansible.module_utils.fake", b"import ansible.module_utils.urls\n", is_pkg_init=False)
    assert first.submodules == again.submodules == {("ansible", "module_utils", "basic")}
    assert changed.submodules == {("ansible", "module_utils", "urls")}
    assert len(cache.found) == 2
    module = module_common.ModuleDepFinder("ansible.modules.fake", b"import ansible.module_utils.basic\n")
    assert module.tree is not None and len(cache.found) == 2


def test_installing_twice_keeps_one_cache(pristine):
    assert cache_plugin.install(module_common) is cache_plugin.install(module_common)


def test_an_untested_ansible_core_is_left_alone(pristine, monkeypatch):
    monkeypatch.setattr(cache_plugin, "ansible_version", "2.22.0")
    assert not cache_plugin.supported("2.22.0") and cache_plugin.supported("2.21.1")
    plugin = cache_plugin.CallbackModule()
    monkeypatch.setattr(cache_plugin, "supported", lambda: False)
    plugin.set_options()
    assert module_common.ModuleDepFinder.__init__ is pristine


def test_a_collection_that_is_not_installed_is_skipped(pristine):
    assert cache_plugin.module_utils_imports("nobody.nothing") == []
    assert cache_plugin.prewarm(module_common, ["nobody.nothing"]) == []


def test_a_playbook_run_with_the_cache_reports_it_and_runs_its_modules(tmp_path):
    playbook = tmp_path / "ping.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - ansible.builtin.ping:\n")
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "CREDLINK_MODULE_RUNNER": "off"}
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", "-i", "localhost,",
                             "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "worker_preload: " in result.stdout and "module_utils files read and the collection" in result.stdout
    assert "ok=1" in result.stdout


def test_the_collections_lookup_and_filters_are_imported_under_the_plugin_loaders_names(monkeypatch):
    names = ["ansible_collections.credlink.infra.plugins.lookup.module_python",
             "ansible_collections.credlink.infra.plugins.filter.naming",
             "ansible_collections.credlink.infra.plugins.filter.network"]
    for name in names:
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert cache_plugin.import_plugins("credlink.infra") == []
    assert all(name in sys.modules for name in names)
    # The plugin loader takes the module imported here instead of executing the file again.
    monkeypatch.setattr(sys.modules[names[0]], "preloaded", True, raising=False)
    from ansible.plugins.loader import lookup_loader
    lookup = lookup_loader.get("credlink.infra.module_python")
    assert getattr(sys.modules[type(lookup).__module__], "preloaded", False)
