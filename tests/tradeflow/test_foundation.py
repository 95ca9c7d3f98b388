"""Issue: the two-command setup and the reference seeds."""

from __future__ import annotations

import subprocess

import polars as pl
import pytest

from tests.helpers import PROJECT_DIR
from tradeflow import seeds


def test_make_help_lists_every_target():
    out = subprocess.run(["make", "help"], cwd=PROJECT_DIR, text=True, capture_output=True, check=True).stdout
    for target in ("setup", "demo", "run", "test", "lint", "docs", "clean"):
        assert f"  {target} " in out, f"make help does not list {target}:\n{out}"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (PROJECT_DIR / "README.md").read_text()
    ci = (PROJECT_DIR / ".ci" / "run").read_text()
    assert "make test" in readme
    assert [line for line in ci.splitlines() if line and not line.startswith("#")][-1] == "make test"


def test_dbt_never_sends_usage_stats():
    project = (PROJECT_DIR / "dbt_project.yml").read_text()
    assert "send_anonymous_usage_stats: false" in project
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert "DBT_SEND_ANONYMOUS_USAGE_STATS := false" in makefile


@pytest.mark.parametrize("name", sorted([*seeds.BUILDERS, "comtrade_areas"]))
def test_committed_seed_equals_what_the_builder_makes(name):
    built = seeds.build_all()[name]
    committed = pl.read_csv(PROJECT_DIR / "seeds" / f"{name}.csv", infer_schema=False)
    as_text = built.with_columns(pl.all().cast(pl.String))
    # booleans are written lower case by polars; compare through the same CSV writer
    assert committed.equals(pl.read_csv(as_text.write_csv().encode(), infer_schema=False)), (
        f"seeds/{name}.csv is stale: run `make seeds`"
    )


def test_builder_restores_leading_zeros_and_keeps_namibia():
    countries = seeds.build_countries()
    row = countries.filter(pl.col("iso3") == "NAM").row(0, named=True)
    assert row["iso2"] == "NA"
    afg = countries.filter(pl.col("iso3") == "AFG").row(0, named=True)
    assert (afg["iso_numeric"], afg["m49"], afg["comtrade_code"]) == ("004", "004", "4")
    conc = seeds.build_hs_concordance()
    # the raw file stores 10121 as an integer
    assert conc.filter(pl.col("from_hs6") == "010121").height == 2
    assert conc["from_hs6"].str.len_chars().unique().to_list() == [6]
    bans = seeds.build_eu_export_bans()
    assert bans.filter(pl.col("cn8") == "01012100")["hs6"].item() == "010121"


def test_comtrade_codes_that_differ_from_iso():
    c = seeds.build_countries().select("iso3", "iso_numeric", "comtrade_code")
    got = {r[0]: (r[1], r[2]) for r in c.filter(pl.col("iso3").is_in(["USA", "FRA", "IND", "CHE"])).iter_rows()}
    assert got == {"USA": ("840", "842"), "FRA": ("250", "251"), "IND": ("356", "699"), "CHE": ("756", "757")}


def test_chpl_has_fifty_codes_in_six_tiers():
    chpl = seeds.build_chpl_products()
    assert chpl.height == 50
    assert chpl.group_by("tier").len().sort("tier").rows() == [
        ("1", 4),
        ("2", 5),
        ("3.A", 16),
        ("3.B", 9),
        ("4.A", 11),
        ("4.B", 5),
    ]
    assert {"854149", "854151", "854159", "880730"} <= set(chpl["hs6"])


def test_failing_dbt_nodes_are_named_without_their_hash():
    from tradeflow.dbt import node_name

    assert node_name("test.tradeflow.unique_combination_fct_trade_flows_x.5e6198ea71") == (
        "test unique_combination_fct_trade_flows_x"
    )
    assert node_name("model.tradeflow.fct_trade_flows") == "model fct_trade_flows"
