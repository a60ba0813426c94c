# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: module_utils_cache
type: aggregate
short_description: Read the imports of each module_utils file once per run instead of once per module
version_added: 0.2.0
description:
  - The first time a run uses a module, ansible-core builds its payload in the worker process
    of that task, and to find what to put in it, it parses the module and every module_utils
    file the module imports. The files every AWS module imports (C(ansible.module_utils.basic)
    and its imports, amazon.aws's module_utils, this collection's) are about 70 and are parsed
    again for every module. In this collection's playbooks that is most of the controller's
    CPU time.
  - This callback reads the imports of the module_utils files of O(collections) (and of
    everything they import) once, in the main process before any task runs. Worker processes
    are forked from it and reuse what it found. A file is walked again when its content
    differs from what was read; the module itself is always parsed, as ansible-core reads its
    metadata from it. The payloads are the same, byte for byte.
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
      - name: CREDLINK_MODULE_UTILS_CACHE_COLLECTIONS
    ini:
      - section: credlink_module_utils_cache
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


def module_utils_imports(collection: str) -> list[str]:
    """``import`` lines for every module_utils module of ``collection`` (none when it is not installed)."""
    package = f"ansible_collections.{collection}.plugins.module_utils"
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
    return [f"import {name}" for name in sorted(names)]


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
            module_common.recursive_finder("module_utils_cache", f"ansible_collections.{collection}.plugins.modules.module_utils_cache",
                                           source, zipfile.ZipFile(io.BytesIO(), "w"),
                                           datetime.datetime.now(datetime.timezone.utc), extensions)
        except Exception as exc:  # what was walked before the error is kept; the run builds the rest as usual
            errors.append(f"{collection}: {exc}")
    return errors


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "credlink.infra.module_utils_cache"
    CALLBACK_NEEDS_ENABLED = True

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        if not supported():
            self._display.vvv(f"module_utils_cache: not used with ansible-core {ansible_version} (tested with 2.21)")
            return
        from ansible.executor import module_common

        started = time.monotonic()
        cache = install(module_common)
        if cache is None:
            self._display.vvv("module_utils_cache: not used, ansible-core's payload builder is not the one it knows")
            return
        for error in prewarm(module_common, self.get_option("collections")):
            self._display.vvv(f"module_utils_cache: {error}")
        self._display.vvv(f"module_utils_cache: {len(cache.found)} module_utils files read in "
                          f"{time.monotonic() - started:.2f} s")
