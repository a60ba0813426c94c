"""docs/variables.md is generated from the argument specs, and the check catches drift."""

from __future__ import annotations

import yaml

from tools import gen_docs
from tools.gen_docs import ROOT


def test_every_option_of_every_role_is_documented():
    text = gen_docs.render()
    for path in ROOT.glob("roles/*/meta/argument_specs.yml"):
        for entry in yaml.safe_load(path.read_text())["argument_specs"].values():
            for name in entry.get("options", {}):
                assert f"| `{name}` |" in text, f"{path.parts[-3]}: {name}"


def test_committed_reference_is_up_to_date():
    assert gen_docs.main(["--check"]) == 0


def test_check_fails_on_a_stale_file(tmp_path, capsys):
    current = gen_docs.render()
    outdated = current.replace("| `cache_num_nodes` | int | `2` |", "| `cache_num_nodes` | int | `3` |")
    assert outdated != current
    stale = tmp_path / "variables.md"
    stale.write_text(outdated)
    assert gen_docs.main(["--check"], output=stale) == 1
    assert "is stale" in capsys.readouterr().err


def test_check_fails_when_the_file_is_missing(tmp_path):
    assert gen_docs.main(["--check"], output=tmp_path / "variables.md") == 1


def test_generation_writes_what_the_check_accepts(tmp_path):
    target = tmp_path / "docs/variables.md"
    assert gen_docs.main([], output=target) == 0
    assert gen_docs.main(["--check"], output=target) == 0


def test_markup_becomes_markdown():
    assert gen_docs.markdown("C(a) O(b=1) I(c) B(d) U(https://x) L(e, https://y)") == \
        "`a` `b=1` *c* **d** <https://x> [e](https://y)"
    assert gen_docs.markdown("C(f(x)) then C(y)") == "`f(x)` then `y`"
