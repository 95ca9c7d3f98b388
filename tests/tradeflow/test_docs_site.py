"""`make docs` builds the dbt docs site offline: `dbt docs generate` on a copy of the demo warehouse writes
index.html, manifest.json and catalog.json, and every column of every mart is described. `tradeflow docs --static`
writes it as one file that renders from disk (file://) in headless Chromium."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from tests.helpers import run_tradeflow
from tradeflow.dbt import run_dbt


@pytest.fixture(scope="module")
def docs_site(demo_warehouse, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("docs_site")
    db = root / "tradeflow.duckdb"
    shutil.copyfile(demo_warehouse, db)  # dbt opens its database read-write: never the published file
    target = root / "target"
    run_dbt(["docs", "generate"], db_path=db, capture=True, target_path=target)
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
    return {
        "target": target,
        "manifest": json.loads((target / "manifest.json").read_text()),
        "catalog": json.loads((target / "catalog.json").read_text()),
        "warehouse_marts": tables,
    }


def test_the_site_files_are_written(docs_site):
    target = docs_site["target"]
    for name in ("index.html", "manifest.json", "catalog.json"):
        assert (target / name).is_file(), name
        assert (target / name).stat().st_size > 0, name
    assert "<html" in (target / "index.html").read_text()[:5000].lower()
    assert docs_site["catalog"]["errors"] is None, docs_site["catalog"]["errors"]


def _mart_models(manifest: dict) -> dict[str, dict]:
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }


def test_the_catalog_covers_every_mart_of_the_warehouse(docs_site):
    models = _mart_models(docs_site["manifest"])
    catalog_marts = {
        uid for uid, node in docs_site["catalog"]["nodes"].items() if node["metadata"]["schema"] == "marts"
    }
    assert catalog_marts == set(models), "every mart model is in the catalog and nothing else"
    assert {node["name"] for node in models.values()} == docs_site["warehouse_marts"]


def test_every_mart_and_every_mart_column_has_a_description(docs_site):
    models = _mart_models(docs_site["manifest"])
    catalog = docs_site["catalog"]["nodes"]
    missing, undocumented_in_warehouse = [], []
    for uid, model in sorted(models.items()):
        name = model["name"]
        if not (model.get("description") or "").strip():
            missing.append(f"{name} (the model itself)")
        described = {col.lower(): (meta.get("description") or "").strip() for col, meta in model["columns"].items()}
        actual = [col.lower() for col in catalog[uid]["columns"]]  # the columns the warehouse really has
        assert actual, f"{name} has no columns in the catalog"
        missing += [f"{name}.{col}" for col in actual if not described.get(col)]
        undocumented_in_warehouse += [f"{name}.{col}" for col in described if col not in actual]
    assert not missing, f"{len(missing)} mart column(s) without a description: {', '.join(missing)}"
    assert not undocumented_in_warehouse, (
        "columns described in the YAML that the warehouse does not have: " + ", ".join(undocumented_in_warehouse)
    )


# ------------------------------------------------------------------------------ the single-file site from disk


@pytest.fixture(scope="module")
def static_site(demo_warehouse, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("static_docs") / "tradeflow-docs.html"
    proc = run_tradeflow("docs", "--static", "--out", str(out), env={"TRADEFLOW_DB": str(demo_warehouse)})
    assert f"docs site: {out} (one file, opens from disk)" in proc.stdout
    return out


def test_static_site_is_one_file_with_manifest_and_catalog_inlined(static_site):
    assert sorted(p.name for p in static_site.parent.iterdir()) == ["tradeflow-docs.html"]
    text = static_site.read_text()
    assert len(text) > 1_000_000
    assert "sanctions_rerouting_indicators" in text and "index_vs_baseline" in text


def test_static_site_renders_from_disk_in_chromium(static_site, browser):
    """file:// with no server: the page must list the models and show a mart's columns with their descriptions."""
    browser.get(static_site.resolve().as_uri() + "#!/model/model.tradeflow.sanctions_rerouting_indicators")
    deadline = time.monotonic() + 60
    body = ""
    while time.monotonic() < deadline:
        body = browser.find_element("tag name", "body").text
        if "index_vs_baseline" in body and "sanctions_rerouting_indicators" in body:
            break
        time.sleep(0.5)
    assert "sanctions_rerouting_indicators" in body, body[:2000]
    assert "index_vs_baseline" in body, body[:2000]
    # the model's description from its YAML is on the page, and the other marts are in the tree
    assert "One row per transit_code" in body
    assert "top_re" in body and "russia_central_asia_trade" in static_site.read_text()
    # (dbt-docs logs harmless 'Unsafe attempt to load URL ...getIcon...' messages for its own icons from file://)
