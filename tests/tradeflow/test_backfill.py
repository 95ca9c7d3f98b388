"""A Comtrade backfill under a daily budget: nightly refreshes live against the source emulator.

Three nights at 500 calls end with the raw rows and marts of one unlimited refresh; night two starts
with the revision published in between, then where night one stopped; an exhausted quota costs one
refused call and the next night resumes.
"""

from __future__ import annotations

import duckdb
import pytest

from extract.config import load_config
from extract.pipeline import extract
from extract.sources.comtrade import HOST, area_codes
from extract.sources.ecb import API as ECB_API
from tests.emulator import ComtradeWorld
from tests.emulator.server import RECORDINGS
from tests.helpers import PROJECT_DIR, marts_snapshot, toml_dump
from tradeflow.refresh import refresh

pytestmark = pytest.mark.slow

ECB_CASSETTE = RECORDINGS / "ecb" / "constructed_exr_usd_eur_m_2020_a_2010_2024"
WDI_RATES = next((PROJECT_DIR / "data/files/worldbank").glob("wdi_bulk_API_PA.NUS.FCRF_*.csv"))

REPORTERS = ["KAZ", "KGZ", "TJK", "TKM", "UZB", "ARM", "GEO", "AZE", "TUR", "CHN", "HKG", "ARE"]
# 71 partner countries and the world: 72 x 5,613 HS6 (AG6) x 2 flows = 808,272 expected rows a month,
# nine calls of 8 partners (89,808 rows) each; so 144 reporter-months need 1,296 data calls
PARTNERS = [*sorted(area_codes()[0])[:71], "WLD"]
CALLS_PER_MONTH = 9
YEARS = (2024, 2024)
MONTHS = 12
PARTITIONS = len(REPORTERS) * MONTHS  # 144 reporter-months
GETDA_CALLS = 1  # 12 months, 12 a getDA call, all reporters at once: repeated every night
BUDGET = 500
PER_NIGHT = (BUDGET - GETDA_CALLS) // CALLS_PER_MONTH  # 55 reporter-months a night: 3 nights
OTHER_PARTITIONS = 5  # ECB M and A, the World Bank file, the two wiiw files (first night and unlimited run)


@pytest.fixture()
def world() -> ComtradeWorld:
    current, _ = area_codes()
    w = ComtradeWorld()
    w.release("M", [current[r] for r in REPORTERS], ComtradeWorld.periods("M", *YEARS))
    return w


@pytest.fixture(autouse=True)
def key(monkeypatch, tmp_path):
    monkeypatch.setenv("COMTRADE_API_KEY", "emulator-test-key")  # the emulator wants a key header; not a secret
    monkeypatch.setenv("TRADEFLOW_LOG_DIR", str(tmp_path / "logs"))


def config(tmp_path, emu, budget: int | None):
    comtrade = {
        "base_url": emu.base_url("comtrade", HOST),
        "reporters": REPORTERS,
        "partners": PARTNERS,
        "years": list(YEARS),
        "frequencies": ["M"],
        "cmd_codes": ["AG6"],
        "flows": ["M", "X"],
        "endpoint": "data",
    }
    if budget:
        comtrade["daily_budget"] = budget
    # the marts' tests compare the ECB's annual rates with the World Bank's (both must be there): the
    # ECB live from its recording through the emulator, the World Bank's real bulk file as a file drop
    ecb = {"base_url": emu.base_url("ecb", ECB_API), "periods": {"M": ["2020-01", "2020-05"], "A": ["2010", "2024"]}}
    worldbank = {"files": [str(WDI_RATES)]}
    # and the wiiw shares are checked against the shares wiiw publishes: the real wiiw files as a drop
    wiiw = {"files": [str(p) for p in sorted((PROJECT_DIR / "data/files/wiiw_fdi").glob("*.csv"))]}
    path = tmp_path / f"backfill-{budget}.toml"
    run = {"mode": "live", "min_interval": 0, "retry_attempts": 2, "lookback_periods": 0}
    sources = {"comtrade": comtrade, "ecb": ecb, "worldbank": worldbank, "wiiw_fdi": wiiw}
    path.write_text(toml_dump({"run": run, "sources": sources}))
    return load_config(path)


def night(cfg, db, landing) -> dict:
    """One nightly refresh (extract, dbt build with tests, publish); its extract summary."""
    result = refresh(cfg, db, landing=landing)
    assert result.status == "success", result.reason
    return result.extract


def raw_rows(db) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select * exclude (_loaded_at) from raw.comtrade__goods order by all").fetchall()
    finally:
        con.close()


def data_calls(emu, since: int) -> list[tuple[str, str]]:
    return [(r.query["reporterCode"], r.query["period"]) for r in emu.log[since:] if r.path.endswith("/get/C/M/HS")]


def budgets(db) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "select budget, spent, partitions_left, calls_left, stopped is not null from ops.source_budgets order by recorded_at"
        ).fetchall()
    finally:
        con.close()


def test_three_nights_at_500_calls_end_with_the_rows_of_one_unlimited_run(tmp_path, source_emulator, world):
    emu = source_emulator(comtrade=world, cassettes={"ecb": [ECB_CASSETTE]})
    db, landing = tmp_path / "nightly" / "tradeflow.duckdb", tmp_path / "landing"
    cfg = config(tmp_path, emu, budget=BUDGET)

    first = night(cfg, db, landing)
    assert first["errors"] == [] and first["partitions_loaded"] == PER_NIGHT + OTHER_PARTITIONS
    assert emu.comtrade.calls_tonight == GETDA_CALLS + PER_NIGHT * CALLS_PER_MONTH  # 496: never over 500
    night1 = months_asked(emu, 0)
    full_order = [(r, p) for p in reversed(ComtradeWorld.periods("M", *YEARS)) for r in comtrade_codes()]
    assert night1 == full_order[:PER_NIGHT]  # the newest months of every reporter, back in time
    left = PARTITIONS - PER_NIGHT
    assert budgets(db)[-1] == (BUDGET, GETDA_CALLS + PER_NIGHT * CALLS_PER_MONTH, left, left * CALLS_PER_MONTH, True)

    # between the nights a reporter revises a month loaded on night one
    revised = night1[3]
    world.revise("M", revised[0], revised[1], "2025-03-01T00:00:00")
    emu.new_night()
    mark = len(emu.log)
    second = night(cfg, db, landing)
    # the revision costs one call (its previous load had 432 rows: all 72 partners fit in one call)
    assert second["errors"] == [] and second["partitions_loaded"] == 1 + PER_NIGHT
    night2 = months_asked(emu, mark)
    # the revision first (grouped by the planner with the month before it, which it knows is small)
    assert night2[0][0] == revised[0] and revised[1] in night2[0][1].split(",")
    assert night2[1:] == full_order[PER_NIGHT : 2 * PER_NIGHT]  # then exactly where night one stopped
    left -= PER_NIGHT
    assert budgets(db)[-1][2:4] == (left, left * CALLS_PER_MONTH)

    emu.new_night()
    third = night(cfg, db, landing)
    assert third["errors"] == [] and third["partitions_loaded"] == left
    assert emu.comtrade.calls_tonight == GETDA_CALLS + left * CALLS_PER_MONTH < BUDGET  # done
    assert budgets(db)[-1] == (BUDGET, emu.comtrade.calls_tonight, 0, 0, False)

    emu.new_night()
    fourth = night(cfg, db, landing)  # nothing left and nothing new: only the getDA calls
    assert fourth["partitions_loaded"] == 0 and emu.comtrade.calls_tonight == GETDA_CALLS

    # one unlimited run of the same world (the revision included) loads the same raw rows
    emu.new_night()
    once = tmp_path / "once" / "tradeflow.duckdb"
    run = night(config(tmp_path, emu, budget=None), once, tmp_path / "landing-once")
    assert run["errors"] == [] and run["partitions_loaded"] == PARTITIONS + OTHER_PARTITIONS
    rows = raw_rows(db)
    assert len(rows) == PARTITIONS * len(PARTNERS) * 2 * 3  # partners x flows x the three HS6 codes
    assert rows == raw_rows(once)
    nightly, unlimited = marts_snapshot(db), marts_snapshot(once)
    assert nightly == unlimited  # every mart (and raw table), row for row
    assert comtrade_fact_rows(db) > 0  # the marts hold the Comtrade rows, not only empty tables
    # the revised month carries the revised values (10% up in the emulator), in both
    assert revised_value(db, revised) == pytest.approx(revised_value(once, revised))


def comtrade_fact_rows(db) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from marts.fct_trade_flows where source = 'comtrade'").fetchone()[0]
    finally:
        con.close()


def revised_value(db, reporter_period) -> float:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "select sum(primary_value) from raw.comtrade__goods where reporter_code = ? and period = ?",
            list(reporter_period),
        ).fetchone()[0]
    finally:
        con.close()


def months_asked(emu, since: int) -> list[tuple[str, str]]:
    """(reporter, month) of each group of data calls, in the order asked (three calls a month)."""
    out: list[tuple[str, str]] = []
    for reporter, period in data_calls(emu, since):
        if not out or out[-1] != (reporter, period):
            out.append((reporter, period))
    return out


def comtrade_codes() -> list[str]:
    """The reporters in plan order (the configuration's), as Comtrade codes."""
    current, _ = area_codes()
    return [current[r] for r in REPORTERS]


def test_an_exhausted_quota_costs_one_refused_call_and_the_next_night_resumes(tmp_path, source_emulator, world):
    world.quota = 120  # somebody else spent most of the key's quota today: less than our budget
    emu = source_emulator(comtrade=world, cassettes={"ecb": [ECB_CASSETTE]})
    db, landing = tmp_path / "nightly.duckdb", tmp_path / "landing"
    cfg = config(tmp_path, emu, budget=BUDGET)
    first = extract(cfg, ["comtrade"], db, landing=landing)  # the extract step alone: fast
    assert world.refused_tonight == 1
    assert first.status == "success" and first.errors == []
    assert "Out of call volume quota" in first.stopped["comtrade"]
    # the month cut short by the refusal is not loaded
    assert first.partitions_loaded == (120 - GETDA_CALLS) // CALLS_PER_MONTH
    assert first.partitions_failed == 0
    assert len(emu.calls("comtrade")) == 121  # the quota's 120 and the one refused call, nothing after it
    emu.new_night()
    world.quota = None
    second = extract(cfg, ["comtrade"], db, landing=landing)
    assert second.partitions_loaded == PER_NIGHT and world.refused_tonight == 0
