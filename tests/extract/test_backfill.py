"""A Comtrade backfill under a daily budget, live against the source emulator, night after night."""

from __future__ import annotations

import duckdb
import pytest

from extract.config import load_config
from extract.pipeline import extract
from extract.sources.comtrade import HOST, area_codes
from tests.emulator import ComtradeWorld
from tests.helpers import toml_dump

REPORTERS = ["KAZ", "KGZ", "TJK", "TKM", "UZB", "ARM", "GEO", "AZE", "TUR", "CHN", "HKG", "ARE"]
# 40 partners x 5,613 HS6 (AG6) x 2 flows = 449,040 expected rows a month: five calls of 8 partners
PARTNERS = ["RUS", "BLR", "CHN", "TUR", "ARE", "HKG", "ARM", "GEO", "AZE", "KAZ", "KGZ", "TJK", "TKM", "UZB"]
PARTNERS += ["MNG", "IND", "KOR", "IRN", "DEU", "USA", "JPN", "FRA", "ITA", "POL", "NLD", "BEL", "LTU", "LVA"]
PARTNERS += ["EST", "FIN", "SRB", "MDA", "UKR", "ISR", "EGY", "SAU", "PAK", "WLD"]
CALLS_PER_MONTH = 5
YEARS = (2023, 2024)
MONTHS = 24
PARTITIONS = len(REPORTERS) * MONTHS  # 288 reporter-months, 1,440 data calls
GETDA_CALLS = 2  # 24 months, 12 a getDA call, all reporters at once: repeated every night
BUDGET = 500
PER_NIGHT = (BUDGET - GETDA_CALLS) // CALLS_PER_MONTH  # 99 reporter-months a night: 3 nights


@pytest.fixture()
def world() -> ComtradeWorld:
    current, _ = area_codes()
    w = ComtradeWorld()
    w.release("M", [current[r] for r in REPORTERS], ComtradeWorld.periods("M", *YEARS))
    return w


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("COMTRADE_API_KEY", "emulator-test-key")  # the emulator wants a key header; not a secret


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
    path = tmp_path / f"backfill-{budget}.toml"
    run = {"mode": "live", "min_interval": 0, "retry_attempts": 2, "lookback_periods": 0}
    path.write_text(toml_dump({"run": run, "sources": {"comtrade": comtrade}}))
    return load_config(path)


def night(cfg, db, landing):
    return extract(cfg, ["comtrade"], db, landing=landing)


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
    emu = source_emulator(comtrade=world)
    db, landing = tmp_path / "nightly.duckdb", tmp_path / "landing"
    cfg = config(tmp_path, emu, budget=BUDGET)

    first = night(cfg, db, landing)
    assert first.errors == [] and first.status == "success"
    assert first.partitions_loaded == PER_NIGHT
    assert emu.comtrade.calls_tonight == GETDA_CALLS + PER_NIGHT * CALLS_PER_MONTH  # 497: never over 500
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
    # the revision costs one call (its previous load had 240 rows: all 40 partners fit in one call)
    assert second.errors == [] and second.partitions_loaded == 1 + PER_NIGHT
    night2 = months_asked(emu, mark)
    # the revision first (grouped by the planner with the month before it, which it knows is small)
    assert night2[0][0] == revised[0] and revised[1] in night2[0][1].split(",")
    assert night2[1:] == full_order[PER_NIGHT : 2 * PER_NIGHT]  # then exactly where night one stopped
    left -= PER_NIGHT
    assert budgets(db)[-1][2:4] == (left, left * CALLS_PER_MONTH)

    emu.new_night()
    third = night(cfg, db, landing)
    assert third.errors == [] and third.partitions_loaded == left
    assert emu.comtrade.calls_tonight == GETDA_CALLS + left * CALLS_PER_MONTH < BUDGET  # done
    assert budgets(db)[-1] == (BUDGET, emu.comtrade.calls_tonight, 0, 0, False)

    emu.new_night()
    fourth = night(cfg, db, landing)  # nothing left and nothing new: only the getDA calls
    assert fourth.partitions_loaded == 0 and emu.comtrade.calls_tonight == GETDA_CALLS

    # one unlimited run of the same world (the revision included) loads the same raw rows
    emu.new_night()
    once = tmp_path / "once.duckdb"
    run = night(config(tmp_path, emu, budget=None), once, tmp_path / "landing-once")
    assert run.errors == [] and run.partitions_loaded == PARTITIONS
    rows = raw_rows(db)
    assert len(rows) == PARTITIONS * len(PARTNERS) * 2 * 3  # partners x flows x the three HS6 codes
    assert rows == raw_rows(once)
    # the revised month carries the revised values (10% up in the emulator), in both
    assert revised_value(db, revised) == pytest.approx(revised_value(tmp_path / "once.duckdb", revised))


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
    emu = source_emulator(comtrade=world)
    db, landing = tmp_path / "nightly.duckdb", tmp_path / "landing"
    cfg = config(tmp_path, emu, budget=BUDGET)
    first = night(cfg, db, landing)
    assert world.refused_tonight == 1
    assert first.status == "success" and first.errors == []
    assert "Out of call volume quota" in first.stopped["comtrade"]
    assert first.partitions_loaded == (120 - GETDA_CALLS) // CALLS_PER_MONTH  # the month cut short is not loaded
    assert first.partitions_failed == 0
    assert len(emu.calls("comtrade")) == 121  # the quota's 120 and the one refused call, nothing after it
    emu.new_night()
    world.quota = None
    second = night(cfg, db, landing)
    assert second.partitions_loaded == PER_NIGHT and world.refused_tonight == 0
