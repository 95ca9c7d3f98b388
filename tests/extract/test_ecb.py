"""ECB source: USD/EUR reference rates replayed through the real client, and the EUR->USD helper."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from extract.config import Config
from extract.pipeline import extract
from tests.helpers import PROJECT_DIR

CASSETTE = PROJECT_DIR / "data" / "recordings" / "ecb" / "constructed_exr_usd_eur_m_2020_a_2010_2024"
PERIODS = {"M": ["2020-01", "2020-05"], "A": ["2010", "2024"]}


def cfg(tmp_path: Path, cassette: Path = CASSETTE) -> Config:
    return Config(
        path=tmp_path / "t.toml",
        mode="replay",
        cassettes=[cassette],
        lookback_periods=0,
        sources={"ecb": {"periods": PERIODS}},
    )


def go(c: Config, tmp_path: Path):
    return extract(c, ["ecb"], tmp_path / "w.duckdb", landing=tmp_path / "landing")


def query(db: Path, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_rates_load_with_types_and_real_values(tmp_path):
    run = go(cfg(tmp_path), tmp_path)
    db = tmp_path / "w.duckdb"
    assert run.status == "success", run.errors
    assert run.requests_made == 4  # per frequency: lastNObservations=1 (metadata) + the window
    assert query(db, "select freq, count(*) from raw.ecb__eur_usd group by 1 order by 1") == [("A", 15), ("M", 5)]
    # ECB annual average 2022: 1 EUR = 1.0530 USD
    assert query(db, "select rate_usd_per_eur, month from raw.ecb__eur_usd where freq='A' and year=2022") == [
        (1.053, None)
    ]
    assert query(db, "select rate_usd_per_eur from raw.ecb__eur_usd where time_period='2020-01'") == [
        (1.1100363636364,)
    ]
    types = dict(query(db, "select column_name, column_type from (describe raw.ecb__eur_usd)"))
    assert (types["rate_usd_per_eur"], types["year"], types["month"], types["time_period"]) == (
        "DOUBLE",
        "INTEGER",
        "INTEGER",
        "VARCHAR",
    )
    assert query(db, "select _source_updated_at from raw.ecb__eur_usd where freq='A' limit 1") == [
        ("last=2024:1.0824",)
    ]


def test_rerun_adds_no_rows_and_only_asks_metadata(tmp_path):
    go(cfg(tmp_path), tmp_path)
    run = go(cfg(tmp_path), tmp_path)
    assert (run.status, run.partitions_loaded, run.partitions_skipped, run.requests_made) == ("success", 0, 2, 2)
    assert query(tmp_path / "w.duckdb", "select count(*) from raw.ecb__eur_usd") == [(20,)]


def test_truncated_csv_fails_naming_the_line_and_keeps_earlier_rows(tmp_path):
    go(cfg(tmp_path), tmp_path)
    broken = tmp_path / "cassette"
    shutil.copytree(CASSETTE, broken)
    last = broken / "a_last.csv"
    last.write_text(last.read_text().replace(",2024,1.0824,", ",2025,1.0999,"))  # a new observation appeared
    body = (broken / "a_2010_2024.csv").read_bytes()
    (broken / "a_2010_2024.csv").write_bytes(body[: body.index(b"2015,1.1095") + 11])  # cut mid-line
    run = go(cfg(tmp_path, broken), tmp_path)
    db = tmp_path / "w.duckdb"
    status, error = query(db, "select status, error from ops.runs order by started_at desc limit 1")[0]
    assert run.status == status == "failed"
    assert "A.USD.EUR.SP00.A" in error and "line 7" in error and "truncated" in error
    assert query(db, "select count(*) from raw.ecb__eur_usd where freq='A'") == [(15,)]


def test_a_different_series_in_the_answer_is_refused(tmp_path):
    broken = tmp_path / "cassette"
    shutil.copytree(CASSETTE, broken)
    body = broken / "m_2020-01_2020-05.csv"
    body.write_text(body.read_text().replace("EXR.M.USD.EUR.SP00.A,M,USD,", "EXR.M.JPY.EUR.SP00.A,M,JPY,", 1))
    run = go(cfg(tmp_path, broken), tmp_path)
    assert run.status == "failed"
    assert any("M.JPY.EUR.SP00.A is not M.USD.EUR.SP00.A" in e for e in run.errors)
