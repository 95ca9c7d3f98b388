"""The Python API for analysts: read the published warehouse without writing SQL by hand.

    import tradeflow
    con = tradeflow.connect()                       # read-only DuckDB connection to TRADEFLOW_DB
    df = tradeflow.read_mart("sanctions_rerouting_indicators", transit_code="KGZ", frequency="A")
    tradeflow.marts()                               # name, grain, rows, freshness of every mart

Everything opens the published file read-only (any number of readers at once, never a lock on writers).
Filters are passed to DuckDB as parameters, never formatted into the SQL; mart and column names are checked
against the warehouse's catalogue first, so a misspelt name is an error that lists the valid ones.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from extract import ledger
from extract.errors import TradeflowError
from extract.settings import PROJECT_DIR, warehouse_path

MARTS_SCHEMA = "marts"
MODELS_DIR = PROJECT_DIR / "models" / "marts"


class ApiError(TradeflowError, ValueError):
    """A bad mart name, column name, filter value or query, or no warehouse where one was expected."""


def connect(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (path, else TRADEFLOW_DB, else warehouse/tradeflow.duckdb).

    Close it (or use `with tradeflow.connect() as con:`) and connect again to see a version published since.
    """
    db = Path(path) if path is not None else warehouse_path()
    if not db.exists():
        raise ApiError(
            f"no warehouse at {db}: build one with `tradeflow demo` (bundled data) or `tradeflow refresh`, "
            "or set TRADEFLOW_DB to the published file"
        )
    return duckdb.connect(str(db), read_only=True)


def _mart_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = ? "
        "order by table_name, ordinal_position",
        [MARTS_SCHEMA],
    ).fetchall():
        out.setdefault(table, []).append(column)
    return out


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _where(filters: dict[str, Any], columns: list[str], mart: str) -> tuple[str, list]:
    """`where` clause and parameters: a scalar is `=`, None is `is null`, a list/tuple/set is `in (...)`."""
    unknown = sorted(set(filters) - set(columns))
    if unknown:
        raise ApiError(f"marts.{mart} has no column {', '.join(unknown)}; its columns: {', '.join(columns)}")
    clauses, params = [], []
    for column, value in filters.items():
        if value is None:
            clauses.append(f"{_quote(column)} is null")
        elif isinstance(value, list | tuple | set | frozenset):
            values = list(value)
            if not values:
                raise ApiError(f"filter {column}=[] matches nothing: give at least one value")
            clauses.append(f"{_quote(column)} in ({', '.join('?' for _ in values)})")
            params.extend(values)
        elif isinstance(value, str | int | float | bool | dt.date):
            clauses.append(f"{_quote(column)} = ?")
            params.append(value)
        else:
            raise ApiError(
                f"filter {column}={value!r}: give a string, number, boolean, date, None or a list of them "
                f"(not {type(value).__name__})"
            )
    return (" where " + " and ".join(clauses)) if clauses else "", params


def read_mart(
    name: str,
    *,
    columns: list[str] | None = None,
    pandas: bool = False,
    db: Path | str | None = None,
    **filters: Any,
):
    """One mart as a polars DataFrame (a pandas one with pandas=True), optionally filtered and narrowed.

    `name` is a table of schema marts (with or without the `marts.` prefix). Each keyword filter is a column:
    `transit_code="KGZ"` keeps equal rows, `transit_code=["KGZ", "KAZ"]` rows in the list, `flag=None` null rows.

        read_mart("russia_central_asia_trade", country_code="KGZ", frequency="A", partner_code=["RUS", "CHN"])
    """
    mart = name.removeprefix(f"{MARTS_SCHEMA}.")
    with connect(db) as con:
        catalogue = _mart_columns(con)
        if mart not in catalogue:
            raise ApiError(f"no mart {name!r} in the warehouse; the marts: {', '.join(sorted(catalogue))}")
        mart_columns = catalogue[mart]
        if columns is not None:
            missing = [c for c in columns if c not in mart_columns]
            if missing:
                raise ApiError(
                    f"marts.{mart} has no column {', '.join(missing)}; its columns: {', '.join(mart_columns)}"
                )
        where, params = _where(filters, mart_columns, mart)
        select = ", ".join(_quote(c) for c in columns) if columns else "*"
        relation = con.sql(f"select {select} from {MARTS_SCHEMA}.{_quote(mart)}{where}", params=params)
        if pandas:
            try:
                import pandas as _pd  # noqa: F401
            except ImportError as exc:
                raise ApiError(
                    "pandas=True needs pandas: pip install 'tradeflow-warehouse[pandas]' (or use the polars frame)"
                ) from exc
            return relation.df()
        return relation.pl()


# ----------------------------------------------------------------------------------------------- the catalogue


@dataclass
class MartInfo:
    name: str
    grain: str
    rows: int
    latest_period: str | None
    built_at: str | None
    version: str | None
    description: str


def _model_docs() -> dict[str, dict]:
    """Grain (the unique key its tests declare) and the first sentence of the description of each mart model,
    from models/marts/**/_*.yml."""
    docs: dict[str, dict] = {}
    for path in sorted(MODELS_DIR.glob("**/_*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []) or []:
            grain = None
            for test in model.get("data_tests", []) or model.get("tests", []) or []:
                if isinstance(test, dict):
                    for kind, spec in test.items():
                        if "unique_combination" in kind and isinstance(spec, dict):
                            cols = (spec.get("arguments") or spec).get("combination_of_columns")
                            if cols:
                                grain = ", ".join(cols)
            if grain is None:
                for column in model.get("columns", []) or []:
                    if "unique" in (column.get("data_tests") or column.get("tests") or []):
                        grain = column["name"]
                        break
            description = " ".join(str(model.get("description") or "").split())
            first = re.split(r"(?<=\.)\s", description, maxsplit=1)[0] if description else ""
            docs[model["name"]] = {"grain": grain or "not declared", "description": first}
    return docs


def marts(db: Path | str | None = None) -> list[MartInfo]:
    """Every mart of the published warehouse: grain, row count, latest period it holds, and when it was built."""
    docs = _model_docs()
    with connect(db) as con:
        catalogue = _mart_columns(con)
        version = built_at = None
        build = ledger.newest_build(con)
        if build:
            version = build["version"]
            built_at = build["built_at"].isoformat(timespec="seconds") if build["built_at"] else None
        out = []
        for mart, columns in sorted(catalogue.items()):
            table = f"{MARTS_SCHEMA}.{_quote(mart)}"
            rows = con.execute(f"select count(*) from {table}").fetchone()[0]
            latest = None
            for column in ("period_start", "year", "period"):
                if column in columns:
                    value = con.execute(f"select max({_quote(column)}) from {table}").fetchone()[0]
                    latest = value.isoformat() if isinstance(value, dt.date) else (str(value) if value else None)
                    break
            info = docs.get(mart, {"grain": "not declared", "description": ""})
            out.append(MartInfo(mart, info["grain"], rows, latest, built_at, version, info["description"]))
    return out


def marts_as_dicts(db: Path | str | None = None) -> list[dict]:
    return [asdict(m) for m in marts(db)]


# ------------------------------------------------------------------------------------------------------ queries

READ_STATEMENTS = {"SELECT", "EXPLAIN"}


def query(sql: str, *, pandas: bool = False, db: Path | str | None = None):
    """Run one read-only SQL statement (select / with ... select / explain) on the published warehouse.

    The connection is read-only, and statements that could write elsewhere (COPY ... TO, ATTACH, INSTALL, SET,
    CREATE ...) are refused before anything runs, so a query cannot change the warehouse or write files.
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise ApiError(f"the query does not parse: {exc}") from exc
    if len(statements) != 1:
        raise ApiError(f"give exactly one SQL statement (got {len(statements)})")
    kind = statements[0].type.name
    if kind not in READ_STATEMENTS:
        raise ApiError(f"only read queries run here (select, with ... select, explain); this is a {kind} statement")
    with connect(db) as con:
        try:
            relation = con.sql(sql)
            return relation.df() if pandas else relation.pl()
        except duckdb.Error as exc:
            raise ApiError(f"the query failed: {exc}") from exc
