"""extract/settings_docs.py: the docs list every settings key, exactly as the models declare it."""

from __future__ import annotations

import re

from extract.config import RunSettings
from extract.settings_docs import main, render, table, targets
from extract.sources import REGISTRY
from extract.sources.eurostat_comext import ComextSettings
from tests.helpers import PROJECT_DIR


def test_every_source_and_run_has_a_documented_table_of_every_key():
    docs = targets()
    assert set(docs.values()) >= {RunSettings, ComextSettings}
    assert {p.name for p in docs} == {"extract.md", *(f"{name}.md" for name in REGISTRY)}
    for path, model in docs.items():
        text = path.read_text()
        assert render(text, model) == text, f"{path}: run `python -m extract.settings_docs`"
        for key in model.model_fields:
            assert f"| `{key}` |" in text, f"{path} does not document {key}"
    assert main(["--check"]) == 0


def test_the_table_says_type_default_and_meaning():
    lines = table(ComextSettings).splitlines()
    assert lines[0] == "| key | type | default | what it does |"
    cells = [re.split(r"(?<!\\)\|", line) for line in lines[2:]]  # an escaped \| is inside a cell
    rows = {c[1].strip(" `"): [x.strip() for x in c[2:5]] for c in cells}
    assert rows["files"][:2] == ["list of path", "`[]`"]
    assert rows["reporters"][:2] == ["list of ISO3", "`[]`"]
    assert rows["years"][:2] == ["[first, last]", "unset"]
    assert rows["flows"][:2] == ['list of "1" \\| "2"', '`["1", "2"]`']
    assert rows["max_cells"] == [
        "integer",
        "`500000`",
        "API: split a query estimated above this many cells before asking.",
    ]


def test_a_stale_table_is_rewritten_and_the_text_around_it_kept(tmp_path):
    text = (PROJECT_DIR / "docs" / "sources" / "wiiw_fdi.md").read_text()
    start, end = text.index("| `files`"), text.index("<!-- end of settings table -->")
    stale = text[:start] + text[end:]  # a row missing
    assert render(stale, targets()[PROJECT_DIR / "docs" / "sources" / "wiiw_fdi.md"]) == text
    fresh = render("# A new source\n", RunSettings)
    assert fresh.startswith("# A new source\n\n## Settings\n<!-- settings table:") and "| `mode` |" in fresh
