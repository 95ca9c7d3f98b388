"""Extract runs: open the warehouse, run the chosen sources through the runner, record the run."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import duckdb

from extract import ledger
from extract.config import Config
from extract.http import HttpClient, RetryPolicy, make_client
from extract.load import ensure_all_raw_tables
from extract.runner import run_source
from extract.settings import landing_dir
from extract.sources import source_class
from extract.sources.base import Context

log = logging.getLogger(__name__)


def client_for(cfg: Config) -> HttpClient:
    secrets = [os.environ.get("COMTRADE_API_KEY", "")]
    client = make_client(
        cfg.mode,
        cassettes=cfg.cassettes,
        record_to=cfg.record_to,
        secrets=secrets,
        retry=RetryPolicy(attempts=cfg.retry_attempts),
        min_interval=cfg.min_interval,
    )
    client.timeout = (min(10.0, cfg.timeout_seconds), cfg.timeout_seconds)
    # a daily budget per source: the calls one run may spend (the rest waits for the next run)
    client.budgets = {n: s.daily_budget for n, s in cfg.sources.items() if s.daily_budget}
    return client


def extract(
    cfg: Config,
    names: list[str],
    db_path: Path,
    *,
    client: HttpClient | None = None,
    landing: Path | None = None,
    command: str = "extract",
    progress: bool = False,
    accept_shrink: frozenset[str] | set[str] | None = None,
) -> ledger.Run:
    """Run `names` (or every enabled source for ['all']) into `db_path`; returns the finished run."""
    if names == ["all"]:
        names = cfg.enabled_sources()
    sources = [source_class(n)(cfg.sources.get(n, {})) for n in names]
    client = client or client_for(cfg)
    ctx = Context(
        client=client,
        config=cfg,
        landing_root=Path(landing or landing_dir()),
        lookback_periods=cfg.lookback_periods,
        accept_shrink=frozenset(cfg.accept_shrink if accept_shrink is None else accept_shrink),
    )
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    run = ledger.Run(command=f"{command} {' '.join(names)}")
    con = duckdb.connect(str(db_path))
    try:
        ledger.start_run(con, run)
        ensure_all_raw_tables(con)
        for source in sources:
            run_source(con, source, ctx, run, progress=progress)
        run.requests_made = client.requests_made
        run.metadata_requests = ctx.metadata_requests
        ledger.finish_run(con, run)
        con.execute("checkpoint")
    finally:
        con.close()
    return run


def write_summary(run: ledger.Run, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run.summary(), indent=2, default=str) + "\n")
