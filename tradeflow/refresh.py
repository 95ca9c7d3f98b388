"""The nightly refresh: plan -> extract changed partitions -> load -> dbt build (with tests) -> publish.

Everything is built in a private copy of the published warehouse; readers keep reading the published
version until the new one is complete and tested, then it is linked into place atomically (see
tradeflow/publish.py). A refresh whose dbt tests fail publishes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import logging.handlers
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from extract import ledger
from extract.config import Config
from extract.errors import TradeflowError
from extract.http import RedactingFilter, Redactor
from extract.load import ensure_all_raw_tables
from extract.pipeline import extract
from extract.settings import PROJECT_DIR, log_dir
from tradeflow import publish
from tradeflow.dbt import DbtFailed, run_dbt

log = logging.getLogger("tradeflow")


@dataclass
class RefreshResult:
    run_id: str
    status: str  # success | published_with_errors | failed
    reason: str = ""
    version: str | None = None
    steps: dict[str, float] = field(default_factory=dict)
    extract: dict = field(default_factory=dict)
    failing_tests: list[str] = field(default_factory=list)
    full_refresh: bool = False
    recovered_stale_lock_from: int | None = None
    summary_path: str | None = None

    @property
    def exit_code(self) -> int:
        return {"success": 0, "published_with_errors": 3}.get(self.status, 1)


class _RunIdFilter(logging.Filter):
    def __init__(self, run_id: str):
        super().__init__()
        self.run_id = run_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = self.run_id
        return True


def setup_logging(log_dir: Path, run_id: str) -> logging.Handler:
    """A rotating log file with the run id on every line; secrets masked."""
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(log_dir / "tradeflow.log", maxBytes=5_000_000, backupCount=5)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s run=%(run_id)s %(name)s: %(message)s"))
    handler.addFilter(_RunIdFilter(run_id))
    handler.addFilter(RedactingFilter(Redactor([os.environ.get("COMTRADE_API_KEY", "")])))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def export_parquet(db: Path, out_dir: Path) -> list[str]:
    """Every table in schema marts as <out_dir>/<table>.parquet."""
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        for t in tables:
            con.execute(f"copy marts.\"{t}\" to '{tmp / (t + '.parquet')}' (format parquet)")
    finally:
        con.close()
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return tables


def project_fingerprint() -> str:
    """A hash of everything dbt builds from: models, macros, seeds, tests and the project file.

    When it differs from the published build's, incremental models cannot be trusted to reflect the
    new code, so the refresh runs `dbt build --full-refresh`.
    """
    digest = hashlib.sha256()
    for folder in ("models", "macros", "seeds", "tests/dbt"):
        for path in sorted((PROJECT_DIR / folder).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(PROJECT_DIR)).encode())
                digest.update(path.read_bytes())
    digest.update((PROJECT_DIR / "dbt_project.yml").read_bytes())
    return digest.hexdigest()


# dbt's parse of the project, kept between refreshes: dbt re-parses only the files that changed (it
# checks every file's hash), which saves ~4 s of each nightly build.
PARSE_CACHE = "partial_parse.msgpack"


def dbt_build_args(project_changed: bool) -> list[str]:
    """The `dbt build` of a refresh.

    New dbt code (or no published build): `--full-refresh`, with the seeds and the unit tests. The same
    code as the published build: an incremental build of what changed, without the seeds and their
    tests (they are part of the fingerprint, so they are the published build's, already tested) and
    without the unit tests (they test the code on fixed inputs, and this code passed them when it was
    first built); every other data test runs, on the changed periods for the large trade tables
    (macros/incremental_scope.sql).
    """
    if project_changed:
        return ["build", "--full-refresh"]
    return ["build", "--exclude", "resource_type:seed", "resource_type:unit_test"]


def previous_fingerprint(db: Path) -> str | None:
    if not db.exists():
        return None
    con = duckdb.connect(str(db), read_only=True)
    try:
        has = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'ops' and table_name = 'builds'"
        ).fetchone()[0]
        if not has:
            return None
        cols = [r[0] for r in con.execute("select column_name from (describe ops.builds)").fetchall()]
        if "project_fingerprint" not in cols:
            return None
        row = con.execute("select project_fingerprint from ops.builds order by built_at desc limit 1").fetchone()
        return row[0] if row else None
    finally:
        con.close()


def _record_build(db: Path, result: RefreshResult, cfg: Config) -> None:
    con = duckdb.connect(str(db))
    try:
        ledger.ensure(con)
        con.execute(
            """create table if not exists ops.builds (
                   version varchar primary key, run_id varchar, built_at timestamp, config varchar,
                   steps varchar, extract varchar)"""
        )
        con.execute("alter table ops.builds add column if not exists project_fingerprint varchar")
        con.execute("alter table ops.builds add column if not exists full_refresh boolean")
        con.execute(
            """insert or replace into ops.builds
               (version, run_id, built_at, config, steps, extract, project_fingerprint, full_refresh)
               values (?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                result.run_id,
                result.run_id,
                ledger.utcnow(),
                str(cfg.path),
                json.dumps(result.steps),
                json.dumps(result.extract, default=str),
                project_fingerprint(),
                result.full_refresh,
            ],
        )
        con.execute("checkpoint")
    finally:
        con.close()


def refresh(
    cfg: Config,
    published: Path,
    *,
    command: str = "refresh",
    keep: int = 3,
    landing: Path | None = None,
    progress: bool = False,
) -> RefreshResult:
    layout = publish.Layout(Path(published))
    run_id = ledger.Run(command=command).run_id
    runs_dir = layout.published.with_name(layout.published.name + ".runs")
    handler = setup_logging(log_dir(), run_id)
    result = RefreshResult(run_id=run_id, status="failed")
    lock = publish.RefreshLock(layout.lock)
    try:
        lock.acquire()
        if lock.recovered_from:
            result.recovered_stale_lock_from = lock.recovered_from
            log.warning("took over a stale refresh lock left by pid %s", lock.recovered_from)
        t0 = time.monotonic()
        build = publish.new_build(layout, run_id)
        result.steps["copy"] = round(time.monotonic() - t0, 3)
        log.info("building %s from %s", build, (publish.current(layout) or {}).get("version", "nothing"))

        t0 = time.monotonic()
        if cfg.enabled_sources():
            run = extract(cfg, ["all"], build, command=command, landing=landing, progress=progress)
        else:
            run = None
            with duckdb.connect(str(build)) as con:
                ensure_all_raw_tables(con)
        result.steps["extract"] = round(time.monotonic() - t0, 3)
        if run is not None:
            result.extract = run.summary()
            log.info(
                "extract: %s loaded, %s skipped, %s failed, %s rows, %s requests",
                run.partitions_loaded,
                run.partitions_skipped,
                run.partitions_failed,
                run.rows_loaded,
                run.requests_made,
            )

        # Nothing new (no partition loaded, none failed) and the same dbt project as the published
        # build: the published version is still right; a nightly run with nothing new costs only the
        # change-metadata requests.
        published_version = publish.current(layout)
        project_changed = previous_fingerprint(build) != project_fingerprint()
        if (
            published_version
            and run is not None
            and not project_changed
            and not run.errors
            and run.partitions_loaded == 0
        ):
            result.status = "success"
            result.version = published_version["version"]
            result.reason = f"nothing new since version {result.version}: the published warehouse stays"
            log.info("%s", result.reason)
            for stale in layout.builds.glob(f"{run_id}.duckdb*"):
                stale.unlink()
            return result

        t0 = time.monotonic()
        target = layout.builds / f"{run_id}.target"
        # new model code: incremental models are rebuilt from scratch once
        result.full_refresh = project_changed
        if result.full_refresh:
            log.info("the dbt project changed since the published build: dbt build --full-refresh")
        parse_cache = layout.builds / PARSE_CACHE
        if parse_cache.exists():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(parse_cache, target / PARSE_CACHE)
        try:
            run_dbt(dbt_build_args(project_changed), db_path=build, capture=True, target_path=target)
        except DbtFailed as exc:
            result.failing_tests = exc.failures
            raise
        finally:
            result.steps["dbt"] = round(time.monotonic() - t0, 3)
            if (target / PARSE_CACHE).exists():
                shutil.copyfile(target / PARSE_CACHE, parse_cache.with_suffix(".tmp"))
                os.replace(parse_cache.with_suffix(".tmp"), parse_cache)
            shutil.rmtree(target, ignore_errors=True)

        t0 = time.monotonic()
        pq_dir = layout.parquet / run_id
        export_parquet(build, pq_dir)
        _record_build(build, result, cfg)
        info = {"run_id": run_id, "built_at": ledger.utcnow().isoformat(timespec="seconds"), "config": str(cfg.path)}
        publish.publish(layout, build, run_id, info, pq_dir, keep=keep)
        result.steps["publish"] = round(time.monotonic() - t0, 3)
        result.version = run_id
        if run is not None and run.errors:
            result.status = "published_with_errors"
            result.reason = f"published, but {len(run.errors)} partition(s) failed: {run.errors[0]}"
        else:
            result.status = "success"
            result.reason = f"published version {run_id}"
        log.info("%s", result.reason)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, the last good version stays
        result.status = "failed"
        text = str(exc).splitlines()[0] if str(exc) else ""
        result.reason = text if isinstance(exc, TradeflowError) else f"{type(exc).__name__}: {text}"
        log.error("refresh failed, the last good warehouse stays published: %s", result.reason)
        for stale in layout.builds.glob(f"{run_id}.duckdb*") if layout.builds.exists() else []:
            stale.unlink()
        if result.version is None:
            shutil.rmtree(layout.parquet / run_id, ignore_errors=True)
    finally:
        lock.release()
        runs_dir.mkdir(parents=True, exist_ok=True)
        result.summary_path = str(runs_dir / f"{run_id}.json")
        Path(result.summary_path).write_text(json.dumps(result.__dict__, indent=2, default=str) + "\n")
        logging.getLogger().removeHandler(handler)
        handler.close()
    return result


def status(published: Path, recent: int = 5) -> dict:
    """What `tradeflow status` shows: the published version, recent refreshes, freshness, errors."""
    layout = publish.Layout(Path(published))
    runs_dir = layout.published.with_name(layout.published.name + ".runs")
    refreshes = []
    if runs_dir.exists():
        for p in sorted(runs_dir.glob("*.json"))[-recent:]:
            r = json.loads(p.read_text())
            refreshes.append({k: r.get(k) for k in ("run_id", "status", "reason", "version", "steps")})
    out: dict = {
        "published": str(layout.published),
        "version": publish.current(layout),
        "refreshes": refreshes,
        "sources": [],
        "partitions_in_error": [],
        "versions_kept": [h["version"] for h in publish.history(layout)],
    }
    if layout.published.exists():
        con = duckdb.connect(str(layout.published), read_only=True)
        try:
            has_ops = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'ops'"
            ).fetchone()[0]
            if has_ops:
                out["sources"] = [
                    dict(zip(("source", "partitions", "rows", "last_fetched_at", "last_source_update"), r, strict=True))
                    for r in con.execute(
                        """select source, count(*), sum(row_count), max(fetched_at)::varchar,
                                  max(source_updated_at)
                           from ops.partitions group by source order by source"""
                    ).fetchall()
                ]
                out["partitions_in_error"] = [
                    dict(zip(("run_id", "source", "dataset", "partition_key", "error"), r, strict=True))
                    for r in con.execute(
                        """select run_id, source, dataset, partition_key, error from ops.partition_errors
                           where run_id = (select max(run_id) from ops.runs) order by source, partition_key"""
                    ).fetchall()
                ]
        finally:
            con.close()
    return out
