"""`make docs` builds the dbt docs site offline: `dbt docs generate` on a copy of the demo warehouse writes
index.html, manifest.json and catalog.json, and every column of every mart is described."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

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
