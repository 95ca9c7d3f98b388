"""Every example in docs/bi.md and docs/queries.md (and the README's query) runs as written, from a folder laid
out like the repository after `make demo` (warehouse/ is the demo warehouse), with the project's venv first on
PATH. Blocks marked `text` are shown, not run; `sql` blocks of docs/queries.md are run and checked by
tests/marts/test_queries.py, the `sql` blocks of docs/bi.md here.

The `duckdb` command must be the same major.minor version as the duckdb package that wrote the warehouse
(docs/bi.md says so); where the installed CLI is older, the blocks that open the .duckdb file with it are
skipped with that reason, and its Parquet example still runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.helpers import PROJECT_DIR

pytestmark = pytest.mark.slow

FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```", re.M | re.S)
BIN = Path(sys.executable).parent
RUNNABLE = {"bash", "python", "sql"}


def blocks(name: str) -> list[tuple[str, int, str, str]]:
    text = (PROJECT_DIR / name).read_text()
    out = []
    for m in FENCE.finditer(text):
        line = text[: m.start()].count("\n") + 1
        out.append((name, line, m.group(1), m.group(2)))
    return out


BI = blocks("docs/bi.md")
QUERIES_SHELL = [b for b in blocks("docs/queries.md") if b[2] != "sql"]
README = [b for b in blocks("README.md") if "tradeflow query" in b[3]]
EXAMPLES = [b for b in BI + QUERIES_SHELL + README if b[2] != "text"]


def test_every_block_says_its_language():
    for name, line, lang, _ in BI + QUERIES_SHELL:
        assert lang in RUNNABLE | {"text"}, f"{name}:{line}: fence without a language (```bash, python, sql or text)"
    assert len([b for b in BI if b[2] in RUNNABLE]) >= 8
    assert len(README) == 1


def _cli_reads_the_file() -> str | None:
    """None when the duckdb command can open files of this duckdb package's version, else why not."""
    cli = shutil.which("duckdb", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if cli is None:
        return "no duckdb command: pip install -e '.[analyst]' (duckdb-cli)"
    version = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=30).stdout.split()
    cli_version = version[0].lstrip("v") if version else "?"
    if cli_version.split(".")[:2] != duckdb.__version__.split(".")[:2]:
        return (
            f"duckdb command {cli_version} cannot open a file written by duckdb {duckdb.__version__} (docs/bi.md: "
            f"pip install 'duckdb-cli=={duckdb.__version__}'; that version is not on this machine's package index)"
        )
    return None


@pytest.fixture(scope="module")
def site(demo_warehouse, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("docs_site")
    # warehouse/ as the docs name it: the live paths (warehouse/tradeflow.duckdb...) and the demo's own
    # (warehouse/demo/tradeflow.duckdb) both lead to the demo build here
    (root / "warehouse").mkdir()
    (root / "warehouse" / "demo").symlink_to(demo_warehouse.parent, target_is_directory=True)
    for entry in demo_warehouse.parent.iterdir():
        (root / "warehouse" / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    (root / ".venv").symlink_to(BIN.parent, target_is_directory=True)  # the README calls .venv/bin/tradeflow
    first_query = re.search(r"```sql\n(.*?)```", (PROJECT_DIR / "docs" / "queries.md").read_text(), re.S).group(1)
    (root / "q.sql").write_text(first_query)
    return root


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{n}:{line}-{lang}" for n, line, lang, _ in EXAMPLES])
def test_example_runs_as_written(example, site):
    name, line, lang, code = example
    if lang == "bash" and re.search(r"duckdb -readonly warehouse/", code):
        why = _cli_reads_the_file()
        if why:
            pytest.skip(why)
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "TRADEFLOW_DB": str(site / "warehouse" / "tradeflow.duckdb"),
    }
    if lang == "python":
        cmd = [sys.executable, "-c", code]
    elif lang == "bash":
        cmd = ["bash", "-euo", "pipefail", "-c", code]
    else:  # sql: one DuckDB session, as the page shows it
        cmd = [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(); print(con.sql(sys.argv[1]))", code]
    proc = subprocess.run(cmd, cwd=site, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, (
        f"{name}:{line} ({lang}) failed:\n{code}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    )
    if lang != "python" or "print(" in code or ".show()" in code:
        assert proc.stdout.strip(), f"{name}:{line} printed nothing"
    for leftover in ("answer.csv",):
        if leftover in code:
            assert (site / leftover).stat().st_size > 0


def test_the_readme_example_shows_the_columns_that_answer_the_question(site):
    (_, _, _, code) = README[0]
    proc = subprocess.run(
        ["bash", "-c", code],
        cwd=site,
        env={
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "TRADEFLOW_DB": str(site / "warehouse" / "tradeflow.duckdb"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    header = proc.stdout.splitlines()[1]
    for column in ("period_start", "product_scope", "index_vs_baseline", "russia_index", "flag"):
        assert column in header, column
    assert "…" not in header, "columns are hidden"
    assert "strong" in proc.stdout


def _described(folder: str) -> dict[tuple[str, str], str]:
    import yaml

    out = {}
    for path in (PROJECT_DIR / "models" / folder).glob("**/_*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []) or []:
            for column in model.get("columns", []) or []:
                if column.get("description"):
                    out[(model["name"], column["name"])] = " ".join(column["description"].split())
    return out


@pytest.mark.parametrize(("folder", "schema", "kind"), [("marts", "marts", "table"), ("staging", "staging", "view")])
def test_column_descriptions_are_persisted_in_the_warehouse(demo_con, folder, schema, kind):
    """persist_docs: BI tools read each model's column descriptions as DuckDB comments, on tables and on views."""
    described = _described(folder)
    comments = {
        (t, c): " ".join((comment or "").split())
        for t, c, comment in demo_con.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = ?", [schema]
        ).fetchall()
    }
    present = {k: v for k, v in described.items() if any(t == k[0] for t, _ in comments)}
    assert len(present) > 50, (folder, len(present))
    assert [k for k, v in present.items() if comments.get(k) != v] == []
    relations = (
        "select table_name, comment from duckdb_tables() where schema_name = ?"
        if kind == "table"
        else "select view_name, comment from duckdb_views() where schema_name = ? and not internal"
    )
    with_comment = dict(demo_con.execute(relations, [schema]).fetchall())
    assert with_comment and all(with_comment.values()), with_comment
