"""config/tradeflow.toml: the whole question, every code valid, and its plan (offline, no network)."""

from __future__ import annotations

import re
import socket

import polars as pl
import pytest

from extract.config import load_config
from extract.sources.eurostat_comext import all_hs6
from tests.helpers import PROJECT_DIR
from tradeflow.alerts import load_alerts
from tradeflow.plan import make_plan

CONFIG = PROJECT_DIR / "config" / "tradeflow.toml"
CA5 = {"KAZ", "KGZ", "TJK", "TKM", "UZB"}


def group(name: str) -> set[str]:
    groups = pl.read_csv(PROJECT_DIR / "seeds" / "country_groups.csv", infer_schema=False)
    return set(groups.filter(pl.col("group_code") == name)["iso3"])


@pytest.fixture(scope="module")
def cfg():
    return load_config(CONFIG)  # every ISO3, Comtrade and Comext code is checked here


def test_it_covers_the_question(cfg):
    comext = cfg.sources["eurostat_comext"]
    assert set(comext.reporters) == group("eu27")
    assert CA5 | {"RUS", "BLR", "ARM", "GEO", "AZE", "TUR", "CHN", "HKG", "ARE", "MNG"} <= set(comext.partners)
    assert group("transit_candidates") <= set(comext.partners)
    assert comext.products == list(all_hs6()) and len(comext.products) == 5613
    assert set(comext.indicators) == {"VALUE_IN_EUROS", "QUANTITY_IN_100KG"} and comext.freq == "M"
    assert comext.years[0] == 2017

    comtrade = cfg.sources["comtrade"]
    assert CA5 | {"ARM", "GEO", "AZE", "TUR", "CHN", "HKG", "ARE", "IND", "KOR"} <= set(comtrade.reporters)
    assert set(comtrade.partners) == CA5 | {"RUS", "BLR", "WLD"}
    assert comtrade.cmd_codes == ["AG6"] and set(comtrade.frequencies) == {"M", "A"}
    annual = comtrade.by_frequency["A"]
    assert annual.every_partner and annual.cmd_codes == ["TOTAL"]
    assert comtrade.daily_budget == 500

    imf = cfg.sources["imf"]
    assert imf.counterparts == ["*"] and imf.freq == "M" and set(imf.countries) >= CA5
    assert {"worldbank", "ecb", "eurostat_fdi", "national"} <= set(cfg.enabled_sources())


def test_every_code_is_valid(cfg):
    geo = pl.read_csv(PROJECT_DIR / "seeds" / "eurostat_geo_labels.csv", infer_schema=False)
    fdi = cfg.sources["eurostat_fdi"]
    assert set(fdi.eurostat_partners) <= set(geo["geo_code"])
    assert set(fdi.eurostat_geo) <= set(geo["geo_code"]) | {"EU27_2020"}
    # the WDI codes of the real bulk files bundled in data/files/worldbank (API_<code>_DS2_...)
    bundled = {
        re.match(r"wdi_bulk_API_(.+?)_DS2", p.name).group(1)
        for p in (PROJECT_DIR / "data/files/worldbank").glob("wdi_bulk_API_*.csv")
    }
    assert set(cfg.sources["worldbank"].indicators) <= bundled
    assert all(s.base_url is None for s in cfg.sources.values())  # the public addresses
    assert cfg.sources["national"].drop_dir == (PROJECT_DIR / "drops" / "national").resolve()
    assert (cfg.sources["national"].drop_dir / "README.md").exists()  # the drop folder is documented
    assert load_alerts(CONFIG).partial_is_success is False


def test_no_secret_in_the_configuration():
    text = CONFIG.read_text()
    assert not re.search(r"(?im)^\s*[a-z_]*(key|token|password)\s*=", text)


def test_the_offline_plan_uses_no_network_and_counts_the_nights(cfg, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network used offline")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    plans = {p.source: p for p in make_plan(cfg, offline=True)}
    comtrade = plans["comtrade"]
    # monthly: 15 reporters x 120 months, one call each (8 partners x 5,613 HS6 x 2 flows = 89,808 rows);
    # annual totals: 15 reporters x 10 years, one call per reporter (10 years x 250 partners x 2 flows)
    assert comtrade.partitions == 15 * 120 + 15 * 10
    assert comtrade.requests == 15 * 120 + 15
    assert comtrade.metadata_requests == 10 + 1  # getDA: 12 periods a call
    assert comtrade.nights == 4  # 1,815 calls at 500 - 11 a night
    comext = plans["eurostat_comext"]
    # 27 reporters x 10 years; each 15 x 5,613 x 2 x 2 x 12 = 4,041,360 cells, split to <= 500,000: 16 queries
    assert comext.partitions == 270 and comext.requests == 270 * 16
    assert comext.cells == 270 * 4_041_360
