"""The `tradeflow` command."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import click

from extract.config import describe, load_config
from extract.errors import TradeflowError
from extract.pipeline import extract as run_extract
from extract.pipeline import write_summary
from extract.settings import PROJECT_DIR, demo_landing_dir, demo_warehouse_path, warehouse_path
from tradeflow import exit_codes
from tradeflow import seeds as seeds_mod
from tradeflow.dbt import run_dbt
from tradeflow.logs import setup_console_logging

DEFAULT_CONFIG = PROJECT_DIR / "config" / "tradeflow.toml"
DEMO_CONFIG = PROJECT_DIR / "config" / "demo.toml"

# options shared by several commands
config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The configuration file (TOML).",
)
accept_shrink_option = click.option(
    "--accept-shrink",
    "accept_shrink",
    multiple=True,
    metavar="SOURCE[/DATASET[/PARTITION]]",
    help="Load these partitions even if the new data has far fewer rows or lost periods (held back otherwise).",
)


# ---------------------------------------------------------------------------------------- global options (lane A)

LOG_LEVELS = ["debug", "info", "warning", "error"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tradeflow-warehouse", prog_name="tradeflow", message="%(prog)s %(version)s")
@click.option("-v", "--verbose", count=True, help="More on stderr: -v info, -vv debug (default: warnings and errors).")
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    help="Level of the messages on stderr (overrides -v).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="stderr log lines as text or as one JSON object per line (for log shippers).",
)
def cli(verbose: int, log_level: str | None, log_format: str) -> None:
    """tradeflow: build a trade-flow warehouse on Russia, Central Asia, the EU and sanctions re-routing.

    \b
    Examples:
      tradeflow demo            # build the warehouse from the bundled data, offline
      tradeflow marts           # what the warehouse holds: grain, rows, freshness
      tradeflow query "select * from marts.dim_countries where is_central_asia" --format csv
      tradeflow build-seeds     # regenerate seeds/*.csv from data/reference

    Exit codes (every command): 0 ok, 1 failed, 2 usage, 3 partial, 4 busy (docs/cli.md).
    """
    _configure_console_logging(verbose, log_level, log_format)


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
@config_option
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


def _report_failures(result) -> None:
    """Every failure's reason on the console (source, URL or file, what was wrong)."""
    e = result.extract or {}
    for name, outcome in (e.get("outcomes") or {}).items():
        if outcome.startswith("failed"):
            click.echo(f"  {name}: {outcome}", err=True)
    for err in (e.get("errors") or [])[:20]:
        click.echo(f"  error: {err}", err=True)
    if len(e.get("errors") or []) > 20:
        click.echo(f"  ... {len(e['errors']) - 20} more in {result.summary_path}", err=True)
    for name, why in (e.get("stopped") or {}).items():
        click.echo(f"  {name} stopped for this run (resumes next run): {why}", err=True)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@config_option
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
@accept_shrink_option
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON on stdout (for orchestrators).")
def extract(sources, config_path, replay, record_to, summary_path, accept_shrink, as_json) -> None:
    """Pull SOURCES (or `all`): only new or changed partitions, into the raw store `<db>.raw.duckdb`.

    Never writes the published version: the raw store starts as a copy of it and is never published;
    readers get new data only through `tradeflow refresh` (a tested build and the atomic publish), which
    fetches what changed itself. Each failure's reason is printed. Exit status: docs/cli.md.

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
    cfg.accept_shrink = frozenset(accept_shrink)
    names = list(sources)
    for name in names if names != ["all"] else []:
        if name not in cfg.sources:
            raise TradeflowError(f"{config_path}: no [sources.{name}] section; configured: {', '.join(cfg.sources)}")
    store = raw_store(warehouse_path())
    run = run_extract(cfg, names, store, progress=not as_json)
    code = exit_codes.for_extract(
        run.partitions_failed or len(run.errors), run.partitions_loaded, run.partitions_skipped
    )
    if as_json:
        click.echo(_json_dumps({**run.summary(), "raw_store": str(store), "exit_code": code}))
    else:
        _report_run(run, store)
    if summary_path:
        write_summary(run, summary_path)
    raise SystemExit(code)


def raw_store(published: Path) -> Path:
    """`tradeflow extract`'s own file next to the published one (`<db>.raw.duckdb`): it starts as a copy of
    the published version and is never published; the published file is never written by extract."""
    import shutil

    store = published.with_name(published.name + ".raw.duckdb")
    if published.exists() and not store.exists():
        store.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(published, store)
    return store


def _report_run(run, store: Path) -> None:
    click.echo(
        f"run {run.run_id}: {run.status}; partitions planned {run.partitions_planned}, "
        f"loaded {run.partitions_loaded}, skipped {run.partitions_skipped}, failed {run.partitions_failed}; "
        f"rows {run.rows_loaded}; requests {run.requests_made} ({run.metadata_requests} metadata) -> {store}"
    )
    for name, outcome in run.outcomes.items():
        if outcome.startswith("failed"):
            click.echo(f"  {name}: {outcome}", err=True)
    for err in run.errors[:20]:
        click.echo(f"  error: {err}", err=True)
    for name, why in run.stopped.items():
        click.echo(f"  {name} stopped for this run (resumes next run): {why}", err=True)


def _exit_code(result, config_path: Path) -> int:
    """The refresh's exit code; 3 (published, some partitions failed) is 0 when [alerts] says so."""
    from tradeflow.alerts import load_alerts

    code = exit_codes.for_refresh(result.status)
    if code == exit_codes.PARTIAL and load_alerts(config_path).partial_is_success:
        return exit_codes.OK
    return code


def _run_refresh(cfg, command: str, db: Path, *, landing: Path | None = None, sources=None, as_json: bool = False):
    from tradeflow.refresh import refresh

    click.echo(f"{command}: extract, dbt build with tests, publish -> {db}", err=True)
    result = refresh(cfg, db, command=command, progress=not as_json, landing=landing, sources=sources)
    if as_json:
        click.echo(_json_dumps({**result.__dict__, "exit_code": exit_codes.for_refresh(result.status)}))
        return result
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in result.steps.items())
    if result.extract:
        e = result.extract
        click.echo(
            f"extract: {e['partitions_loaded']} partitions loaded, {e['partitions_skipped']} unchanged, "
            f"{e['partitions_failed']} failed; {e['rows_loaded']} rows; {e['requests_made']} requests"
        )
    _report_failures(result)
    for f in result.freshness:
        if f["status"] == "stale":
            click.echo(f"  stale: {f['source']}: {f['reason']}", err=True)
    if result.status == "refused":
        click.echo(f"{command} refused: {result.reason}", err=True)
    elif result.status == "failed":
        from tradeflow.refresh import stays_published

        for name in result.failing_tests:
            click.echo(f"  failing: {name}", err=True)
        click.echo(
            f"{command} failed: {result.reason} ({stays_published(result.published)}; "
            f"details in {result.summary_path} and the log)",
            err=True,
        )
        if result.build_path and result.failing_tests:
            first = result.failing_tests[0].split(" ")[1]
            click.echo(
                "next: rerun a failing test on the failed build, a private copy the next refresh removes: "
                f"TRADEFLOW_DB={shlex.quote(result.build_path)} .venv/bin/dbt test --select {first}",
                err=True,
            )
    else:
        click.echo(f"{result.reason}: {db} ({steps})")
    return result


def _refresh(config_path: Path, command: str, accept_shrink: tuple[str, ...] = (), as_json: bool = False):
    cfg = load_config(config_path)
    cfg.accept_shrink = frozenset(accept_shrink)
    return _run_refresh(cfg, command, warehouse_path(), as_json=as_json)


@cli.command()
@config_option
@accept_shrink_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout (for orchestrators).")
def refresh(config_path, accept_shrink, as_json) -> None:
    """Nightly refresh: extract what changed, dbt build with tests, publish atomically.

    Exit status (docs/operations.md, docs/cli.md): 0 success (published, nothing new, or stopped on a
    daily budget); 1 nothing published (no source reached, every source failed, tests failed; the last
    good warehouse stays); 3 published but some partitions failed (0 instead when [alerts]
    partial_is_success = true); 4 another refresh holds the lock.

    \b
    Examples:
      tradeflow refresh                       # live sources, config/tradeflow.toml
      TRADEFLOW_DB=/srv/tradeflow/tradeflow.duckdb tradeflow refresh
    """
    raise SystemExit(_exit_code(_refresh(config_path, "refresh", accept_shrink, as_json), config_path))


@cli.command()
@config_option
@click.option("--offline", is_flag=True, help="No network at all: estimates from the configuration only.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plan(config_path, offline, as_json) -> None:
    """What a refresh will cost, before any quota is spent: per source the partitions, requests,
    estimated rows and cells, and the nights a quota-bound source needs.

    Without --offline only the sources' change metadata is asked (no data request).

    \b
    Examples:
      tradeflow plan --config config/tradeflow.toml --offline
      tradeflow plan --json | jq '.[] | select(.source == "comtrade").nights'
    """
    from tradeflow.plan import make_plan, render

    plans = make_plan(load_config(config_path), offline=offline)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in plans], indent=2))
    else:
        click.echo(render(plans, offline=offline))


@cli.command()
@config_option
@click.option("--unit", default="tradeflow", show_default=True, help="What failed (systemd passes the unit name).")
def notify(config_path, unit) -> None:
    """Run the [alerts] command for a failure: the last refresh's reason, or why the warehouse is stale.

    Started by the systemd notify unit (OnFailure=) and by the cron lines when a command exits non-zero.

    \b
    Example:
      tradeflow notify --unit test    # try the configured mail or webhook once
    """
    from datetime import UTC, datetime

    from tradeflow.alerts import load_alerts, staleness
    from tradeflow.alerts import notify as run_notify
    from tradeflow.refresh import status as get_status

    alerts = load_alerts(config_path)
    if not alerts.command:
        raise TradeflowError(f"{config_path}: no [alerts] command is set: nothing to notify with")
    info = get_status(warehouse_path(), recent=1, cfg=load_config(config_path))
    last = info["refreshes"][-1] if info["refreshes"] else {}
    problems = staleness(info, alerts, datetime.now(UTC).replace(tzinfo=None))
    status_text = last.get("status") or "unknown"
    body = f"last refresh {last.get('run_id', '-')}: {status_text}: {last.get('reason', '-')}"
    if problems:
        body += "; stale: " + "; ".join(problems)
    code = run_notify(alerts, f"tradeflow: {unit} failed", body, status_text)
    click.echo(f"notify: {body} (command exit {code})")
    raise SystemExit(0 if code == 0 else 1)


@cli.command()
def demo() -> None:
    """The refresh over the bundled snapshot (replayed recordings and file drops), offline.

    Builds its own warehouse, never the live one: warehouse/demo/tradeflow.duckdb (TRADEFLOW_DEMO_DB),
    landing files in landing/demo/ (TRADEFLOW_DEMO_LANDING). Read it with
    `TRADEFLOW_DB=warehouse/demo/tradeflow.duckdb tradeflow status`.

    Ends with the headline table: EU27 exports to each transit country (and to Russia) as an index of
    the 2019-2021 baseline, for all goods and the Common High Priority List.

    \b
    Example:
      tradeflow demo && tradeflow status
    """
    db = demo_warehouse_path()
    result = _run_refresh(load_config(DEMO_CONFIG), "demo", db, landing=demo_landing_dir())
    if result.status != "failed":
        from tradeflow.report_table import rerouting_headline

        click.echo()
        click.echo(rerouting_headline(db))
    raise SystemExit(exit_codes.for_refresh(result.status))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The configuration: each source's cadence_days for freshness, [alerts] for --check-stale.",
)
@click.option(
    "--check-stale",
    is_flag=True,
    help="Exit 1 when the published version is older than [alerts] stale_after_hours or a source is past its cadence.",
)
def status(as_json, config_path, check_stale) -> None:
    """Recent refreshes; per source partitions done and left, nights left at its daily budget and
    freshness against its cadence; partitions in error; the published version.

    The published version is checked against its checksums first (and, when no refresh is running,
    repaired from the kept versions); a damaged file is reported, not opened. A refresh that was killed
    shows as `killed`.

    \b
    Examples:
      tradeflow status
      tradeflow status --json | jq .version
      tradeflow status --config config/tradeflow.toml --check-stale   # the staleness timer
    """
    from datetime import UTC, datetime

    from tradeflow.alerts import Alerts, load_alerts, staleness
    from tradeflow.refresh import status as get_status

    cfg = load_config(config_path) if config_path else None
    info = get_status(warehouse_path(), cfg=cfg)
    problems = staleness(
        info, load_alerts(config_path) if config_path else Alerts(), datetime.now(UTC).replace(tzinfo=None)
    )
    if as_json:
        click.echo(json.dumps({**info, "stale": problems}, indent=2, default=str))
    else:
        _print_status(info, problems)
    if check_stale and problems:
        raise SystemExit(1)


def _print_status(info: dict, problems: list[str]) -> None:
    v = info["version"]
    click.echo(f"published: {info['published']}")
    for line in info["repaired"]:
        click.echo(f"repaired:  {line}")
    if v:
        click.echo(f"version:   {v['version']} built {v.get('built_at', '?')} (checksums verified)")
    elif info["problem"]:
        click.echo(f"version:   none usable: {info['problem']}")
    else:
        click.echo("version:   none published yet")
    if v and info["problem"]:
        click.echo(f"problem:   {info['problem']}")
    click.echo(f"kept:      {', '.join(info['versions_kept']) or '-'}")
    click.echo("recent refreshes:")
    for r in info["refreshes"]:
        click.echo(f"  {r['run_id']}  {r['status']:<22} {r['reason']}")
    click.echo("sources:")
    fresh = {f["source"]: f for f in info.get("freshness", [])}
    for s in info["sources"]:
        left = s.get("partitions_left")
        backlog = "" if left is None else f"  {left} left"
        if s.get("nights_left"):
            backlog += f" ({s['nights_left']} night(s) at {s['daily_budget']} calls)"
        f = fresh.get(s["source"])
        state = f"  {f['status']}: {f['reason']}" if f else ""
        click.echo(
            f"  {s['source']:<16} {s['partitions']:>5} partitions done{backlog}  {s['rows'] or 0:>9} rows{state}"
        )
    if info["partitions_in_error"]:
        click.echo("partitions in error (last run):")
        for e in info["partitions_in_error"]:
            click.echo(f"  {e['source']}/{e['dataset']}/{e['partition_key']}: {e['error']}")
    for p in problems:
        click.echo(f"stale: {p}")


@cli.command()
def rollback() -> None:
    """Republish the previous intact version (readers see it on their next open).

    Verifies the published state first (and repairs it from the kept versions); a kept version whose
    files do not match their checksums is skipped, never republished.

    \b
    Example:
      tradeflow rollback && tradeflow status
    """
    from tradeflow.publish import Layout
    from tradeflow.publish import rollback as do_rollback

    record = do_rollback(Layout(warehouse_path()))
    for line in record["repaired"]:
        click.echo(f"repaired: {line}")
    for line in record["skipped"]:
        click.echo(f"skipped (damaged): {line}")
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
@click.option(
    "--png-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write one PNG per chart into this folder (for slides; rendered offline by vl-convert).",
)
def report(out_path, png_dir) -> None:
    """Write a self-contained HTML report of the warehouse's marts (charts, viewable offline).

    EU exports to the transit countries against EU exports to Russia (annual and monthly, with the EU
    sanctions packages), Russia-Central Asia trade by partner, EU vs Russia vs China FDI in Central Asia,
    and the top re-routed products. Reads the warehouse (TRADEFLOW_DB) read-only.

    \b
    Examples:
      tradeflow report                              # reports/index.html
      tradeflow report --out /tmp/tradeflow.html && xdg-open /tmp/tradeflow.html
      tradeflow report --png-dir reports/png        # plus reports/png/tradeflow_<chart>.png
    """
    from tradeflow.report import build_report

    path = build_report(warehouse_path(), out_path, png_dir=png_dir)
    click.echo(f"report: {path}")
    if png_dir:
        click.echo(f"charts as PNG: {png_dir}/tradeflow_*.png")


@cli.command()
@click.option(
    "--static",
    "static",
    is_flag=True,
    help="Write ONE self-contained HTML file (manifest and catalog inlined) that opens from disk, no server.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=PROJECT_DIR / "target" / "tradeflow-docs.html",
    show_default=True,
    help="With --static: where to write the single-file site.",
)
def docs(static, out_path) -> None:
    """Generate the dbt docs site offline: lineage, every model and column with its description.

    Runs on a private copy of the published warehouse, so readers are never locked out. Without --static the
    site is target/index.html plus its JSON files, which a browser only loads over HTTP; with --static it is
    one file that opens straight from disk (file://) and can be mailed or put on a share.

    \b
    Examples:
      tradeflow docs --static && xdg-open target/tradeflow-docs.html     # one file, opens from disk
      tradeflow docs && python -m http.server -d target 8080             # then open http://localhost:8080
    """
    import shutil
    import tempfile

    published = warehouse_path()
    if not published.exists():
        raise TradeflowError(f"no warehouse at {published}: run `tradeflow demo` or `tradeflow refresh` first")
    with tempfile.TemporaryDirectory(prefix="tradeflow-docs-") as tmp:
        copy = Path(tmp) / "tradeflow.duckdb"
        shutil.copyfile(published, copy)
        if not static:
            run_dbt(["docs", "generate"], db_path=copy, capture=True)
            click.echo(f"docs site: {PROJECT_DIR / 'target' / 'index.html'} (serve the folder over HTTP to open it)")
            return
        target = Path(tmp) / "target"
        run_dbt(["docs", "generate", "--static"], db_path=copy, capture=True, target_path=target)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target / "static_index.html", out_path)
    click.echo(f"docs site: {out_path} (one file, opens from disk)")


# ------------------------------------------------------------------------------------- analysts' commands (lane A)

QUERY_FORMATS = ["table", "csv", "json", "parquet"]


def _write_frame(frame, fmt: str, output: Path | None) -> None:
    """A polars frame as a terminal table, CSV, JSON (an array of row objects) or Parquet, to a file or stdout."""
    import polars as pl

    if fmt == "parquet":
        if output is None:
            raise click.UsageError("--format parquet needs --output FILE (Parquet is binary)")
        frame.write_parquet(output)
    elif fmt == "csv":
        text = frame.write_csv()
    elif fmt == "json":
        text = frame.write_json()
    else:
        with pl.Config(
            tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=10_000, tbl_hide_dataframe_shape=True
        ):
            text = f"{frame}\n{frame.height} rows"
    if fmt != "parquet":
        if output is None:
            click.echo(text.rstrip("\n"))
        else:
            output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    if output is not None:
        click.echo(f"{frame.height} rows -> {output}", err=True)


@cli.command()
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout (needed for parquet).",
)
def query(sql, fmt, output) -> None:
    """Run one read-only SQL query on the published warehouse (TRADEFLOW_DB) and print or save the result.

    Only select / with ... select / explain run: the file is opened read-only and statements that write
    (COPY ... TO, ATTACH, CREATE ...) are refused. Every mart is in schema `marts` (`tradeflow marts`).

    \b
    Examples:
      tradeflow query "select transit_code, period_start, index_vs_baseline, flag
                       from marts.sanctions_rerouting_indicators
                       where frequency = 'A' and product_scope = 'chpl' order by 1, 2"
      tradeflow query "select * from marts.top_rerouted_products where year = 2022" --format csv -o top.csv
      tradeflow query "select * from marts.russia_central_asia_trade" --format parquet -o rca.parquet
    """
    from tradeflow.api import query as run_query

    _write_frame(run_query(sql), fmt, output)


@cli.command("marts")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def marts_command(as_json) -> None:
    """List the marts of the published warehouse: grain (one row per ...), row count, latest period, build.

    \b
    Examples:
      tradeflow marts
      tradeflow marts --json | jq '.[].name'
    """
    from tradeflow.api import marts_as_dicts

    rows = marts_as_dicts()
    if as_json:
        click.echo(_json_dumps(rows))
        return
    if rows:
        click.echo(f"version {rows[0]['version'] or '?'} built {rows[0]['built_at'] or '?'}")
    width = max((len(r["name"]) for r in rows), default=4)
    click.echo(f"{'mart':<{width}}  {'rows':>9}  {'latest':<10}  grain (one row per)")
    for r in rows:
        click.echo(f"{r['name']:<{width}}  {r['rows']:>9,}  {(r['latest_period'] or '-'):<10}  {r['grain']}")


NEXT_STEPS = {
    "ConfigError": "check the source name or the configuration file (README.md, Configuration)",
    "NoRecording": "replay has no recording of that request: run live once with `--record DIR`, or fix the config",
    "LockHeld": "wait for the running refresh, or see `tradeflow status`",
    "DbtFailed": "see the failing tests above; rerun one on a private copy, never the published file: "
    "`cp -L $TRADEFLOW_DB /tmp/copy.duckdb && TRADEFLOW_DB=/tmp/copy.duckdb .venv/bin/dbt test --select <name>`",
    "CorruptVersion": "run `tradeflow status` (it republishes the newest intact version) or `tradeflow refresh`",
    "NoSpace": "free space on that disk, then run the refresh again",
    "RateLimited": "the API kept answering 429: wait, or lower the request rate / add an API key",
}


_CONSOLE: dict = {}


class JsonLogFormatter:
    """One JSON object per log line: time (UTC, ISO 8601), level, logger, message (and run_id when set)."""

    def format(self, record) -> str:
        import datetime as _dt
        import json as _json

        out = {
            "time": _dt.datetime.fromtimestamp(record.created, _dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "run_id", None):
            out["run_id"] = record.run_id
        if record.exc_info:
            import logging

            out["exception"] = logging.Formatter().formatException(record.exc_info)
        return _json.dumps(out, ensure_ascii=False)


def _setup_console_logging() -> None:
    """Warnings and errors to stderr as they happen, secrets masked (tradeflow.logs)."""
    _CONSOLE["handler"] = setup_console_logging()


def _configure_console_logging(verbose: int, log_level: str | None, log_format: str) -> None:
    """Apply -v / --log-level / --log-format to the stderr handler (the log file keeps its own format)."""
    import logging

    handler = _CONSOLE.get("handler")
    if handler is None:
        return
    level = log_level.upper() if log_level else {0: "WARNING", 1: "INFO"}.get(verbose, "DEBUG")
    handler.setLevel(level)
    root = logging.getLogger()
    if root.level > handler.level or root.level == logging.NOTSET:
        root.setLevel(handler.level)
    if log_format == "json":
        handler.setFormatter(JsonLogFormatter())
    _CONSOLE["json"] = log_format == "json"


def _json_dumps(value) -> str:
    import json as _json

    return _json.dumps(value, indent=2, default=str)


def main() -> None:
    _setup_console_logging()
    try:
        cli(standalone_mode=True)
    except TradeflowError as exc:
        if _CONSOLE.get("json"):
            click.echo(
                _json_dumps(
                    {"error": str(exc), "kind": type(exc).__name__, "next": NEXT_STEPS.get(type(exc).__name__)}
                ),
                err=True,
            )
        else:
            click.echo(f"error: {exc}", err=True)
            hint = NEXT_STEPS.get(type(exc).__name__)
            if hint:
                click.echo(f"next: {hint}", err=True)
        sys.exit(exit_codes.for_error(exc))
