"""The trade facts on the bundled real data, checked against the source files without dbt."""

from __future__ import annotations

import shutil
import tomllib
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.helpers import PROJECT_DIR, config_folder, marts_snapshot, refresh, toml_dump
from tradeflow.dbt import run_dbt

COMEXT = PROJECT_DIR / "data" / "files" / "eurostat_comext"
EU27_LABEL = "European Union - 27 countries"


def comext_csv(name: str) -> pl.DataFrame:
    return pl.read_csv(COMEXT / name, infer_schema=False).with_columns(pl.col("VALUE_IN_EUR").cast(pl.Float64))


def test_eu27_exports_to_kazakhstan_2019_equal_the_eurostat_file(demo_con):
    annual = comext_csv("eu27_exports_to_all_partners_annual_2010-2023.csv").filter(
        pl.col("REPORTER").str.starts_with(EU27_LABEL)
        & (pl.col("PARTNER") == "Kazakhstan")
        & pl.col("PERIOD").str.contains("Jan.-Dec. 2019")
    )
    expected_annual = annual["VALUE_IN_EUR"].sum()
    assert expected_annual == 5_917_319_466
    value_eur, value_usd, rate, basis = demo_con.execute(
        """select value_eur, value_usd, usd_per_eur, rate_basis from marts.fct_trade_flows
           where reporter_code = 'EU27' and partner_code = 'KAZ' and flow = 'export' and product_level = 'TOTAL'
             and frequency = 'A' and period_start = date '2019-01-01' and source = 'eurostat_comext_file'"""
    ).fetchone()
    assert value_eur == expected_annual
    assert basis == "ecb_annual_average" and rate == pytest.approx(1.1195)
    assert value_usd == pytest.approx(expected_annual * 1.1195, rel=1e-12)

    monthly = comext_csv("eu_member_exports_to_KZ_monthly_2019-2024.csv").filter(
        pl.col("REPORTER").str.starts_with(EU27_LABEL) & pl.col("PERIOD").str.contains("2019")
    )
    assert monthly.height == 12
    got = demo_con.execute(
        """select sum(value_eur), count(*) from marts.fct_trade_flows
           where reporter_code = 'EU27' and partner_code = 'KAZ' and flow = 'export' and frequency = 'M'
             and year(period_start) = 2019 and source = 'eurostat_comext_file'"""
    ).fetchone()
    assert got == (monthly["VALUE_IN_EUR"].sum(), 12)


def test_member_rows_and_codes(demo_con):
    # Germany's exports to Kazakhstan in January 2019, as in the file
    row = comext_csv("eu_member_exports_to_KZ_monthly_2019-2024.csv").filter(
        pl.col("REPORTER").str.starts_with("Germany") & pl.col("PERIOD").str.starts_with("201901")
    )
    assert demo_con.execute(
        """select value_eur from marts.fct_trade_flows where reporter_code = 'DEU' and partner_code = 'KAZ'
           and period_start = date '2019-01-01' and source = 'eurostat_comext_file' and frequency = 'M'"""
    ).fetchone() == (row["VALUE_IN_EUR"].item(),)
    # a CHPL HS6 code keeps its leading zero and its level
    assert (
        demo_con.execute(
            "select count(*) from marts.fct_trade_flows where product_level = 'HS6' and product_code like '0%'"
        ).fetchone()[0]
        > 0
    )


def test_kyrgyz_imports_from_russia_and_the_mirror(demo_con):
    # Russia reports nothing: its exports to Kyrgyzstan come from Kyrgyzstan's imports (CIF -> FOB)
    basis, value, mirror = demo_con.execute(
        """select value_basis, value_usd, importer_mirror_fob_usd from marts.fct_trade_flows_best
           where exporter_code = 'RUS' and importer_code = 'KGZ' and product_level = 'TOTAL' and frequency = 'A'
             and period_start = date '2022-01-01'"""
    ).fetchone()
    kg_imports = demo_con.execute(
        """select value_usd from marts.fct_trade_flows where reporter_code = 'KGZ' and partner_code = 'RUS'
           and flow = 'import' and frequency = 'A' and period_start = date '2022-01-01'"""
    ).fetchone()[0]
    assert basis == "importer_mirror_cif_to_fob"
    assert value == pytest.approx(kg_imports / 1.10) and mirror == value


def full_refresh_marts(db: Path, work: Path) -> dict:
    """The marts a `dbt build --full-refresh` makes from the same raw tables (on a copy)."""
    full = work / "full.duckdb"
    shutil.copyfile(db, full)
    run_dbt(["build", "--full-refresh"], db_path=full, capture=True, target_path=work / "target")
    snapshot = marts_snapshot(full)
    full.unlink()
    return snapshot


def test_incremental_runs_equal_a_full_refresh_when_a_month_arrives_and_when_it_is_revised_away(tmp_path):
    """Load the Kazakhstan file without its last month, then the real file, then the file without that
    month again (a revision that removes a period). Each nightly build redoes that one partition and
    the periods it touches, before and after, and every mart equals a --full-refresh build, row for
    row: fct_trade_flows (by partition), fct_trade_flows_best (by period) and the marts built on them."""
    data = tomllib.loads((PROJECT_DIR / "config" / "demo.toml").read_text())
    kz = COMEXT / "eu_member_exports_to_KZ_monthly_2019-2024.csv"
    drop = tmp_path / "drop" / kz.name
    drop.parent.mkdir()
    lines = kz.read_text().splitlines(keepends=True)
    without_last_month = "".join(line for line in lines if "202408-Aug. 2024" not in line)
    assert len(without_last_month) < len("".join(lines))
    drop.write_text(without_last_month)
    files = data["sources"]["eurostat_comext"]["files"]
    data["sources"]["eurostat_comext"]["files"] = [str(drop) if Path(f).name == kz.name else f for f in files]
    config = config_folder(tmp_path) / "config.toml"  # the demo's relative paths resolve from it
    config.write_text(toml_dump(data))
    root = tmp_path / "wh"
    refresh(root, config)
    db = root / "tradeflow.duckdb"
    # the EU members' exports to Kazakhstan in August 2024 (Armenia's own statistics report that month too)
    august = """select count(*) from marts.fct_trade_flows_best
                where period_start = date '2024-08-01' and importer_code = 'KAZ' and frequency = 'M'
                and source like 'eurostat_comext%'"""
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(august).fetchone()[0] == 0

    shutil.copyfile(kz, drop)  # the new month arrives
    refresh(root, config)
    with duckdb.connect(str(db), read_only=True) as con:
        changed = con.execute("select partition_id from intermediate.int_changed_partitions").fetchall()
        periods = con.execute("select min(period_start), max(period_start) from intermediate.int_changed_periods")
        first, last = periods.fetchone()
        arrived = con.execute(august).fetchone()[0]
    assert changed == [(f"eurostat_comext__web_export/{kz.name}",)]
    # the file holds 2019-01..2024-08: those periods are redone, nothing else
    assert (str(first), str(last)) == ("2019-01-01", "2024-08-01")
    assert arrived > 0
    incremental = marts_snapshot(db)
    assert incremental == full_refresh_marts(db, tmp_path)

    drop.write_text(without_last_month)  # the month is revised away
    held = refresh(root, config, check=False)
    assert held.returncode == 3 and "period(s) it had are gone (2024-08)" in held.stderr  # held back by default
    refresh(root, config, args=("--accept-shrink", f"eurostat_comext/web_export/{kz.name}"))
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(august).fetchone()[0] == 0
        assert con.execute("select max(period_start) from intermediate.int_changed_periods").fetchone()[0] == date(
            2024, 8, 1
        )  # the month the reload no longer has is redone (emptied) too
    assert marts_snapshot(db) == full_refresh_marts(db, tmp_path)
