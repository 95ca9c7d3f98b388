"""The `tradeflow` command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from extract import seeds as seeds_mod
from extract.config import load_config
from extract.dbt import run_dbt
from extract.errors import TradeflowError
from extract.pipeline import extract as run_extract
from extract.pipeline import write_summary
from extract.settings import PROJECT_DIR, warehouse_path

DEFAULT_CONFIG = PROJECT_DIR / "config" / "tradeflow.toml"
DEMO_CONFIG = PROJECT_DIR / "config" / "demo.toml"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """tradeflow: build a trade-flow warehouse on Russia, Central Asia, the EU and sanctions re-routing.

    \b
    Examples:
      tradeflow demo            # build the warehouse from the bundled data, offline
      tradeflow build-seeds     # regenerate seeds/*.csv from data/reference
    """


@cli.command("build-seeds")
def build_seeds() -> None:
    """Regenerate the reference seeds (seeds/*.csv) from the real files in data/reference.

    \b
    Example:
      tradeflow build-seeds && git diff --stat seeds/
    """
    for name, n in seeds_mod.write_all().items():
        click.echo(f"seeds/{name}.csv: {n} rows")


def _report_run(run) -> None:
    click.echo(
        f"run {run.run_id}: {run.status}; partitions planned {run.partitions_planned}, "
        f"loaded {run.partitions_loaded}, skipped {run.partitions_skipped}, failed {run.partitions_failed}; "
        f"rows {run.rows_loaded}; requests {run.requests_made} ({run.metadata_requests} metadata)"
    )
    for w in run.warnings:
        click.echo(f"warning: {w}", err=True)
    for e in run.errors:
        click.echo(f"error: {e}", err=True)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The configuration file (TOML).",
)
@click.option(
    "--replay",
    "replay",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Serve HTTP from these recorded cassette directories instead of the network.",
)
@click.option(
    "--record",
    "record_to",
    type=click.Path(file_okay=False, path_type=Path),
    help="Live mode: also record every response into this cassette directory.",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the run summary (JSON) to this file.",
)
def extract(sources, config_path, replay, record_to, summary_path) -> None:
    """Pull SOURCES (or `all`) into the warehouse's raw schema: only new or changed partitions.

    \b
    Examples:
      tradeflow extract comtrade                     # live, config/tradeflow.toml
      tradeflow extract all --config config/demo.toml  # the bundled snapshot, offline
      tradeflow extract worldbank --record recordings/wb   # live, and record the responses
    """
    cfg = load_config(config_path)
    if replay:
        cfg.mode, cfg.cassettes = "replay", list(replay)
    if record_to:
        cfg.mode, cfg.record_to = "live", record_to
    run = run_extract(cfg, list(sources), warehouse_path(), progress=lambda m: click.echo(f"  {m}", err=True))
    _report_run(run)
    if summary_path:
        write_summary(run, summary_path)
    if run.errors:
        raise SystemExit(1)


@cli.command()
def demo() -> None:
    """Build the warehouse from the bundled snapshot (replayed recordings and file drops), offline.

    \b
    Example:
      tradeflow demo && duckdb warehouse/tradeflow.duckdb "select * from reference.countries limit 5"
    """
    db = warehouse_path()
    cfg = load_config(DEMO_CONFIG)
    if cfg.enabled_sources():
        run = run_extract(cfg, ["all"], db, command="demo")
        _report_run(run)
        if run.errors:
            raise SystemExit(1)
    run_dbt(["build"], db_path=db)
    click.echo(f"warehouse built: {db}")


@cli.command()
def docs() -> None:
    """Generate the dbt docs site offline (target/index.html)."""
    run_dbt(["docs", "generate"], db_path=warehouse_path())


def main() -> None:
    try:
        cli(standalone_mode=True)
    except TradeflowError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
