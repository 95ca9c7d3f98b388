"""The `tradeflow` command."""

from __future__ import annotations

import sys

import click

from extract import seeds as seeds_mod
from extract.dbt import run_dbt
from extract.errors import TradeflowError
from extract.settings import warehouse_path


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


@cli.command()
def demo() -> None:
    """Build the warehouse from the bundled snapshot, with no network.

    \b
    Example:
      tradeflow demo && duckdb warehouse/tradeflow.duckdb "select * from reference.countries limit 5"
    """
    db = warehouse_path()
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
