"""Data access for the report: rows from the warehouse (read-only), table states, country names, build info."""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from tradeflow.report.style import DISPLAY_NAMES


def query_rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        rec = {}
        for name, value in zip(names, row, strict=True):
            if isinstance(value, dt.date):  # datetimes too
                value = value.isoformat()
            rec[name] = value
        out.append(rec)
    return out


def table_state(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str | None:
    """None when the table exists and has rows; otherwise why it cannot be charted."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()[0]
    if not exists:
        return f"{schema}.{table} is missing in this warehouse"
    if con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0] == 0:
        return f"{schema}.{table} is empty in this warehouse"
    return None


def country_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    names = {}
    if table_state(con, "marts", "dim_countries") is None:
        for code, short, full in con.execute(
            "select country_code, short_name, country_name from marts.dim_countries"
        ).fetchall():
            names[code] = short or full or code
    names.update(DISPLAY_NAMES)
    return names


def build_info(con: duckdb.DuckDBPyConnection) -> dict:
    """The warehouse version, when it was built and by which command (ops.builds, newest build)."""
    info = {"version": None, "built_at": None, "command": None}
    if table_state(con, "ops", "builds") is None:
        version, built_at, extract = con.execute(
            "select version, built_at, extract from ops.builds order by built_at desc nulls last limit 1"
        ).fetchone()
        info["version"], info["built_at"] = version, built_at
        try:
            info["command"] = json.loads(extract or "{}").get("command")
        except json.JSONDecodeError:
            info["command"] = None
    return info
