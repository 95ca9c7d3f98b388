"""The `tradeflow` command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from extract.config import describe, load_config
from extract.errors import TradeflowError
from extract.pipeline import extract as run_extract
from extract.pipeline import write_summary
from extract.settings import PROJECT_DIR, warehouse_path
from tradeflow import seeds as seeds_mod
from tradeflow.dbt import run_dbt
from tradeflow.logs import setup_console_logging

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


@cli.group("config")
def config_group() -> None:
    """Check a configuration file."""


@config_group.command("check")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The configuration file (TOML).",
)
def config_check(config_path) -> None:
    """Validate a configuration without running anything: every key of [run] and [sources.*] is checked
    (a misspelt key or a bad value is an error naming the file, the section and the key), then what each
    source would run is listed.

    \b
    Example:
      tradeflow config check --config config/demo.toml
    """
    for line in describe(load_config(config_path)):
        click.echo(line)


def _report_run(run) -> None:
    click.echo(
        f"run {run.run_id}: {run.status}; partitions planned {run.partitions_planned}, "
        f"loaded {run.partitions_loaded}, skipped {run.partitions_skipped}, failed {run.partitions_failed}; "
        f"rows {run.rows_loaded}; requests {run.requests_made} ({run.metadata_requests} metadata)"
    )
    # warnings and errors were already logged to stderr as they happened


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
    run = run_extract(cfg, list(sources), warehouse_path(), progress=True)
    _report_run(run)
    if summary_path:
        write_summary(run, summary_path)
    if run.errors:
        raise SystemExit(1)


def _refresh(config_path: Path, command: str):
    from tradeflow.refresh import refresh

    cfg = load_config(config_path)
    click.echo(f"{command}: extract, dbt build with tests, publish -> {warehouse_path()}", err=True)
    result = refresh(cfg, warehouse_path(), command=command, progress=True)
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in result.steps.items())
    if result.extract:
        e = result.extract
        click.echo(
            f"extract: {e['partitions_loaded']} partitions loaded, {e['partitions_skipped']} unchanged, "
            f"{e['partitions_failed']} failed; {e['rows_loaded']} rows; {e['requests_made']} requests"
        )
    if result.status == "failed":
        for name in result.failing_tests:
            click.echo(f"  failing: {name}", err=True)
        click.echo(
            f"refresh failed: {result.reason} (the last good warehouse stays published; "
            f"details in {result.summary_path} and logs/tradeflow.log)",
            err=True,
        )
    else:
        click.echo(f"{result.reason}: {warehouse_path()} ({steps})")
    return result


@cli.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The configuration file (TOML).",
)
def refresh(config_path) -> None:
    """Nightly refresh: extract what changed, dbt build with tests, publish atomically.

    Exit status 0 on success, 3 when published but some partitions failed (their earlier rows stay),
    1 when nothing was published (the last good warehouse stays in place).

    \b
    Examples:
      tradeflow refresh                       # live sources, config/tradeflow.toml
      TRADEFLOW_DB=/srv/tradeflow/tradeflow.duckdb tradeflow refresh
    """
    raise SystemExit(_refresh(config_path, "refresh").exit_code)


@cli.command()
def demo() -> None:
    """The refresh over the bundled snapshot (replayed recordings and file drops), offline.

    Ends with the headline table: EU27 exports to each transit country (and to Russia) as an index of
    the 2019-2021 baseline, for all goods and the Common High Priority List.

    \b
    Example:
      tradeflow demo && tradeflow status
    """
    result = _refresh(DEMO_CONFIG, "demo")
    if result.status != "failed":
        from tradeflow.report_table import rerouting_headline

        click.echo()
        click.echo(rerouting_headline(warehouse_path()))
    raise SystemExit(result.exit_code)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json) -> None:
    """Recent refreshes, per-source freshness, partitions in error, the published version.

    \b
    Examples:
      tradeflow status
      tradeflow status --json | jq .version
    """
    import json as _json

    from tradeflow.refresh import status as get_status

    info = get_status(warehouse_path())
    if as_json:
        click.echo(_json.dumps(info, indent=2, default=str))
        return
    v = info["version"]
    click.echo(f"published: {info['published']}")
    click.echo(f"version:   {v['version']} built {v.get('built_at', '?')}" if v else "version:   none published yet")
    click.echo(f"kept:      {', '.join(info['versions_kept']) or '-'}")
    click.echo("recent refreshes:")
    for r in info["refreshes"]:
        click.echo(f"  {r['run_id']}  {r['status']:<22} {r['reason']}")
    click.echo("sources:")
    for s in info["sources"]:
        click.echo(
            f"  {s['source']:<16} {s['partitions']:>4} partitions {s['rows'] or 0:>9} rows  "
            f"fetched {s['last_fetched_at']}"
        )
    if info["partitions_in_error"]:
        click.echo("partitions in error (last run):")
        for e in info["partitions_in_error"]:
            click.echo(f"  {e['source']}/{e['dataset']}/{e['partition_key']}: {e['error']}")


@cli.command()
def rollback() -> None:
    """Republish the previous version (readers see it on their next open).

    \b
    Example:
      tradeflow rollback && tradeflow status
    """
    from tradeflow.publish import Layout
    from tradeflow.publish import rollback as do_rollback

    record = do_rollback(Layout(warehouse_path()))
    click.echo(f"rolled back to version {record['version']} (from {record['rolled_back_from']})")


@cli.command()
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=PROJECT_DIR / "reports" / "index.html",
    show_default=True,
    help="Where to write the HTML report.",
)
def report(out_path) -> None:
    """Write a self-contained HTML report of the warehouse's marts (charts, viewable offline).

    EU exports to the transit countries against EU exports to Russia (annual and monthly, with the EU
    sanctions packages), Russia-Central Asia trade by partner, EU vs Russia vs China FDI in Central Asia,
    and the top re-routed products. Reads the warehouse (TRADEFLOW_DB) read-only.

    \b
    Examples:
      tradeflow report                              # reports/index.html
      tradeflow report --out /tmp/tradeflow.html && xdg-open /tmp/tradeflow.html
    """
    from tradeflow.report import build_report

    path = build_report(warehouse_path(), out_path)
    click.echo(f"report: {path}")


@cli.command()
def docs() -> None:
    """Generate the dbt docs site offline (target/index.html): lineage, every model and column.

    Runs on a private copy of the published warehouse, so readers are never locked out.

    \b
    Example:
      tradeflow docs && python -m http.server -d target 8080   # then open http://localhost:8080
    """
    import shutil
    import tempfile

    published = warehouse_path()
    if not published.exists():
        raise TradeflowError(f"no warehouse at {published}: run `tradeflow demo` or `tradeflow refresh` first")
    with tempfile.TemporaryDirectory(prefix="tradeflow-docs-") as tmp:
        copy = Path(tmp) / "tradeflow.duckdb"
        shutil.copyfile(published, copy)
        run_dbt(["docs", "generate"], db_path=copy, capture=True)
    click.echo(f"docs site: {PROJECT_DIR / 'target' / 'index.html'}")


NEXT_STEPS = {
    "ConfigError": "check the source name or the configuration file (README.md, Configuration)",
    "NoRecording": "replay has no recording of that request: run live once with `--record DIR`, or fix the config",
    "LockHeld": "wait for the running refresh, or see `tradeflow status`",
    "DbtFailed": "see the failing tests above; rerun one with `.venv/bin/dbt build --select <name>`",
    "RateLimited": "the API kept answering 429: wait, or lower the request rate / add an API key",
}


def main() -> None:
    setup_console_logging()
    try:
        cli(standalone_mode=True)
    except TradeflowError as exc:
        click.echo(f"error: {exc}", err=True)
        hint = NEXT_STEPS.get(type(exc).__name__)
        if hint:
            click.echo(f"next: {hint}", err=True)
        sys.exit(1)
