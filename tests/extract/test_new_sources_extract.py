"""The new files through the extract core (plan, fetch, land, parse, load), into raw tables in tmp_path.

The ECB daily file is also read from the ECB's own address, replayed through the real HTTP client from a
cassette whose body is the bundled eurofxref-hist.zip (the file the ECB serves there, byte for byte).
"""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import duckdb

from extract.config import Config
from extract.pipeline import extract
from extract.sources.ecb import HIST_URL
from tests.helpers import PROJECT_DIR

FILES = PROJECT_DIR / "data" / "files"
ECB_ZIP = FILES / "ecb" / "eurofxref-hist.zip"
KZ_FILES = sorted((FILES / "national").glob("kz_bns_*.xls"))
ROSSTAT = FILES / "russia_official" / "rosstat_russia_trade_29_partners_monthly_2006-2021.xlsx"
TVYAL = FILES / "national" / "armstat_trade_by_country_monthly_2007-2024_tvyal.csv"
EXTRACTS = sorted((FILES / "comtrade").glob("comtrade_*.csv"))
EU_BOOK = FILES / "eurostat_comext" / "eu_member_trade_total_and_hs27_with_7_partners_monthly_2020-2022.xlsx"


def cfg(tmp_path: Path, sources: dict, cassettes: list[Path] | None = None) -> Config:
    return Config(
        path=tmp_path / "t.toml", mode="replay", cassettes=cassettes or [], lookback_periods=0, sources=sources
    )


def go(c: Config, tmp_path: Path, names: list[str]):
    return extract(c, names, tmp_path / "w.duckdb", landing=tmp_path / "landing")


def query(db: Path, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def ecb_cassette(tmp_path: Path) -> Path:
    folder = tmp_path / "cassette"
    folder.mkdir()
    shutil.copy(ECB_ZIP, folder / "eurofxref-hist.zip")
    entry = {
        "request": {"method": "GET", "url": HIST_URL},
        "response": {"status": 200, "headers": {"Content-Type": "application/zip"}, "body_file": "eurofxref-hist.zip"},
    }
    (folder / "cassette.json").write_text(json.dumps({"version": 1, "interactions": [entry]}))
    return folder


def test_ecb_daily_rates_from_the_ecb_address(tmp_path):
    c = cfg(tmp_path, {"ecb": {"daily_from_ecb": True}}, [ecb_cassette(tmp_path)])
    run = go(c, tmp_path, ["ecb"])
    db = tmp_path / "w.duckdb"
    assert run.status == "success", run.errors
    assert run.requests_made == 1  # the plan's GET; the fetch reuses its body
    assert query(db, "select count(*), count(distinct currency) from raw.ecb__eurofxref_hist") == [(217555, 41)]
    assert query(
        db, "select units_per_eur from raw.ecb__eurofxref_hist where rate_date = '2021-12-31' and currency = 'USD'"
    ) == [(1.1326,)]
    # unchanged body: nothing reloaded
    again = go(c, tmp_path, ["ecb"])
    assert again.status == "success" and again.partitions_loaded == 0 and again.partitions_skipped == 1


def test_ecb_daily_rates_from_a_file_drop_without_sdmx_periods(tmp_path):
    run = go(cfg(tmp_path, {"ecb": {"files": [str(ECB_ZIP)]}}), tmp_path, ["ecb"])
    assert run.status == "success", run.errors
    assert run.requests_made == 0
    assert query(
        tmp_path / "w.duckdb",
        "select min(rate_date), max(rate_date) from raw.ecb__eurofxref_hist where currency = 'USD'",
    )[0] == (datetime.date(1999, 1, 4), datetime.date(2026, 4, 13))


def test_national_kz_bns_rosstat_and_tvyal_in_one_run(tmp_path):
    files = [str(p) for p in (*KZ_FILES, ROSSTAT, TVYAL)]
    run = go(cfg(tmp_path, {"national": {"files": files}}), tmp_path, ["national"])
    db = tmp_path / "w.duckdb"
    assert run.status == "success", run.errors
    assert query(db, "select count(distinct _partition_key), min(year), max(year) from raw.national__kz_bns") == [
        (5, 2018, 2023)
    ]
    assert query(db, "select count(*), count(distinct partner_iso3) from raw.national__rosstat") == [(11136, 29)]
    assert query(db, "select min(year), max(year), count(*) from raw.national__armstat") == [(2007, 2024, 85101)]


def test_a_broken_kz_workbook_fails_alone_naming_the_file(tmp_path):
    broken = tmp_path / "kz_bns_foreign_trade_by_country_2023_2022.xls"
    broken.write_bytes(KZ_FILES[-1].read_bytes()[:5000])  # cut short
    run = go(cfg(tmp_path, {"national": {"files": [str(broken), str(KZ_FILES[0])]}}), tmp_path, ["national"])
    assert run.status == "failed" and run.partitions_loaded == 1 and run.partitions_failed == 1
    assert str(broken) in run.errors[0] and "not a readable workbook" in run.errors[0]
    assert query(tmp_path / "w.duckdb", "select distinct edition_year from raw.national__kz_bns") == [(2019,)]


def test_comtrade_extracts_without_api_settings(tmp_path):
    run = go(cfg(tmp_path, {"comtrade": {"files": [str(p) for p in EXTRACTS]}}), tmp_path, ["comtrade"])
    db = tmp_path / "w.duckdb"
    assert run.status == "success", run.errors
    assert run.requests_made == 0
    got = query(db, "select reporter_iso, count(*) from raw.comtrade__extracts group by 1 order by 1")
    assert got == [("ARM", 10405 + 286), ("GEO", 2493)]


def test_eurostat_workbook_loads_into_its_own_table(tmp_path):
    run = go(cfg(tmp_path, {"eurostat_comext": {"files": [str(EU_BOOK)]}}), tmp_path, ["eurostat_comext"])
    db = tmp_path / "w.duckdb"
    assert run.status == "success", run.errors
    assert query(db, "select flow, count(*) from raw.eurostat_comext__workbook group by 1 order by 1") == [
        ("1", 13608),
        ("2", 13608),
    ]
