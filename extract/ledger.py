"""The ledger in DuckDB: every statement on `ops.*` is here (DDL, writes, build records, status reads).

ops.partitions   what is loaded, from which bytes (one row per partition)
ops.runs         one row per extract run
ops.partition_errors  every failure of a partition (or of a source's plan), by run
ops.builds       one row per published build: its run, config, steps and dbt project fingerprint
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import duckdb

DDL = """
create schema if not exists raw;
create schema if not exists ops;
create table if not exists ops.partitions (
    source varchar not null,
    dataset varchar not null,
    partition_key varchar not null,
    source_updated_at varchar,
    fetched_at timestamp,
    sha256 varchar,
    row_count bigint,
    status varchar not null,
    landing_path varchar,
    run_id varchar,
    loaded_at timestamp,
    error varchar,
    primary key (source, dataset, partition_key)
);
create table if not exists ops.runs (
    run_id varchar primary key,
    command varchar,
    started_at timestamp,
    ended_at timestamp,
    status varchar,
    partitions_planned integer,
    partitions_skipped integer,
    partitions_loaded integer,
    partitions_failed integer,
    rows_loaded bigint,
    requests_made integer,
    warnings varchar,
    error varchar,
    summary varchar
);
create table if not exists ops.source_budgets (
    run_id varchar not null,
    source varchar not null,
    recorded_at timestamp not null,
    budget integer,
    spent integer,
    partitions_left integer,
    calls_left integer,
    stopped varchar,
    metadata_calls integer
);
create table if not exists ops.partition_errors (
    run_id varchar not null,
    source varchar not null,
    dataset varchar not null,
    partition_key varchar not null,
    failed_at timestamp not null,
    error varchar not null
);
"""


BUILDS_DDL = """
create table if not exists ops.builds (
    version varchar primary key, run_id varchar, built_at timestamp, config varchar,
    steps varchar, extract varchar);
alter table ops.builds add column if not exists project_fingerprint varchar;
alter table ops.builds add column if not exists full_refresh boolean;
"""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


@dataclass
class Run:
    command: str
    run_id: str = field(default_factory=lambda: utcnow().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6])
    started_at: datetime = field(default_factory=utcnow)
    status: str = "running"
    partitions_planned: int = 0
    partitions_skipped: int = 0
    partitions_loaded: int = 0
    partitions_failed: int = 0
    rows_loaded: int = 0
    requests_made: int = 0
    metadata_requests: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stopped: dict[str, str] = field(default_factory=dict)  # source -> why it stopped early (budget, quota)
    # source -> "ok" (reached: loaded, unchanged or stopped on its budget) or "failed: <first reason>"
    outcomes: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict:
        d = asdict(self)
        d["started_at"] = self.started_at.isoformat()
        return d


def start_run(con, run: Run) -> None:
    ensure(con)
    con.execute(
        "insert into ops.runs (run_id, command, started_at, status) values (?, ?, ?, 'running')",
        [run.run_id, run.command, run.started_at],
    )


def finish_run(con, run: Run) -> None:
    run.status = "failed" if run.errors else "success"
    con.execute(
        """update ops.runs set ended_at = ?, status = ?, partitions_planned = ?, partitions_skipped = ?,
               partitions_loaded = ?, partitions_failed = ?, rows_loaded = ?, requests_made = ?,
               warnings = ?, error = ?, summary = ?
           where run_id = ?""",
        [
            utcnow(),
            run.status,
            run.partitions_planned,
            run.partitions_skipped,
            run.partitions_loaded,
            run.partitions_failed,
            run.rows_loaded,
            run.requests_made,
            json.dumps(run.warnings),
            "; ".join(run.errors) or None,
            json.dumps(run.summary(), default=str),
            run.run_id,
        ],
    )


def partition_state(con, source: str) -> dict[tuple[str, str], dict]:
    """The ledger's latest state of each partition of a source, keyed by (dataset, partition_key)."""
    ensure(con)
    rows = con.execute(
        "select dataset, partition_key, source_updated_at, sha256, status, row_count from ops.partitions where source = ?",
        [source],
    ).fetchall()
    return {(r[0], r[1]): {"source_updated_at": r[2], "sha256": r[3], "status": r[4], "row_count": r[5]} for r in rows}


def record_loaded(
    con,
    *,
    source: str,
    dataset: str,
    partition_key: str,
    source_updated_at: str | None,
    fetched_at: datetime,
    sha256: str,
    row_count: int,
    landing_path: str,
    run_id: str,
) -> None:
    """A partition's ledger entry after its rows were loaded (inside the caller's transaction)."""
    con.execute(
        """insert or replace into ops.partitions
           (source, dataset, partition_key, source_updated_at, fetched_at, sha256, row_count, status,
            landing_path, run_id, loaded_at, error)
           values (?, ?, ?, ?, ?, ?, ?, 'loaded', ?, ?, ?, null)""",
        [
            source,
            dataset,
            partition_key,
            source_updated_at,
            fetched_at,
            sha256,
            row_count,
            landing_path,
            run_id,
            utcnow(),
        ],
    )


def restamp(con, source: str, dataset: str, partition_key: str, source_updated_at: str | None) -> None:
    """A partition whose change stamp moved while its bytes stayed the same (inside the caller's transaction)."""
    con.execute(
        "update ops.partitions set source_updated_at = ? where source = ? and dataset = ? and partition_key = ?",
        [source_updated_at, source, dataset, partition_key],
    )


def record_failure(con, source: str, dataset: str, key: str, run_id: str, error: str) -> None:
    """Log a partition's failure in ops.partition_errors; ops.partitions (what is loaded) is untouched."""
    ensure(con)
    con.execute(
        "insert into ops.partition_errors values (?, ?, ?, ?, ?, ?)",
        [run_id, source, dataset, key, utcnow(), error],
    )


# --------------------------------------------------------------------------- builds


def record_build(
    con,
    *,
    version: str,
    run_id: str,
    config: str,
    steps: dict,
    extract: dict,
    project_fingerprint: str,
    full_refresh: bool,
) -> None:
    """The build record of a version about to be published (ops.builds)."""
    ensure(con)
    con.execute(BUILDS_DDL)
    con.execute(
        """insert or replace into ops.builds
           (version, run_id, built_at, config, steps, extract, project_fingerprint, full_refresh)
           values (?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            version,
            run_id,
            utcnow(),
            config,
            json.dumps(steps),
            json.dumps(extract, default=str),
            project_fingerprint,
            full_refresh,
        ],
    )


def _has_table(con, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = 'ops' and table_name = ?", [table]
        ).fetchone()[0]
    )


def last_fingerprint(con) -> str | None:
    """The dbt project fingerprint of the newest build in this warehouse (None: no build recorded)."""
    if not _has_table(con, "builds"):
        return None
    cols = [r[0] for r in con.execute("select column_name from (describe ops.builds)").fetchall()]
    if "project_fingerprint" not in cols:
        return None
    row = con.execute("select project_fingerprint from ops.builds order by built_at desc limit 1").fetchone()
    return row[0] if row else None


def latest_build(con) -> tuple[str | None, str | None]:
    """(version, built_at) of the newest build recorded in this warehouse ((None, None) without one)."""
    if not _has_table(con, "builds"):
        return None, None
    row = con.execute("select version, built_at::varchar from ops.builds order by built_at desc limit 1").fetchone()
    return (row[0], row[1]) if row else (None, None)


def newest_build(con) -> dict | None:
    """The newest build record: version, built_at (a datetime), extract (the run summary as JSON text); None without one."""
    if not _has_table(con, "builds"):
        return None
    row = con.execute(
        "select version, built_at, extract from ops.builds order by built_at desc nulls last limit 1"
    ).fetchone()
    return dict(zip(("version", "built_at", "extract"), row, strict=True)) if row else None


# --------------------------------------------------------------------------- status reads


def source_stamps(con) -> list[tuple]:
    """Per source: (source, when last fetched, the distinct change stamps of its partitions); [] without a ledger."""
    if not _has_table(con, "partitions"):
        return []
    return con.execute(
        "select source, max(fetched_at), list(distinct source_updated_at) from ops.partitions group by source"
    ).fetchall()


def source_freshness(con) -> list[dict]:
    """Per source: partitions, rows, when last fetched, the newest change stamp ([] without a ledger)."""
    if not _has_table(con, "partitions"):
        return []
    return [
        dict(zip(("source", "partitions", "rows", "last_fetched_at", "last_source_update"), r, strict=True))
        for r in con.execute(
            """select source, count(*), sum(row_count), max(fetched_at)::varchar, max(source_updated_at)
               from ops.partitions group by source order by source"""
        ).fetchall()
    ]


def partitions_in_error(con) -> list[dict]:
    """The partitions (and plans) that failed in the newest run ([] without a ledger)."""
    if not (_has_table(con, "partition_errors") and _has_table(con, "runs")):
        return []
    return [
        dict(zip(("run_id", "source", "dataset", "partition_key", "error"), r, strict=True))
        for r in con.execute(
            """select run_id, source, dataset, partition_key, error from ops.partition_errors
               where run_id = (select max(run_id) from ops.runs) order by source, partition_key"""
        ).fetchall()
    ]


def record_budget(
    con,
    run_id: str,
    source: str,
    budget: int | None,
    spent: int,
    partitions_left: int | None,
    calls_left: int | None,
    stopped: str | None,
    metadata_calls: int | None = None,
) -> None:
    """What a source spent of its daily budget in a run, and what it left for the next runs."""
    ensure(con)
    con.execute(
        "insert into ops.source_budgets values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, source, utcnow(), budget, spent, partitions_left, calls_left, stopped, metadata_calls],
    )


def latest_budgets(con) -> dict[str, dict]:
    """Per source, the last recorded budget row."""
    if not _has_table(con, "source_budgets"):
        return {}
    rows = con.execute(
        """select source, run_id, budget, spent, partitions_left, calls_left, stopped, metadata_calls
           from ops.source_budgets
           qualify row_number() over (partition by source order by recorded_at desc) = 1"""
    ).fetchall()
    keys = ("source", "run_id", "budget", "spent", "partitions_left", "calls_left", "stopped", "metadata_calls")
    return {r[0]: dict(zip(keys, r, strict=True)) for r in rows}
