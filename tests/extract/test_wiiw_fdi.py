"""wiiw FDI file drop: the real Kazakhstan exports by partner and by industry, wide -> long."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from extract.config import Config
from extract.errors import SchemaDrift
from extract.pipeline import extract
from extract.sources.wiiw_fdi import parse_wiiw_csv
from tests.helpers import PROJECT_DIR

FILES = PROJECT_DIR / "data" / "files" / "wiiw_fdi"
PARTNER = FILES / "wiiw_fdi_kazakhstan_by_partner_2003-2021.csv"
INDUSTRY = FILES / "wiiw_fdi_kazakhstan_by_industry.csv"


def cfg(tmp_path: Path, files: list[Path]) -> Config:
    return Config(path=tmp_path / "t.toml", mode="replay", lookback_periods=0, sources={"wiiw_fdi": {"files": files}})


def go(c: Config, tmp_path: Path):
    return extract(c, ["wiiw_fdi"], tmp_path / "w.duckdb", landing=tmp_path / "landing")


def query(db: Path, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_real_files_load_long_with_types(tmp_path):
    run = go(cfg(tmp_path, [PARTNER, INDUSTRY]), tmp_path)
    db = tmp_path / "w.duckdb"
    assert run.status == "success", run.errors
    assert run.requests_made == 0
    # Kazakhstan's FDI inward stock from the EU-27 (2020 composition) at end-2021: EUR 68,294.7 m
    assert query(
        db,
        "select value, partner_name from raw.wiiw_fdi__by_partner where direction='FDI inward stock' "
        "and partner_code='EU27_2020' and unit='EUR m' and year=2021",
    ) == [(68294.7366456, "EU - 27 countries (from 2020)")]
    # the same year's inflow from the EU-27 and the stock's share of the total
    assert query(
        db,
        "select direction, unit, value from raw.wiiw_fdi__by_partner where partner_code='EU27_2020' "
        "and year=2021 order by 1, 2",
    ) == [
        ("FDI inflow", "EUR m", 638.7668309),
        ("FDI inflow", "in % of total", 22.4041553),
        ("FDI inward stock", "EUR m", 68294.7366456),
        ("FDI inward stock", "in % of total", 50.7876758),
    ]
    # 336 rows x 19 year columns; 236 rows x 22 year columns (nothing dropped, "." kept as null)
    assert query(db, "select count(*) from raw.wiiw_fdi__by_partner") == [(336 * 19,)]
    assert query(db, "select count(*) from raw.wiiw_fdi__by_industry") == [(236 * 22,)]
    # "." -> null: the NACE Rev. 2 total inflow starts in 2010
    assert query(
        db,
        "select year, value from raw.wiiw_fdi__by_industry where industry='Total by activities' "
        "and direction='FDI inflow' and unit='EUR m' and classification='NACE Rev. 2' and year in (2009, 2010)"
        " order by year",
    ) == [(2009, None), (2010, 8698.3098957)]
    assert query(
        db,
        "select distinct nace_code, industry_name from raw.wiiw_fdi__by_industry "
        "where industry in ('DD-DE  Wood, pulp, paper, publishing', 'Total by activities') order by 1 nulls last",
    ) == [("DD-DE", "Wood, pulp, paper, publishing"), (None, "Total by activities")]
    types = dict(query(db, "select column_name, column_type from (describe raw.wiiw_fdi__by_partner)"))
    assert (types["year"], types["value"], types["partner_code"]) == ("INTEGER", "DOUBLE", "VARCHAR")


def test_rerun_over_the_same_files_adds_no_rows(tmp_path):
    go(cfg(tmp_path, [PARTNER, INDUSTRY]), tmp_path)
    run = go(cfg(tmp_path, [PARTNER, INDUSTRY]), tmp_path)
    assert (run.status, run.partitions_loaded, run.partitions_skipped, run.rows_loaded) == ("success", 0, 2, 0)
    db = tmp_path / "w.duckdb"
    assert query(db, "select count(*) from raw.wiiw_fdi__by_partner") == [(336 * 19,)]
    assert query(db, "select count(*) from raw.wiiw_fdi__by_industry") == [(236 * 22,)]


def test_a_file_without_year_columns_fails_and_keeps_earlier_rows(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    f = drop / "wiiw_partner.csv"
    shutil.copy(PARTNER, f)
    go(cfg(tmp_path, [f]), tmp_path)
    # the next export arrives with the year columns renamed away
    header, rest = f.read_text().split("\n", 1)
    f.write_text(header.replace(",_", ",y") + "\n" + rest)  # _2003 -> y2003 ...
    run = go(cfg(tmp_path, [f]), tmp_path)
    db = tmp_path / "w.duckdb"
    status, error = query(db, "select status, error from ops.runs order by started_at desc limit 1")[0]
    assert run.status == status == "failed"
    assert "wiiw_partner.csv" in error and "no year columns" in error
    assert query(db, "select count(*) from raw.wiiw_fdi__by_partner") == [(336 * 19,)]
    assert query(db, "select count(*) from ops.partition_errors where source='wiiw_fdi'") == [(1,)]


def test_a_bad_cell_is_named_by_line_and_column(tmp_path):
    body = PARTNER.read_bytes().replace(b"68294.7366456", b"68 294.7")
    with pytest.raises(SchemaDrift) as caught:
        parse_wiiw_csv("wiiw_fdi", "file:///x.csv", body, "by_partner")
    assert "file:///x.csv line 172" in str(caught.value) and "'68 294.7'" in str(caught.value)
    assert caught.value.field == "_2021"
