"""Every task that touches the database credentials keeps them out of the output.

A credential may reach a module only through a parameter the module itself declares
no_log (Ansible masks its value everywhere); anything else must run with no_log: true.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[3]
# Module parameters declared no_log by their modules, checked below against the source.
NO_LOG_PARAMETERS = {
    ("amazon.aws.rds_instance", "master_user_password"),
    ("community.postgresql.postgresql_query", "login_password"),
    ("community.postgresql.postgresql_user", "password"),
    ("community.postgresql.postgresql_db", "login_password"),
}
# A password attribute, the raw secret document, or the whole credentials dict.
CREDENTIAL_PATTERNS = [re.compile(p) for p in (
    r"\.password\b", r"\[['\"]password['\"]\]",
    r"__(database|schema)_credentials\b(?!_found)",
    r"__(database|schema)_master\s*(\}\}|\||\)|,)",
)]


def tasks_of(node):
    for task in node or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from tasks_of(task.get(key))


def task_files():
    return sorted(ROOT.glob("roles/*/tasks/*.yml")) + sorted(ROOT.glob("playbooks/*.yml"))


def leaks(task) -> list[str]:
    if task.get("no_log") is True:
        return []
    module = next((k for k in task if "." in k and k not in ("ansible.builtin.import_tasks",)), None)
    found = []
    arguments = task.get(module) if isinstance(task.get(module), dict) else {}
    for key, value in {**arguments, **{f"vars.{k}": v for k, v in (task.get("vars") or {}).items()}}.items():
        text = json.dumps(value)
        if any(pattern.search(text) for pattern in CREDENTIAL_PATTERNS):
            if (module, key) not in NO_LOG_PARAMETERS:
                found.append(f"{module}.{key}")
    return found


@pytest.mark.parametrize("path", task_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_credentials_only_reach_masked_parameters(path):
    document = yaml.safe_load(path.read_text())
    plays_or_tasks = document if isinstance(document, list) else []
    problems = []
    for item in plays_or_tasks:
        for task in tasks_of(item.get("tasks") if "hosts" in item else [item]):
            problems += [f"{task.get('name')}: {leak}" for leak in leaks(task)]
    assert problems == []


@pytest.mark.parametrize(("module", "parameter"), sorted(NO_LOG_PARAMETERS))
def test_the_allowed_parameters_really_are_no_log(module, parameter):
    import ansible_collections

    namespace, collection, name = module.split(".")
    base = next(Path(p, namespace, collection) for p in ansible_collections.__path__ if Path(p, namespace, collection).exists())
    sources = [base / "plugins" / "modules" / f"{name}.py", *sorted((base / "plugins" / "module_utils").glob("*.py"))]
    declarations = [line for source in sources for line in source.read_text().splitlines()
                    if line.strip().startswith(f"{parameter}=dict(")]
    assert declarations and all("no_log=True" in line for line in declarations)


@pytest.mark.parametrize("leaky", ["{{ __database_master.password }}", "{{ __database_master | to_json }}",
                                   "{{ __schema_credentials }}", "{{ doc['password'] }}"])
def test_the_audit_catches_credentials_outside_masked_parameters(leaky):
    task = {"name": "oops", "ansible.builtin.debug": {"msg": leaky}}
    assert leaks(task) == ["ansible.builtin.debug.msg"]
    assert leaks({**task, "no_log": True}) == []
