"""UN Comtrade source: real recordings through the real runner, capping/splitting, errors, key hygiene."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import polars as pl
import pytest

from extract.config import Config, load_config
from extract.errors import BadResponse, SchemaDrift
from extract.http import ReplayAdapter, make_client
from extract.landing import SUFFIXES, read_landed
from extract.pipeline import extract
from extract.sources.base import Context, Fetched, Partition
from extract.sources.comtrade import Call, Comtrade

PROJECT = Path(__file__).resolve().parents[2]
REC = PROJECT / "data" / "recordings" / "comtrade"
CHN = REC / "chn_2010_total"
CHN_SETTINGS = {
    "reporters": ["CHN"],
    "partners": ["ARG", "DEU"],
    "historical_codes": True,
    "years": [2010, 2010],
    "frequencies": ["A"],
    "cmd_codes": ["TOTAL"],
    "endpoint": "data",
}
CHN_KEY = "type=C/freq=A/cl=HS/reporter=156/period=2010"
KEY = "test-key-abc123"


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)


def config(tmp_path, cassette: Path, settings: dict) -> Config:
    return Config(
        path=tmp_path / "t.toml",
        mode="replay",
        cassettes=[cassette],
        lookback_periods=0,
        sources={"comtrade": settings},
    )


def run(tmp_path, cfg, client=None):
    return extract(cfg, ["comtrade"], tmp_path / "w.duckdb", landing=tmp_path / "landing", client=client)


def query(tmp_path, sql):
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- the real recording


def test_demo_snippet_plans_exactly_the_recorded_requests_and_loads_real_values(tmp_path):
    toml = tmp_path / "demo.toml"
    snippet = (PROJECT / "config" / "snippets" / "comtrade.toml").read_text()
    toml.write_text(f'[run]\nmode = "replay"\ncassettes = ["{CHN}"]\nlookback_periods = 0\n{snippet}')
    cfg = load_config(toml)
    r = run(tmp_path, cfg)
    assert r.status == "success", r.errors
    assert (r.requests_made, r.metadata_requests, r.rows_loaded) == (2, 1, 4)

    rows = query(
        tmp_path,
        "select reporter_code, partner_code, partner_iso, flow_code, cmd_code, primary_value, cifvalue, fobvalue,"
        " ref_year, ref_month, period, mot_code, customs_code, partner2_code, classification_code, is_reported"
        " from raw.comtrade__goods order by flow_code, partner_code",
    )
    # Values as in data_v1_get_C_A_HS_chn_2010_total.json (China 2010, TOTAL).
    assert rows == [
        (
            "156",
            "276",
            "DEU",
            "M",
            "TOTAL",
            74251272075.0,
            74251272075.0,
            None,
            2010,
            52,
            "2010",
            "0",
            "C00",
            "0",
            "H3",
            True,
        ),
        (
            "156",
            "32",
            "ARG",
            "M",
            "TOTAL",
            6804128143.0,
            6804128143.0,
            None,
            2010,
            52,
            "2010",
            "0",
            "C00",
            "0",
            "H3",
            True,
        ),
        (
            "156",
            "276",
            "DEU",
            "X",
            "TOTAL",
            68047133397.0,
            None,
            68047133397.0,
            2010,
            52,
            "2010",
            "0",
            "C00",
            "0",
            "H3",
            True,
        ),
        (
            "156",
            "32",
            "ARG",
            "X",
            "TOTAL",
            6115764185.0,
            None,
            6115764185.0,
            2010,
            52,
            "2010",
            "0",
            "C00",
            "0",
            "H3",
            True,
        ),
    ]
    types = dict(query(tmp_path, "select column_name, column_type from (describe raw.comtrade__goods)"))
    for col in ("reporter_code", "partner_code", "partner2_code", "cmd_code", "mot_code", "flow_code", "period"):
        assert types[col] == "VARCHAR", col
    assert types["primary_value"] == "DOUBLE" and types["ref_year"] == "INTEGER" and types["is_aggregate"] == "BOOLEAN"
    stamp = query(tmp_path, "select partition_key, source_updated_at, row_count from ops.partitions")
    assert stamp == [(CHN_KEY, "2021-07-13T00:00:00|dataset=4020105", 4)]


def test_rerun_with_unchanged_availability_makes_no_data_request_and_changes_nothing(tmp_path):
    cfg = config(tmp_path, CHN, CHN_SETTINGS)
    first = run(tmp_path, cfg)
    before = query(tmp_path, "select * from raw.comtrade__goods order by flow_code, partner_code")
    second = run(tmp_path, cfg)
    after = query(tmp_path, "select * from raw.comtrade__goods order by flow_code, partner_code")
    assert first.rows_loaded == 4 and len(before) == 4
    assert second.requests_made == second.metadata_requests == 1  # getDA only
    assert (second.partitions_skipped, second.partitions_loaded, second.rows_loaded) == (1, 0, 0)
    assert after == before
    runs = query(tmp_path, "select status, rows_loaded, requests_made from ops.runs order by started_at")
    assert runs == [("success", 4, 2), ("success", 0, 1)]


def test_bra_breakdown_rows_are_all_kept_in_raw(tmp_path):
    settings = {
        "reporters": ["BRA"],
        "partners": ["CHN"],
        "years": [2024, 2024],
        "cmd_codes": ["1201", "1507", "2304"],
        "flows": ["X"],
        "breakdowns": True,
        "include_desc": False,
        "endpoint": "data",
    }
    r = run(tmp_path, config(tmp_path, REC / "bra_2024_soy_breakdowns", settings))
    assert r.status == "success" and r.rows_loaded == 8
    soy = query(
        tmp_path,
        "select mot_code, primary_value, net_wgt from raw.comtrade__goods where cmd_code = '1201' order by mot_code",
    )
    # Real values of data_v1_get_C_A_HS_BRA_to_CHN_2024_hs4_soy.json (Brazil's 2024 soybean exports to China).
    assert soy == [
        ("0", 31499887711.0, 72557710367.0),
        ("1000", 102.0, 5.0),
        ("2000", 8134554.0, 15999996.0),
        ("2100", 31491753055.0, 72541710366.0),
    ]


def test_empty_data_is_zero_rows_not_an_error():
    body = (REC / "files" / "data_v1_get_S_A_EB_empty_response.json").read_bytes()
    src = Comtrade()
    result = src.parse(
        Partition("comtrade", "goods", "k", {}),
        [Fetched(body, "json", "https://comtradeapi.un.org/data/v1/get/S/A/EB")],
    )
    assert result.frame.height == 0 and result.warnings == []
    assert dict(result.frame.schema) == dict(Comtrade.datasets["goods"].schema)


# --------------------------------------------------------------------------- capping and planning


def capped_partners() -> list[str]:
    countries = pl.read_csv(PROJECT / "seeds" / "countries.csv", infer_schema=False)
    rows = countries.filter(pl.col("comtrade_code").is_not_null() & (pl.col("iso3") != "USA")).sort("iso3")
    return list(rows["iso3"][:130])


def test_capped_preview_answer_is_split_never_truncated(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="extract.sources.comtrade")
    settings = {"reporters": ["USA"], "partners": capped_partners(), "years": [2010, 2010], "cmd_codes": ["TOTAL"]}
    cfg = config(tmp_path, REC / "usa_2010_capped_preview_constructed", settings)
    client = make_client("replay", cassettes=cfg.cassettes)
    r = run(tmp_path, cfg, client)
    assert r.status == "success", r.errors
    # getDA, the capped call (500 rows), then the two partner halves.
    assert client.requests_made == 4 and r.metadata_requests == 1
    assert "capped at 500 rows, split into 2 calls" in caplog.text
    assert r.rows_loaded == 520
    n, distinct = query(
        tmp_path, "select count(*), count(distinct (partner_code, flow_code)) from raw.comtrade__goods"
    )[0]
    assert (n, distinct) == (520, 520)
    # The last 20 rows were cut from the capped answer: they are loaded from the second half.
    assert capped_partners()[-1] == "LSO"
    tail = query(
        tmp_path, "select primary_value from raw.comtrade__goods where partner_iso = 'LSO' and flow_code = 'RX'"
    )
    assert tail == [(130_004_000.0,)]


def test_split_order_partners_then_periods_then_flows_then_codes():
    call = Call("M", "842", ("201001", "201002"), ("4", "8"), ("TOTAL", "27"), None, False)
    halves = call.split()
    assert [c.partners for c in halves] == [("4",), ("8",)]
    one = halves[0]
    assert [c.periods for c in one.split()] == [("201001",), ("201002",)]
    single = one.split()[0]
    assert [c.flows for c in single.split()] == [("M",), ("X",), ("RM",), ("RX",)]
    flow = single.split()[0]
    assert [c.cmds for c in flow.split()] == [("TOTAL",), ("27",)]
    assert flow.split()[0].split() == []


def test_planner_groups_periods_and_splits_partners_under_the_cap():
    src = Comtrade()
    months = [(f"2023{m:02d}", ("stamp", None)) for m in range(1, 13)]
    base = Call("M", "398", (), ("643", "156", "276"), ("TOTAL",), ("M", "X"), False)
    # Keyed endpoint: 12 months x 3 partners x 2 flows = 72 rows -> one call for the year.
    groups = list(src._group(base, months, 100_000, "data"))
    assert len(groups) == 1 and groups[0][1][0].periods == tuple(p for p, _ in months)
    # Preview: 300 partners x 2 flows = 600 rows a month -> every month alone, partners in two calls.
    wide = Call("A", "398", (), tuple(str(i) for i in range(300)), ("TOTAL",), ("M", "X"), False)
    groups = list(src._group(wide, [("2022", ("s", None)), ("2023", ("s", None))], 500, "preview"))
    assert [g for g, _ in groups] == [["2022"], ["2023"]]
    for _, calls in groups:
        assert [len(c.partners) for c in calls] == [150, 150]
        assert all(c.estimate() < 500 for c in calls)


# --------------------------------------------------------------------------- failures


def ctx_for(tmp_path, cassette):
    client = make_client("replay", cassettes=[cassette])
    return Context(client=client, config=config(tmp_path, cassette, CHN_SETTINGS), landing_root=tmp_path / "l")


def test_api_error_object_is_bad_response_and_loaded_rows_stay(tmp_path):
    cassette = REC / "chn_2010_revised_error_constructed"
    src = Comtrade(CHN_SETTINGS)
    ctx = ctx_for(tmp_path, cassette)
    (p,) = src.plan(ctx)
    with pytest.raises(BadResponse) as err:
        src.fetch(ctx, p)
    assert "[comtrade]" in str(err.value) and "constructed error: service unavailable" in str(err.value)
    assert "comtradeapi.un.org/data/v1/get/C/A/HS?" in err.value.where

    run(tmp_path, config(tmp_path, CHN, CHN_SETTINGS))
    r = run(tmp_path, config(tmp_path, cassette, CHN_SETTINGS))
    assert r.status == "failed" and r.partitions_failed == 1
    assert "constructed error: service unavailable" in r.errors[0]
    assert query(tmp_path, "select count(*), sum(primary_value) from raw.comtrade__goods") == [
        (4, 74251272075.0 + 6804128143.0 + 68047133397.0 + 6115764185.0)
    ]
    assert query(tmp_path, "select status from ops.runs order by started_at") == [("success",), ("failed",)]
    assert query(tmp_path, "select partition_key from ops.partition_errors") == [(CHN_KEY,)]
    # The ledger keeps the stamp of what is loaded, so the next run retries.
    assert query(tmp_path, "select source_updated_at from ops.partitions") == [("2021-07-13T00:00:00|dataset=4020105",)]


def test_missing_required_field_is_schema_drift_naming_it(tmp_path):
    cassette = REC / "chn_2010_revised_missing_field_constructed"
    src = Comtrade(CHN_SETTINGS)
    ctx = ctx_for(tmp_path, cassette)
    (p,) = src.plan(ctx)
    with pytest.raises(SchemaDrift) as err:
        src.parse(p, src.fetch(ctx, p))
    assert err.value.field == "primaryValue" and "row 2" in str(err.value)

    run(tmp_path, config(tmp_path, CHN, CHN_SETTINGS))
    r = run(tmp_path, config(tmp_path, cassette, CHN_SETTINGS))
    assert r.status == "failed" and "'primaryValue'" in r.errors[0]
    assert query(tmp_path, "select count(*) from raw.comtrade__goods where primary_value is not null") == [(4,)]
    assert query(tmp_path, "select status, error like '%primaryValue%' from ops.runs order by started_at") == [
        ("success", None),
        ("failed", True),
    ]


def test_unknown_field_is_a_warning_and_revised_data_reload(tmp_path):
    run(tmp_path, config(tmp_path, CHN, CHN_SETTINGS))
    r = run(tmp_path, config(tmp_path, REC / "chn_2010_revised_new_field_constructed", CHN_SETTINGS))
    assert r.status == "success" and r.rows_loaded == 4
    assert len(r.warnings) == 1 and "unknown field 'isConstructedNewField'" in r.warnings[0]
    assert query(tmp_path, "select distinct _source_updated_at from raw.comtrade__goods") == [
        ("2025-03-04T00:00:00|dataset=4020106",)
    ]


# --------------------------------------------------------------------------- the key


class CapturingReplay(ReplayAdapter):
    def __init__(self, cassettes):
        super().__init__(cassettes)
        self.seen: list[tuple[str, dict]] = []

    def send(self, request, **kwargs):
        self.seen.append((request.url, dict(request.headers)))
        return super().send(request, **kwargs)


def test_key_goes_only_in_the_header(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("COMTRADE_API_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    settings = {**CHN_SETTINGS, "endpoint": "auto"}  # auto: the keyed endpoint because the key is set
    adapters = []
    results = []
    for cassette in (CHN, REC / "chn_2010_revised_error_constructed"):
        client = make_client("replay", cassettes=[cassette])
        adapter = CapturingReplay([cassette])
        client.session.mount("https://", adapter)
        adapters.append(adapter)
        results.append(run(tmp_path, config(tmp_path, cassette, settings), client))
    ok, failed = results
    assert ok.status == "success" and ok.rows_loaded == 4
    assert failed.status == "failed"
    seen = [s for a in adapters for s in a.seen]
    assert len(seen) == 4
    for url, headers in seen:
        assert headers["Ocp-Apim-Subscription-Key"] == KEY
        assert KEY not in url and "/data/v1/" in url
    assert KEY not in caplog.text and "GET https://comtradeapi.un.org/data/v1/get" in caplog.text
    assert all(KEY not in e for e in failed.errors)
    landed = [f for f in (tmp_path / "landing").rglob("*") if f.suffix in SUFFIXES]
    assert landed and all(KEY.encode() not in read_landed(f) for f in landed)
    dump = query(tmp_path, "select * from ops.runs") + query(tmp_path, "select * from ops.partition_errors")
    dump += query(tmp_path, "select * from ops.partitions")
    assert KEY not in repr(dump)
    assert KEY.encode() not in (tmp_path / "w.duckdb").read_bytes()


def test_planner_with_getda_totals_packs_calls_at_least_half_full():
    # Hand-computed plan: 10 partners with 8,000 rows each a month (80,000 rows) in one month of a
    # reporter whose getDA totalRecords is 1,600,000 (250 partner areas x 6,400 rows).
    # Before: 10 partners x 5,613 HS6 x 2 flows = 112,260 >= 100,000 -> split into 2 calls (56,130 each).
    # With the getDA bound: 1,600,000 x 10/250 x 1.5 = 96,000 < 100,000 -> one call of 80,000 rows.
    src = Comtrade()
    partners = tuple(str(i) for i in range(1, 11))
    base = Call("M", "276", (), partners, ("AG6",), ("M", "X"), False)
    groups = list(src._group(base, [("202301", ("s", 1_600_000))], 100_000, "data"))
    assert [g for g, _ in groups] == [["202301"]]
    (call,) = groups[0][1]
    assert call.partners == partners and call.periods == ("202301",)
    assert src._estimate(call, base, {"202301": 1_600_000}) == 96_000
    rows = 10 * 8_000
    assert rows / 100_000 >= 0.5  # the one call is 80% full, not ten calls of 8,000 rows
    # Twelve such months: one month a call (two would be expected at 192,000 rows), never one call per
    # partner (120 calls).
    months = [(f"2023{m:02d}", ("s", 1_600_000)) for m in range(1, 13)]
    calls = [c for _, cs in src._group(base, months, 100_000, "data") for c in cs]
    assert len(calls) == 12 and all(len(c.partners) == 10 and len(c.periods) == 1 for c in calls)
    assert all(src._estimate(c, base, {p: t for p, (_, t) in months}) < 100_000 for c in calls)


def test_planner_uses_the_previous_loads_row_counts_and_a_capped_answer_is_still_split():
    src = Comtrade()
    partners = tuple(str(i) for i in range(1, 11))
    base = Call("M", "276", (), partners, ("AG6",), ("M", "X"), False)
    months = [(f"2023{m:02d}", ("s", None)) for m in range(1, 13)]  # no totalRecords from getDA
    # Without anything known: 112,260 rows a month expected -> each month in 2 calls of 5 partners.
    calls = [c for _, cs in src._group(base, months, 100_000, "data") for c in cs]
    assert len(calls) == 24 and {len(c.partners) for c in calls} == {5}
    # The previous load had 8,000 rows per month: 8,000 x 1.5 = 12,000 a month -> 8 months in the first
    # call (96,000), the other 4 in a second one.
    src.observe_ledger(
        {
            ("goods", f"type=C/freq=M/cl=HS/reporter=276/period={p}"): {"status": "loaded", "row_count": 8_000}
            for p, _ in months
        }
        | {("goods", "type=C/freq=M/cl=HS/reporter=276/period=202212"): {"status": "failed", "row_count": None}}
    )
    groups = list(src._group(base, months, 100_000, "data"))
    assert [len(g) for g, _ in groups] == [8, 4]
    assert all(len(cs) == 1 and cs[0].partners == partners for _, cs in groups)
    # A call planned on a low estimate that still comes back capped is split by the existing code.
    assert [c.partners for c in groups[0][1][0].split()] == [partners[:5], partners[5:]]
