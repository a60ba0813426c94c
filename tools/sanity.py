"""Run `ansible-test sanity` on the collection, with the index of a package registry only.

ansible-test runs only inside `.../ansible_collections/<namespace>/<name>/` and resolves the
checkout's `collections/ansible_collections/credlink/infra` symlink back to the project
root, so the files git knows are copied to a temporary tree (outside the checkout, whose
.gitignore ansible-test would apply), next to the bundled collections the modules import. ansible-test builds one virtualenv per test and bootstraps pip in it
with a script from its own download site; a stand-in that uses the standard library's
ensurepip takes its place (kept with the venvs in a cache that outlives the checkout).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import ansible_test

ROOT = Path(__file__).resolve().parents[1]
CACHE_HOME = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "credlink-infra/ansible-test"
# Tests left out, and why; every other test of the installed ansible-test runs.
SKIPPED = {
    "pylint": "its ansible-test policy rejects `_` as a throwaway name and subprocess.run without check=, "
              "which the tests use throughout; the slowest test by far",
    "ansible-doc": "`make docs-check` renders every module, filter and role with ansible-doc already",
    "changelog": "`make changelog-lint` runs the same lint with the project's pinned antsibull-changelog",
    "pslint": "the collection has no PowerShell",
}
PIP_BOOTSTRAP = '''\
"""Stand-in for get-pip.py: pip from ensurepip, then the requested pip from the index."""
import ensurepip
import subprocess
import sys

ensurepip.bootstrap()
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))
'''


def copy_collection(scratch: Path) -> Path:
    collection = scratch / "ansible_collections/credlink/infra"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (collection / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, collection / name)
    bundled = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"
    for namespace in ("amazon", "community"):
        (scratch / "ansible_collections" / namespace).symlink_to(bundled / namespace)
    return collection


def install_pip_bootstrap() -> None:
    source = (Path(ansible_test.__file__).parent / "_internal/python_requirements.py").read_text()
    version = re.search(r"pip='([0-9.]+)'", source)
    if not version:
        sys.exit("sanity: cannot tell which pip this ansible-test bootstraps")
    script = CACHE_HOME / f".ansible/test/cache/get_pip_{version[1].replace('.', '_')}.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(PIP_BOOTSTRAP)


def main() -> int:
    install_pip_bootstrap()
    for test, reason in SKIPPED.items():
        print(f"sanity: skipping {test}: {reason}")
    env = {k: v for k, v in os.environ.items() if k not in ("ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH")}
    env["HOME"] = str(CACHE_HOME)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = [str(Path(sys.executable).parent / "ansible-test"), "sanity", "--python", python, "--color", "no"]
    for test in SKIPPED:
        command += ["--skip-test", test]
    with tempfile.TemporaryDirectory(prefix="credlink-sanity-") as scratch:
        collection = copy_collection(Path(scratch))
        return subprocess.run(command + sys.argv[1:], cwd=collection, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
