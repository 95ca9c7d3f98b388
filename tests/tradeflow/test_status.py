"""`tradeflow status`: per source the partitions done and left, the nights left, freshness."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from extract import ledger
from tradeflow.alerts import freshness
from tradeflow.refresh import backlog


def test_backlog_and_nights_left():
    assert backlog(None) == {"partitions_left": None, "nights_left": None, "daily_budget": None}
    row = {"budget": 500, "calls_left": 801, "partitions_left": 89, "metadata_calls": 1, "stopped": "budget"}
    assert backlog(row) == {
        "partitions_left": 89,
        "calls_left": 801,
        "nights_left": 2,  # 499 data calls a night
        "daily_budget": 500,
        "stopped": "budget",
    }
    assert backlog({**row, "calls_left": 0, "partitions_left": 0})["nights_left"] == 0


def test_the_ledger_gives_done_left_nights_and_freshness(tmp_path):
    db = tmp_path / "tradeflow.duckdb"
    now = ledger.utcnow()
    with duckdb.connect(str(db)) as con:
        ledger.ensure(con)
        for i, (source, age) in enumerate([("comtrade", 3), ("comtrade", 2), ("imf", 90)]):
            ledger.record_loaded(
                con,
                source=source,
                dataset="goods",
                partition_key=f"p{i}",
                source_updated_at="s",
                fetched_at=now - timedelta(days=age),
                sha256="ab" * 32,
                row_count=10,
                landing_path="x",
                run_id="r1",
            )
        ledger.record_budget(con, "r1", "comtrade", 500, 498, 89, 801, "daily budget of 500 calls reached", 1)
        budgets = ledger.latest_budgets(con)
        rows = ledger.source_freshness(con)
    assert [r["partitions"] for r in rows] == [2, 1]
    assert backlog(budgets["comtrade"])["partitions_left"] == 89 and backlog(budgets["comtrade"])["nights_left"] == 2
    assert backlog(budgets.get("imf"))["partitions_left"] is None  # no budget: nothing is held back
    fresh = {f["source"]: f for f in freshness(rows, {"imf": 30}, now)}
    assert fresh["comtrade"]["status"] == "fresh" and fresh["comtrade"]["cadence_days"] == 45
    assert (
        fresh["imf"]["status"] == "stale"
        and fresh["imf"]["reason"] == "last new data 90 days ago, expected every 30 days"
    )
