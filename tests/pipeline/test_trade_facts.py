"""The trade facts on the bundled real data, checked against the source files without dbt."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import duckdb
import polars as pl
import pytest

from extract.dbt import run_dbt
from tests.conftest import PROJECT_DIR
from tests.pipeline.test_refresh import refresh, toml_dump

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


def test_incremental_run_after_one_new_month_equals_a_full_refresh(tmp_path):
    """Load the Kazakhstan file without its last month, then the real file: the incremental build
    redoes that one partition and its facts equal a --full-refresh build, row for row."""
    data = tomllib.loads((PROJECT_DIR / "config" / "demo.toml").read_text())
    kz = COMEXT / "eu_member_exports_to_KZ_monthly_2019-2024.csv"
    drop = tmp_path / "drop" / kz.name
    drop.parent.mkdir()
    lines = kz.read_text().splitlines(keepends=True)
    without_last_month = [line for line in lines if "202408-Aug. 2024" not in line]
    assert len(without_last_month) < len(lines)
    drop.write_text("".join(without_last_month))
    files = data["sources"]["eurostat_comext"]["files"]
    data["sources"]["eurostat_comext"]["files"] = [str(drop) if Path(f).name == kz.name else f for f in files]
    config = tmp_path / "config.toml"
    config.write_text(toml_dump(data))
    root = tmp_path / "wh"
    refresh(root, config)
    db = root / "tradeflow.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        assert (
            con.execute(
                "select count(*) from marts.fct_trade_flows where period_start = date '2024-08-01' and partner_code = 'KAZ'"
            ).fetchone()[0]
            == 0
        )

    shutil.copyfile(kz, drop)  # the new month arrives
    refresh(root, config)
    query = "select * exclude (_loaded_at) from marts.fct_trade_flows order by all"
    with duckdb.connect(str(db), read_only=True) as con:
        incremental = con.execute(query).fetchall()
        changed = con.execute("select partition_id from intermediate.int_changed_partitions").fetchall()
        new_month = con.execute(
            "select count(*) from marts.fct_trade_flows where period_start = date '2024-08-01' and partner_code = 'KAZ'"
        ).fetchone()[0]
    assert changed == [(f"eurostat_comext__web_export/{kz.name}",)]
    assert new_month > 0

    full = tmp_path / "full.duckdb"
    shutil.copyfile(db, full)
    run_dbt(
        ["build", "--full-refresh", "--select", "+fct_trade_flows"],
        db_path=full,
        capture=True,
        target_path=tmp_path / "target",
    )
    with duckdb.connect(str(full), read_only=True) as con:
        assert con.execute(query).fetchall() == incremental
