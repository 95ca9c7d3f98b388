"""Paths and environment: where the warehouse, landing files and dbt project live."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def warehouse_path() -> Path:
    """The DuckDB file dbt's `dev` target writes (TRADEFLOW_DB overrides the default)."""
    return Path(os.environ.get("TRADEFLOW_DB", PROJECT_DIR / "warehouse" / "tradeflow.duckdb"))


def demo_warehouse_path() -> Path:
    """The demo's own warehouse (`make demo`), never the live one (TRADEFLOW_DEMO_DB overrides it)."""
    return Path(os.environ.get("TRADEFLOW_DEMO_DB", PROJECT_DIR / "warehouse" / "demo" / "tradeflow.duckdb"))


def demo_landing_dir() -> Path:
    return Path(os.environ.get("TRADEFLOW_DEMO_LANDING", PROJECT_DIR / "landing" / "demo"))


def landing_dir() -> Path:
    return Path(os.environ.get("TRADEFLOW_LANDING", PROJECT_DIR / "landing"))


def log_dir() -> Path:
    return Path(os.environ.get("TRADEFLOW_LOG_DIR", PROJECT_DIR / "logs"))


def dbt_env(db_path: Path | None = None) -> dict[str, str]:
    """Environment for every dbt call: root profiles.yml, no usage stats, no version check."""
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(PROJECT_DIR),
        DBT_PROJECT_DIR=str(PROJECT_DIR),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_VERSION_CHECK="false",
    )
    if db_path is not None:
        env["TRADEFLOW_DB"] = str(db_path)
    return env
