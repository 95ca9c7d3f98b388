"""Data access for the report: rows from the warehouse (read-only), table states, country names, build info."""

from __future__ import annotations

import datetime as dt
import json
import re

import duckdb

from extract import ledger
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
    build = ledger.newest_build(con)
    if build is not None:
        info["version"], info["built_at"] = build["version"], build["built_at"]
        try:
            info["command"] = json.loads(build["extract"] or "{}").get("command")
        except json.JSONDecodeError:
            info["command"] = None
    return info


SOURCE_LABELS = {
    "eurostat_comext": "Eurostat Comext",
    "national": "National statistics offices",
    "comtrade": "UN Comtrade",
    "imf": "IMF IMTS",
    "wiiw_fdi": "wiiw FDI database",
    "worldbank": "World Bank WDI",
    "eurostat_fdi": "Eurostat FDI",
    "ecb": "ECB exchange rates",
}
# The source column of the marts -> the ops source that loaded it
MART_SOURCE_TO_OPS = {"eurostat_comext_file": "eurostat_comext", "wiiw": "wiiw_fdi"}
_PUBLISHED_DATE = re.compile(r"(?:^|lastupdated=)(\d{4}-\d{2}-\d{2})")


def source_dates(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Per source (ops.partitions.source): the latest period of its data in the marts, when it was last fetched and,
    where the source states it, when the source last published (ops.partitions.source_updated_at when it holds a
    date; a file hash or a series count says nothing about a date and is left out)."""
    out: dict[str, dict] = {}
    for source, fetched_at, stamps in ledger.source_stamps(con):
        published = sorted({m.group(1) for s in stamps if s for m in [_PUBLISHED_DATE.search(s)] if m})
        out[source] = {
            "label": SOURCE_LABELS.get(source, source),
            "fetched_at": fetched_at.strftime("%Y-%m-%d %H:%M") if fetched_at else None,
            "published": published[-1] if published else None,
            "data_to": {},
        }

    def data_to(source: str, frequency: str, value: str) -> None:
        ops_source = MART_SOURCE_TO_OPS.get(source, source)
        entry = out.setdefault(
            ops_source,
            {"label": SOURCE_LABELS.get(ops_source, ops_source), "fetched_at": None, "published": None, "data_to": {}},
        )
        if value > entry["data_to"].get(frequency, ""):
            entry["data_to"][frequency] = value

    if table_state(con, "marts", "fct_trade_flows") is None:
        for source, frequency, latest in con.execute(
            "select source, frequency, max(period_start) from marts.fct_trade_flows group by all"
        ).fetchall():
            data_to(source, frequency, latest.strftime("%Y-%m") if frequency == "M" else str(latest.year))
    if table_state(con, "marts", "eu_investment_central_asia") is None:
        for source, latest in con.execute(
            "select source, max(year) from marts.eu_investment_central_asia group by all"
        ).fetchall():
            data_to(source, "A", str(latest))
    return out


def data_dates_line(dates: dict[str, dict], sources: list[str]) -> str:
    """'Eurostat Comext: data to 2024-08, fetched 2026-12-01 21:37, published 2024-11-14; ...' for a chart's sources."""
    parts = []
    for source in sources:
        d = dates.get(source)
        if not d:
            parts.append(f"{SOURCE_LABELS.get(source, source)}: not loaded in this warehouse")
            continue
        periods = [f"{'annual' if f == 'A' else 'monthly'} data to {v}" for f, v in sorted(d["data_to"].items())]
        bits = periods or ["no rows in the marts"]
        if d["fetched_at"]:
            bits.append(f"fetched {d['fetched_at']}")
        if d["published"]:
            bits.append(f"published by the source {d['published']}")
        parts.append(f"{d['label']}: {', '.join(bits)}")
    return "; ".join(parts)
