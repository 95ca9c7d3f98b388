"""The ledger in DuckDB: ops.partitions (what was loaded, from which bytes) and ops.runs."""

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
    stopped varchar
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


def record_failure(con, source: str, dataset: str, key: str, run_id: str, error: str) -> None:
    """Log a partition's failure in ops.partition_errors; ops.partitions (what is loaded) is untouched."""
    ensure(con)
    con.execute(
        "insert into ops.partition_errors values (?, ?, ?, ?, ?, ?)",
        [run_id, source, dataset, key, utcnow(), error],
    )


def record_budget(
    con,
    run_id: str,
    source: str,
    budget: int | None,
    spent: int,
    partitions_left: int | None,
    calls_left: int | None,
    stopped: str | None,
) -> None:
    """What a source spent of its daily budget in a run, and what it left for the next runs."""
    ensure(con)
    con.execute(
        "insert into ops.source_budgets values (?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, source, utcnow(), budget, spent, partitions_left, calls_left, stopped],
    )


def latest_budgets(con) -> dict[str, dict]:
    """Per source, the last recorded budget row."""
    ensure(con)
    rows = con.execute(
        """select source, run_id, budget, spent, partitions_left, calls_left, stopped from ops.source_budgets
           qualify row_number() over (partition by source order by recorded_at desc) = 1"""
    ).fetchall()
    keys = ("source", "run_id", "budget", "spent", "partitions_left", "calls_left", "stopped")
    return {r[0]: dict(zip(keys, r, strict=True)) for r in rows}
