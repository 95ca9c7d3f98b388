"""Shared fixtures. Everything runs offline; dbt builds go to temporary DuckDB files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.helpers import run_tradeflow


def pytest_collection_modifyitems(config, items):
    """Cluster tests (four JVMs, minutes) run only when asked for: `pytest -m cluster`."""
    if "cluster" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="starts a Spark standalone cluster: opt-in with `pytest -m cluster`")
    for item in items:
        if "cluster" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """The warehouse `tradeflow demo` builds from the bundled data, in a temporary place."""
    root = tmp_path_factory.mktemp("demo")
    db = root / "tradeflow.duckdb"
    run_tradeflow("demo", env={"TRADEFLOW_DB": str(db), "TRADEFLOW_LANDING": str(root / "landing")})
    return db


@pytest.fixture()
def demo_con(demo_warehouse):
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    yield con
    con.close()
