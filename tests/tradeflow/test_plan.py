"""`tradeflow plan`: requests, rows, cells and nights per source, offline without any network."""

from __future__ import annotations

import socket

import pytest

from extract.config import load_config
from extract.errors import ConfigError
from tests.helpers import PROJECT_DIR, toml_dump
from tradeflow.plan import SourcePlan, make_plan, nights_needed, render

CA5 = ["KAZ", "KGZ", "TJK", "TKM", "UZB"]


@pytest.fixture()
def no_network(monkeypatch):
    """Any socket connection fails the test: offline means no network at all."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network used offline: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def config(tmp_path, sources: dict):
    path = tmp_path / "plan.toml"
    path.write_text(toml_dump({"run": {"mode": "live"}, "sources": sources}))
    return load_config(path)


def test_nights_needed_repeats_the_metadata_each_night():
    assert nights_needed(1000, 0, 500) == 2
    assert nights_needed(1000, 10, 500) == 3  # 490 data calls a night
    assert nights_needed(0, 10, 500) == 1
    assert nights_needed(10, 500, 500) is None  # the budget does not cover the metadata
    assert nights_needed(10, 0, None) is None


def test_comtrade_monthly_hs6_on_a_free_key(tmp_path, no_network):
    cfg = config(
        tmp_path,
        {
            "comtrade": {
                "reporters": CA5,
                "partners": ["RUS", "BLR", "WLD"],
                "years": [2017, 2024],
                "frequencies": ["M"],
                "cmd_codes": ["AG6"],
                "flows": ["M", "X"],
                "endpoint": "data",
            }
        },
    )
    (plan,) = make_plan(cfg, offline=True)
    # 5 reporters x 96 months; 3 partners x 5,613 HS6 x 2 flows = 33,678 rows a month: 2 months a call
    # (3 would be 101,034 > 100,000)
    assert plan.partitions == 480
    assert plan.requests == 240
    assert plan.metadata_requests == 8  # getDA: 96 months, 12 a call, every reporter at once
    assert plan.rows == 480 * 33_678
    assert plan.calls_per_night == 500
    assert plan.nights == 1
    text = render([plan], offline=True)
    assert "comtrade" in text and "240" in text


def test_comtrade_nights_follow_the_daily_budget(tmp_path, no_network):
    cfg = config(
        tmp_path,
        {
            "comtrade": {
                "reporters": CA5 + ["ARM", "GEO", "AZE", "TUR", "CHN"],
                "partners": ["RUS", "BLR", "KAZ", "KGZ", "TJK", "TKM", "UZB", "WLD"],
                "years": [2017, 2024],
                "frequencies": ["M"],
                "cmd_codes": ["AG6"],
                "flows": ["M", "X"],
                "endpoint": "data",
                "daily_budget": 300,
            }
        },
    )
    (plan,) = make_plan(cfg, offline=True)
    # 8 partners x 5,613 x 2 = 89,808 rows a month: one call a month; 10 reporters x 96 months
    assert plan.requests == 960 and plan.metadata_requests == 8
    assert plan.calls_per_night == 300
    assert plan.nights == 4  # 292 data calls a night: 960 / 292 -> 4


def test_comext_splits_each_reporter_year_to_the_synchronous_limit(tmp_path, no_network):
    products = [f"{c:06d}" for c in range(10_000, 10_000 + 2_000)]
    cfg = config(
        tmp_path,
        {
            "eurostat_comext": {
                "reporters": ["DEU", "FRA"],
                "partners": CA5 + ["RUS", "BLR", "ARM", "GEO", "AZE"],
                "products": products,
                "flows": [1, 2],
                "indicators": ["VALUE_IN_EUROS", "QUANTITY_IN_100KG"],
                "freq": "M",
                "years": [2023, 2024],
            }
        },
    )
    (plan,) = make_plan(cfg, offline=True)
    # one reporter-year: 10 partners x 2,000 products x 2 x 2 x 12 months = 960,000 cells > 500,000:
    # split once (periods halved) -> 2 queries of 480,000
    assert plan.partitions == 4
    assert plan.requests == 8
    assert plan.cells == 4 * 960_000
    assert plan.metadata_requests == 1
    assert plan.nights is None  # no daily limit at Eurostat


def test_a_bad_setting_is_refused_before_any_plan_and_files_cost_no_request(tmp_path, no_network):
    with pytest.raises(ConfigError, match=r"\[sources.comtrade\] frequencies"):
        config(tmp_path, {"comtrade": {"reporters": ["KAZ"], "years": [2020, 2020], "frequencies": ["Q"]}})
    cfg = config(
        tmp_path,
        {
            "ecb": {"periods": {"M": ["2019-01", ""]}},
            "wiiw_fdi": {"files": [str(PROJECT_DIR / "data/files/wiiw_fdi/wiiw_fdi_kazakhstan_by_industry.csv")]},
        },
    )
    plans = {p.source: p for p in make_plan(cfg, offline=True)}
    assert plans["ecb"] == SourcePlan("ecb", partitions=1, requests=1, metadata_requests=1)
    assert plans["wiiw_fdi"] == SourcePlan("wiiw_fdi", partitions=1, files=1)
