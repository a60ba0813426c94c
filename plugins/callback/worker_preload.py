# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: worker_preload
type: aggregate
short_description: Load once, before the first task, what every worker process would load again
version_added: 0.2.0
description:
  - Ansible runs every task in a worker process forked from the main process; what a worker
    loads dies with it. Two things were loaded again by almost every task, and were most of
    the controller's CPU time in this collection's playbooks. This callback loads them in the
    main process before the first task, so that every worker inherits them.
  - B(The imports of the module_utils.) The first time a run uses a module, ansible-core
    builds its payload and, to find what to put in it, parses the module and every
    module_utils file the module imports. The files every AWS module imports
    (C(ansible.module_utils.basic) and its imports, amazon.aws's module_utils, this
    collection's) are about 70, and were parsed again for every module. The callback reads
    what the module_utils of O(collections) import, and all they import, once. A file is
    walked again when its content differs from what was read; the module itself is always
    parsed, as ansible-core reads its metadata from it. The payloads are the same, byte for
    byte.
  - B(This collection's lookup, filter and test plugins.) The inventories' interpreter is a
    lookup (P(credlink.infra.module_python#lookup)) and the roles' variables use the
    collection's filters; each worker imported those plugins again. The callback imports
    them, and the workers find them already imported.
  - Only with the ansible-core versions it was tested with (2.21); with another it does
    nothing, and says so with C(-vvv).
author:
  - CredLink platform team (@credlink)
requirements:
  - enabled in C(callbacks_enabled) (the collection's ansible.cfg enables it)
options:
  collections:
    description: Collections whose module_utils (and all they import) are read at the start of the run.
    type: list
    elements: str
    default: [amazon.aws, community.aws, community.postgresql, credlink.infra]
    env:
      - name: CREDLINK_PRELOAD_COLLECTIONS
    ini:
      - section: credlink_worker_preload
        key: collections
"""

import datetime
import importlib
import io
import os
import time
import zipfile
from typing import NamedTuple

from ansible.plugins.callback import CallbackBase
from ansible.release import __version__ as ansible_version

TESTED_VERSIONS = ("2.21.",)


class Found(NamedTuple):
    """What ``ModuleDepFinder`` found in a module_utils file: all ``recursive_finder`` reads of it."""
    submodules: frozenset
    optional_imports: frozenset
    embeds: frozenset


class DepFinderCache:
    """Keeps what ``module_common.ModuleDepFinder`` finds in module_utils files, by name and content."""

    def __init__(self, original_init):
        self.original_init = original_init
        self.found: dict[tuple, Found] = {}

    def init(self, finder, module_fqn, module_data, is_pkg_init=None):
        # recursive_finder passes is_pkg_init for module_utils files only; of the module itself
        # it reads the finder's syntax tree (the module's metadata), which is not kept.
        if is_pkg_init is None:
            self.original_init(finder, module_fqn, module_data)
            return
        key = (module_fqn, is_pkg_init, bytes(module_data))
        found = self.found.get(key)
        if found is None:
            self.original_init(finder, module_fqn, module_data, is_pkg_init=is_pkg_init)
            self.found[key] = Found(frozenset(finder.submodules), frozenset(finder.optional_imports),
                                    frozenset(finder.embeds))
            return
        finder.module_fqn, finder.is_pkg_init = module_fqn, is_pkg_init
        finder.submodules, finder.optional_imports, finder.embeds = (
            set(found.submodules), set(found.optional_imports), set(found.embeds))


def supported(version: str = ansible_version) -> bool:
    return version.startswith(TESTED_VERSIONS)


def install(module_common) -> DepFinderCache | None:
    """Let ``module_common.ModuleDepFinder`` use the cache (once); None where it is not the class this knows."""
    finder_class = getattr(module_common, "ModuleDepFinder", None)
    if finder_class is None or not hasattr(module_common, "recursive_finder"):
        return None
    cache = getattr(finder_class.__init__, "credlink_cache", None)
    if cache is not None:
        return cache
    cache = DepFinderCache(finder_class.__init__)

    def __init__(self, module_fqn, module_data, is_pkg_init=None):
        cache.init(self, module_fqn, module_data, is_pkg_init)

    __init__.credlink_cache = cache
    finder_class.__init__ = __init__
    return cache


def python_modules(package: str) -> list[str]:
    """Every Python module of ``package`` and its subpackages (none when it is not installed)."""
    try:
        paths = list(importlib.import_module(package).__path__)
    except ImportError:
        return []
    names = set()
    for path in paths:
        for directory, subdirectories, files in os.walk(path):
            subdirectories[:] = sorted(d for d in subdirectories if d.isidentifier())
            relative = os.path.relpath(directory, path)
            prefix = package if relative == "." else ".".join([package, *relative.split(os.sep)])
            names.update(prefix if name == "__init__.py" else f"{prefix}.{name[:-3]}"
                         for name in files if name.endswith(".py") and name[:-3].isidentifier())
    return sorted(names)


def module_utils_imports(collection: str) -> list[str]:
    """``import`` lines for every module_utils module of ``collection``."""
    return [f"import {name}" for name in python_modules(f"ansible_collections.{collection}.plugins.module_utils")]


def import_plugins(collection: str, kinds=("lookup", "filter", "test")) -> list[str]:
    """Import the Python modules of the collection's ``kinds`` of plugins, as the plugin loader names them; the errors."""
    errors = []
    for kind in kinds:
        for name in python_modules(f"ansible_collections.{collection}.plugins.{kind}"):
            try:
                importlib.import_module(name)
            except Exception as exc:  # the worker that needs it reports the error as usual
                errors.append(f"{name}: {exc}")
    return errors


def prewarm(module_common, collections: list[str]) -> list[str]:
    """Walk the module_utils of ``collections`` as the payload of a module importing them all would; the errors."""
    errors = []
    extensions = module_common._builder.ExtensionManager.create(task_vars={})
    for collection in collections:
        lines = module_utils_imports(collection)
        if not lines:
            continue
        source = ("\n".join(lines) + "\n").encode()
        try:
            module_common.recursive_finder("worker_preload", f"ansible_collections.{collection}.plugins.modules.worker_preload",
                                           source, zipfile.ZipFile(io.BytesIO(), "w"),
                                           datetime.datetime.now(datetime.timezone.utc), extensions)
        except Exception as exc:  # what was walked before the error is kept; the run builds the rest as usual
            errors.append(f"{collection}: {exc}")
    return errors


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "credlink.infra.worker_preload"
    CALLBACK_NEEDS_ENABLED = True

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        if not supported():
            self._display.vvv(f"worker_preload: not used with ansible-core {ansible_version} (tested with 2.21)")
            return
        from ansible.executor import module_common

        started = time.monotonic()
        cache = install(module_common)
        if cache is None:
            self._display.vvv("worker_preload: module_utils not read, ansible-core's payload builder is not the one it knows")
        else:
            for error in prewarm(module_common, self.get_option("collections")):
                self._display.vvv(f"worker_preload: {error}")
        for error in import_plugins("credlink.infra"):
            self._display.vvv(f"worker_preload: {error}")
        self._display.vvv(f"worker_preload: {len(cache.found) if cache else 0} module_utils files read and the "
                          f"collection's plugins imported in {time.monotonic() - started:.2f} s")
