"""Shared fixtures. Everything runs offline; dbt builds go to temporary DuckDB files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.helpers import run_tradeflow

pytest_plugins = ["tests.emulator.fixtures"]  # the source emulator's fixture (source_emulator)


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """The warehouse `tradeflow demo` builds from the bundled data, in a temporary place."""
    root = tmp_path_factory.mktemp("demo")
    db = root / "tradeflow.duckdb"
    run_tradeflow(
        "demo",
        env={
            "TRADEFLOW_DEMO_DB": str(db),
            "TRADEFLOW_DEMO_LANDING": str(root / "landing"),
            "TRADEFLOW_LOG_DIR": str(root / "logs"),
        },
    )
    return db


@pytest.fixture()
def demo_con(demo_warehouse):
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    yield con
    con.close()
