"""Shared fixtures. Everything runs offline; dbt builds go to temporary DuckDB files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
TRADEFLOW = str(Path(sys.executable).with_name("tradeflow"))


def run_tradeflow(*args: str, env: dict[str, str] | None = None, check: bool = True):
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [TRADEFLOW, *args], cwd=PROJECT_DIR, env=full_env, text=True, capture_output=True, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"tradeflow {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


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
