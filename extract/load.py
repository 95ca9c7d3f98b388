"""Load one partition's typed rows into raw.<source>__<dataset> inside one transaction."""

from __future__ import annotations

import contextlib
from datetime import datetime

import duckdb
import polars as pl

from extract import faults, ledger
from extract.errors import SourceError
from extract.sources.base import META_COLUMNS, Dataset

_DUCK_TYPES = {
    pl.String: "varchar",
    pl.Int64: "bigint",
    pl.Int32: "integer",
    pl.Int16: "smallint",
    pl.Float64: "double",
    pl.Boolean: "boolean",
    pl.Date: "date",
}


def duck_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime):
        return "timestamp"
    if isinstance(dtype, pl.Decimal):
        return f"decimal({dtype.precision},{dtype.scale})"
    for k, v in _DUCK_TYPES.items():
        if dtype == k:
            return v
    raise TypeError(f"no DuckDB type for {dtype}")


def table_name(source: str, dataset: Dataset) -> str:
    return f"raw.{source}__{dataset.name}"


def ensure_table(con: duckdb.DuckDBPyConnection, source: str, dataset: Dataset) -> str:
    name = table_name(source, dataset)
    columns = {**dataset.schema, **META_COLUMNS}
    cols = ",\n    ".join(f'"{c}" {duck_type(t)}' for c, t in columns.items())
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists {name} (\n    {cols}\n)")
    existing = [r[0] for r in con.execute(f"select column_name from (describe {name})").fetchall()]
    missing = [c for c in columns if c not in existing]
    for c in missing:  # a dataset that gained a column: add it, nullable, to the existing table
        con.execute(f'alter table {name} add column "{c}" {duck_type(columns[c])}')
    return name


def ensure_all_raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create every registered source's raw tables (empty, with their declared schema) if missing.

    dbt's staging views read every raw table; a source that is disabled or not yet loaded still has
    its (empty) table, so the warehouse always builds.
    """
    from extract.sources import REGISTRY, source_class

    ledger.ensure(con)
    return [ensure_table(con, name, dataset) for name in REGISTRY for dataset in source_class(name).datasets.values()]


def load_partition(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    dataset: Dataset,
    partition_key: str,
    frame: pl.DataFrame,
    source_updated_at: str | None,
    fetched_at: datetime,
    sha256: str,
    landing_path: str,
    run_id: str,
    ensure: bool = True,
    replace: bool = True,
) -> int:
    """Replace the partition's rows and its ledger entry atomically. Returns the row count.

    `_loaded_at` is the time the bytes were fetched, so reloading the same landing file gives
    identical rows. `ensure=False`: the caller has already made the ledger and the raw table
    (`ledger.ensure`, `ensure_table`), e.g. once per source rather than once per partition.
    `replace=False`: the caller knows the table holds no row of this partition (read from the table,
    not from the ledger), so the delete, a scan of the whole table, is skipped.
    """
    if list(frame.columns) != list(dataset.schema):
        raise SourceError(source, partition_key, f"frame columns {frame.columns} differ from the declared schema")
    rows = frame.with_columns(
        pl.lit(partition_key, dtype=pl.String).alias("_partition_key"),
        pl.lit(fetched_at, dtype=pl.Datetime("us")).alias("_loaded_at"),
        pl.lit(source_updated_at, dtype=pl.String).alias("_source_updated_at"),
    )
    if ensure:
        ledger.ensure(con)
        name = ensure_table(con, source, dataset)
    else:
        name = table_name(source, dataset)
    column_list = ", ".join(f'"{c}"' for c in rows.columns)
    con.execute("begin transaction")
    try:
        if replace:
            con.execute(f"delete from {name} where _partition_key = ?", [partition_key])
        # the newest Arrow layout (string views) is polars' own: no copy of the string columns
        con.register("_tradeflow_rows", rows.to_arrow(compat_level=pl.CompatLevel.newest()))
        con.execute(f"insert into {name} ({column_list}) select {column_list} from _tradeflow_rows")
        con.unregister("_tradeflow_rows")
        faults.checkpoint("load")  # crash tests: killed inside the open transaction
        ledger.record_loaded(
            con,
            source=source,
            dataset=dataset.name,
            partition_key=partition_key,
            source_updated_at=source_updated_at,
            fetched_at=fetched_at,
            sha256=sha256,
            row_count=rows.height,
            landing_path=landing_path,
            run_id=run_id,
        )
        con.execute("commit")
    except Exception:
        rollback_quietly(con)
        raise
    return rows.height


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after a failure without hiding it: when DuckDB has already aborted the transaction (a full
    disk, an I/O error), its own rollback fails with "no transaction is active"; the first error is the one
    to report, so that second one is dropped."""
    with contextlib.suppress(duckdb.Error):
        con.execute("rollback")
