"""Fail unless every module, filter, test, callback, lookup and role of the collection renders with ansible-doc."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def plugins() -> list[tuple[str, str]]:
    found = [("module", p.stem) for p in sorted((ROOT / "plugins/modules").glob("*.py")) if p.stem != "__init__"]
    found += [("filter", p.stem) for p in sorted((ROOT / "plugins/filter").glob("*.yml"))]
    found += [("callback", p.stem) for p in sorted((ROOT / "plugins/callback").glob("*.py")) if p.stem != "__init__"]
    found += [("lookup", p.stem) for p in sorted((ROOT / "plugins/lookup").glob("*.py")) if p.stem != "__init__"]
    found += [("test", p.stem) for p in sorted((ROOT / "plugins/test").glob("*.yml"))]
    found += [("role", p.name) for p in sorted((ROOT / "roles").iterdir()) if (p / "meta/argument_specs.yml").exists()]
    return found


def main() -> int:
    failures = 0
    for kind, name in plugins():
        fqcn = f"credlink.infra.{name}"
        proc = subprocess.run([str(BIN / "ansible-doc"), "-t", kind, fqcn], capture_output=True, text=True, cwd=ROOT)
        # ansible-core warns about its own internal collection on every role listing.
        warnings = [line for line in proc.stderr.splitlines() if "[WARNING]" in line and "_protomatter" not in line]
        ok = proc.returncode == 0 and fqcn in proc.stdout and not warnings
        print(f"{'ok  ' if ok else 'FAIL'} {kind:7} {fqcn}")
        if not ok:
            failures += 1
            print((proc.stderr or proc.stdout).strip()[-2000:], file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
