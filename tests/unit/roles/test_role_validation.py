"""A role entry point run without its argument-spec check (rolespec_validate: false) loses nothing.

site.yml runs the layers that way because preflight validated the same specs in one task;
the joint wait's and the layers' own entry points that take no options have nothing to
validate. Anything else must keep Ansible's check.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).parents[3]
LAYERS = {"network", "secrets", "database", "cache", "storage", "schema", "container_platform", "monitoring"}


def tasks(items):
    for item in items or []:
        if isinstance(item, dict):
            yield item
            for key in ("block", "rescue", "always", "tasks"):
                yield from tasks(item.get(key))


def unvalidated_entry_points():
    """(file, role, entry point) of every import/include_role with rolespec_validate: false."""
    files = sorted(ROOT.glob("roles/*/tasks/*.yml")) + sorted(ROOT.glob("playbooks/*.yml"))
    for path in files:
        for task in tasks(yaml.safe_load(path.read_text())):
            for action in ("ansible.builtin.import_role", "ansible.builtin.include_role"):
                args = task.get(action)
                if isinstance(args, dict) and args.get("rolespec_validate") is False:
                    yield path.relative_to(ROOT), args["name"], args.get("tasks_from", "main")


def options(role: str, entry_point: str) -> dict:
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return specs.get(entry_point, {}).get("options") or {}


def test_only_preflight_validated_layers_and_option_less_entry_points_skip_the_check():
    found = list(unvalidated_entry_points())
    assert found, "no rolespec_validate: false found: the test reads the files wrongly"
    for path, name, entry_point in found:
        if "{{" in name:  # the joint wait's loop over the layers' finish entry points
            assert entry_point == "finish", (path, name)
            for layer in LAYERS:
                assert options(layer, "finish") == {}, (layer, "finish takes options: validate it")
            continue
        role = name.rsplit(".", 1)[-1]
        if str(path) == "playbooks/site.yml" and role in LAYERS and entry_point in ("main", "start"):
            # Validated by preflight's credlink.infra.input_checks with layers, against main's
            # spec: start must take exactly main's options.
            assert options(role, entry_point) == options(role, "main"), (role, entry_point)
            continue
        assert options(role, entry_point) == {}, (path, role, entry_point, "takes options: validate it")


def test_site_yml_imports_every_layer_and_preflight_validates_every_layer():
    layers = {name.rsplit(".", 1)[-1] for path, name, entry in unvalidated_entry_points()
              if str(path) == "playbooks/site.yml" and entry in ("main", "start")}
    assert layers == LAYERS
    defaults = yaml.safe_load((ROOT / "roles/preflight/defaults/main.yml").read_text())
    constants = yaml.safe_load((ROOT / "roles/preflight/vars/main.yml").read_text())
    assert set(defaults["preflight_layers"]) == LAYERS == set(constants["__preflight_all_layers"])
